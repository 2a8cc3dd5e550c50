package damage_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/damage"
	"github.com/aoftool/aoftool/internal/oracle"
	"github.com/aoftool/aoftool/internal/redistest"
)

var (
	aoftoolBin string
	tableFile  = flag.String("agreement-table", "", "write the full agreement table (case → server → aoftool) as Markdown to `FILE`")
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(oracle.MainWithAoftool(m, &aoftoolBin))
}

// row is one start of one case under one configuration, with aoftool's
// check of the original directory.
type row struct {
	cfg     oracle.Config
	out     oracle.Outcome
	checked *oracle.Checked // with --config; nil when check does not take it
}

type caseResult struct {
	rows  []*row
	plain oracle.Checked // check with the name flags only
}

// TestDamageAgreement asks a real redis-server 7.0.15 what it does with
// every case of the damage corpus, in both modes and in the configurations
// where they differ (aof-load-truncated no when the start cuts a file,
// sanitize-dump-payload yes when it loads an RDB whose payloads were
// touched), and compares aoftool's
// check of the original directory with it: the exit code (1 exactly when
// the server refuses, hangs, crashes, loses or changes data or a file is
// corrupt), whether the start succeeds, and the files the start changes.
// Every mismatch is listed in one table.
func TestDamageAgreement(t *testing.T) {
	if testing.Short() {
		t.Skip("starts about a thousand servers; skipped with -short")
	}
	redistest.Binary(t)
	start := time.Now()
	root := t.TempDir()
	src := damage.BuildSources(t, filepath.Join(root, "sources"))
	cases := damage.Build(t, src, filepath.Join(root, "cases"))
	if len(cases) < 150 {
		t.Fatalf("the corpus has %d cases; it promises at least 150", len(cases))
	}
	t.Logf("%d cases built in %v; check takes --config: %v", len(cases), time.Since(start).Round(time.Millisecond), oracle.SupportsConfig(aoftoolBin))

	results := make([]*caseResult, len(cases))
	t.Run("cases", func(t *testing.T) {
		for i, c := range cases {
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel()
				results[i] = runCase(t, c)
			})
		}
	})
	ran := 0
	for _, r := range results {
		if r != nil {
			ran++
		}
	}
	if ran == 0 {
		t.Fatal("no case ran")
	}

	intact := map[string]*caseResult{}
	for i, c := range cases {
		if results[i] != nil {
			intact[c.Name] = results[i]
		}
	}
	var all, bad []oracle.Row
	rowsCompared := 0
	for i, c := range cases {
		res := results[i]
		if res == nil {
			continue
		}
		rows := verdicts(c, res, intact[c.Source])
		for _, r := range rows {
			rowsCompared++
			all = append(all, r)
			if r.Mismatch != "" {
				bad = append(bad, r)
			}
		}
	}
	oracle.SortRows(all)
	oracle.SortRows(bad)
	t.Logf("%d cases, %d starts compared, %d mismatches, in %v", ran, rowsCompared, len(bad), time.Since(start).Round(time.Second))
	if *tableFile != "" {
		var b bytes.Buffer
		writeReport(&b, cases, all, bad)
		if err := os.WriteFile(*tableFile, b.Bytes(), 0o644); err != nil {
			t.Error(err)
		}
	}
	if len(bad) > 0 {
		var b bytes.Buffer
		oracle.WriteTable(&b, fmt.Sprintf("%d of %d starts where aoftool and redis-server disagree", len(bad), rowsCompared), bad)
		t.Errorf("aoftool check disagrees with the server:\n%s", b.String())
	}
}

func writeReport(b *bytes.Buffer, cases []damage.Case, all, bad []oracle.Row) {
	fmt.Fprintf(b, "## Damage corpus: aoftool check against redis-server 7.0.15\n\n")
	fmt.Fprintf(b, "%d cases, %d starts, %d disagreements.\n\n", len(cases), len(all), len(bad))
	writeClasses(b, cases, all)
	oracle.WriteTable(b, "Disagreements", bad)
	oracle.WriteTable(b, "Every start", all)
	fmt.Fprintf(b, "### Cases\n\n| case | class | description |\n|---|---|---|\n")
	sorted := append([]damage.Case{}, cases...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, c := range sorted {
		fmt.Fprintf(b, "| %s | %s | %s |\n", c.Name, c.Class, strings.ReplaceAll(c.Description, "|", `\|`))
	}
}

// classWords say what each class of the corpus is, for the README's table.
var classWords = map[string]string{
	"intact":           "intact files as servers wrote them",
	"unusual":          "valid but rare: old encodings, rdbchecksum no, quoted names, 6.2 files",
	"data-at-risk":     "loads, but loses or overwrites data now or on the next start",
	"server-catches":   "corruptions the loader detects (ziplist, listpack, intset, versions, modules, duplicates)",
	"never-written":    "bytes no server writes, which the loader tolerates",
	"odd-entry":        "entries that are not what their name claims: directories, FIFOs, links, loops",
	"startup-trap":     "the start itself damages the directory (preamble cut to 0, open MULTI, torn #TS)",
	"torn-tail":        "a file cut mid-command or mid-record",
	"cut-rdb":          "an RDB cut short",
	"flipped-byte":     "one byte changed",
	"bad-crc":          "a wrong RDB checksum",
	"missing-file":     "a file the manifest lists is gone",
	"unlisted":         "AOF parts the manifest does not list",
	"leftover":         "temp files of dead jobs",
	"custom-names":     "non-default dbfilename, appenddirname, appendfilename",
	"manifest":         "manifest syntax the loader accepts or refuses",
	"hostile-rdb":      "hostile RDB files (huge lengths, loops, bombs)",
	"hostile-aof":      "hostile AOF files",
	"hostile-manifest": "hostile manifests",
}

// writeClasses sums the starts of each class: what the server did, what
// check said, and how often they agree.
func writeClasses(b *bytes.Buffer, cases []damage.Case, all []oracle.Row) {
	type sum struct {
		cases                                  map[string]bool
		starts, agree                          int
		refuses, crashes, hangs, started, cuts int
		exit1                                  int
		codes                                  map[string]int
	}
	by := map[string]*sum{}
	var order []string
	for _, r := range all {
		s := by[r.Class]
		if s == nil {
			s = &sum{cases: map[string]bool{}, codes: map[string]int{}}
			by[r.Class] = s
			order = append(order, r.Class)
		}
		s.cases[r.Case] = true
		s.starts++
		if r.Mismatch == "" {
			s.agree++
		}
		switch {
		case strings.HasPrefix(r.Server, "refuses"):
			s.refuses++
		case strings.HasPrefix(r.Server, "crashes"):
			s.crashes++
		case strings.HasPrefix(r.Server, "hangs"):
			s.hangs++
		default:
			s.started++
			if strings.Contains(r.Server, "truncated") {
				s.cuts++
			}
		}
		if strings.HasPrefix(r.Aoftool, "exit 1") {
			s.exit1++
		}
		if i, j := strings.Index(r.Aoftool, "["), strings.Index(r.Aoftool, "]"); i >= 0 && j > i+1 {
			for _, c := range strings.Split(r.Aoftool[i+1:j], ",") {
				s.codes[c]++
			}
		}
	}
	sort.Strings(order)
	fmt.Fprintf(b, "### By class\n\n| class | cases | starts | redis-server 7.0.15 on start | aoftool check | agree |\n|---|---|---|---|---|---|\n")
	for _, class := range order {
		s := by[class]
		var server []string
		for _, p := range []struct {
			n    int
			what string
		}{{s.refuses, "refuses"}, {s.crashes, "crashes"}, {s.hangs, "hangs"}, {s.started, "starts"}} {
			if p.n > 0 {
				server = append(server, fmt.Sprintf("%s %d", p.what, p.n))
			}
		}
		if s.cuts > 0 {
			server = append(server, fmt.Sprintf("(cutting a file in %d)", s.cuts))
		}
		codes := make([]string, 0, len(s.codes))
		for c := range s.codes {
			codes = append(codes, c)
		}
		sort.Slice(codes, func(i, j int) bool {
			if s.codes[codes[i]] != s.codes[codes[j]] {
				return s.codes[codes[i]] > s.codes[codes[j]]
			}
			return codes[i] < codes[j]
		})
		if len(codes) > 4 {
			codes = append(codes[:4], "…")
		}
		said := fmt.Sprintf("exit 1 on %d, exit 0 on %d", s.exit1, s.starts-s.exit1)
		if len(codes) > 0 {
			said += ": " + strings.Join(codes, ", ")
		}
		fmt.Fprintf(b, "| %s — %s | %d | %d | %s | %s | %d/%d |\n", class, classWords[class], len(s.cases), s.starts, strings.Join(server, ", "), said, s.agree, s.starts)
	}
	fmt.Fprintln(b)
}

func names(c damage.Case) oracle.Config {
	return oracle.Config{DBFilename: c.DBFilename, AppendDirName: c.AppendDirName, AppendFilename: c.AppendFilename}
}

// runCase starts the server on the case in each configuration that matters
// and runs aoftool check on the original directory.
func runCase(t *testing.T, c damage.Case) *caseResult {
	res := &caseResult{}
	run := func(cfg oracle.Config) *row {
		r := &row{cfg: cfg, out: oracle.Start(t, c.Dir, cfg)}
		res.rows = append(res.rows, r)
		return r
	}
	on, off := names(c), names(c)
	on.AppendOnly = true
	rOn, rOff := run(on), run(off)
	if cutsAFile(&rOn.out) {
		cfg := on
		cfg.NoLoadTruncated = true
		run(cfg)
	}
	for _, r := range []*row{rOn, rOff} {
		if payloads[c.Class] && r.out.First.State == oracle.Started && strings.Contains(r.out.First.Log, "Loading RDB produced by") {
			cfg := r.cfg
			cfg.Sanitize = true
			run(cfg)
		}
	}
	if c.Databases != 0 {
		for _, cfg := range []oracle.Config{on, off} {
			cfg.Databases = c.Databases
			run(cfg)
		}
	}
	res.plain = oracle.Check(aoftoolBin, c.Dir, names(c), false, t.TempDir())
	if oracle.SupportsConfig(aoftoolBin) {
		for _, r := range res.rows {
			ch := oracle.Check(aoftoolBin, c.Dir, r.cfg, true, t.TempDir())
			r.checked = &ch
		}
	}
	return res
}

// payloads are the classes whose RDB payloads differ from the ones a
// server wrote: only there can sanitize-dump-payload yes change a start
// that loads an RDB (the intact ones show it does not).
var payloads = map[damage.Class]bool{
	damage.Intact: true, damage.Unusual: true, damage.ServerCatches: true, damage.NeverWritten: true, damage.CutRDB: true,
	damage.FlippedByte: true, damage.BadCRC: true, damage.HostileRDB: true, damage.CustomNames: true,
}

// cutsAFile reports whether a start cut a torn AOF tail, where
// aof-load-truncated decides between a cut and a refusal.
func cutsAFile(o *oracle.Outcome) bool {
	for _, r := range o.First.Reasons {
		if strings.Contains(r, "Truncating the AOF") || strings.Contains(r, "Revert incomplete MULTI") || strings.Contains(r, "short read") {
			return true
		}
	}
	return false
}

// dirMode is the appendonly setting a directory shows: a manifest (of any
// kind of entry) or a legacy appendonly.aof means yes.
func dirMode(c damage.Case) bool {
	if c.Mode != "" {
		return c.Mode == "yes"
	}
	adir, af := c.AppendDirName, c.AppendFilename
	if adir == "" {
		adir = "appendonlydir"
	}
	if af == "" {
		af = "appendonly.aof"
	}
	if _, err := os.Lstat(filepath.Join(c.Dir, adir, af+".manifest")); err == nil {
		return true
	}
	_, err := os.Lstat(filepath.Join(c.Dir, af))
	return err == nil
}

// verdicts turns a case's starts into table rows: the server's harms give
// the exit code aoftool must return, and each start is compared with the
// prediction for its mode.
func verdicts(c damage.Case, res *caseResult, intact *caseResult) []oracle.Row {
	find := func(rs []*row, cfg oracle.Config) *row {
		for _, r := range rs {
			if r.cfg == cfg {
				return r
			}
		}
		return nil
	}
	harms := make([][]oracle.Harm, len(res.rows))
	primary := dirMode(c)
	var damaged, damagedOther []string
	for i, r := range res.rows {
		other := r.cfg
		other.AppendOnly = !other.AppendOnly
		var otherOut, intactOut *oracle.Outcome
		if o := find(res.rows, other); o != nil {
			otherOut = &o.out
		}
		if intact != nil {
			if o := find(intact.rows, r.cfg); o != nil {
				intactOut = &o.out
			}
		}
		harms[i] = oracle.Harms(&r.out, intactOut, otherOut)
		if r.cfg.Databases != 0 {
			continue
		}
		for _, h := range harms[i] {
			if h.ModeOnly {
				continue
			}
			// The primary mode's reasons first, so a row says the most
			// telling one.
			if r.cfg.AppendOnly == primary {
				damaged = append(damaged, fmt.Sprintf("%s (%s)", h.Text, r.cfg))
			} else {
				damagedOther = append(damagedOther, fmt.Sprintf("%s (%s)", h.Text, r.cfg))
			}
		}
	}
	damaged = append(damaged, damagedOther...)
	if c.KnownHarm != "" {
		damaged = append(damaged, c.KnownHarm)
	}
	var out []oracle.Row
	for i, r := range res.rows {
		why := damaged
		if r.cfg.Databases != 0 {
			why = nil
			for _, h := range harms[i] {
				why = append(why, h.Text)
			}
		}
		for _, h := range harms[i] {
			if h.ModeOnly {
				why = append(why, h.Text)
			}
		}
		want := 0
		if len(why) > 0 {
			want = 1
		}
		checked := r.checked
		compareExit := checked != nil
		if checked == nil {
			checked = &res.plain
			compareExit = r.cfg.Plain() && r.cfg.AppendOnly == primary
		}
		var mis []string
		if checked.WithConfig || r.cfg.Plain() {
			if m := oracle.StartsMismatch(&r.out, checked); m != "" {
				mis = append(mis, m)
			}
			if m := oracle.ModifiesMismatch(&r.out, checked); m != "" {
				mis = append(mis, m)
			}
		}
		if compareExit && checked.ExitCode != want {
			reason := "the server keeps every key and changes nothing"
			if len(why) > 0 {
				reason = why[0]
			}
			mis = append(mis, fmt.Sprintf("exit: want %d (%s), aoftool %d", want, reason, checked.ExitCode))
		}
		server := r.out.Summary()
		if compareExit {
			server += fmt.Sprintf(" ⇒ exit %d", want)
		}
		out = append(out, oracle.Row{Case: c.Name, Class: string(c.Class), Config: r.cfg, Server: server,
			Aoftool: checked.Summary(r.cfg), Mismatch: strings.Join(mis, "; ")})
	}
	return out
}
