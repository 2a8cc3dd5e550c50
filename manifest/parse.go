package manifest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aoftool/aoftool/finding"
)

// maxLine is MANIFEST_MAX_LINE in src/aof.c: fgets reads into a buffer of
// maxLine+1 bytes, so one read returns at most maxLine bytes.
const maxLine = 1024

// Entry types, as the loader stores them: the first byte of the type value.
const (
	TypeBase    byte = 'b'
	TypeHistory byte = 'h'
	TypeIncr    byte = 'i'
)

// Entry is one accepted manifest line.
type Entry struct {
	// Name is the file value up to its first NUL byte, as the C loader
	// keeps it.
	Name string
	// Seq is atoll of the seq value: leading digits, saturating, 0 for none.
	Seq int64
	// Type is the first byte of the type value: 'b', 'h' or 'i'.
	Type byte
	// Line is the 1-based number of the fgets read that held the line;
	// Offset is the byte offset of its first byte.
	Line   int
	Offset int64
	// StartOffset and EndOffset are Redis 8's incr offsets, nil when absent.
	StartOffset, EndOffset *int64
	// Extra holds key/value pairs the loader ignores, in line order.
	Extra [][2]string
}

// TypeName is the word for an entry type: base, history, incr, or the byte.
func TypeName(t byte) string {
	switch t {
	case TypeBase:
		return "base"
	case TypeHistory:
		return "history"
	case TypeIncr:
		return "incr"
	}
	return strconv.QuoteRune(rune(t))
}

// Manifest is what Parse read. When Fatal is set, Entries hold the lines
// accepted before the line Redis refuses.
type Manifest struct {
	Path    string
	Entries []Entry
	// Lines counts fgets reads, comments included; Comments counts those
	// that started with '#'.
	Lines    int
	Comments int
	// Bytes is how far the parser read.
	Bytes int64
	// Fatal is the refusal that stopped the loader, nil when Redis accepts
	// the manifest; Reason is Redis's own message for it and the line.
	Fatal  *finding.Finding
	Reason string
}

// Base returns the base entry, or nil.
func (m *Manifest) Base() *Entry {
	for i := range m.Entries {
		if m.Entries[i].Type == TypeBase {
			return &m.Entries[i]
		}
	}
	return nil
}

func (m *Manifest) ofType(t byte) []Entry {
	var out []Entry
	for _, e := range m.Entries {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}

// Incrs returns the incr entries in manifest order.
func (m *Manifest) Incrs() []Entry { return m.ofType(TypeIncr) }

// History returns the history entries in manifest order.
func (m *Manifest) History() []Entry { return m.ofType(TypeHistory) }

// BaseSeq is curr_base_file_seq after loading: the base's seq, 0 if none.
func (m *Manifest) BaseSeq() int64 {
	if b := m.Base(); b != nil {
		return b.Seq
	}
	return 0
}

// IncrSeq is curr_incr_file_seq after loading: the last incr's seq, 0 if
// none. History lines never count.
func (m *Manifest) IncrSeq() int64 {
	in := m.Incrs()
	if len(in) == 0 {
		return 0
	}
	return in[len(in)-1].Seq
}

// LoadOrder lists the files Redis reads at start: the base, then every incr
// in manifest order.
func (m *Manifest) LoadOrder() []Entry {
	var out []Entry
	if b := m.Base(); b != nil {
		out = append(out, *b)
	}
	return append(out, m.Incrs()...)
}

// Parse reads a manifest exactly as aofLoadManifestFromFile does (Redis 7.0
// to 8.x, Valkey) and reports each refusal with its line and offset. It
// stops at the first condition that makes Redis exit, like the loader, and
// returns what it accepted up to there. path only labels findings.
func Parse(r io.Reader, path string) (*Manifest, finding.List) {
	m, fs := parse(r, path)
	if m.Fatal != nil {
		return m, fs
	}
	return m, append(fs, m.crossChecks(path)...)
}

// parse is the loader alone, without the checks of what it accepts.
func parse(r io.Reader, path string) (*Manifest, finding.List) {
	m := &Manifest{Path: path}
	var fs finding.List
	br := bufio.NewReaderSize(r, 4096)
	var buf [maxLine]byte
	var off int64
	var maxIncr int64
	haveBase := false

	fatal := func(f finding.Finding) (*Manifest, finding.List) {
		m.Fatal = &f
		m.Reason = fmt.Sprintf("%s (manifest line %d)", RedisWords(f.Message), f.Line)
		return m, append(fs, f)
	}

	for {
		n, err := readLine(br, buf[:])
		start := off
		off += int64(n)
		m.Bytes = off
		if err != nil && !errors.Is(err, io.EOF) {
			return fatal(finding.New(finding.InputUnreadable, path,
				"reading the manifest failed at byte %d: %v (Redis: \"Read AOF manifest failed\")", off, err).
				AtLine(m.Lines + 1).At(start))
		}
		if n == 0 {
			if m.Lines == 0 {
				return fatal(finding.New(finding.ManifestEmpty, path,
					"the manifest has no bytes; Redis refuses it: \"Found an empty AOF manifest\"").
					AtLine(1).At(0).
					WithHint("restore the manifest from a backup, or rebuild it from the files in the directory; redis-check-aof wrongly reports this file as fine"))
			}
			break
		}
		m.Lines++
		line := m.Lines
		chunk := buf[:n]
		at := func(code finding.Code, format string, args ...any) finding.Finding {
			return finding.New(code, path, format, args...).AtLine(line).At(start)
		}
		if chunk[0] == '#' {
			m.Comments++
			continue
		}
		nul := indexByte(chunk, 0)
		if nul >= 0 || chunk[n-1] != '\n' {
			var why string
			switch {
			case nul >= 0 && (chunk[n-1] == '\n' || nul < n-1):
				why = fmt.Sprintf("line %d holds a NUL byte at offset %d, which hides its newline from the C loader", line, start+int64(nul))
			case n == maxLine:
				why = fmt.Sprintf("line %d is longer than 1023 bytes plus newline", line)
			default:
				why = fmt.Sprintf("line %d is the last line and has no newline", line)
			}
			return fatal(at(finding.ManifestTooLongLine, "%s; Redis refuses the manifest: \"The AOF manifest file contains too long line\"", why).
				WithHint("every manifest line must end with \\n and be at most 1023 bytes before it"))
		}
		text := strings.Trim(string(chunk), " \t\r\n")
		if text == "" {
			return fatal(at(finding.ManifestInvalidFormat, "line %d is blank; Redis refuses the manifest: \"Invalid AOF manifest file format\"", line).
				WithHint("remove the blank line (a copy of the manifest, never the original on a live server)"))
		}
		argv, ok := SplitArgs(text)
		if !ok || len(argv) < 6 || len(argv)%2 != 0 {
			why := "it has unbalanced quotes or a closing quote not followed by a blank"
			if ok {
				why = fmt.Sprintf("it has %d tokens; at least 6 and an even number are required", len(argv))
			}
			return fatal(at(finding.ManifestInvalidFormat, "line %d cannot be split: %s; Redis refuses the manifest: \"Invalid AOF manifest file format\"", line, why))
		}
		var e Entry
		e.Line, e.Offset = line, start
		haveFile := false
		var notes finding.List
		seen := make([]string, 0, 8)
		for i := 0; i < len(argv); i += 2 {
			key, val := cString(argv[i]), argv[i+1]
			lk := asciiLower(key)
			if key != lk && (lk == "file" || lk == "seq" || lk == "type") {
				notes = append(notes, at(finding.ManifestUppercaseKey, "line %d spells key %q in upper case; Redis accepts it, redis-check-aof does not see the file as a manifest", line, key))
			}
			for _, k := range seen {
				if k == lk {
					notes = append(notes, at(finding.ManifestRepeatedKey, "line %d repeats key %q; the last value wins", line, lk))
					break
				}
			}
			seen = append(seen, lk)
			switch lk {
			case "file":
				name := cString(val)
				if strings.ContainsAny(name, "/\\") {
					return fatal(at(finding.ManifestFileIsPath, "line %d names %q, which contains '/' or '\\'; Redis refuses the manifest: \"File can't be a path, just a filename\"", line, name))
				}
				e.Name, haveFile = name, true
			case "seq":
				e.Seq = atoll(cString(val))
				if !isPlainInt(val) {
					notes = append(notes, at(finding.ManifestSeqNotNumber, "line %d has seq %q, which Redis reads as %d", line, val, e.Seq))
				}
			case "type":
				e.Type = 0
				if len(val) > 0 {
					e.Type = val[0]
				}
			case "startoffset", "endoffset":
				v := atoll(cString(val))
				if lk == "startoffset" {
					e.StartOffset = &v
				} else {
					e.EndOffset = &v
				}
			default:
				e.Extra = append(e.Extra, [2]string{argv[i], val})
			}
		}
		if len(e.Extra) > 0 {
			notes = append(notes, at(finding.ManifestUnknownKey, "line %d has %d key/value pair(s) Redis ignores (first key %q)", line, len(e.Extra), e.Extra[0][0]))
		}
		if !haveFile || e.Seq == 0 || e.Type == 0 {
			var missing []string
			if !haveFile {
				missing = append(missing, "no file")
			}
			if e.Seq == 0 {
				missing = append(missing, "seq is 0 or not a number")
			}
			if e.Type == 0 {
				missing = append(missing, "no or empty type")
			}
			return fatal(at(finding.ManifestInvalidFormat, "line %d: %s; Redis refuses the manifest: \"Invalid AOF manifest file format\"", line, strings.Join(missing, ", ")))
		}
		switch e.Type {
		case TypeBase:
			if haveBase {
				return fatal(at(finding.ManifestDuplicateBase, "line %d lists a second base file %q; Redis refuses the manifest: \"Found duplicate base file information\"", line, e.Name))
			}
			haveBase = true
		case TypeHistory:
		case TypeIncr:
			if e.Seq <= maxIncr {
				return fatal(at(finding.ManifestNonMonotonicIncr, "line %d lists incr %q with seq %d, not greater than the previous incr seq %d; Redis refuses the manifest: \"Found a non-monotonic sequence number\"", line, e.Name, e.Seq, maxIncr))
			}
			maxIncr = e.Seq
		default:
			return fatal(at(finding.ManifestUnknownType, "line %d has type %q, which is not b, h or i; Redis refuses the manifest: \"Unknown AOF file type\"", line, string(rune(e.Type))))
		}
		fs = append(fs, notes...)
		m.Entries = append(m.Entries, e)
	}
	return m, fs
}

// crossChecks are the conditions the loader accepts that still put data at
// risk; they only make sense on a manifest Redis would accept.
func (m *Manifest) crossChecks(path string) finding.List {
	var fs finding.List
	at := func(e Entry, code finding.Code, format string, args ...any) finding.Finding {
		return finding.New(code, path, format, args...).AtLine(e.Line).At(e.Offset)
	}
	if len(m.Entries) == 0 {
		return append(fs, finding.New(finding.ManifestNoEntries, path,
			"the manifest has %d comment line(s) and no entry; Redis starts with an empty dataset and rewrites it with base 1 and incr 1", m.Comments).
			AtLine(1).At(0).
			WithHint("if the directory still holds <appendfilename>.1.base.* or .1.incr.aof, copy them away before starting Redis: it overwrites the base and appends to the incr"))
	}
	live := map[string]Entry{}
	for _, e := range m.LoadOrder() {
		if prev, dup := live[e.Name]; dup {
			fs = append(fs, at(e, finding.ManifestDuplicateName, "line %d lists %q, already listed at line %d; Redis loads it twice", e.Line, e.Name, prev.Line).
				WithHint("a RESP file loaded twice applies its commands twice; an RDB with keys loaded twice aborts the start"))
			continue
		}
		live[e.Name] = e
	}
	hist := map[string]Entry{}
	for _, e := range m.History() {
		if l, ok := live[e.Name]; ok {
			fs = append(fs, at(e, finding.ManifestHNamesLiveFile, "history line %d names %q, which line %d lists as the live %s; the start-up clean-up deletes it and the next start fails", e.Line, e.Name, l.Line, TypeName(l.Type)).
				WithHint("remove the history line from a copy of the manifest before starting Redis"))
		} else if p, ok := hist[e.Name]; ok {
			fs = append(fs, at(e, finding.ManifestDuplicateName, "history line %d repeats %q from line %d", e.Line, e.Name, p.Line))
		}
		hist[e.Name] = e
	}
	for _, e := range m.Entries {
		if e.Seq < 0 && e.Type != TypeIncr {
			fs = append(fs, at(e, finding.ManifestNegativeSeq, "line %d has the negative seq %d; Redis accepts it and numbers the next base %d", e.Line, e.Seq, e.Seq+1))
		}
	}
	for _, e := range m.Entries {
		l := redisLine(e)
		if why := rereadProblem(l, e); why != "" {
			fs = append(fs, at(e, finding.ManifestNotRewritable, "Redis writes line %d back as %q at its next manifest update, and %s; the start after that fails", e.Line, strings.TrimSuffix(l, "\n"), why).
				WithHint("rename the file to a plain name and fix the line in a copy of the manifest before starting Redis"))
		}
	}
	if in := m.Incrs(); len(in) > 1 {
		var names []string
		for i, e := range in {
			if i == 5 {
				names = append(names, fmt.Sprintf("and %d more", len(in)-5))
				break
			}
			names = append(names, e.Name)
		}
		fs = append(fs, at(in[1], finding.ManifestMultipleIncr, "the manifest lists %d incr files (%s): %d rewrite(s) started and never finished", len(in), strings.Join(names, ", "), len(in)-1).
			WithHint("do not delete any of them: Redis loads all, and a missing one stops it; the next successful BGREWRITEAOF folds them into a new base (redis/redis#10549)"))
	}
	return fs
}

// rereadProblem says why the loader would not read line l (as Redis's writer
// produced it for e) back to the same name, or "" when it would.
func rereadProblem(l string, e Entry) string {
	if len(l) > maxLine {
		return "its own loader refuses it with \"The AOF manifest file contains too long line\""
	}
	argv, ok := SplitArgs(strings.Trim(l, " \t\r\n"))
	if !ok || len(argv) != 6 {
		return "its own loader refuses it with \"Invalid AOF manifest file format\""
	}
	if name := cString(argv[1]); name != e.Name {
		return fmt.Sprintf("it reads back as %q", name)
	}
	return ""
}

// RedisWords picks the server's own words, which every refusal message
// ends with in double quotes, to match them against a server's log.
func RedisWords(msg string) string {
	end := strings.LastIndexByte(msg, '"')
	if end <= 0 {
		return msg
	}
	start := strings.LastIndexByte(msg[:end], '"')
	if start < 0 {
		return msg
	}
	return msg[start : end+1]
}

// readLine is fgets with a maxLine+1 buffer: it returns after a newline, after
// maxLine bytes, or at end of input, never buffering more than one read.
func readLine(br *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		c, err := br.ReadByte()
		if err != nil {
			return n, err
		}
		buf[n] = c
		n++
		if c == '\n' {
			return n, nil
		}
	}
	return n, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// cString is s as C code sees it: up to the first NUL byte.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// asciiLower folds like strcasecmp in the C locale, ASCII letters only (Go's
// EqualFold would also match the Kelvin sign and the long s).
func asciiLower(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' }) < 0 {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// isSpace is isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// SplitArgs is sdssplitargs (src/sds.c) on a line without NUL bytes, which
// both the manifest loader and redis.conf use; ok is
// false where the C function returns NULL.
func SplitArgs(line string) (argv []string, ok bool) {
	n := len(line)
	at := func(i int) byte {
		if i < n {
			return line[i]
		}
		return 0
	}
	p := 0
	argv = make([]string, 0, 8)
	for {
		for p < n && isSpace(line[p]) {
			p++
		}
		if p >= n {
			return argv, true
		}
		// Fast path: a token without quotes is a slice of the line.
		q := p
		for q < n && line[q] != ' ' && line[q] != '\n' && line[q] != '\r' && line[q] != '\t' && line[q] != '"' && line[q] != '\'' {
			q++
		}
		if q == n || line[q] != '"' && line[q] != '\'' {
			argv = append(argv, line[p:q])
			p = q
			if p < n {
				p++
			}
			continue
		}
		inq, insq, done := false, false, false
		cur := make([]byte, 0, 32)
		for !done {
			c := at(p)
			switch {
			case inq:
				switch {
				case c == '\\' && at(p+1) == 'x' && isHex(at(p+2)) && isHex(at(p+3)):
					cur = append(cur, hexVal(at(p+2))<<4|hexVal(at(p+3)))
					p += 3
				case c == '\\' && at(p+1) != 0:
					p++
					switch e := line[p]; e {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, e)
					}
				case c == '"':
					if at(p+1) != 0 && !isSpace(at(p+1)) {
						return nil, false
					}
					done = true
				case c == 0:
					return nil, false
				default:
					cur = append(cur, c)
				}
			case insq:
				switch {
				case c == '\\' && at(p+1) == '\'':
					p++
					cur = append(cur, '\'')
				case c == '\'':
					if at(p+1) != 0 && !isSpace(at(p+1)) {
						return nil, false
					}
					done = true
				case c == 0:
					return nil, false
				default:
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if at(p) != 0 {
				p++
			}
		}
		argv = append(argv, string(cur))
	}
}

// atoll is glibc's atoll (strtoll base 10): leading C-locale blanks, an
// optional sign, then digits; it saturates on overflow and is 0 without
// digits.
func atoll(s string) int64 {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	const limit = uint64(1) << 63
	var v uint64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		switch {
		case v > limit/10:
			v = limit + 1
		default:
			v = v*10 + uint64(s[i]-'0')
		}
	}
	if neg {
		if v >= limit {
			return -1 << 63
		}
		return -int64(v)
	}
	if v >= limit {
		return 1<<63 - 1
	}
	return int64(v)
}

// isPlainInt reports whether s is what the writer's %lld produces.
func isPlainInt(s string) bool {
	v, err := strconv.ParseInt(s, 10, 64)
	return err == nil && strconv.FormatInt(v, 10) == s
}
