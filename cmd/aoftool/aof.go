package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/aofinspect"
	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/ropen"
	"github.com/aoftool/aoftool/manifest"
)

type aofOptions struct {
	repairTo   string
	truncateTo string
	serverNames
	followSymlinks bool
	top            int

	toTS *int64 // parsed --truncate-to-timestamp
}

// aofProgressMin is the size from which a progress bar is drawn on a
// terminal; smaller files are read before a bar would be seen.
const aofProgressMin = 64 << 20

func newAOFCmd(g *globalOptions) *cobra.Command {
	var o aofOptions
	cmd := &cobra.Command{
		Use:   "aof FILE|DIR...",
		Short: "Check AOF command files and say what Redis would do with them on start",
		Long: `aof reads AOF files with the rules of the Redis loader (src/aof.c loadSingleAppendOnlyFile):
a RESP array per command ('*<argc>' ≥ 1, then '$<len>' bulks whose two trailing bytes the server
skips unchecked), '#' annotation lines skipped ('#TS:<seconds>' timestamps), an RDB part first when
the file starts with "REDIS". It reports the format, commands per name, SELECTed databases,
MULTI/EXEC balance, timestamps, the last good offset (ok_up_to), a truncated tail or the first bad
record, and what the server does: loads, loads after truncating the file in place
(aof-load-truncated yes; refuses with no), or refuses to start.

FILE is an incr or RESP base file, or a legacy single-file appendonly.aof (with or without an RDB
preamble). DIR is a data directory or an appendonlydir: the manifest is read as Redis reads it and
every base and incr file is checked in load order. Only the last file may end torn: a torn earlier
file makes Redis truncate it in place and then refuse to start (the next start loses that tail
silently), so do not start Redis on such a directory before copying it.

--repair-to writes a repaired copy and never touches the input: for a FILE, the file cut at the last
complete command outside a transaction; for a DIR, a copy of the whole AOF directory (manifest
included) with each damaged file cut that way. --truncate-to-timestamp T cuts the copy at the first
'#TS' annotation later than T, the rule of redis-check-aof --truncate-to-timestamp, but moved back
to the start of a transaction it falls in, on any file of the set (later files are dropped from the
copy and its manifest) and even when nothing precedes it in that file; redis-check-aof works in
place, only on the last file, and aborts in those cases. The output must not exist (or be empty)
and must not be inside an inspected directory.

Unknown command names make Redis refuse the file unless a module provides them; names shaped like
module commands (PREFIX.NAME) are warnings only.`,
		Example: `  # one file: verdict, counts, findings
  aoftool aof /var/lib/redis/appendonlydir/appendonly.aof.3.incr.aof

  # the whole set in load order, as Redis loads it
  aoftool aof /var/lib/redis

  # a legacy single-file AOF (Redis <= 6.2)
  aoftool aof /var/lib/redis/appendonly.aof

  # a repaired copy of the AOF directory, ready for a new data dir
  aoftool aof --repair-to /restore/appendonlydir /var/lib/redis

  # undo everything logged after 10:15 UTC (needs aof-timestamp-enabled yes)
  aoftool aof --truncate-to-timestamp 2024-05-01T10:15:00Z --repair-to /restore/appendonlydir /var/lib/redis

  # for scripts
  aoftool aof --json /var/lib/redis | jq .server.verdict`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(args); err != nil {
				return err
			}
			return runAOF(cmd.Context(), g, o, args, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.repairTo, "repair-to", "", "write a repaired copy to this new file (FILE input) or directory (DIR input)")
	f.StringVar(&o.truncateTo, "truncate-to-timestamp", "", "with --repair-to: cut the copy at the first #TS annotation later than this time (unix seconds or RFC 3339)")
	o.serverNames.flags(cmd, false, true)
	f.BoolVar(&o.followSymlinks, "follow-symlinks", false, "read files through symbolic links (Redis follows them; by default aoftool does not)")
	f.IntVar(&o.top, "top", 10, "command names shown in the per-command table")
	return cmd
}

func (o *aofOptions) validate(args []string) error {
	if err := o.serverNames.validate(); err != nil {
		return err
	}
	if o.truncateTo != "" && o.repairTo == "" {
		return usagef("--truncate-to-timestamp needs --repair-to: aoftool never changes the inspected files")
	}
	if o.repairTo != "" && len(args) != 1 {
		return usagef("--repair-to takes exactly one FILE or DIR, got %d", len(args))
	}
	if o.top < 0 {
		return usagef("--top must be 0 or more")
	}
	if o.truncateTo != "" {
		t, err := parseTimestamp(o.truncateTo)
		if err != nil {
			return usagef("--truncate-to-timestamp %q: %v", o.truncateTo, err)
		}
		o.toTS = &t
	}
	return nil
}

func parseTimestamp(s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		if v < 0 {
			return 0, errors.New("must not be negative")
		}
		return v, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, errors.New("want unix seconds or an RFC 3339 time such as 2024-05-01T10:15:00Z")
	}
	return t.Unix(), nil
}

// aofResult is one input's JSON document: a file report or a set report,
// plus what --repair-to wrote.
type aofResult struct {
	*aofinspect.Report
	Repair *repairResult `json:"repair,omitempty"`
}

type aofSetResult struct {
	*aofinspect.SetReport
	DataDir      string        `json:"data_dir,omitempty"`
	AppendDir    string        `json:"append_dir"`
	ManifestPath string        `json:"manifest_path,omitempty"`
	Legacy       bool          `json:"legacy"`
	Repair       *repairResult `json:"repair,omitempty"`
}

type repairResult struct {
	Output string           `json:"output"`
	Files  []repairFileInfo `json:"files"`
}

type repairFileInfo struct {
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	Kept     int64  `json:"kept"`
	Dropped  bool   `json:"dropped,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Manifest bool   `json:"manifest,omitempty"`
}

// aofInput is one argument resolved: a lone file or a set.
type aofInput struct {
	arg     string
	file    string // lone file path
	set     *manifest.Report
	files   []aofinspect.SetFile
	closers []io.Closer
	legacy  bool
	guard   []string // directories the output must stay out of
}

func (in *aofInput) close() {
	for _, c := range in.closers {
		c.Close()
	}
}

func runAOF(ctx context.Context, g *globalOptions, o aofOptions, args []string, out io.Writer) error {
	var inputs []*aofInput
	defer func() {
		for _, in := range inputs {
			in.close()
		}
	}()
	for _, a := range args {
		in, err := resolveAOFInput(a, o)
		if err != nil {
			return err
		}
		inputs = append(inputs, in)
	}
	if o.repairTo != "" {
		if err := checkRepairTarget(o.repairTo, inputs[0]); err != nil {
			return err
		}
	}
	var results []any
	var all finding.List
	colour := g.useColour(out)
	for i, in := range inputs {
		var res any
		var fl finding.List
		if in.file != "" {
			r, err := scanOneFile(ctx, g, o, in)
			if err != nil {
				return err
			}
			fl = r.Findings
			if o.repairTo != "" {
				if r.Repair, err = repairFile(r.Report, in, o); err != nil {
					return err
				}
			}
			res = r
		} else {
			r := scanSet(ctx, g, o, in)
			fl = r.AllFindings()
			if o.repairTo != "" {
				var err error
				if r.Repair, err = repairSet(r, in, o); err != nil {
					return err
				}
			}
			res = r
		}
		all = append(all, fl...)
		results = append(results, res)
		if !g.json {
			if i > 0 {
				fmt.Fprintln(out)
			}
			if err := printAOFHuman(out, res, o, colour); err != nil {
				return err
			}
		}
	}
	if g.json {
		if err := emitJSON(out, results); err != nil {
			return err
		}
	}
	return exitFor(all)
}

func resolveAOFInput(arg string, o aofOptions) (*aofInput, error) {
	st, err := os.Stat(arg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, err)
	}
	in := &aofInput{arg: arg}
	if !st.IsDir() && !manifest.IsManifestName(filepath.Base(arg)) {
		in.file = arg
		in.guard = []string{filepath.Dir(arg)}
		return in, nil
	}
	mr, err := manifest.Inspect(arg, manifest.Options{AppendDirName: o.appendDirName, AppendFilename: o.appendFilename, FollowSymlinks: o.followSymlinks})
	if err != nil {
		return nil, err
	}
	in.set = mr
	in.guard = []string{arg, mr.AppendDir}
	if mr.DataDir != "" {
		in.guard = append(in.guard, mr.DataDir)
	}
	if len(mr.Files) == 0 && mr.Manifest == nil {
		return nil, fmt.Errorf("%s: no AOF manifest and no legacy %s found (looked in %s)", arg, mr.AppendFilename, mr.AppendDir)
	}
	for _, fr := range mr.Files {
		p := filepath.Join(mr.AppendDir, fr.Name)
		role := fr.Type
		if !strings.Contains(fr.Path, "/") && mr.DataDir != "" {
			p = filepath.Join(mr.DataDir, fr.Path)
			role = "legacy"
			in.legacy = true
		}
		sf := aofinspect.SetFile{Name: fr.Name, Path: fr.Path, Role: role}
		if fr.Content == manifest.ContentNotOpened && fr.Symlink && !o.followSymlinks {
			sf.OpenErr = errors.New("symbolic link, not followed without --follow-symlinks")
		} else if fr.Name == "" || fr.Name == "." || fr.Name == ".." || strings.ContainsAny(fr.Name, "/\\") {
			sf.OpenErr = errors.New("the name is not a plain file name")
		} else if f, fi, err := ropen.Open(p, o.followSymlinks); err != nil {
			sf.OpenErr = err
		} else {
			in.closers = append(in.closers, f)
			sf.R, sf.Size = io.NewSectionReader(f, 0, fi.Size()), fi.Size()
		}
		in.files = append(in.files, sf)
	}
	return in, nil
}

// progress returns a callback drawing a bar on stderr for big inputs on a
// terminal, and a function to finish it.
func progress(g *globalOptions, name string, total int64) (func(int64), func()) {
	if g.json || total < aofProgressMin || !isTerminal(g.stderr) {
		return nil, func() {}
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(g.stderr),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return func(off int64) { _ = bar.Set64(off) }, func() { _ = bar.Finish() }
}

func scanOneFile(ctx context.Context, g *globalOptions, o aofOptions, in *aofInput) (*aofResult, error) {
	f, fi, err := ropen.Open(in.file, o.followSymlinks)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.file, err)
	}
	defer f.Close()
	prog, done := progress(g, filepath.Base(in.file), fi.Size())
	// Read the size seen at open only: a live server keeps appending.
	rep := aofinspect.Scan(ctx, io.NewSectionReader(f, 0, fi.Size()), fi.Size(), aofinspect.Options{Path: in.file, Progress: prog})
	done()
	if st, err := f.Stat(); err == nil && st.Size() != fi.Size() {
		rep.Findings = append(rep.Findings, finding.New(finding.InputChanged, in.file,
			"the file changed from %d to %d bytes while it was read (a live server appends to its last incr file); the report covers the first %d bytes, and a torn last command may only be pending", fi.Size(), st.Size(), fi.Size()))
		rep.Findings.Sort()
	}
	if rep.Format == aofinspect.FormatEmpty {
		rep.Size = 0
	}
	return &aofResult{Report: rep}, nil
}

func scanSet(ctx context.Context, g *globalOptions, o aofOptions, in *aofInput) *aofSetResult {
	mr := in.set
	var total int64
	for _, f := range in.files {
		total += f.Size
	}
	prog, done := progress(g, filepath.Base(mr.AppendDir), total)
	sr := aofinspect.InspectSet(ctx, in.arg, in.files, aofinspect.Options{Progress: prog})
	done()
	// The manifest's findings say whether Redis gets as far as the files.
	sr.Findings = append(sr.Findings, mr.Findings...)
	if !mr.Verdict.Loads {
		sr.Server = aofinspect.Server{Verdict: aofinspect.Refuses,
			LoadTruncatedYes: "refuses: " + mr.Verdict.Reason, LoadTruncatedNo: "refuses: " + mr.Verdict.Reason}
	}
	sr.Findings.Sort()
	res := &aofSetResult{SetReport: sr, DataDir: mr.DataDir, AppendDir: mr.AppendDir, Legacy: in.legacy}
	if mr.Manifest != nil {
		res.ManifestPath = mr.ManifestPath
	}
	// Where the manifest check already said it, do not say it twice.
	for _, f := range sr.Files {
		if f.Format != "unreadable" {
			continue
		}
		kept := f.Findings[:0]
		for _, x := range f.Findings {
			if x.Code == finding.AOFSetFileMissing && hasErrorAbout(mr.Findings, f.Path) {
				continue
			}
			kept = append(kept, x)
		}
		f.Findings = kept
	}
	if in.legacy && !mr.Findings.Has(finding.ManifestLegacyIgnored) {
		sr.Findings = append(sr.Findings, finding.New(finding.AOFLegacyUpgrade, in.files[0].Path,
			"legacy single-file AOF: Redis 7 moves it into %s and writes a manifest on its first start", filepath.Base(mr.AppendDir)))
	}
	return res
}

func hasErrorAbout(l finding.List, path string) bool {
	for _, f := range l {
		if f.Path == path && f.Severity == finding.Error {
			return true
		}
	}
	return false
}

// --- repair ---

// checkRepairTarget refuses an output inside an inspected directory or one
// that already holds something, before anything is read.
func checkRepairTarget(outPath string, in *aofInput) error {
	abs, err := resolvedAbs(outPath)
	if err != nil {
		return fmt.Errorf("--repair-to %s: %w", outPath, err)
	}
	for _, gd := range in.guard {
		ga, err := resolvedAbs(gd)
		if err != nil {
			continue
		}
		if abs == ga || strings.HasPrefix(abs, ga+string(filepath.Separator)) {
			return usagef("--repair-to %s is inside the inspected directory %s; aoftool never writes there", outPath, gd)
		}
	}
	if in.file != "" {
		if a, err := resolvedAbs(in.file); err == nil && a == abs {
			return usagef("--repair-to %s is the inspected file", outPath)
		}
	}
	st, err := os.Lstat(outPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--repair-to %s: %w", outPath, err)
	case in.file != "" && st.Mode().IsRegular() && st.Size() == 0:
		return nil
	case in.file == "" && st.IsDir():
		ents, err := os.ReadDir(outPath)
		if err != nil {
			return fmt.Errorf("--repair-to %s: %w", outPath, err)
		}
		if len(ents) == 0 {
			return nil
		}
	}
	return usagef("--repair-to %s already exists and is not empty; choose a new path", outPath)
}

// resolvedAbs is the absolute path with symbolic links resolved in the
// longest existing prefix, so a link cannot smuggle the output inside.
func resolvedAbs(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	rest := ""
	cur := abs
	for {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

func repairFile(rep *aofinspect.Report, in *aofInput, o aofOptions) (*repairResult, error) {
	sr := &aofinspect.SetReport{Files: []*aofinspect.Report{rep}}
	cuts, err := sr.RepairPlan(o.toTS)
	if err != nil {
		return nil, fmt.Errorf("--repair-to: %w", err)
	}
	c := cuts[0]
	if err := copyPrefix(in.file, o.repairTo, c.Keep, o.followSymlinks, os.O_EXCL); err != nil {
		return nil, err
	}
	return &repairResult{Output: o.repairTo, Files: []repairFileInfo{{Name: filepath.Base(in.file), Size: rep.Size, Kept: c.Keep, Reason: c.Reason}}}, nil
}

func repairSet(res *aofSetResult, in *aofInput, o aofOptions) (*repairResult, error) {
	cuts, err := res.RepairPlan(o.toTS)
	if err != nil {
		return nil, fmt.Errorf("--repair-to: %w", err)
	}
	if !in.set.Verdict.Loads && !res.Legacy {
		return nil, fmt.Errorf("--repair-to: the manifest itself is refused by Redis (%s); repair it first (aoftool manifest %s)", in.set.Verdict.Reason, in.arg)
	}
	if err := os.MkdirAll(o.repairTo, 0o755); err != nil {
		return nil, err
	}
	rr := &repairResult{Output: o.repairTo}
	dropped := map[string]bool{}
	for i, f := range in.files {
		c := cuts[i]
		info := repairFileInfo{Name: f.Name, Size: f.Size, Kept: c.Keep, Dropped: c.Drop, Reason: c.Reason}
		rr.Files = append(rr.Files, info)
		if c.Drop {
			dropped[f.Name] = true
			continue
		}
		src := filepath.Join(in.set.AppendDir, f.Name)
		if res.Legacy {
			src = filepath.Join(in.set.DataDir, f.Path)
		}
		if err := copyPrefix(src, filepath.Join(o.repairTo, f.Name), c.Keep, o.followSymlinks, os.O_EXCL); err != nil {
			return nil, err
		}
	}
	if res.Legacy {
		return rr, nil
	}
	mf, _, err := ropen.Open(in.set.ManifestPath, o.followSymlinks)
	if err != nil {
		return nil, fmt.Errorf("reopen manifest: %w", err)
	}
	defer mf.Close()
	text, err := filterManifest(mf, dropped)
	if err != nil {
		return nil, err
	}
	mname := filepath.Base(in.set.ManifestPath)
	if err := writeNew(filepath.Join(o.repairTo, mname), text); err != nil {
		return nil, err
	}
	rr.Files = append(rr.Files, repairFileInfo{Name: mname, Size: int64(len(text)), Kept: int64(len(text)), Manifest: true,
		Reason: "history lines and dropped files removed"})
	return rr, nil
}

// filterManifest keeps the manifest's lines except history lines (their
// files are not copied) and lines of dropped files. Each line is judged by
// the manifest parser itself, so quoting rules stay Redis's.
func filterManifest(r io.Reader, dropped map[string]bool) ([]byte, error) {
	var out bytes.Buffer
	br := bufio.NewReader(io.LimitReader(r, 64<<20))
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			keep := true
			if !strings.HasPrefix(line, "#") {
				if m, _ := manifest.Parse(strings.NewReader(line), "line"); m != nil && len(m.Entries) == 1 {
					e := m.Entries[0]
					keep = e.Type != manifest.TypeHistory && !dropped[e.Name]
				}
			}
			if keep {
				out.WriteString(line)
			}
		}
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// copyPrefix copies the first n bytes of src (opened read-only again) to a
// new file dst.
func copyPrefix(src, dst string, n int64, follow bool, excl int) error {
	in, _, err := ropen.Open(src, follow)
	if err != nil {
		return fmt.Errorf("reopen %s: %w", src, err)
	}
	defer in.Close()
	flags := os.O_WRONLY | os.O_CREATE | excl
	if st, err := os.Lstat(dst); err == nil && st.Mode().IsRegular() && st.Size() == 0 {
		flags = os.O_WRONLY | os.O_TRUNC
	}
	out, err := os.OpenFile(dst, flags, 0o644)
	if err != nil {
		return err
	}
	w, err := io.CopyN(out, in, n)
	if err == nil && w != n {
		err = io.ErrShortWrite
	}
	if err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w (the input changed while copying?)", dst, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// --- human output ---

func printAOFHuman(w io.Writer, res any, o aofOptions, colour bool) error {
	switch r := res.(type) {
	case *aofResult:
		if err := printAOFFile(w, r.Report); err != nil {
			return err
		}
		if err := printCommandTable(w, r.CommandCounts, r.Commands, o.top); err != nil {
			return err
		}
		printRepair(w, r.Repair)
		if err := printFindings(w, r.Findings, colour); err != nil {
			return err
		}
		verdictLine(w, r.Findings, verdictText(r.Server, ""))
	case *aofSetResult:
		fmt.Fprintf(w, "AOF set %s (%d file(s), %d commands)\n", r.Path, len(r.Files), r.Commands)
		t := newTable(w, "File", "Role", "Format", "Size", "Commands", "OK up to", "Server")
		for _, f := range r.Files {
			if err := t.Append([]string{f.Path, f.Role, f.Format, bytesCell(f.Size), strconv.FormatInt(f.Commands, 10), strconv.FormatInt(f.OKUpTo, 10), string(f.Server.Verdict)}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		merged := map[string]int64{}
		for _, f := range r.Files {
			for k, v := range f.CommandCounts {
				merged[k] += v
			}
		}
		if err := printCommandTable(w, merged, r.Commands, o.top); err != nil {
			return err
		}
		printRepair(w, r.Repair)
		all := r.AllFindings()
		if err := printFindings(w, all, colour); err != nil {
			return err
		}
		verdictLine(w, all, verdictText(r.Server, r.TruncatesFile))
	}
	return nil
}

func printAOFFile(w io.Writer, r *aofinspect.Report) error {
	rows := [][2]string{
		{"File", r.Path},
		{"Size", bytesCell(r.Size)},
		{"Format", r.Format},
	}
	if r.RDB != nil {
		rdb := fmt.Sprintf("RDB %s", r.RDB.Version)
		if r.RDB.End > 0 {
			rdb += fmt.Sprintf(", ends at %d", r.RDB.End)
		} else {
			rdb += ", damaged"
		}
		rows = append(rows, [2]string{"RDB part", rdb})
	}
	rows = append(rows, [2]string{"Commands", strconv.FormatInt(r.Commands, 10)})
	if len(r.SelectedDBs) > 0 {
		var s []string
		for _, d := range r.SelectedDBs {
			s = append(s, strconv.FormatInt(d, 10))
		}
		rows = append(rows, [2]string{"SELECTed DBs", strings.Join(s, ", ")})
	}
	tx := r.Transactions
	if tx.Multi > 0 || tx.Exec > 0 || tx.UnmatchedExec > 0 {
		s := fmt.Sprintf("%d MULTI, %d EXEC", tx.Multi, tx.Exec)
		if tx.Open && tx.OpenOffset != nil {
			s += fmt.Sprintf(", open at %d", *tx.OpenOffset)
		}
		rows = append(rows, [2]string{"Transactions", s})
	}
	if ts := r.Timestamps; ts != nil {
		rows = append(rows, [2]string{"Timestamps", fmt.Sprintf("%d, %s … %s", ts.Count, ts.First, ts.Last)})
	} else if r.Annotations > 0 {
		rows = append(rows, [2]string{"Annotations", strconv.FormatInt(r.Annotations, 10)})
	}
	rows = append(rows, [2]string{"OK up to", strconv.FormatInt(r.OKUpTo, 10)})
	if t := r.TruncatedTail; t != nil {
		s := fmt.Sprintf("%s from offset %d", bytesCell(t.Bytes), t.Offset)
		if t.CommandsDropped > 0 {
			s += fmt.Sprintf(", %d complete command(s) dropped", t.CommandsDropped)
		}
		if t.PartialCommand {
			s += ", 1 partial command"
		}
		rows = append(rows, [2]string{"Truncated tail", s})
	}
	if b := r.BadRecord; b != nil && r.TruncatedTail == nil {
		rows = append(rows, [2]string{"Bad record", fmt.Sprintf("offset %d (line %d): at %d expected %s, found %s", b.Offset, b.Line, b.At, b.Expected, b.Found)})
	}
	rows = append(rows,
		[2]string{"aof-load-truncated yes", r.Server.LoadTruncatedYes},
		[2]string{"aof-load-truncated no", r.Server.LoadTruncatedNo})
	return keyValueTable(w, rows)
}

func printCommandTable(w io.Writer, counts map[string]int64, total int64, top int) error {
	if top == 0 || len(counts) == 0 {
		return nil
	}
	type kv struct {
		k string
		v int64
	}
	var l []kv
	for k, v := range counts {
		l = append(l, kv{k, v})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v || l[i].v == l[j].v && l[i].k < l[j].k })
	t := newTable(w, "Command", "Count", "Share")
	var rest int64
	for i, e := range l {
		if i >= top {
			rest += e.v
			continue
		}
		if err := t.Append([]string{e.k, strconv.FormatInt(e.v, 10), share(e.v, total)}); err != nil {
			return err
		}
	}
	if rest > 0 {
		if err := t.Append([]string{fmt.Sprintf("(%d more)", len(l)-top), strconv.FormatInt(rest, 10), share(rest, total)}); err != nil {
			return err
		}
	}
	return t.Render()
}

func share(v, total int64) string {
	if total == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f%%", float64(v)*100/float64(total))
}

func printRepair(w io.Writer, r *repairResult) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "Repaired copy written to %s:\n", r.Output)
	for _, f := range r.Files {
		switch {
		case f.Dropped:
			fmt.Fprintf(w, "  %s: left out (%s)\n", f.Name, f.Reason)
		case f.Manifest:
			fmt.Fprintf(w, "  %s: %d bytes (%s)\n", f.Name, f.Kept, f.Reason)
		case f.Kept < f.Size:
			fmt.Fprintf(w, "  %s: %d of %d bytes kept (%s)\n", f.Name, f.Kept, f.Size, f.Reason)
		default:
			fmt.Fprintf(w, "  %s: copied whole (%d bytes)\n", f.Name, f.Kept)
		}
	}
}

func verdictText(s aofinspect.Server, file string) string {
	switch s.Verdict {
	case aofinspect.Loads:
		return "Redis loads it"
	case aofinspect.LoadsTruncated:
		at := ""
		if s.TruncatesAt != nil {
			at = fmt.Sprintf(" at offset %d", *s.TruncatesAt)
		}
		if file != "" {
			at = " " + file + at
		}
		return fmt.Sprintf("Redis truncates%s in place and loads (aof-load-truncated yes), or refuses to start (no)", at)
	}
	return "Redis refuses to start: " + strings.TrimPrefix(s.LoadTruncatedYes, "refuses: ")
}
