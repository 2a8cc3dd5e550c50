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

// Touch sets the mtime (and atime) of dir and everything under it to at.
// Git keeps no mtimes, so tests whose output shows times pin them first.
// Entries are set deepest first, so setting a file's time does not move
// its directory's again.
func Touch(t testing.TB, dir string, at time.Time) {
	t.Helper()
	var paths []string
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		paths = append(paths, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(paths) - 1; i >= 0; i-- {
		if err := os.Chtimes(paths[i], at, at); err != nil {
			t.Fatal(err)
		}
	}
}
