package fsguard

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCompareSeesEveryKindOfChange(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a", "aaaa")
	write("b", "bbbb")
	write("c", "cccc")
	before, err := record(dir)
	if err != nil {
		t.Fatal(err)
	}
	write("a", "AAAA") // same size, other content
	os.Remove(filepath.Join(dir, "b"))
	write("d", "new")
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(dir, "c"), old, old)
	after, err := record(dir)
	if err != nil {
		t.Fatal(err)
	}
	diffs := Compare(before, after)
	if len(diffs) != 5 {
		t.Fatalf("want 5 differences (content, removal, creation, mtime, directory mtime), got %q", diffs)
	}
	again, _ := record(dir)
	if d := Compare(after, again); len(d) != 0 {
		t.Fatalf("unchanged tree reported %q", d)
	}
}
