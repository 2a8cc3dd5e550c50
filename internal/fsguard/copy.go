package fsguard

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// CopyTree copies src's contents into dst (created if needed) with modes and
// mtimes kept, as `cp -a` does. Tests inspect copies, never the fixtures
// themselves, so a command that broke the read-only guarantee could not
// damage the checked-in data.
func CopyTree(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("cp -a %s %s: %v: %s", src, dst, err, out)
	}
}

// Touch sets the mtime (and atime) of every non-directory under dir to at.
// Git keeps no mtimes, so tests whose output shows times pin them first.
func Touch(t testing.TB, dir string, at time.Time) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		return os.Chtimes(p, at, at)
	})
	if err != nil {
		t.Fatal(err)
	}
}
