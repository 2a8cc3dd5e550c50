package main

import (
	"strings"
	"testing"
)

// Every command that reads a data dir refuses the same bad redis.conf names
// before opening anything, and says which flag is wrong.
func TestServerNamesAreValidatedAlike(t *testing.T) {
	dir := "testdata/golden" // never opened: validation comes first
	for _, cmd := range []string{"manifest", "aof", "check", "phase", "snapshot", "diff", "watch"} {
		for _, bad := range [][2]string{{"--appenddirname", "a/b"}, {"--appenddirname", ".."}, {"--appendfilename", "x/y"}} {
			args := []string{cmd, bad[0], bad[1], dir}
			if cmd == "diff" {
				args = append(args, dir)
			}
			r := runCLI(t, "", args...)
			if r.code != exitCannot || !strings.Contains(r.stderr, bad[0]) {
				t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %s", args, r.code, r.stderr, bad[0])
			}
		}
	}
	for _, cmd := range []string{"check", "phase", "snapshot"} {
		r := runCLI(t, "", cmd, "--dbfilename", "../dump.rdb", dir)
		if r.code != exitCannot || !strings.Contains(r.stderr, "--dbfilename") {
			t.Errorf("%s --dbfilename ../dump.rdb: exit %d, stderr %q", cmd, r.code, r.stderr)
		}
	}
}
