package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/check"
	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/internal/scenario"
	"github.com/aoftool/aoftool/phase"
)

func TestCheckGolden(t *testing.T) {
	phFixClocks(t)
	fixture := func(name string) func(*testing.T) string {
		return func(t *testing.T) string { return phCopyTree(t, "../../testdata/"+name, time.Hour) }
	}
	cases := []struct {
		name string
		dir  func(*testing.T) string
		code int
		args []string
		log  string
	}{
		{"rewriting-with-log", phRewritingDir, 0, []string{"--log", "redis.log"}, phLogIncident},
		{"rewriting", phRewritingDir, 0, nil, ""},
		{"rewriting-stopped", phRewritingDir, 0, []string{"--server-stopped"}, ""},
		{"redis7-empty", fixture("redis7-empty"), 0, nil, ""},
		{"redis7-writes", fixture("redis7-writes"), 0, nil, ""},
		{"redis7-rewrite", fixture("redis7-rewrite"), 0, nil, ""},
		{"redis7-history", fixture("redis7-history"), 0, nil, ""},
		{"redis7-multi-incr", fixture("redis7-multi-incr"), 0, nil, ""},
		{"legacy-appendonly", fixture("legacy-appendonly"), 0, nil, ""},
		{"stale-transfer", phStaleTransferDir, 0, nil, ""},
		{"ignored-dump", phIgnoredDumpDir, 1, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := c.dir(t)
			if c.log != "" {
				phWriteFile(t, filepath.Join(filepath.Dir(dir), "redis.log"), []byte(c.log), phNow)
			}
			guard := fsguard.Record(t, dir)
			for _, mode := range []struct{ flag, suffix string }{{"", ".txt"}, {"--json", ".json"}, {"--markdown", ".md"}} {
				args := append([]string{"check", filepath.Base(dir)}, c.args...)
				if mode.flag != "" {
					args = append(args, mode.flag)
				}
				r := runCLIIn(t, filepath.Dir(dir), args...)
				if r.code != c.code {
					t.Errorf("%v: exit %d, want %d; stderr %s", args, r.code, c.code, r.stderr)
				}
				out := r.stdout
				if mode.flag == "--json" {
					out = checkJSONOwnPart(t, out)
				}
				golden(t, "check/"+c.name+mode.suffix, out)
			}
			guard.AssertUnchanged(t)
		})
	}
}

// checkJSONOwnPart keeps check's own fields of its JSON document: the
// nested manifest, RDB and AOF reports belong to their inspectors, whose
// own goldens cover them; here it is enough that they are present.
func checkJSONOwnPart(t *testing.T, doc string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("check --json is not one JSON object: %v", err)
	}
	for _, k := range []string{"manifest", "rdbs", "aof"} {
		if v, ok := m[k]; ok && v != nil {
			m[k] = "(present)"
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func TestCheckJSONAnswersTheStartQuestion(t *testing.T) {
	phFixClocks(t)
	dir := phIgnoredDumpDir(t)
	r := runCLI(t, "", "check", "--json", dir)
	var rep check.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err, r.stderr)
	}
	on, off := rep.Start.AOFOn, rep.Start.AOFOff
	if !on.Starts || len(on.Loads) != 2 || on.Keys == nil || *on.Keys != 0 {
		t.Errorf("AOF on: %+v", on)
	}
	if len(on.Loses) == 0 || !strings.Contains(on.Loses[0], "dump.rdb") {
		t.Errorf("AOF on must say dump.rdb is ignored: %+v", on.Loses)
	}
	// The 1 MiB dump is a real RDB followed by zeros: the loader stops at
	// the EOF opcode and its checksum, so Redis starts with its 12 keys.
	if !off.Starts || len(off.Loads) != 1 || off.Loads[0] != "dump.rdb" || off.Keys == nil || *off.Keys != 12 {
		t.Errorf("AOF off: %+v", off)
	}
	if !rep.Findings.Has(finding.DumpIgnoredAOFOn) || rep.Phase.Phase != phase.Steady {
		t.Errorf("findings %v phase %s", rep.Findings, rep.Phase.Phase)
	}
}

func TestCheckMarkdownOut(t *testing.T) {
	phFixClocks(t)
	dir := phCopyTree(t, "../../testdata/redis7-rewrite", time.Hour)
	guard := fsguard.Record(t, dir)
	if r := runCLI(t, "", "check", "--markdown-out", filepath.Join(dir, "report.md"), dir); r.code != exitCannot {
		t.Errorf("--markdown-out inside DIR: exit %d, want 2", r.code)
	}
	if r := runCLI(t, "", "check", "--markdown-out", filepath.Join(dir, "appendonlydir", "report.md"), dir); r.code != exitCannot {
		t.Errorf("--markdown-out inside the AOF dir: exit %d, want 2", r.code)
	}
	if r := runCLI(t, "", "check", filepath.Join(dir, "missing")); r.code != exitCannot {
		t.Errorf("missing DIR: exit %d, want 2", r.code)
	}
	out := filepath.Join(t.TempDir(), "incident.md")
	r := runCLI(t, "", "check", "--markdown-out", out, dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Next start:") {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	md := runCLI(t, "", "check", "--markdown", dir)
	if got := string(phReadFile(t, out)); got != md.stdout || !strings.HasPrefix(got, "# aoftool check") {
		t.Errorf("--markdown-out differs from --markdown:\n%s\n---\n%s", got, md.stdout)
	}
	guard.AssertUnchanged(t)
}

// phase and check on copies of real servers frozen mid-job: the answers,
// exit codes and the read-only guarantee. Run with -v to see the reports.
func TestPhaseAndCheckOnRealRedisCopies(t *testing.T) {
	if testing.Short() {
		t.Skip("drives real servers")
	}
	cases := map[string]struct {
		run       func(testing.TB, scenario.Settings) []*scenario.Moment
		phase     string
		leftovers []finding.Code
	}{
		"replica-killed-mid-transfer": {scenario.ReplicaKilledMidTransfer, "steady", []finding.Code{finding.StaleTransferFile}},
		"server-killed-mid-rewrite":   {scenario.ServerKilledMidRewrite, "", []finding.Code{finding.StaleRewriteTemp}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			moments := c.run(t, scenario.Settings{})
			m := moments[len(moments)-1]
			guard := fsguard.Record(t, m.Dir)
			p := runCLI(t, "", append([]string{"phase"}, m.Dir)...)
			t.Logf("$ aoftool phase %s\n%s", m.Dir, p.stdout)
			ck := runCLI(t, "", "check", m.Dir)
			t.Logf("$ aoftool check %s\n%s", m.Dir, ck.stdout)
			if p.code != 0 || ck.code != 0 {
				t.Errorf("exit phase %d check %d: %s %s", p.code, ck.code, p.stderr, ck.stderr)
			}
			js := runCLI(t, "", "check", "--json", m.Dir)
			var rep check.Report
			if err := json.Unmarshal([]byte(js.stdout), &rep); err != nil {
				t.Fatal(err)
			}
			if c.phase != "" && string(rep.Phase.Phase) != c.phase {
				t.Errorf("phase %s, want %s", rep.Phase.Phase, c.phase)
			}
			// One snapshot sets a dead rewrite's file aside on timestamps
			// only; with a thin margin the answer must stay uncertain.
			thin := c.phase == "" && rep.Phase.Phase != phase.Steady && rep.Phase.Confidence != phase.High
			for _, code := range c.leftovers {
				if !rep.Findings.Has(code) && !thin {
					t.Errorf("finding %s missing: %v", code, rep.Findings)
				}
			}
			if !rep.Start.AOFOn.Starts || len(rep.Start.AOFOn.Loads) < 2 || rep.Start.AOFOn.Keys == nil {
				t.Errorf("AOF on: %+v", rep.Start.AOFOn)
			}
			for _, l := range m.Leftovers {
				if thin {
					break
				}
				if !strings.Contains(strings.Join(rep.Start.AOFOn.Loses, "\n"), l) {
					t.Errorf("the AOF-on start should list leftover %s as not loaded: %v", l, rep.Start.AOFOn.Loses)
				}
			}
			if m.Later != nil {
				series := runCLI(t, "", "phase", "--json", m.Dir, m.Later.Dir)
				if series.code != exitCannot {
					// two different copies are two directories
					t.Errorf("two copies: exit %d, want 2", series.code)
				}
			}
			guard.AssertUnchanged(t)
			if _, err := os.Stat(m.Dir); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// --at moves the start: keys whose TTL passes before it are not served
// (a real dump with TTL'd keys), and the report names the moment; a bad
// time is a usage error.
func TestCheckAt(t *testing.T) {
	phFixClocks(t)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), phReadFile(t, "../../testdata/rdb/types/dump.rdb"), 0o644); err != nil {
		t.Fatal(err)
	}
	keys := func(args ...string) int64 {
		t.Helper()
		r := runCLI(t, "", append([]string{"check", "--json", "--server-stopped"}, append(args, dir)...)...)
		var doc struct {
			Start struct {
				AOFOff struct {
					Keys *int64 `json:"keys"`
				} `json:"aof_off"`
			} `json:"start"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Start.AOFOff.Keys == nil {
			t.Fatalf("check %v: exit %d, %v\n%s", args, r.code, err, r.stdout)
		}
		return *doc.Start.AOFOff.Keys
	}
	before, after := keys("--at", "2001-09-09T01:46:40Z"), keys("--at", "+87600h")
	if before <= after || after == 0 {
		t.Errorf("keys at a start in 2001: %d, in ten years: %d; want fewer once TTLs pass", before, after)
	}
	r := runCLI(t, "", "check", "--server-stopped", "--at", "1000000000", dir)
	if !strings.Contains(r.stdout, "Next start (predicted for a start at 2001-09-09T01:46:40Z):") {
		t.Errorf("the report does not name the moment:\n%s", r.stdout)
	}
	if r := runCLI(t, "", "check", "--at", "yesterday", dir); r.code != exitCannot {
		t.Errorf("--at yesterday: exit %d, want 2", r.code)
	}
}
