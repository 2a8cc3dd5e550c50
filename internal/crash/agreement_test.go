package crash_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/crash"
	"github.com/aoftool/aoftool/internal/oracle"
	"github.com/aoftool/aoftool/internal/redistest"
)

var (
	aoftoolBin string
	tableFile  = flag.String("agreement-table", "", "write the key agreement table as Markdown to `FILE`")
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(oracle.MainWithAoftool(m, &aoftoolBin))
}

// minExact is the share of starts whose key count aoftool must predict
// exactly; every other prediction must be a range holding the truth.
const minExact = 0.95

type dirResult struct {
	on, off oracle.Outcome
	checked oracle.Checked
	// rehearsed are check --rehearse runs with appendonly yes and no.
	rehearsed [2]oracle.Checked
}

// verdict is one start compared with aoftool's prediction.
type verdict string

const (
	exact  verdict = "exact"
	honest verdict = "honest range"
	miss   verdict = "miss"
)

// TestCrashKeyAgreement restarts a real redis-server 7.0.15 on every
// directory of the crash corpus with appendonly yes and no, counts the live
// keys it holds, and compares them with the keys aoftool check predicts for
// the same mode (start.aof_on.keys / start.aof_off.keys, or a
// keys_min..keys_max range). A refused start agrees with a predicted
// refusal. At least 95 % must agree exactly, and every other prediction must
// be a range containing the truth.
func TestCrashKeyAgreement(t *testing.T) {
	if testing.Short() {
		t.Skip("starts about a thousand servers; skipped with -short")
	}
	redistest.Binary(t)
	start := time.Now()
	dirs := crash.Build(t, filepath.Join(t.TempDir(), "corpus"))
	if len(dirs) < 40 {
		t.Fatalf("the crash corpus has %d directories; it promises at least 40", len(dirs))
	}
	t.Logf("%d crash directories built in %v", len(dirs), time.Since(start).Round(time.Second))

	results := make([]*dirResult, len(dirs))
	t.Run("dirs", func(t *testing.T) {
		for i, d := range dirs {
			t.Run(d.Name, func(t *testing.T) {
				t.Parallel()
				names := oracle.Config{DBFilename: d.DBFilename, AppendDirName: d.AppendDirName, AppendFilename: d.AppendFilename, Names: true}
				on := names
				on.AppendOnly = true
				r := &dirResult{}
				r.checked = oracle.Check(aoftoolBin, d.Dir, names, false, t.TempDir())
				r.on = oracle.Start(t, d.Dir, on)
				r.off = oracle.Start(t, d.Dir, names)
				r.rehearsed[0] = oracle.Rehearse(aoftoolBin, d.Dir, on, t.TempDir())
				r.rehearsed[1] = oracle.Rehearse(aoftoolBin, d.Dir, names, t.TempDir())
				results[i] = r
			})
		}
	})

	var rows, off []oracle.Row
	var rehearsals, ignored []string
	ignoredCompared := 0
	counts := map[verdict]int{}
	for i, d := range dirs {
		r := results[i]
		if r == nil {
			continue
		}
		if why, compared := compareIgnoredDump(r, d.DBFilename); compared {
			ignoredCompared++
			if why != "" {
				ignored = append(ignored, fmt.Sprintf("%s: %s", d.Name, why))
			}
		}
		for _, c := range r.rehearsed {
			if why := rehearsalDiffers(&c); why != "" {
				rehearsals = append(rehearsals, fmt.Sprintf("%s: %s", d.Name, why))
			}
		}
		for _, o := range []*oracle.Outcome{&r.on, &r.off} {
			v, why := compareKeys(o, &r.checked)
			counts[v]++
			row := oracle.Row{Case: d.Name, Class: string(v), Config: o.Config, Server: o.Summary(), Aoftool: r.checked.Summary(o.Config), Mismatch: why}
			rows = append(rows, row)
			if v != exact {
				off = append(off, row)
			}
		}
	}
	total := counts[exact] + counts[honest] + counts[miss]
	if total == 0 {
		t.Fatal("no start was compared")
	}
	rate := float64(counts[exact]) / float64(total)
	oracle.SortRows(rows)
	oracle.SortRows(off)
	t.Logf("%d directories, %d starts: %d exact (%.1f %%), %d honest ranges, %d misses; %v in all",
		len(dirs), total, counts[exact], 100*rate, counts[honest], counts[miss], time.Since(start).Round(time.Second))
	if *tableFile != "" {
		var b bytes.Buffer
		fmt.Fprintf(&b, "## Crash corpus: keys predicted by aoftool check against redis-server 7.0.15\n\n")
		fmt.Fprintf(&b, "%d directories, %d starts: %d exact (%.1f %%), %d honest ranges, %d misses.\n\n", len(dirs), total, counts[exact], 100*rate, counts[honest], counts[miss])
		oracle.WriteTable(&b, "Every start", rows)
		fmt.Fprintf(&b, "### Directories\n\n| directory | how it was made |\n|---|---|\n")
		for _, d := range dirs {
			fmt.Fprintf(&b, "| %s | %s |\n", d.Name, d.Description)
		}
		if err := os.WriteFile(*tableFile, b.Bytes(), 0o644); err != nil {
			t.Error(err)
		}
	}
	t.Logf("%d rehearsals, %d disagree with the prediction", 2*len(dirs), len(rehearsals))
	for _, why := range rehearsals {
		t.Errorf("check --rehearse: %s", why)
	}
	t.Logf("%d ignored dumps compared with both starts' keys, %d disagree", ignoredCompared, len(ignored))
	if ignoredCompared == 0 {
		t.Error("no directory of the corpus has a dump.rdb the AOF start ignores: the keys it alone holds go unchecked")
	}
	for _, why := range ignored {
		t.Errorf("dump ignored with AOF on: %s", why)
	}
	if rate < minExact || counts[miss] > 0 {
		var b bytes.Buffer
		oracle.WriteTable(&b, fmt.Sprintf("%d of %d starts without an exact key prediction (%d misses, %d honest ranges; exact %.1f %%, want ≥ %.0f %% and no miss)",
			len(off), total, counts[miss], counts[honest], 100*rate, 100*minExact), off)
		t.Errorf("aoftool's key predictions disagree with the server:\n%s", b.String())
	}
}

// compareKeys judges one start: exact when the prediction is the server's
// count (or a refusal for a start that did not happen), honest when a range
// holds it, a miss otherwise.
func compareKeys(o *oracle.Outcome, c *oracle.Checked) (verdict, string) {
	p := c.For(o.Config)
	started := o.First.State == oracle.Started
	switch {
	case p == nil:
		return miss, fmt.Sprintf("no report (exit %d)", c.ExitCode)
	case !started && !p.Starts:
		return exact, ""
	case !started:
		return miss, fmt.Sprintf("the server %s, aoftool predicts a start with %s", o.First.State, orUnknown(p.KeysText()))
	case !p.Starts:
		return miss, fmt.Sprintf("the server starts with %d keys, aoftool predicts a refusal", o.First.TotalKeys())
	}
	n := o.First.TotalKeys()
	switch {
	case p.Keys != nil && *p.Keys == n:
		return exact, ""
	case p.KeysMin != nil && p.KeysMax != nil && *p.KeysMin <= n && n <= *p.KeysMax:
		return honest, fmt.Sprintf("server %d keys within %d..%d", n, *p.KeysMin, *p.KeysMax)
	}
	note := ""
	if p.KeysNote != "" {
		note = " (" + p.KeysNote + ")"
	}
	return miss, fmt.Sprintf("server %d keys, aoftool %s%s", n, orUnknown(p.KeysText()), note)
}

// compareIgnoredDump checks the keys a dump.rdb ignored with AOF on holds
// that the AOF start does not: the server's truth is the AOF-off start's
// key names less the AOF-on start's.
func compareIgnoredDump(r *dirResult, dbfilename string) (string, bool) {
	if dbfilename == "" {
		dbfilename = "dump.rdb"
	}
	if r.checked.Report == nil || r.on.First.State != oracle.Started || r.off.First.State != oracle.Started {
		return "", false
	}
	var loss *oracle.Loss
	for i, l := range r.checked.Report.Start.AOFOn.Losses {
		if l.Path == dbfilename && l.Keys != nil {
			loss = &r.checked.Report.Start.AOFOn.Losses[i]
		}
	}
	if loss == nil || loss.Only == nil {
		// Counted only where the check judges the start with AOF on.
		return "", false
	}
	var truth int64
	for n := range r.off.First.Names {
		if !r.on.First.Names[n] {
			truth++
		}
	}
	if *loss.Only <= truth && truth <= *loss.Only+loss.OnlyMaybe {
		return "", true
	}
	return fmt.Sprintf("the server's AOF start lacks %d of the dump's keys; aoftool predicts %d (and %d perhaps)", truth, *loss.Only, loss.OnlyMaybe), true
}

func orUnknown(s string) string {
	if s == "" {
		return "no key count"
	}
	return s
}

// rehearsalDiffers says why a check --rehearse run does not show the
// server agreeing with the prediction; empty when it does.
func rehearsalDiffers(c *oracle.Checked) string {
	switch {
	case c.Report == nil:
		return fmt.Sprintf("no report (exit %d): %s", c.ExitCode, c.Stderr)
	case c.Report.Rehearsal == nil:
		return "no rehearsal in the report"
	case !c.Report.Rehearsal.Agrees:
		return fmt.Sprintf("appendonly %s: %v", c.Report.Rehearsal.Mode, c.Report.Rehearsal.Differences)
	}
	return ""
}
