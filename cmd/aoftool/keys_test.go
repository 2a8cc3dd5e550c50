package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/internal/fsguard"
)

// TestKeysGolden runs keys and keydiff on real-Redis fixtures, with and
// without --json, and on damaged copies.
func TestKeysGolden(t *testing.T) {
	fixRDBClock(t)
	guard := fsguard.Record(t, rdbFixtures)
	defer guard.AssertUnchanged(t)
	dirGuard := fsguard.Record(t, "../../testdata/redis7-writes")
	defer dirGuard.AssertUnchanged(t)
	legacyGuard := fsguard.Record(t, "../../testdata/legacy-appendonly")
	defer legacyGuard.AssertUnchanged(t)
	broken := brokenRDB(t)
	fx := func(rel string) string { return filepath.Join(rdbFixtures, rel) }
	cases := []struct {
		name   string
		args   []string
		code   int
		inTemp bool
	}{
		{"keys-types", []string{"keys", fx("types/dump.rdb")}, 0, false},
		{"keys-types-ndjson", []string{"keys", "--format", "ndjson", fx("types/dump.rdb")}, 0, false},
		{"keys-types-csv", []string{"keys", "--format", "csv", "--db", "0", fx("types/dump.rdb")}, 0, false},
		{"keys-top", []string{"keys", "--top", "5", "--by", "memory", fx("sized/dump.rdb")}, 0, false},
		{"keys-prefix", []string{"keys", "--prefix-report", "--sep", ":", "--depth", "2", fx("sized/dump.rdb")}, 0, false},
		{"keys-filtered", []string{"keys", "--type", "hash,zset", "--match", "*[0-9]*", fx("types/dump.rdb")}, 0, false},
		{"keys-values", []string{"keys", "--format", "ndjson", "--values", "--type", "string,list,set,zset,hash", fx("types/dump.rdb")}, 0, false},
		{"keys-dir", []string{"keys", "--at", "2027-01-01T00:00:00Z", "../../testdata/redis7-writes"}, 0, false},
		{"keys-legacy", []string{"keys", "--at", "2027-01-01T00:00:00Z", "../../testdata/legacy-appendonly"}, 0, false},
		{"keys-preamble", []string{"keys", "--at", "2027-01-01T00:00:00Z", "--format", "ndjson", fx("preamble")}, 0, false},
		{"keys-cut", []string{"keys", "cut.rdb"}, 1, true},
		{"keys-values-cut", []string{"keys", "--format", "ndjson", "--values", "cut.rdb"}, 1, true},
		{"keydiff", []string{"keydiff", fx("types/dump.rdb"), fx("checksum-off/dump.rdb")}, 0, false},
		{"keydiff-same", []string{"keydiff", "--format", "ndjson", fx("types/dump.rdb"), fx("types/dump.rdb")}, 0, false},
		{"keydiff-dir", []string{"keydiff", "--at", "2027-01-01T00:00:00Z", "../../testdata/redis7-writes/appendonlydir/appendonly.aof.1.base.rdb", "../../testdata/redis7-writes"}, 0, false},
		{"keydiff-broken", []string{"keydiff", "trailing.rdb", "cut.rdb"}, 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.inTemp {
				t.Chdir(broken)
			}
			for _, js := range []bool{false, true} {
				args := c.args
				name := "keys/" + c.name + ".txt"
				if js {
					if strings.Contains(strings.Join(args, " "), "--format") {
						continue
					}
					args = append([]string{"--json"}, args...)
					name = "keys/" + c.name + ".json"
				}
				r := runCLI(t, "", args...)
				if r.code != c.code {
					t.Errorf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.code, c.code, r.stdout, r.stderr)
				}
				golden(t, name, r.stdout+r.stderr)
			}
		})
	}
}

func TestKeysUsage(t *testing.T) {
	for _, args := range [][]string{
		{"keys", "--format", "xml", "x"},
		{"keys", "--expiring", "--persistent", "x"},
		{"keys", "--by", "weight", "x"},
		{"keys", "--type", "blob", "x"},
		{"keys", "--min-memory", "lots", "x"},
		{"keys", "--expired-at", "yesterday", "x"},
		{"keys", "--json", "--format", "csv", "x"},
		{"keys", "--values", "x"},
		{"keys", "--values", "--format", "ndjson", "--top", "3", "x"},
		{"keydiff", "--memory-limit", "10", "a", "b"},
		{"keydiff", "--format", "yaml", "a", "b"},
		{"keydiff", "a"},
	} {
		r := runCLI(t, "", args...)
		if r.code != exitCannot || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
	// A spill directory inside an inspected path is refused before any work.
	r := runCLI(t, "", "keydiff", "--spill-dir", filepath.Join(rdbFixtures, "types/dump.rdb"), filepath.Join(rdbFixtures, "types/dump.rdb"), filepath.Join(rdbFixtures, "sized/dump.rdb"))
	if r.code != exitCannot || !strings.Contains(r.stderr, "inspected") {
		t.Errorf("spill dir inside an input: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(t, "", "keydiff", "--spill-dir", "../../testdata/redis7-writes/appendonlydir", filepath.Join(rdbFixtures, "types/dump.rdb"), "../../testdata/redis7-writes")
	if r.code != exitCannot || !strings.Contains(r.stderr, "inspected") {
		t.Errorf("spill dir inside a data dir: exit %d, stderr %q", r.code, r.stderr)
	}
}
