package hardening

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestVersionNamesTheCommit checks that a release build says which commit
// it was built from, so a report from a production host can be traced.
func TestVersionNamesTheCommit(t *testing.T) {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skip("not a git checkout: a build from a source archive has no commit to show")
	}
	head := strings.TrimSpace(string(out))
	r := runLimited(t, 10*time.Second, "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "aoftool ") || !strings.Contains(r.stdout, "commit "+head[:12]) {
		t.Fatalf("--version = %q (exit %d), want the module version and commit %s", r.stdout, r.code, head[:12])
	}
}
