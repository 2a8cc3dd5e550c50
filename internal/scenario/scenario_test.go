package scenario

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The scenarios are checked here only for what Redis itself guarantees
// about the files of each moment; classification is tested in phase.
func TestScenariosFreezeTheRightFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("drives real servers for about a minute")
	}
	cases := map[string]func(testing.TB, Settings) []*Moment{
		"bgsave":       BGSave,
		"bgrewriteaof": BGRewriteAOF,
		"replica-disk": func(t testing.TB, s Settings) []*Moment { return ReplicaRebuild(t, s, false) },
		"replica-diskless": func(t testing.TB, s Settings) []*Moment {
			return ReplicaRebuild(t, s, true)
		},
		"rewrite-child-killed":      RewriteChildKilled,
		"server-killed-mid-rewrite": ServerKilledMidRewrite,
		"replica-killed-mid-xfer":   ReplicaKilledMidTransfer,
		"bgsave-killed":             BGSaveKilled,
		"orphaned-child":            OrphanedChild,
		"replica-killed-mid-load":   ReplicaKilledMidLoad,
		"crashed-rewrite-then-sync": CrashedRewriteThenFullSync,
		"replicaof":                 func(t testing.TB, s Settings) []*Moment { return ReplicaOf(t, s, false) },
	}
	want := map[string]string{
		"bgsave":                "^temp-\\d+\\.rdb$",
		"sync-transfer":         "^temp-\\d+\\.\\d+\\.rdb$",
		"sync-loading":          "^dump\\.rdb$",
		"aof-rewrite":           "^temp-rewriteaof-\\d+\\.aof$",
		"aof-rewrite-finishing": "^temp-rewriteaof-bg-\\d+\\.aof$",
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, m := range fn(t, Settings{}) {
				names := list(t, m.Dir)
				t.Logf("%s:\n%s", m.Name, lsl(m.Dir))
				if pat, ok := want[m.Phase]; ok && !anyMatch(names, regexp.MustCompile(pat)) {
					t.Errorf("%s: no file matching %s in %v", m.Name, pat, names)
				}
				for _, l := range m.Leftovers {
					if !contains(names, l) {
						t.Errorf("%s: leftover %s missing from %v", m.Name, l, names)
					}
				}
				if log, err := os.ReadFile(m.Log); err != nil || len(log) == 0 {
					t.Errorf("%s: no copy of the server's log (%v)", m.Name, err)
				}
			}
		})
	}
}

func list(t *testing.T, dir string) []string {
	var out []string
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func lsl(dir string) string {
	b, _ := exec.Command("ls", "-l", "--full-time", dir, filepath.Join(dir, "appendonlydir")).CombinedOutput()
	return string(b)
}

func anyMatch(names []string, re *regexp.Regexp) bool {
	for _, n := range names {
		if re.MatchString(n) {
			return true
		}
	}
	return false
}

func contains(names []string, s string) bool {
	for _, n := range names {
		if strings.EqualFold(n, s) {
			return true
		}
	}
	return false
}
