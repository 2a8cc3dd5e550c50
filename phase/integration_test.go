package phase_test

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/scenario"
	"github.com/aoftool/aoftool/phase"
	"github.com/aoftool/aoftool/serverlog"
	"github.com/aoftool/aoftool/snapshot"
)

// capture snapshots a frozen copy with the freeze time as "now", so two
// copies a second apart give real growth rates however late the test reads
// them.
func capture(t *testing.T, m *scenario.Moment) *snapshot.Snapshot {
	t.Helper()
	s, err := snapshot.Capture(m.Dir, snapshot.Options{Clock: func() time.Time { return m.TakenAt }})
	if err != nil {
		t.Fatalf("%s: capture: %v", m.Name, err)
	}
	return s
}

// expectation is what a scenario's moments must classify as, beyond the
// phase and step each Moment carries.
type expectation struct {
	// findings are codes that must be present, keyed by moment name.
	findings map[string][]finding.Code
	// grows names the moments whose Later copy must prove the job alive
	// (confidence high).
	grows []string
}

// The scenarios drive real redis-server 7.0.15 (internal/scenario); each
// frozen copy must classify as the phase Redis was in. Where files alone
// cannot tell (a crashed server's copy, Moment.Phase == ""), the answer
// must say so with a lowered confidence and an alternative.
func TestRealRedisScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("drives real servers for about a minute")
	}
	type scen struct {
		run  func(testing.TB, scenario.Settings) []*scenario.Moment
		want expectation
	}
	listings := os.Getenv("AOFTOOL_WRITE_LISTINGS")
	cases := map[string]scen{
		"bgsave":       {scenario.BGSave, expectation{grows: []string{"bgsave/during"}}},
		"bgrewriteaof": {scenario.BGRewriteAOF, expectation{grows: []string{"bgrewriteaof/during"}}},
		"replica-disk": {func(t testing.TB, s scenario.Settings) []*scenario.Moment {
			return scenario.ReplicaRebuild(t, s, false)
		},
			expectation{grows: []string{"replica-rebuild-disk/3-rewrite"}, findings: map[string][]finding.Code{
				"replica-rebuild-disk/2-loading": {finding.StaleAOFAfterSync},
			}}},
		"replica-diskless": {func(t testing.TB, s scenario.Settings) []*scenario.Moment { return scenario.ReplicaRebuild(t, s, true) },
			expectation{grows: []string{"replica-rebuild-diskless/3-rewrite"}, findings: map[string][]finding.Code{
				"replica-rebuild-diskless/2-loading": {finding.StaleAOFAfterSync},
			}}},
		"rewrite-child-killed": {scenario.RewriteChildKilled, expectation{findings: map[string][]finding.Code{
			"rewrite-child-killed/after": {finding.ManifestMultipleIncr},
		}}},
		"server-killed-mid-rewrite": {scenario.ServerKilledMidRewrite, expectation{findings: map[string][]finding.Code{
			"server-killed-mid-rewrite/restarted": {finding.StaleRewriteTemp, finding.ManifestMultipleIncr},
		}}},
		"replica-killed-mid-transfer": {scenario.ReplicaKilledMidTransfer, expectation{findings: map[string][]finding.Code{
			"replica-killed-mid-transfer/restarted": {finding.StaleTransferFile},
		}}},
		"bgsave-killed":  {scenario.BGSaveKilled, expectation{}},
		"orphaned-child": {scenario.OrphanedChild, expectation{}},
		"replica-killed-mid-load": {scenario.ReplicaKilledMidLoad, expectation{findings: map[string][]finding.Code{
			"replica-killed-mid-load/crashed": {finding.StaleAOFAfterSync},
		}}},
		"crashed-rewrite-then-sync": {scenario.CrashedRewriteThenFullSync, expectation{findings: map[string][]finding.Code{
			"crashed-rewrite-then-sync/transfer": {finding.StaleRewriteTemp},
		}}},
		"replicaof": {func(t testing.TB, s scenario.Settings) []*scenario.Moment {
			return scenario.ReplicaOf(t, s, listings != "")
		}, expectation{grows: []string{"replicaof/3-rewrite"}}},
	}
	var mu sync.Mutex
	var table []string
	t.Cleanup(func() {
		sort.Strings(table)
		t.Logf("confidence by moment (files alone | files and log | log alone):\n%s", strings.Join(table, "\n"))
	})
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, m := range c.run(t, scenario.Settings{}) {
				checkMoment(t, m, c.want)
				checkStopped(t, m)
				row := checkWithLog(t, m)
				mu.Lock()
				table = append(table, row)
				mu.Unlock()
				if listings != "" && strings.HasPrefix(m.Name, "replicaof/") {
					writeListings(t, listings, m)
				}
			}
		})
	}
}

func checkMoment(t *testing.T, m *scenario.Moment, want expectation) {
	t.Helper()
	one := capture(t, m)
	series := [][]*snapshot.Snapshot{{one}}
	if m.Later != nil {
		series = append(series, []*snapshot.Snapshot{one, capture(t, m.Later)})
	}
	for _, snaps := range series {
		r := phase.Classify(snaps, phase.Options{})
		label := m.Name
		if len(snaps) > 1 {
			label += " (with the copy 1s later)"
		}
		t.Logf("%s: %s/%s step %d rule %s alts %v: %s; findings %v", label, r.Phase, r.Confidence, r.StepNumber, r.Rule, r.Alternatives, r.Summary, codes(r.Findings))
		if m.Phase == "" {
			if r.Confidence == phase.High || len(r.Alternatives) == 0 {
				t.Errorf("%s: files cannot tell, yet the answer is %s/%s with alternatives %v", label, r.Phase, r.Confidence, r.Alternatives)
			}
			if r.Phase != phase.Steady && !slices.Contains(r.Alternatives, phase.Steady) {
				t.Errorf("%s: a dead job is a reading too: alternatives %v lack steady", label, r.Alternatives)
			}
		} else if string(r.Phase) != m.Phase && len(snaps) == 1 && len(m.Leftovers) > 0 {
			// One snapshot of a dead job's file sets it aside only on
			// timestamps (the lag heuristic); when the scenario's margin
			// is too thin for it, the answer must at least not claim
			// certainty and must offer the right reading.
			if r.Confidence == phase.High || !slices.Contains(r.Alternatives, phase.Phase(m.Phase)) {
				t.Errorf("%s: phase %s/%s alternatives %v, want %s or an uncertain answer offering it", label, r.Phase, r.Confidence, r.Alternatives, m.Phase)
			}
		} else {
			if string(r.Phase) != m.Phase {
				t.Errorf("%s: phase %s (rule %s), want %s; evidence %+v", label, r.Phase, r.Rule, m.Phase, r.Evidence)
			}
			if r.StepNumber != m.Step {
				t.Errorf("%s: step %d, want %d", label, r.StepNumber, m.Step)
			}
		}
		if len(snaps) > 1 && slices.Contains(want.grows, m.Name) {
			if r.Confidence != phase.High {
				t.Errorf("%s: growth observed, yet confidence %s", label, r.Confidence)
			}
			if r.Progress != nil && r.Progress.RateBytesPerS <= 0 {
				t.Errorf("%s: progress without a rate: %+v", label, r.Progress)
			}
		}
		for _, code := range want.findings[m.Name] {
			if m.Phase != "" && string(r.Phase) != m.Phase {
				continue
			}
			if !r.Findings.Has(code) {
				t.Errorf("%s: finding %s missing from %v", label, code, codes(r.Findings))
			}
		}
		for _, l := range m.Leftovers {
			if m.Phase == "" || string(r.Phase) != m.Phase {
				continue
			}
			found := false
			for _, got := range r.Leftovers {
				found = found || got.Path == l
			}
			if !found {
				t.Errorf("%s: leftover %s not reported (leftovers %+v)", label, l, r.Leftovers)
			}
		}
	}
}

var confRank = map[phase.Confidence]int{phase.Low: 0, phase.Medium: 1, phase.High: 2}

// checkWithLog reads the log the moment's server wrote up to the copy
// together with the files: the answer is the moment's phase (or, for a
// dead server whose files cannot tell, the phase it died in), with at
// least the confidence of the files alone. It returns the three answers
// as a table row.
func checkWithLog(t *testing.T, m *scenario.Moment) string {
	t.Helper()
	f, err := os.Open(m.Log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lg, err := serverlog.Read(f, serverlog.Options{Location: time.Local})
	if err != nil {
		t.Fatal(err)
	}
	snaps := []*snapshot.Snapshot{capture(t, m)}
	alone := phase.Classify(snaps, phase.Options{})
	both := phase.Classify(snaps, phase.Options{Log: lg.State, LogName: "redis.log"})
	logOnly := phase.Classify(nil, phase.Options{Log: lg.State})
	want, step := m.Phase, m.Step
	if want == "" {
		want, step = m.Was, m.WasStep
	}
	got, gotStep := both.Phase, both.StepNumber
	if both.Rule == "server-stopped" && both.Was != nil {
		// The log shows the server gone (a child found no parent): the
		// job it was in is Was.
		got, gotStep = both.Was.Phase, both.Was.StepNumber
	}
	if string(got) != want || gotStep != step {
		t.Errorf("%s with its log: %s step %d (%s, rule %s), want %s step %d; findings %v; evidence %+v", m.Name, both.Phase, both.StepNumber, both.Confidence, both.Rule, want, step, codes(both.Findings), both.Evidence)
	}
	if confRank[both.Confidence] < confRank[alone.Confidence] {
		t.Errorf("%s: files alone %s/%s, with the log %s/%s: the log lowered the confidence (findings %v)", m.Name, alone.Phase, alone.Confidence, both.Phase, both.Confidence, codes(both.Findings))
	}
	for _, c := range []finding.Code{finding.LogPhaseDisagrees, finding.LogPIDMismatch, finding.LogJobEndedFileRemains} {
		if both.Findings.Has(c) {
			t.Errorf("%s: the log of the moment's own server disagrees with its files: %v", m.Name, both.Findings)
		}
	}
	return fmt.Sprintf("%-45s %-22s %-28s %-28s %s", m.Name, fmt.Sprintf("%s/%s", alone.Phase, alone.Confidence), fmt.Sprintf("%s/%s", both.Phase, both.Confidence),
		fmt.Sprintf("%s/%s", logOnly.Phase, logOnly.Confidence), fmt.Sprintf("step %d|%d|%d", alone.StepNumber, both.StepNumber, logOnly.StepNumber))
}

// checkStopped classifies a moment as a copy no server runs on
// (--server-stopped): nothing runs, every temp file of the copy is a
// leftover with a verdict and what the next start does with it, and Was
// is the job the server was in.
func checkStopped(t *testing.T, m *scenario.Moment) {
	t.Helper()
	r := phase.Classify([]*snapshot.Snapshot{capture(t, m)}, phase.Options{ServerStopped: true})
	t.Logf("%s --server-stopped: %s/%s: %s", m.Name, r.Phase, r.Confidence, r.Summary)
	if r.Phase != phase.Steady || r.Rule != "server-stopped" || r.Progress != nil {
		t.Errorf("%s --server-stopped: %s rule %s progress %+v, want no running job", m.Name, r.Phase, r.Rule, r.Progress)
	}
	byPath := map[string]phase.Leftover{}
	for _, l := range r.Leftovers {
		byPath[l.Path] = l
	}
	for _, p := range tempFiles(t, m.Dir) {
		l, ok := byPath[p]
		switch {
		case !ok:
			t.Errorf("%s --server-stopped: temp file %s is not a leftover (leftovers %+v)", m.Name, p, r.Leftovers)
		case l.NextStart == "" || l.Why == "" || !l.SafeToDelete && l.Caveat == "":
			t.Errorf("%s --server-stopped: leftover %s without a verdict: %+v", m.Name, p, l)
		}
	}
	was, step := m.Was, m.WasStep
	if was == "" && m.Phase != "steady" {
		was, step = m.Phase, m.Step
	}
	switch {
	case was == "" && r.Was != nil && m.Phase == "steady":
		t.Errorf("%s --server-stopped: nothing ran, yet was %+v", m.Name, r.Was)
	case was != "" && (r.Was == nil || string(r.Was.Phase) != was || r.Was.StepNumber != step):
		t.Errorf("%s --server-stopped: was %+v, want %s step %d", m.Name, r.Was, was, step)
	}
}

// tempFiles lists the temp files of jobs in a data dir and its AOF
// directory, relative to dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{"", "appendonlydir"} {
		ents, _ := os.ReadDir(filepath.Join(dir, sub))
		for _, e := range ents {
			info := snapshot.DecodeName(e.Name(), e.IsDir(), sub == "", snapshot.DefaultNames())
			if info.Kind.IsTemp() {
				out = append(out, path.Join(sub, e.Name()))
			}
		}
	}
	return out
}

func codes(l finding.List) []finding.Code {
	var out []finding.Code
	for _, f := range l {
		out = append(out, f.Code)
	}
	return out
}

// listingFormats are the ls invocations a rebuild's listings are kept in:
// minute timestamps with exact sizes, minute timestamps with rounded
// sizes, and exact times with the directories' own "." lines.
var listingFormats = []struct {
	suffix string
	flags  []string
}{
	{"l", []string{"-l"}},
	{"lh", []string{"-lh"}},
	{"la-full-time", []string{"-la", "--full-time"}},
}

// writeListings records real ls listings of a rebuild moment, the input
// of TestListingsOfEveryStep: each format of listingFormats, of the data
// dir with its AOF directory (*.with-aofdir.txt) and of the data dir alone
// (*.dir-only.txt). Regenerate with
//
//	AOFTOOL_WRITE_LISTINGS=$PWD/phase/testdata/listings go test ./phase -run TestRealRedisScenarios/replicaof
//
// (the scenario then waits for the next minute before REPLICAOF, so ls -l
// dates the AOF directory before dump.rdb).
func writeListings(t *testing.T, dir string, m *scenario.Moment) {
	t.Helper()
	for _, f := range listingFormats {
		for _, withAOF := range []bool{true, false} {
			args := append(append([]string{}, f.flags...), m.Dir)
			shown := "/var/lib/redis"
			suffix := ".dir-only.txt"
			if withAOF {
				args = append(args, filepath.Join(m.Dir, "appendonlydir"))
				shown += " /var/lib/redis/appendonlydir"
				suffix = ".with-aofdir.txt"
			}
			cmd := exec.Command("ls", args...)
			cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("ls: %v\n%s", err, out)
			}
			text := "$ ls " + strings.Join(f.flags, " ") + " " + shown + "\n" + strings.ReplaceAll(string(out), m.Dir, "/var/lib/redis")
			name := strings.ReplaceAll(m.Name, "/", "_") + "." + f.suffix + suffix
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
