package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files and the README's generated blocks")

// cliResult is one in-process run of aoftool.
type cliResult struct {
	stdout, stderr string
	code           int
}

// testNow is the clock runCLI gives aoftool; nil is the wall clock.
var testNow func() time.Time

// fixClock makes runCLI's clock now() for the rest of the test, so goldens
// do not age.
func fixClock(t testing.TB, now func() time.Time) {
	old := testNow
	testNow = now
	t.Cleanup(func() { testNow = old })
}

// runCLI runs aoftool in-process, as a user would from the shell.
func runCLI(t testing.TB, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	now := testNow
	if now == nil {
		now = time.Now
	}
	code := runAt(args, strings.NewReader(stdin), &out, &errb, now)
	return cliResult{stdout: out.String(), stderr: errb.String(), code: code}
}

// pkgDir is the package directory, where goldens live whatever the test's
// working directory.
var pkgDir, _ = os.Getwd()

// runCLIIn runs aoftool from dir, which stays the working directory for the
// rest of the test: a relative argument keeps temp paths (and their varying
// lengths) out of goldens.
func runCLIIn(t *testing.T, dir string, args ...string) cliResult {
	t.Helper()
	t.Chdir(dir)
	return runCLI(t, "", args...)
}

// golden compares got with testdata/golden/<name>, rewriting it with -update.
// Paths under the repository are replaced by a placeholder so goldens do not
// depend on where the checkout lives.
func golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join(pkgDir, "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test -update to create it)", name, err)
	}
	if string(want) != got {
		t.Errorf("output differs from golden %s (go test ./cmd/aoftool -update to accept):\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}

func TestExitCodeForUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--no-such-flag"}, {"no-such-command"}} {
		r := runCLI(t, "", args...)
		if r.code != exitCannot {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, r.code, exitCannot, r.stderr)
		}
		if !strings.Contains(r.stderr, "--help") {
			t.Errorf("%v: stderr lacks the --help hint: %q", args, r.stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, "", "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "aoftool ") {
		t.Fatalf("--version: exit %d, out %q", r.code, r.stdout)
	}
}

func TestCompletion(t *testing.T) {
	r := runCLI(t, "", "completion", "bash")
	if r.code != 0 || !strings.Contains(r.stdout, "bash completion") {
		t.Fatalf("completion bash: exit %d, out %.80q", r.code, r.stdout)
	}
}
