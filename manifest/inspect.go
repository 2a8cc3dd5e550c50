package manifest

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aoftool/aoftool/finding"
)

// Defaults of redis.conf.
const (
	DefaultAppendDirName  = "appendonlydir"
	DefaultAppendFilename = "appendonly.aof"
)

// Layout says where the manifest is: the directories and the
// appendfilename the caller resolved from the server's configuration.
type Layout struct {
	// Path is the argument as given, for the report.
	Path string
	// DataDir is the server's dir; empty when only an AOF directory is
	// known (a manifest given on its own), which rules out the legacy file.
	DataDir   string
	AppendDir string
	// AppendFilename is the <af> the manifest belongs to; OtherManifests
	// are the other *.manifest files in the AOF directory.
	AppendFilename string
	OtherManifests []string
}

// FileFacts is what the inspector knows about one directory entry; the
// caller reads it once, for every command, from its listing.
type FileFacts struct {
	// Exists is false for a name that is not in the directory.
	Exists bool
	// Err is set when the entry could not be examined (not ENOENT).
	Err error
	// Symlink: the entry is a symbolic link; Broken: its target is missing
	// or a loop. Mode is the target's for a followable link, else the
	// entry's own.
	Symlink bool
	Broken  bool
	Mode    fs.FileMode
	Size    int64
	MTime   time.Time
	// Content is the part's format by its first bytes (Content* constants);
	// HasData says an RDB holds more than auxiliary fields.
	Content string
	HasData bool
}

// Facts answers the inspector's questions about the directories; it is
// backed by one listing, so every command sees the same files.
type Facts interface {
	// AppendDir is the AOF directory itself; Names its entries.
	AppendDir() FileFacts
	Names() []string
	// Part is an entry of the AOF directory; Legacy an entry of the data dir.
	Part(name string) FileFacts
	Legacy(name string) FileFacts
	// Manifest returns the manifest as Parse read it, with its findings,
	// or nil when it was not read (missing, not a regular file, unread).
	Manifest() (*Manifest, finding.List)
}

// Content kinds of a part, decided by its first bytes as the loader does.
const (
	ContentRDB        = "rdb"
	ContentRESP       = "resp"
	ContentEmpty      = "empty"
	ContentMissing    = "missing"
	ContentUnknown    = "unknown"
	ContentNotRegular = "not-regular"
	ContentUnreadable = "unreadable"
	ContentNotOpened  = "not-opened"
)

// Report is the result of Inspect and the --json document of
// "aoftool manifest".
type Report struct {
	Schema int `json:"schema"`
	// Path is the argument as given; the resolved directories follow.
	Path      string `json:"path"`
	DataDir   string `json:"data_dir,omitempty"`
	AppendDir string `json:"append_dir"`
	// AppendFilename is the <af> the manifest belongs to.
	AppendFilename string   `json:"append_filename"`
	ManifestPath   string   `json:"manifest_path"`
	OtherManifests []string `json:"other_manifests,omitempty"`
	// Manifest describes the manifest file; nil when there is none.
	Manifest *ManifestInfo `json:"manifest"`
	// Files are the parts Redis would load, in load order; for a refused
	// manifest, those listed before the refused line.
	Files []FileReport `json:"files"`
	// History are the history lines, in manifest order.
	History []FileReport `json:"history"`
	// Unlisted are files in the AOF directory that no line names.
	Unlisted []Unlisted   `json:"unlisted"`
	Findings finding.List `json:"findings"`
	Verdict  Verdict      `json:"verdict"`
	m        *Manifest    // parsed manifest, for callers in this package
	facts    Facts
	dirents  map[string]bool // names in the append dir
}

// ManifestInfo is what the manifest file itself looks like.
type ManifestInfo struct {
	Size     int64     `json:"size"`
	MTime    time.Time `json:"mtime"`
	Lines    int       `json:"lines"`
	Comments int       `json:"comments"`
	Entries  int       `json:"entries"`
	BaseSeq  int64     `json:"base_seq"`
	IncrSeq  int64     `json:"incr_seq"`
	// Accepted is false when the loader refuses the manifest.
	Accepted bool `json:"accepted"`
}

// FileReport is one manifest line and the file it names.
type FileReport struct {
	Name        string     `json:"name"`
	Path        string     `json:"path"`
	Seq         int64      `json:"seq"`
	Type        string     `json:"type"`
	Line        int        `json:"line"`
	Offset      int64      `json:"offset"`
	StartOffset *int64     `json:"start_offset,omitempty"`
	EndOffset   *int64     `json:"end_offset,omitempty"`
	Size        *int64     `json:"size"`
	Content     string     `json:"content"`
	MTime       *time.Time `json:"mtime,omitempty"`
	Symlink     bool       `json:"symlink,omitempty"`
	hasData     bool       // an RDB holding more than auxiliary fields
}

// Unlisted is a file in the AOF directory that the manifest does not name.
type Unlisted struct {
	Name  string    `json:"name"`
	Path  string    `json:"path"`
	Size  int64     `json:"size"`
	MTime time.Time `json:"mtime"`
	// Kind says what it probably is: temp-incr, temp-manifest, old-base,
	// newer-base, old-incr, newer-incr, other-manifest, other-set, unknown.
	Kind     string `json:"kind"`
	Meaning  string `json:"meaning"`
	SafeToRM bool   `json:"safe_to_delete"`
}

// Verdict is what Redis 7.x would do on start with this directory.
type Verdict struct {
	Loads  bool   `json:"loads"`
	Reason string `json:"reason"`
	// Files are the paths Redis reads, in order.
	Files []string `json:"files"`
}

// Parsed returns the manifest as Parse read it (empty when there is none),
// for callers that need the entries beyond the report.
func (r *Report) Parsed() *Manifest {
	if r.m == nil {
		return &Manifest{}
	}
	return r.m
}

// Evaluate checks the manifest against its directory, as the Redis loader
// would meet them at start. It reads nothing itself: facts holds what the
// caller listed.
func Evaluate(l Layout, facts Facts) *Report {
	r := &Report{Schema: 1, Path: l.Path, DataDir: l.DataDir, AppendDir: l.AppendDir, AppendFilename: l.AppendFilename,
		OtherManifests: l.OtherManifests, Files: []FileReport{}, History: []FileReport{}, Unlisted: []Unlisted{}, Findings: finding.List{}, facts: facts}
	if r.AppendFilename == "" {
		r.AppendFilename = DefaultAppendFilename
	}
	r.ManifestPath = filepath.Join(r.AppendDir, ManifestName(r.AppendFilename))
	r.dirents = map[string]bool{}
	for _, n := range facts.Names() {
		r.dirents[n] = true
	}
	r.inspect()
	r.Findings.Sort()
	return r
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// rel is how findings and verdicts name a file: relative to the data dir
// when it is known, so output does not depend on where a copy lives.
func (r *Report) rel(name string) string {
	return filepath.Base(r.AppendDir) + "/" + name
}

func (r *Report) add(f finding.Finding) { r.Findings = append(r.Findings, f) }

// refuse records the first reason Redis would exit; later ones are findings only.
func (r *Report) refuse(reason string) {
	if r.Verdict.Reason == "" || r.Verdict.Loads {
		r.Verdict.Loads = false
		r.Verdict.Reason = reason
	}
}

func (r *Report) inspect() {
	r.Verdict = Verdict{Loads: true, Files: []string{}}
	af := r.AppendFilename
	mrel := r.rel(ManifestName(af))
	m := &Manifest{Path: mrel}
	manifestSeen := false

	adir := r.facts.AppendDir()
	adirIsDir := adir.Exists && adir.Err == nil && adir.Mode.IsDir() && !adir.Broken
	if adir.Exists && !adirIsDir {
		r.add(finding.New(finding.ManifestNotRegular, filepath.Base(r.AppendDir), "%s is not a directory; Redis cannot create its AOF files there and exits (\"Can't open or create append-only dir\")", filepath.Base(r.AppendDir)))
		r.refuse("the AOF directory name is taken by a " + ModeWord(adir.Mode))
	}

	if adirIsDir {
		mf := r.facts.Part(ManifestName(af))
		switch {
		case !mf.Exists:
		case mf.Err != nil:
			r.add(finding.New(finding.InputUnreadable, mrel, "cannot stat the manifest: %v", mf.Err))
			r.refuse("the manifest cannot be read")
		case mf.Broken:
			r.add(finding.New(finding.ManifestNotRegular, mrel, "the manifest is a dangling or looping symbolic link; Redis reads it as missing and starts with an empty dataset").
				WithHint("restore the link target or the manifest before starting Redis"))
		case !mf.Mode.IsRegular():
			r.add(finding.New(finding.ManifestNotRegular, mrel, "the manifest is a %s, not a file; Redis treats it as missing, creates base and incr 1, then dies renaming its temp manifest over it", ModeWord(mf.Mode)).
				WithHint("move the %s aside in a copy; do not start Redis on this directory", ModeWord(mf.Mode)))
			if mf.Mode.IsDir() {
				r.refuse("the manifest name is a " + ModeWord(mf.Mode))
			}
		default:
			manifestSeen = true
			m = r.readManifest(mrel, mf)
		}
	}
	r.m = m
	if r.Manifest != nil && !r.Manifest.Accepted {
		r.refuse("the manifest is refused with " + m.Reason)
		// What was accepted before the refused line is still worth showing.
		for _, e := range m.LoadOrder() {
			r.Files = append(r.Files, r.entryReport(e))
		}
		for _, e := range m.History() {
			r.History = append(r.History, r.entryReport(e))
		}
		r.reportUnlisted(m)
		return
	}
	if !r.Verdict.Loads {
		r.reportUnlisted(m)
		return
	}

	// The legacy upgrade (loadAppendOnlyFiles): a regular appendonly.aof in
	// the data dir is moved in when no base or incr is listed, or when the
	// only line is a base with that name not yet moved.
	base, incrs := m.Base(), m.Incrs()
	legacyRel := ""
	legacyIsFile := false
	var legacy FileFacts
	if r.DataDir != "" {
		legacyRel = af
		legacy = r.facts.Legacy(af)
		legacyIsFile = legacy.Exists && !legacy.Broken && legacy.Mode.IsRegular()
	}
	upgrade := legacyIsFile && (!adirIsDir ||
		(base == nil && len(incrs) == 0) ||
		(base != nil && len(incrs) == 0 && base.Name == af && !r.dirents[af]))
	if legacyIsFile {
		lf := r.fileReport(legacy, legacyRel, Entry{Name: af, Seq: 1, Type: TypeBase})
		if upgrade {
			if r.dirents[af] {
				r.add(finding.New(finding.ManifestLegacyIgnored, legacyRel, "a legacy %s is in the data dir and %s also holds a file of that name with no base or incr listed; Redis's upgrade asserts on this and crashes", af, filepath.Base(r.AppendDir)).As(finding.Error))
				r.refuse("the legacy upgrade would find " + af + " already inside the AOF directory and abort")
				r.reportUnlisted(m)
				return
			}
			r.add(finding.New(finding.ManifestLegacyIgnored, legacyRel, "a legacy single-file %s (%s, %d bytes) is in the data dir; Redis moves it into %s as base 1 at start and loads it", af, lf.Content, sizeOf(lf), filepath.Base(r.AppendDir)).
				WithHint("keep a copy: the upgrade renames it and the first rewrite deletes it"))
			lf.Path = legacyRel
			r.Files = append(r.Files, lf)
			r.Verdict.Files = append(r.Verdict.Files, legacyRel)
			r.checkLoadable(lf, legacyRel)
			r.reportUnlisted(m)
			return
		}
		r.add(finding.New(finding.ManifestLegacyIgnored, legacyRel, "a legacy single-file %s is in the data dir; Redis ignores it because the manifest lists the AOF set", af).
			As(finding.Info).WithHint("safe to delete once the set in %s is known to load", filepath.Base(r.AppendDir)))
	}

	if base == nil && len(incrs) == 0 {
		if !manifestSeen && adir.Exists || !manifestSeen && len(r.dirents) > 0 {
			r.add(finding.New(finding.ManifestAbsent, mrel, "there is no manifest; Redis starts with an empty dataset and creates %s and %s", BaseName(af, 1, true), IncrName(af, 1)))
		} else if !manifestSeen {
			r.add(finding.New(finding.ManifestAbsent, r.rel(""), "there is no AOF directory; Redis starts with an empty dataset and creates it"))
		}
		r.Verdict.Reason = "no manifest lists a base or incr file"
	}

	for _, e := range m.LoadOrder() {
		fr := r.entryReport(e)
		r.Files = append(r.Files, fr)
		r.Verdict.Files = append(r.Verdict.Files, fr.Path)
		r.checkLoadable(fr, fr.Path)
		r.checkName(e, fr)
	}
	r.checkTwice()
	if len(r.Files) > 0 {
		var total int64
		for _, f := range r.Files {
			total += sizeOf(f)
		}
		if total == 0 && r.Verdict.Loads {
			r.add(finding.New(finding.ManifestAllEmpty, mrel, "every file Redis would load is empty; it starts with an empty dataset"))
		}
	}
	for _, e := range m.History() {
		fr := r.entryReport(e)
		r.History = append(r.History, fr)
		if fr.Content == ContentMissing || e.Name == "" || e.Name == "." || e.Name == ".." {
			r.add(finding.New(finding.ManifestHistoryEntry, mrel, "history line %d names %q, which is not on disk; Redis drops the line at the next start", e.Line, e.Name).AtLine(e.Line).At(e.Offset))
		} else {
			r.add(finding.New(finding.ManifestHistoryOnDisk, fr.Path, "history file (line %d of the manifest) is still on disk; Redis deletes it at the next start unless aof-disable-auto-gc is yes", e.Line).
				WithHint("not loaded by Redis; safe to delete, or keep as an older snapshot"))
		}
	}
	r.checkNextNames(m)
	r.reportUnlisted(m)
	if r.Verdict.Loads && r.Verdict.Reason == "" {
		r.Verdict.Reason = fmt.Sprintf("the manifest is accepted and the %d listed file(s) can be opened", len(r.Files))
	}
}

// ModeWord names a non-regular file mode for messages: directory, FIFO,
// socket, device.
func ModeWord(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "non-regular file"
}

func sizeOf(f FileReport) int64 {
	if f.Size == nil {
		return 0
	}
	return *f.Size
}

func (r *Report) readManifest(mrel string, st FileFacts) *Manifest {
	m, fs := r.facts.Manifest()
	if m == nil {
		r.add(finding.New(finding.InputUnreadable, mrel, "cannot read the manifest; Redis exits: \"can't open the AOF manifest file\""))
		r.refuse("the manifest cannot be opened")
		return &Manifest{Path: mrel}
	}
	r.Findings = append(r.Findings, fs...)
	r.Manifest = &ManifestInfo{Size: st.Size, MTime: st.MTime.UTC(), Lines: m.Lines, Comments: m.Comments,
		Entries: len(m.Entries), BaseSeq: m.BaseSeq(), IncrSeq: m.IncrSeq(), Accepted: m.Fatal == nil}
	return m
}

func (r *Report) entryReport(e Entry) FileReport {
	rel := r.rel(e.Name)
	if e.Name == "" || e.Name == "." || e.Name == ".." || strings.ContainsAny(e.Name, "/\\") {
		return FileReport{Name: e.Name, Path: rel, Seq: e.Seq, Type: TypeName(e.Type), Line: e.Line, Offset: e.Offset,
			StartOffset: e.StartOffset, EndOffset: e.EndOffset, Content: ContentNotOpened}
	}
	return r.fileReport(r.facts.Part(e.Name), rel, e)
}

// fileReport describes one part from its facts.
func (r *Report) fileReport(ff FileFacts, rel string, e Entry) FileReport {
	fr := FileReport{Name: e.Name, Path: rel, Seq: e.Seq, Type: TypeName(e.Type), Line: e.Line, Offset: e.Offset,
		StartOffset: e.StartOffset, EndOffset: e.EndOffset, Symlink: ff.Symlink}
	switch {
	case !ff.Exists || ff.Broken:
		fr.Content = ContentMissing
		return fr
	case ff.Err != nil:
		fr.Content = ContentUnreadable
		return fr
	}
	size, mt := ff.Size, ff.MTime.UTC()
	fr.Size, fr.MTime = &size, &mt
	if !ff.Mode.IsRegular() {
		fr.Content = ContentNotRegular
		return fr
	}
	fr.Content, fr.hasData = ff.Content, ff.HasData
	return fr
}

// checkLoadable records why Redis could not read a part it must load.
func (r *Report) checkLoadable(fr FileReport, rel string) {
	at := func(code finding.Code, format string, args ...any) finding.Finding {
		return finding.New(code, rel, format, args...)
	}
	line := ""
	if fr.Line > 0 {
		line = fmt.Sprintf(" (manifest line %d)", fr.Line)
	}
	switch {
	case fr.Name == "" || fr.Name == "." || fr.Name == "..":
		r.add(at(finding.ManifestUnsafeName, "the %s%s is named %q, which is the AOF directory or its parent; Redis fails reading it (\"Is a directory\"); aoftool did not open it", fr.Type, line, fr.Name))
		r.refuse(fmt.Sprintf("the %s name %q is a directory", fr.Type, fr.Name))
	case fr.Content == ContentMissing:
		r.add(at(finding.ManifestMissingFile, "the %s%s does not exist; Redis exits: \"Unable to obtain the AOF file %s length. stat: No such file or directory\"", fr.Type, line, fr.Name).
			WithHint("restore the file from a backup; removing its line from a copy of the manifest loses its writes"))
		r.refuse(fmt.Sprintf("the %s %s is missing", fr.Type, fr.Name))
	case fr.Content == ContentUnreadable:
		r.add(at(finding.InputUnreadable, "the %s%s cannot be read", fr.Type, line))
		r.refuse(fmt.Sprintf("the %s %s cannot be read", fr.Type, fr.Name))
	case fr.Content == ContentNotRegular:
		r.add(at(finding.ManifestFileNotRegular, "the %s%s is not a regular file; Redis cannot load it", fr.Type, line))
		r.refuse(fmt.Sprintf("the %s %s is not a regular file", fr.Type, fr.Name))
	case fr.Content == ContentUnknown:
		r.add(at(finding.ManifestBadContent, "the %s%s starts with neither REDIS nor a RESP command; Redis stops: \"Bad file format reading the append only file\"", fr.Type, line).At(0).
			WithHint("aoftool aof %s shows what the file holds", rel))
		r.refuse(fmt.Sprintf("the %s %s is not RDB or RESP", fr.Type, fr.Name))
	case fr.Content == ContentEmpty && fr.Type == "base" && strings.HasSuffix(fr.Name, ".rdb"):
		r.add(at(finding.ManifestEmptyRDB, "the base%s has 0 bytes although it is named .rdb: Redis writes at least 88 bytes for an empty dataset, so the base's data is gone; the start loads it as empty and keeps only the incr files' writes", line).
			WithHint("restore the base from a backup or a copy; aoftool rdb on other RDB files in the directory shows whether one holds the data"))
	case fr.Content == ContentEmpty:
		r.add(at(finding.ManifestEmptyFile, "the %s%s is empty; Redis loads it as an empty part", fr.Type, line))
	case fr.Symlink:
		r.add(at(finding.InputSymlink, "the %s%s is a symbolic link; Redis follows it", fr.Type, line))
	}
}

// checkName compares a listed name with the name Redis would give the part.
func (r *Report) checkName(e Entry, fr FileReport) {
	af := r.AppendFilename
	if e.Name == af && e.Type == TypeBase {
		return // a base moved in by the legacy upgrade keeps its old name
	}
	seq, kind, ok := ParseAOFName(af, e.Name)
	if !ok {
		if e.Name != "" && e.Name != "." && e.Name != ".." {
			r.add(finding.New(finding.ManifestNameMismatch, r.rel(e.Name), "the %s on manifest line %d is not named %s.<seq>.base.rdb|base.aof|incr.aof", TypeName(e.Type), e.Line, af))
		}
		return
	}
	switch {
	case seq != e.Seq:
		r.add(finding.New(finding.ManifestNameMismatch, r.rel(e.Name), "the name's number %d differs from seq %d on manifest line %d", seq, e.Seq, e.Line))
	case (kind == KindIncr) != (e.Type == TypeIncr):
		r.add(finding.New(finding.ManifestNameMismatch, r.rel(e.Name), "a %s file is listed as %s on manifest line %d", kind, TypeName(e.Type), e.Line))
	}
	if e.Type == TypeBase && (fr.Content == ContentRDB || fr.Content == ContentRESP) {
		if (kind == KindBaseRDB) != (fr.Content == ContentRDB) {
			r.add(finding.New(finding.ManifestSuffixMismatch, r.rel(e.Name), "the base is named .%s but holds %s; Redis detects the format by content and loads it", kind[len("base."):], strings.ToUpper(fr.Content)).At(0))
		}
	}
}

// checkTwice flags a part that is loaded twice.
func (r *Report) checkTwice() {
	seen := map[string]bool{}
	for _, f := range r.Files {
		switch {
		case seen[f.Name] && f.Content == ContentRDB && f.hasData:
			r.add(finding.New(finding.ManifestRDBLoadedTwice, f.Path, "the RDB %s is listed again on manifest line %d and holds keys; Redis aborts loading it twice (\"Duplicated key found in RDB file\")", f.Name, f.Line))
			r.refuse("the RDB " + f.Name + " would be loaded twice")
		case seen[f.Name] && f.Content == ContentRESP:
			// The parser said the name repeats; with commands in it, the
			// server applies them twice and holds other data than was written.
			for i := range r.Findings {
				if x := &r.Findings[i]; x.Code == finding.ManifestDuplicateName && x.Line == f.Line {
					x.Severity = finding.Error
					x.Message += "; the commands in it are applied twice, so the server holds other data than was written (an INCR counts twice, a list grows twice)"
					x.Hint = "remove the repeated line from a copy of the manifest before starting Redis"
				}
			}
		}
		seen[f.Name] = true
	}
}

// checkNextNames warns when Redis would create, at start, a part whose name
// is already taken or listed as history.
func (r *Report) checkNextNames(m *Manifest) {
	af := r.AppendFilename
	var next []string
	base, incrs := m.Base(), m.Incrs()
	if base == nil && len(incrs) == 0 {
		next = append(next, BaseName(af, m.BaseSeq()+1, true), BaseName(af, m.BaseSeq()+1, false))
	}
	if len(incrs) == 0 {
		next = append(next, IncrName(af, m.IncrSeq()+1))
	}
	for _, h := range m.History() {
		if contains(next, h.Name) {
			r.add(finding.New(finding.ManifestHNamesLiveFile, r.rel(h.Name), "history line %d names %s, the file Redis creates at start; the start-up clean-up then deletes it and the next start fails", h.Line, h.Name).
				WithHint("remove the history line from a copy of the manifest before starting Redis"))
		}
	}
	listed := map[string]bool{}
	for _, e := range m.Entries {
		listed[e.Name] = true
	}
	if len(m.Entries) == 0 && len(r.dirents) > 0 {
		var present []string
		for n := range r.dirents {
			if _, _, ok := ParseAOFName(af, n); ok && r.facts.Part(n).HasData {
				present = append(present, n)
			}
		}
		if len(present) > 0 {
			sort.Strings(present)
			what := "there is no manifest"
			if r.Manifest != nil {
				what = "the manifest lists no file (comments only)"
			}
			r.add(finding.New(finding.ManifestAbsentSetFound, r.rel(ManifestName(af)), "%s, but %s hold(s) AOF data; with AOF on Redis starts empty, overwrites %s and appends to %s, and the next start loads only the new data", what, strings.Join(present, ", "), BaseName(af, m.BaseSeq()+1, true), IncrName(af, m.IncrSeq()+1)).
				WithHint("do not start Redis with AOF on here: copy the parts away, or write a manifest listing them (file <name> seq <n> type b|i)"))
			return
		}
	}
	if base == nil && len(incrs) > 0 {
		for n := range r.dirents {
			if _, kind, ok := ParseAOFName(af, n); ok && kind != KindIncr && !listed[n] && r.facts.Part(n).HasData {
				r.add(finding.New(finding.ManifestBaseGone, r.rel(n), "the manifest lists incr files but no base, and %s holds data: the start loads only the incr files, so the base's keys are lost", n).
					WithHint("restore the base line in a copy of the manifest (file %s seq <n> type b) before starting Redis", n))
			}
		}
	}
	for _, n := range next {
		if r.dirents[n] && !listed[n] {
			r.add(finding.New(finding.ManifestNextNameExists, r.rel(n), "%s is not listed but is the name Redis gives the part it creates at start; Redis will overwrite or append to it", n).
				WithHint("move it out of the AOF directory (in a copy) before starting Redis if its content matters"))
		}
	}
}

// reportUnlisted lists files in the AOF dir that no manifest line names and
// says what each probably is.
func (r *Report) reportUnlisted(m *Manifest) {
	af := r.AppendFilename
	listed := map[string]bool{ManifestName(af): true}
	for _, e := range m.Entries {
		listed[e.Name] = true
	}
	others := map[string]bool{}
	for _, om := range r.OtherManifests {
		if a, ok := AppendFilenameOf(om); ok {
			others[a] = true
		}
	}
	names := make([]string, 0, len(r.dirents))
	for n := range r.dirents {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if listed[n] {
			continue
		}
		u := Unlisted{Name: n, Path: r.rel(n)}
		if ff := r.facts.Part(n); ff.Exists {
			u.Size, u.MTime = ff.Size, ff.MTime.UTC()
			if ff.Mode.IsDir() {
				u.Size = 0
			}
		}
		sev := finding.Info
		seq, kind, isPart := ParseAOFName(af, n)
		switch {
		case IsManifestName(n):
			u.Kind, u.Meaning = "other-manifest", "the manifest of another appendfilename sharing this directory"
			r.Unlisted = append(r.Unlisted, u)
			continue
		case otherSet(n, others):
			continue // a part of another appendfilename's set
		case isPart && len(m.Entries) == 0:
			u.Kind, u.Meaning = "part-without-manifest", "an AOF part that no manifest lists; Redis ignores it, or overwrites or appends to it when it has the name of the part Redis creates at start"
		case n == TempIncrName(af):
			u.Kind, u.Meaning, u.SafeToRM, sev = "temp-incr", "the incr of a rewrite started in AOF_WAIT_REWRITE (AOF just enabled, or a replica after a full sync); it holds writes no manifest lists and is not loaded", true, finding.Warning
		case n == TempManifestName(af):
			u.Kind, u.Meaning, u.SafeToRM, sev = "temp-manifest", "a manifest write that never reached its rename (crash or I/O error); compare it with the manifest before deleting it", true, finding.Warning
		case isPart && kind != KindIncr && seq < m.BaseSeq():
			u.Kind, u.Meaning, u.SafeToRM = "old-base", "the base of an earlier rewrite whose removal did not happen; not loaded", true
		case isPart && kind != KindIncr && seq > m.BaseSeq():
			u.Kind, u.Meaning, sev = "newer-base", "a base newer than the listed one: a rewrite whose manifest switch failed; not loaded, but it is a full snapshot worth keeping for recovery", finding.Warning
		case isPart && kind != KindIncr:
			u.Kind, u.Meaning, sev = "other-base", "a base with the listed base's number but another suffix; not loaded", finding.Warning
		case isPart && len(m.Incrs()) > 0 && seq < m.Incrs()[0].Seq:
			u.Kind, u.Meaning, u.SafeToRM = "old-incr", "an incr of an earlier rewrite whose removal did not happen; not loaded", true
		case isPart:
			u.Kind, u.Meaning, sev = "newer-incr", "an incr no line lists (a rewrite start whose manifest write failed, or a lost manifest line); not loaded, it may hold the latest writes", finding.Warning
		default:
			u.Kind, u.Meaning = "unknown", "not an AOF part name Redis writes; Redis 7.x ignores it"
		}
		r.Unlisted = append(r.Unlisted, u)
		f := finding.New(finding.ManifestOrphanFile, u.Path, "%s is not in the manifest: %s", n, u.Meaning).As(sev)
		if u.SafeToRM {
			f = f.WithHint("safe to delete for Redis 7.x once nothing is writing it")
		} else if u.Kind != "unknown" {
			f = f.WithHint("not loaded by Redis; keep it until its content is checked (aoftool aof / aoftool rdb)")
		}
		r.add(f)
	}
}

func otherSet(name string, others map[string]bool) bool {
	for a := range others {
		if _, _, ok := ParseAOFName(a, name); ok || name == TempIncrName(a) || name == TempManifestName(a) {
			return true
		}
	}
	return false
}
