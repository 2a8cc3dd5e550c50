package snapshot

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aoftool/aoftool/finding"
)

// ListingOptions configure FromListing.
type ListingOptions struct {
	// Year is used for dates printed without one ("Nov 20 18:14"); when 0
	// the year is inferred from Now the way ls decides: such dates are
	// within the last six months, so a date after Now belongs to the
	// previous year.
	Year int
	// Now is when the listing was taken (the snapshot's TakenAt); the
	// newest mtime in the listing when zero.
	Now time.Time
	// Clock is when the listing is read, which places dates printed without
	// a year; Now when zero, else the wall clock.
	Clock time.Time
	// Root overrides the data dir; by default it is the first directory
	// header ("/data:") or the path on an "ls -l /data" prompt line.
	Root string
	// Names are dbfilename, appenddirname and appendfilename; defaults when
	// empty.
	Names Names
}

// reference is the clock yearless dates are placed against.
func (o ListingOptions) reference() time.Time {
	switch {
	case !o.Clock.IsZero():
		return o.Clock
	case !o.Now.IsZero():
		return o.Now
	}
	return time.Now()
}

// maxListingLine bounds one line; ls never prints more than PATH_MAX-ish
// names, a longer line is garbage.
const maxListingLine = 64 << 10

// maxListingBytes bounds a whole paste.
const maxListingBytes = 64 << 20

// FromListing reads pasted ls output as a snapshot. It understands ls -l,
// -la, -lh, -alF, -i, -n, -g/-o, --full-time, --time-style (long-iso, iso,
// full-iso, +%s, +%FT%T and similar one- or two-token formats), ls -lR and
// several directories in one paste (directory headers, or shell prompt
// lines "$ ls -l appendonlydir" that act as headers), find -ls, total
// lines, "." and ".." entries, symlinks, device numbers, quoted names,
// busybox ls, SELinux contexts, CRLF, tabs, ls --color escapes and chat
// quotes ("> "). Lines it cannot read become listing-garbage-line findings.
// Times without a zone are taken as UTC. A listing cannot know ctimes or
// contents; inodes only with -i; exact sizes only without -h. Each Entry's
// Known says so.
func FromListing(r io.Reader, opt ListingOptions) (*Snapshot, finding.List) {
	n := opt.Names.withDefaults()
	p := &listingParser{opt: opt, names: n, byPath: map[string]int{}}
	sc := bufio.NewScanner(io.LimitReader(r, maxListingBytes))
	sc.Buffer(make([]byte, 0, 4096), maxListingLine)
	sc.Split(scanLinesAnyEnding)
	for sc.Scan() {
		p.lineNo++
		p.line(sc.Text())
	}
	if err := sc.Err(); err != nil {
		p.findings = append(p.findings, finding.New(finding.ListingGarbageLine, "", "reading stopped: %v", err).AtLine(p.lineNo+1))
	}
	return p.finish()
}

// scanLinesAnyEnding splits on \n, \r\n and lone \r (old Mac pastes).
func scanLinesAnyEnding(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == '\n' {
			return i + 1, trimCR(data[:i]), nil
		}
		if b == '\r' {
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

type listingParser struct {
	opt     ListingOptions
	names   Names
	lineNo  int
	root    string
	rootSet bool
	curDir  string // header path as printed, "" before any header
	entries []Entry
	byPath  map[string]int
	// rootDir is the root's "." line (or a subdirectory's ".." line);
	// dirSelf holds the "." line of each subdirectory section.
	rootDir    *Entry
	dirSelf    map[string]Entry
	findings   finding.List
	human      bool
	yearNeeded bool
}

var (
	reMode   = lazyRE(`^[-dlpscbDCMnP?][-rwxsStTlL]{9}[.+@]?$`)
	reTotal  = lazyRE(`^total:?\s+[0-9.,]+[KMGTPEkB]?\s*$`)
	rePrompt = lazyRE(`^(?:\S+\s)?\S*[$#%>]\s*(?:.*\s)?(?:\S*/)?(?:ls|find)(?:\s+(.*))?$`)
	reHuman  = lazyRE(`^([0-9]+(?:[.,][0-9]+)?)([KMGTPEkmgtpe])i?B?$`)
	reDigits = lazyRE(`^[0-9]+$`)
	reANSI   = lazyRE(`\x1b\[[0-9;]*[A-Za-z]`)
	reQuote  = lazyRE(`^\s*(?:>\s?)+((?:[0-9]+\s+)?[-dlpscb][-rwxsStT]{9}.*|/\S*:|total:?\s.*)$`)
)

type token struct {
	s          string
	start, end int
}

func tokenize(line string) []token {
	var out []token
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		out = append(out, token{line[i:j], i, j})
		i = j
	}
	return out
}

func (p *listingParser) garbage(line, why string) {
	show := line
	if len(show) > 80 {
		show = show[:80] + "…"
	}
	p.findings = append(p.findings, finding.New(finding.ListingGarbageLine, "", "line %d skipped (%s): %q", p.lineNo, why, show).AtLine(p.lineNo))
}

func (p *listingParser) line(raw string) {
	// Pastes from a terminal with ls --color keep the escapes.
	if strings.Contains(raw, "\x1b[") {
		raw = reANSI.ReplaceAllString(raw, "")
	}
	// A chat or mail quote ("> -rw-r--r-- ...") around a listing line.
	if m := reQuote.FindStringSubmatch(raw); m != nil {
		raw = m[1]
	}
	line := strings.TrimRight(raw, " \t")
	trimmed := strings.TrimLeft(line, " \t")
	if trimmed == "" {
		return
	}
	if reTotal.MatchString(trimmed) {
		return
	}
	if m := rePrompt.FindStringSubmatch(trimmed); m != nil {
		// A pasted prompt line starts a new listing: its directory
		// argument acts as a header, none means the shell's cwd.
		dir := "."
		for _, a := range strings.Fields(m[1]) {
			if !strings.HasPrefix(a, "-") {
				dir = a
				break
			}
		}
		p.header(dir)
		return
	}
	toks := tokenize(line)
	if len(toks) == 0 {
		return
	}
	modeIdx := 0
	for k := 0; k < 3 && k < len(toks); k++ {
		if reMode.MatchString(toks[k].s) && leadingColumns(toks[:k]) {
			modeIdx = k
			break
		}
	}
	if !reMode.MatchString(toks[modeIdx].s) {
		if strings.HasSuffix(trimmed, ":") && len(trimmed) > 1 && looksLikePath(trimmed) {
			p.header(strings.TrimSuffix(trimmed, ":"))
			return
		}
		p.garbage(trimmed, "not an ls -l entry")
		return
	}
	e, why := p.entry(line, toks, modeIdx)
	if e == nil {
		p.garbage(trimmed, why)
		return
	}
	if e.Name == "." || e.Name == ".." || e.Name == "./" || e.Name == "../" {
		p.dotEntry(e)
		return
	}
	p.add(e)
}

// looksLikePath tells a directory header ("/data:", "./appendonlydir:")
// from a sentence ending with a colon.
func looksLikePath(h string) bool {
	return strings.HasPrefix(h, "/") || strings.HasPrefix(h, ".") || strings.HasPrefix(h, "~") || !strings.ContainsAny(h, " \t")
}

// leadingColumns accepts what ls -i and -s print before the mode.
func leadingColumns(toks []token) bool {
	for _, t := range toks {
		if !reDigits.MatchString(t.s) && !reHuman.MatchString(t.s) {
			return false
		}
	}
	return true
}

func (p *listingParser) header(h string) {
	h = unquoteName(h)
	p.curDir = h
	if !p.rootSet && p.opt.Root == "" {
		p.root = path.Clean(h)
		p.rootSet = true
	}
}

// relDir turns a header path into a directory relative to the root.
func (p *listingParser) relDir() string {
	if p.curDir == "" {
		return ""
	}
	root := p.rootPath()
	d := path.Clean(p.curDir)
	if d == root {
		return ""
	}
	if root == "." && !strings.HasPrefix(d, "/") && !strings.HasPrefix(d, "..") {
		return d
	}
	if strings.HasPrefix(d, root+"/") {
		return strings.TrimPrefix(d, root+"/")
	}
	if root == "/" {
		return strings.TrimPrefix(d, "/")
	}
	// Not under the root: keep the header's own path, made relative.
	return strings.TrimLeft(strings.TrimPrefix(d, "./"), "/")
}

func (p *listingParser) rootPath() string {
	switch {
	case p.opt.Root != "":
		return path.Clean(p.opt.Root)
	case p.rootSet:
		return p.root
	}
	return "."
}

func (p *listingParser) entry(line string, toks []token, modeIdx int) (*Entry, string) {
	mode := toks[modeIdx].s
	e := &Entry{Content: ContentUnread}
	e.Mode = mode[:10]
	e.Type, e.Perm = modeType(mode)
	// Columns before the mode are -i (inode, always digits) then -s
	// (blocks, human with -h). One digits column is taken as the inode: a
	// pasted -s alone cannot be told apart.
	if modeIdx >= 1 && reDigits.MatchString(toks[0].s) {
		ino, err := strconv.ParseUint(toks[0].s, 10, 64)
		if err == nil {
			e.Inode = ino
			e.Known.Inode = true
		}
	}
	if modeIdx+1 < len(toks) {
		if l, err := strconv.ParseUint(toks[modeIdx+1].s, 10, 64); err == nil {
			e.Links = l
		}
	}
	// Find the date: the first position after the link count where a date
	// form parses, preceded by a size, followed by a name.
	for i := modeIdx + 2; i < len(toks); i++ {
		t, res, k, ok := p.parseDate(toks, i)
		if !ok || i+k >= len(toks) {
			continue
		}
		if k == 1 && reEpoch.MatchString(toks[i].s) && i+1 < len(toks) && reEpoch.MatchString(toks[i+1].s) && i+2 < len(toks) {
			continue // a big size followed by a +%s time: the later one is the date
		}
		if !p.size(e, toks, i-1) {
			continue
		}
		e.MTime = t
		e.MTimeResolution = res
		// A name can be empty only after unquoting ('' in shell quoting).
		if name := strings.TrimLeft(line[toks[i+k-1].end:], " \t"); name == "" || !p.setName(e, name) {
			return nil, "no name"
		}
		return e, ""
	}
	return nil, "no date and size found"
}

// size reads the size column ending at token i (a device shows "maj, min").
func (p *listingParser) size(e *Entry, toks []token, i int) bool {
	s := toks[i].s
	if e.Type == TypeDevice {
		if reDigits.MatchString(s) && i > 0 && strings.HasSuffix(toks[i-1].s, ",") {
			e.SizeExact, e.Known.Size = true, true
			return true
		}
		if strings.Contains(s, ",") {
			e.SizeExact, e.Known.Size = true, true
			return true
		}
	}
	if reDigits.MatchString(s) {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return false
		}
		e.Size, e.SizeMin, e.SizeMax, e.SizeExact, e.Known.Size = v, v, v, true, true
		return true
	}
	m := reHuman.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", "."), 64)
	if err != nil || v > 1e6 {
		return false
	}
	unit := float64(1024)
	base := m[2]
	if base == "k" {
		unit = 1000 // ls --si prints a lower-case k
	}
	pow := strings.Index("KMGTPE", strings.ToUpper(base)) + 1
	mult := math.Pow(unit, float64(pow))
	step := 1.0
	if strings.ContainsAny(m[1], ".,") {
		step = 0.1
	}
	// GNU ls rounds up, busybox to the nearest: the size lies within one
	// printed step either side of the value.
	// ls shows a unit only from one whole unit up; a hand-written value
	// below one (0,0M) keeps its own bounds, never below zero.
	lo := (v - step) * mult
	if v >= 1 && lo < mult {
		lo = mult
	}
	if lo < 0 {
		lo = 0
	}
	hi := (v + step) * mult
	if hi > math.MaxInt64/2 {
		return false
	}
	e.Size = int64(v * mult)
	e.SizeMin = int64(math.Floor(lo))
	e.SizeMax = int64(math.Ceil(hi))
	e.SizeExact = false
	p.human = true
	return true
}

var (
	reHHMM    = lazyRE(`^([0-9]{1,2}):([0-9]{2})$`)
	reYear    = lazyRE(`^[0-9]{4}$`)
	reDay     = lazyRE(`^[0-9]{1,2}\.?$`)
	reISODate = lazyRE(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	reMMDD    = lazyRE(`^[0-9]{2}-[0-9]{2}$`)
	reClock   = lazyRE(`^[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?$`)
	reZone    = lazyRE(`^[+-][0-9]{4}$|^Z$|^UTC$|^[A-Z]{3,4}$`)
	reEpoch   = lazyRE(`^[0-9]{9,11}(\.[0-9]{1,9})?$`)
	reISOT    = lazyRE(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$`)
	reWeekday = lazyRE(`^(?i:mon|tue|wed|thu|fri|sat|sun)$`)
)

var months = map[string]time.Month{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

func month(s string) (time.Month, bool) {
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	if len(s) < 3 {
		return 0, false
	}
	m, ok := months[s[:3]]
	return m, ok && len(s) <= 9
}

// parseDate tries each date form at token i and returns the time, its
// resolution in seconds and how many tokens it spans.
func (p *listingParser) parseDate(toks []token, i int) (time.Time, int64, int, bool) {
	at := func(k int) string {
		if i+k < len(toks) {
			return toks[i+k].s
		}
		return ""
	}
	// Weekday Mon DD HH:MM:SS YYYY (busybox ls -e, ctime-like styles).
	if reWeekday.MatchString(at(0)) {
		if mo, ok := month(at(1)); ok && reDay.MatchString(at(2)) && reClock.MatchString(at(3)) && reYear.MatchString(at(4)) {
			if t, ok := mkTime(atoi(at(4)), mo, atoi(strings.TrimSuffix(at(2), ".")), at(3)); ok {
				return t, 1, 5, true
			}
		}
	}
	// Mon DD HH:MM | Mon DD YYYY
	if mo, ok := month(at(0)); ok && reDay.MatchString(at(1)) {
		if t, res, matched, ok := p.dayThenClockOrYear(mo, at(1), at(2)); matched {
			return t, res, 3, ok
		}
	}
	// DD Mon HH:MM | DD Mon YYYY (day-first locales)
	if reDay.MatchString(at(0)) {
		if mo, ok := month(at(1)); ok {
			if t, res, matched, ok := p.dayThenClockOrYear(mo, at(0), at(2)); matched {
				return t, res, 3, ok
			}
		}
	}
	// YYYY-MM-DD HH:MM[:SS[.frac]] [zone] (long-iso, full-iso, --full-time)
	if reISODate.MatchString(at(0)) {
		if reClock.MatchString(at(1)) {
			k, zone := 2, ""
			if reZone.MatchString(at(2)) && at(3) != "" {
				k, zone = 3, at(2)
			}
			t, res, ok := isoTime(at(0), at(1), zone)
			return t, res, k, ok
		}
		t, err := time.Parse("2006-01-02", at(0))
		return t, 86400, 1, err == nil
	}
	// MM-DD HH:MM (--time-style=iso, recent files)
	if reMMDD.MatchString(at(0)) && reHHMM.MatchString(at(1)) {
		mo, day := atoi(at(0)[:2]), atoi(at(0)[3:])
		if mo >= 1 && mo <= 12 {
			t, ok := p.recent(time.Month(mo), day, at(1))
			return t, 60, 2, ok
		}
	}
	// 2023-11-20T18:14:05Z (+%FT%T and friends)
	if reISOT.MatchString(at(0)) {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
			if t, err := time.Parse(layout, at(0)); err == nil {
				res := int64(1)
				if strings.Contains(at(0), ".") {
					res = 0
				} else if strings.Count(at(0), ":") == 1 {
					res = 60
				}
				return t.UTC(), res, 1, true
			}
		}
	}
	// Unix seconds (+%s, +%s.%N)
	if reEpoch.MatchString(at(0)) {
		sec, frac, _ := strings.Cut(at(0), ".")
		s, err := strconv.ParseInt(sec, 10, 64)
		if err != nil {
			return time.Time{}, 0, 0, false
		}
		ns := int64(0)
		res := int64(1)
		if frac != "" {
			f, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
			ns, res = f, 0
		}
		return time.Unix(s, ns).UTC(), res, 1, true
	}
	return time.Time{}, 0, 0, false
}

func atoi(s string) int {
	v, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return v
}

func mkTime(y int, mo time.Month, d int, clock string) (time.Time, bool) {
	if y < 1 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	hh, mm, ss := 0, 0, 0
	parts := strings.Split(clock, ":")
	hh = atoi(parts[0])
	if len(parts) > 1 {
		mm = atoi(parts[1])
	}
	if len(parts) > 2 {
		ss = atoi(parts[2])
	}
	if hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 {
		return time.Time{}, false
	}
	return time.Date(y, mo, d, hh, mm, ss, 0, time.UTC), true
}

// recent places a yearless date: ls prints HH:MM for times within the last
// six months (or slightly in the future), so a date more than a day after
// Now is last year's.
// dayThenClockOrYear reads a month's day and the token after the date: a
// clock (a recent file, resolution one minute) or a year (an old one,
// resolution one day). matched is false when the token is neither.
func (p *listingParser) dayThenClockOrYear(mo time.Month, day, tail string) (t time.Time, res int64, matched, ok bool) {
	d := atoi(strings.TrimSuffix(day, "."))
	switch {
	case reHHMM.MatchString(tail):
		t, ok = p.recent(mo, d, tail)
		return t, 60, true, ok
	case reYear.MatchString(tail):
		t, ok = mkTime(atoi(tail), mo, d, "00:00")
		return t, 86400, true, ok
	}
	return time.Time{}, 0, false, false
}

func (p *listingParser) recent(mo time.Month, day int, clock string) (time.Time, bool) {
	if p.opt.Year != 0 {
		return mkTime(p.opt.Year, mo, day, clock)
	}
	p.yearNeeded = true
	now := p.opt.reference().UTC()
	t, ok := mkTime(now.Year(), mo, day, clock)
	if ok && t.After(now.Add(24*time.Hour)) {
		t, ok = mkTime(now.Year()-1, mo, day, clock)
	}
	return t, ok
}

func isoTime(date, clock, zone string) (time.Time, int64, bool) {
	layout := "2006-01-02 15:04"
	res := int64(60)
	switch strings.Count(clock, ":") {
	case 2:
		layout = "2006-01-02 15:04:05"
		res = 1
		if strings.Contains(clock, ".") {
			layout = "2006-01-02 15:04:05.999999999"
			res = 0
		}
	}
	s := date + " " + clock
	if strings.HasPrefix(zone, "+") || strings.HasPrefix(zone, "-") {
		layout += " -0700"
		s += " " + zone
	}
	t, err := time.Parse(layout, s)
	return t.UTC(), res, err == nil
}

func modeType(mode string) (FileType, uint32) {
	var t FileType
	switch mode[0] {
	case '-':
		t = TypeFile
	case 'd':
		t = TypeDir
	case 'l':
		t = TypeSymlink
	case 'p':
		t = TypeFIFO
	case 's':
		t = TypeSocket
	case 'c', 'b':
		t = TypeDevice
	default:
		t = TypeOther
	}
	var perm uint32
	for i := 0; i < 9; i++ {
		c := mode[1+i]
		// S and T are setuid/sticky without execute; l/L is mandatory locking.
		if c != '-' && c != 'S' && c != 'T' && c != 'l' && c != 'L' {
			perm |= 1 << uint(8-i)
		}
	}
	return t, perm
}

// setName sets e's name from what the listing printed, and reports whether
// a name remains.
func (p *listingParser) setName(e *Entry, name string) bool {
	if e.Type == TypeSymlink {
		if a, b, ok := strings.Cut(name, " -> "); ok {
			name, e.LinkTarget = a, unquoteName(b)
		}
	}
	name = unquoteName(name)
	// ls -F indicators, stripped only when the type agrees.
	if len(name) > 1 {
		last := name[len(name)-1]
		switch {
		case last == '/' && e.Type == TypeDir,
			last == '@' && e.Type == TypeSymlink,
			last == '|' && e.Type == TypeFIFO,
			last == '=' && e.Type == TypeSocket,
			last == '*' && e.Type == TypeFile && e.Perm&0o111 != 0:
			name = name[:len(name)-1]
		}
	}
	e.Name = name
	return name != ""
}

// unquoteName undoes GNU ls's shell quoting ('a b', "a'b", $'a\nb').
func unquoteName(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' && !strings.Contains(s[1:len(s)-1], "'") {
		return s[1 : len(s)-1]
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `\"`, `"`)
	}
	if len(s) >= 3 && strings.HasPrefix(s, "$'") && s[len(s)-1] == '\'' {
		if u, err := strconv.Unquote(`"` + strings.ReplaceAll(s[2:len(s)-1], `"`, `\"`) + `"`); err == nil {
			return u
		}
	}
	return s
}

func (p *listingParser) add(e *Entry) {
	e.Dir = p.relDir()
	e.Path = path.Join(e.Dir, e.Name)
	if strings.Contains(e.Name, "/") {
		// A path given on the command line (ls -l /data/dump.rdb) or
		// printed by find -ls: place it under the root, which the first
		// absolute path sets when nothing else did.
		full := e.Name
		if !path.IsAbs(full) && p.curDir != "" {
			full = path.Join(p.curDir, full)
		}
		full = path.Clean(full)
		if !p.rootSet && p.opt.Root == "" && path.IsAbs(full) {
			// find -ls prints its start directory first: that is the root.
			p.root, p.rootSet = path.Dir(full), true
			if e.Type == TypeDir {
				p.root = full
			}
		}
		root := p.rootPath()
		if full == root {
			return
		}
		rel := strings.TrimPrefix(strings.TrimLeft(full, "/"), "./")
		if root != "." && strings.HasPrefix(full, root+"/") {
			rel = strings.TrimPrefix(full, root+"/")
		}
		if rel == "" || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
			return // the root itself, or above it
		}
		e.Dir, e.Name, e.Path = strings.TrimSuffix(path.Dir(rel), "."), path.Base(rel), rel
		if e.Dir == "/" {
			e.Dir = ""
		}
	}
	if idx, dup := p.byPath[e.Path]; dup {
		p.findings = append(p.findings, finding.New(finding.ListingDuplicateEntry, e.Path, "listed twice; line %d replaces the earlier line", p.lineNo).AtLine(p.lineNo))
		p.entries[idx] = *e
		return
	}
	p.byPath[e.Path] = len(p.entries)
	p.entries = append(p.entries, *e)
}

// dotEntry keeps what "." and ".." lines say: a directory's mtime changes
// whenever a file in it is created, renamed or removed, which dates the
// server's last structural change there even when the files are not
// listed. "." of the root section is the data directory; "." of a
// subdirectory section is that directory (kept when its parent's listing
// does not show it); ".." of a first-level subdirectory is the root.
func (p *listingParser) dotEntry(e *Entry) {
	if e.Type != TypeDir {
		return
	}
	dir := p.relDir()
	parent := strings.TrimSuffix(e.Name, "/") == ".."
	switch {
	case dir == "" && !parent:
		p.rootDir = rootEntry(e)
	case dir != "" && parent && !strings.Contains(dir, "/"):
		if p.rootDir == nil {
			p.rootDir = rootEntry(e)
		}
	case dir != "" && !parent:
		if p.dirSelf == nil {
			p.dirSelf = map[string]Entry{}
		}
		d := *e
		d.Dir, d.Name = path.Dir(dir), path.Base(dir)
		if d.Dir == "." {
			d.Dir = ""
		}
		d.Path = dir
		p.dirSelf[dir] = d
	}
}

func (p *listingParser) finish() (*Snapshot, finding.List) {
	for _, d := range p.dirSelf {
		if _, ok := p.byPath[d.Path]; !ok {
			p.byPath[d.Path] = len(p.entries)
			p.entries = append(p.entries, d)
		}
	}
	s := &Snapshot{
		Schema:         SchemaVersion,
		Root:           p.rootPath(),
		Source:         SourceListing,
		DBFilename:     p.names.DBFilename,
		AppendDirName:  p.names.AppendDirName,
		AppendFilename: p.names.AppendFilename,
		Entries:        []Entry{},
	}
	var newest time.Time
	for i := range p.entries {
		e := &p.entries[i]
		e.applyName(e.Dir == "", p.names)
		if e.MTime.After(newest) {
			newest = e.MTime
		}
		s.Entries = append(s.Entries, *e)
	}
	sort.Slice(s.Entries, func(i, j int) bool { return s.Entries[i].Path < s.Entries[j].Path })
	if p.rootDir != nil {
		s.RootDir = p.rootDir
		if s.RootDir.MTime.After(newest) {
			newest = s.RootDir.MTime
		}
	}
	s.TakenAt = p.opt.Now.UTC()
	if p.opt.Now.IsZero() {
		s.TakenAt = newest
	}
	if p.human {
		p.findings = append(p.findings, finding.New(finding.ListingSizeApproximate, "", "sizes are human-readable (ls -h); each is known only within the bounds its rounding implies"))
	}
	if p.yearNeeded {
		year := p.opt.reference()
		p.findings = append(p.findings, finding.New(finding.ListingYearInferred, "", "dates without a year were placed in the six months before %s", year.UTC().Format("2006-01-02")))
	}
	if len(s.Entries) == 0 {
		p.findings = append(p.findings, finding.New(finding.ListingNoEntries, "", "no ls -l entry found in %d line(s)", p.lineNo))
	}
	if p.findings == nil {
		p.findings = finding.List{}
	}
	s.Findings = p.findings
	finishSnapshot(s)
	return s, p.findings
}

// SizeString renders a size as exact bytes or as "min..max" bounds.
func (e *Entry) SizeString() string {
	if e.SizeExact {
		return strconv.FormatInt(e.Size, 10)
	}
	return fmt.Sprintf("%d..%d", e.SizeMin, e.SizeMax)
}
