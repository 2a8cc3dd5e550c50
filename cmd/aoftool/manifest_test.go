package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/manifest"
)

// manifestFixtures are the real-Redis data directories under testdata/.
var manifestFixtures = []string{"redis7-empty", "redis7-writes", "redis7-rewrite", "redis7-history", "redis7-multi-incr", "legacy-appendonly"}

func manifestFixturePath(name string) string { return filepath.Join("..", "..", "testdata", name) }

// manifestFixedTime is the mtime goldens see and the clock they are printed against.
var manifestFixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// manifestStableCopy copies a fixture, sets every mtime to manifestFixedTime and returns the
// copy's path, so goldens depend neither on the checkout nor on git's mtimes.
func manifestStableCopy(t *testing.T, fixture string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	fsguard.CopyTree(t, manifestFixturePath(fixture), dst)
	fsguard.Touch(t, dst, manifestFixedTime)
	return dst
}

func withFixedManifestClock(t *testing.T) {
	fixClock(t, func() time.Time { return manifestFixedTime.Add(90 * time.Minute) })
}

func TestManifestGolden(t *testing.T) {
	withFixedManifestClock(t)
	broken := func(t *testing.T) string {
		d := manifestStableCopy(t, "redis7-writes")
		m := filepath.Join(d, "appendonlydir", "appendonly.aof.manifest")
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		// A line Redis refuses (seq 0) after a good one.
		b = append(b, []byte("file appendonly.aof.9.incr.aof seq 0 type i\n")...)
		if err := os.WriteFile(m, b, 0o644); err != nil {
			t.Fatal(err)
		}
		fsguard.Touch(t, d, manifestFixedTime)
		return d
	}
	orphans := func(t *testing.T) string {
		d := manifestStableCopy(t, "redis7-rewrite")
		for name, data := range map[string]string{
			"temp-appendonly.aof.incr":     "*1\r\n$4\r\nPING\r\n",
			"temp-appendonly.aof.manifest": "file appendonly.aof.1.base.rdb seq 1 type b\n",
			"appendonly.aof.1.base.rdb":    "",
		} {
			if err := os.WriteFile(filepath.Join(d, "appendonlydir", name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fsguard.Touch(t, d, manifestFixedTime)
		return d
	}
	cases := []struct {
		name  string
		dir   func(t *testing.T) string
		sub   string // path under the copy given to the command
		code  int
		extra []string
	}{
		{"empty", func(t *testing.T) string { return manifestStableCopy(t, "redis7-empty") }, "", 0, nil},
		{"history", func(t *testing.T) string { return manifestStableCopy(t, "redis7-history") }, "appendonlydir", 0, nil},
		{"multi-incr", func(t *testing.T) string { return manifestStableCopy(t, "redis7-multi-incr") }, "appendonlydir/appendonly.aof.manifest", 0, nil},
		{"legacy", func(t *testing.T) string { return manifestStableCopy(t, "legacy-appendonly") }, "", 0, nil},
		{"refused", broken, "", 1, nil},
		{"orphans", orphans, "", 0, nil},
	}
	for _, tc := range cases {
		for _, asJSON := range []bool{false, true} {
			name, ext := tc.name, ".txt"
			if asJSON {
				ext = ".json"
			}
			t.Run(name+ext, func(t *testing.T) {
				dir := tc.dir(t)
				args := []string{"manifest", "--no-color"}
				if asJSON {
					args = append(args, "--json")
				}
				// A relative path keeps table widths independent of the
				// temp dir's name.
				args = append(args, append(tc.extra, filepath.Join("data", tc.sub))...)
				r := runCLIIn(t, filepath.Dir(dir), args...)
				if r.code != tc.code {
					t.Fatalf("exit %d, want %d; stderr %s; stdout:\n%s", r.code, tc.code, r.stderr, r.stdout)
				}
				if r.stderr != "" {
					t.Errorf("stderr: %q", r.stderr)
				}
				golden(t, "manifest/"+name+ext, r.stdout)
			})
		}
	}
}

func TestManifestJSONRoundTrip(t *testing.T) {
	for _, fx := range manifestFixtures {
		t.Run(fx, func(t *testing.T) {
			r := runCLI(t, "", "manifest", "--json", manifestFixturePath(fx))
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var rep manifest.Report
			dec := json.NewDecoder(strings.NewReader(r.stdout))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&rep); err != nil {
				t.Fatalf("decode: %v\n%s", err, r.stdout)
			}
			if rep.Schema != 1 {
				t.Errorf("schema %d", rep.Schema)
			}
			var again bytes.Buffer
			if err := writeJSON(&again, &rep); err != nil {
				t.Fatal(err)
			}
			if again.String() != r.stdout {
				t.Errorf("JSON does not round-trip through manifest.Report:\n--- printed\n%s\n--- re-encoded\n%s", r.stdout, again.String())
			}
			direct, err := datadir.Open(manifestFixturePath(fx), datadir.DefaultConfig(), datadir.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := writeJSON(&want, direct.Manifest); err != nil {
				t.Fatal(err)
			}
			if want.String() != r.stdout {
				t.Errorf("--json differs from the data dir's manifest report")
			}
		})
	}
}

// TestManifestReadOnly runs the command over the real fixtures themselves, in
// every form of PATH, and proves nothing in them changed.
func TestManifestReadOnly(t *testing.T) {
	for _, fx := range manifestFixtures {
		t.Run(fx, func(t *testing.T) {
			dir := manifestFixturePath(fx)
			guard := fsguard.Record(t, dir)
			paths := []string{dir}
			if _, err := os.Stat(filepath.Join(dir, "appendonlydir")); err == nil {
				paths = append(paths, filepath.Join(dir, "appendonlydir"), filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
			}
			for _, p := range paths {
				for _, extra := range [][]string{nil, {"--json"}, {"--follow-symlinks"}} {
					args := append(append([]string{"manifest"}, extra...), p)
					if r := runCLI(t, "", args...); r.code != 0 {
						t.Errorf("%v: exit %d: %s%s", args, r.code, r.stderr, r.stdout)
					}
				}
			}
			guard.AssertUnchanged(t)
		})
	}
}

func TestManifestExitCodes(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	cases := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"manifest"}, exitCannot, "give a data directory"},
		{[]string{"manifest", "a", "b"}, exitCannot, "accepts at most 1 arg"},
		{[]string{"manifest", missing}, exitCannot, "no such file"},
		{[]string{"manifest", "--appenddirname", "a/b", manifestFixturePath("redis7-empty")}, exitCannot, "--appenddirname: \"a/b\" can't be a path"},
		{[]string{"manifest", "--appendfilename", "x/y.aof", manifestFixturePath("redis7-empty")}, exitCannot, "--appendfilename: \"x/y.aof\" can't be a path"},
		{[]string{"manifest", "--bogus", manifestFixturePath("redis7-empty")}, exitCannot, "unknown flag"},
		{[]string{"manifest", manifestFixturePath("redis7-rewrite")}, exitOK, ""},
		{[]string{"manifest", "--appendfilename", "other.aof", manifestFixturePath("redis7-rewrite")}, exitOK, ""},
	}
	for _, tc := range cases {
		r := runCLI(t, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.err) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", tc.args, r.code, tc.code, r.stderr, tc.err)
		}
	}
	// A symlinked manifest is read only when asked.
	ln := filepath.Join(t.TempDir(), "data")
	fsguard.CopyTree(t, manifestFixturePath("redis7-writes"), ln)
	aof := filepath.Join(ln, "appendonlydir")
	if err := os.Rename(filepath.Join(aof, "appendonly.aof.manifest"), filepath.Join(aof, "real")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(aof, "appendonly.aof.manifest")); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "", "manifest", ln); r.code != exitCannot || !strings.Contains(r.stderr, "--follow-symlinks") {
		t.Errorf("symlinked manifest: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, "", "manifest", "--follow-symlinks", ln); r.code != exitOK {
		t.Errorf("symlinked manifest followed: exit %d, stderr %q", r.code, r.stderr)
	}
	// A manifest Redis refuses is a finding (exit 1), also in JSON.
	d := t.TempDir()
	if err := os.MkdirAll(filepath.Join(d, "appendonlydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "appendonlydir", "appendonly.aof.manifest"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "manifest", "--json", d)
	if r.code != exitFindings || !strings.Contains(r.stdout, `"manifest-empty"`) {
		t.Errorf("0-byte manifest: exit %d, out %s", r.code, r.stdout)
	}
}

func TestManifestHelp(t *testing.T) {
	r := runCLI(t, "", "manifest", "--help")
	for _, want := range []string{"Examples:", "--appenddirname", "--appendfilename", "--follow-symlinks", "Exit status:", "aoftool manifest /var/lib/redis"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

// A BGREWRITEAOF with AOF on lists the incr it opened beside the previous
// one: while the rewrite runs that is information, not a rewrite that
// never finished; check and manifest say the same.
func TestSecondIncrOfARunningRewrite(t *testing.T) {
	phFixClocks(t)
	dir := phRewritingDir(t)
	for _, args := range [][]string{{"manifest", "--json", dir}, {"check", "--json", dir}} {
		r := runCLI(t, "", args...)
		var doc struct {
			Findings []struct {
				Code     string `json:"code"`
				Severity string `json:"severity"`
				Message  string `json:"message"`
			} `json:"findings"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, r.stderr)
		}
		found := false
		for _, f := range doc.Findings {
			if f.Code == "manifest-multiple-incr" {
				found = true
				if f.Severity != "info" || !strings.Contains(f.Message, "rewrite running now") {
					t.Errorf("%v: %+v", args[0], f)
				}
			}
		}
		if !found {
			t.Errorf("%v: no manifest-multiple-incr finding: %+v", args[0], doc.Findings)
		}
	}
	// Once nothing runs (a copy), the same incr is a rewrite that never
	// finished.
	r := runCLI(t, "", "check", "--json", "--server-stopped", dir)
	if !strings.Contains(r.stdout, `"severity": "warning"`) || !strings.Contains(r.stdout, "never finished") {
		t.Errorf("--server-stopped: %s", r.stdout)
	}
}
