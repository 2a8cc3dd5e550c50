package serverlog

import (
	"bytes"
	"fmt"
	"strings"
)

// A template is one wording of a log message as the server's format string
// has it, with the conversions replaced by named fields: "Background saving
// started by pid {pid}". Matching walks the message once, left to right,
// with no regular expression and no allocation (string fields are interned).
//
// Fields:
//
//	{pid}      child process id          -> Event.ChildPID
//	{signal}   signal number             -> Event.Signal
//	{bytes}    byte count                -> Event.Bytes
//	{offset}   replication or file offset -> Event.Offset
//	{keys}     keys loaded               -> Event.Keys
//	{expired}  keys expired              -> Event.Expired
//	{n}        another count             -> Event.N
//	{secs}     seconds, maybe fractional -> Event.Seconds
//	{mb}       megabytes, maybe fractional -> Event.MB
//	{version}  a version string          -> Event.Version
//	{replid}   a replication id          -> Event.ReplID
//	{file}     a file name               -> Event.File
//	{file2}    a second file name        -> Event.Target
//	{addr}     host:port or a client     -> Event.Addr
//	{reason}   the rest of a cause       -> Event.Reason
//	{*}        anything, not kept
//
// Alternations stand for words Redis and Valkey spell differently:
// {M} is MASTER or PRIMARY, {m} master or primary, {Mm} Master or Primary,
// {server} Redis or Valkey.
type template struct {
	src  string
	segs []segment
}

type fieldID uint8

const (
	fLiteral fieldID = iota
	fPID
	fSignal
	fBytes
	fOffset
	fKeys
	fExpired
	fN
	fSecs
	fMB
	fVersion
	fReplID
	fFile
	fFile2
	fAddr
	fReason
	fAny
	fAlt
)

var fieldNames = map[string]fieldID{
	"pid": fPID, "signal": fSignal, "bytes": fBytes, "offset": fOffset, "keys": fKeys,
	"expired": fExpired, "n": fN, "secs": fSecs, "mb": fMB, "version": fVersion,
	"replid": fReplID, "file": fFile, "file2": fFile2, "addr": fAddr, "reason": fReason, "*": fAny,
}

var alternations = map[string][]string{
	"M":      {"MASTER", "PRIMARY"},
	"m":      {"master", "primary"},
	"Mm":     {"Master", "Primary"},
	"server": {"Redis", "Valkey"},
}

type segment struct {
	field fieldID
	lit   string   // fLiteral
	litb  []byte   // lit, for bytes.Index
	alts  []string // fAlt
	name  string   // fAlt: the alternation's name
}

func (f fieldID) numeric() bool {
	switch f {
	case fPID, fSignal, fBytes, fOffset, fKeys, fExpired, fN:
		return true
	}
	return false
}

func (f fieldID) decimal() bool { return f == fSecs || f == fMB }

func compileTemplate(src string) (template, error) {
	t := template{src: src}
	rest := src
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			t.segs = append(t.segs, segment{lit: rest, litb: []byte(rest)})
			break
		}
		if i > 0 {
			t.segs = append(t.segs, segment{lit: rest[:i], litb: []byte(rest[:i])})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return t, fmt.Errorf("template %q: unclosed {", src)
		}
		name := rest[i+1 : i+j]
		rest = rest[i+j+1:]
		if alts, ok := alternations[name]; ok {
			t.segs = append(t.segs, segment{field: fAlt, alts: alts, name: name})
			continue
		}
		id, ok := fieldNames[name]
		if !ok {
			return t, fmt.Errorf("template %q: unknown field {%s}", src, name)
		}
		if n := len(t.segs); n > 0 && t.segs[n-1].field != fLiteral && t.segs[n-1].field != fAlt && !t.segs[n-1].field.numeric() && !t.segs[n-1].field.decimal() {
			return t, fmt.Errorf("template %q: two fields without a literal between them", src)
		}
		t.segs = append(t.segs, segment{field: id})
	}
	if len(t.segs) == 0 {
		return t, fmt.Errorf("empty template")
	}
	return t, nil
}

// firstWords are the words a message matching t can start with, for the
// dispatch map; nil when it starts with a field.
func (t template) firstWords() []string {
	s := t.segs[0]
	switch s.field {
	case fLiteral:
		w, _, _ := strings.Cut(s.lit, " ")
		return []string{w}
	case fAlt:
		if len(t.segs) > 1 && t.segs[1].field == fLiteral && !strings.HasPrefix(t.segs[1].lit, " ") {
			var out []string
			for _, a := range s.alts {
				w, _, _ := strings.Cut(a+t.segs[1].lit, " ")
				out = append(out, w)
			}
			return out
		}
		return append([]string(nil), s.alts...)
	}
	return nil
}

// minCutPrefix is how much of a message's first words must survive a cut
// for the line to be read as that message.
const minCutPrefix = 20

type matchResult uint8

const (
	noMatch matchResult = iota
	fullMatch
	// partialMatch: the message ended inside the template after its whole
	// first literal matched: a line cut by a terminal or a chat.
	partialMatch
)

// match fills ev's fields from msg. On a partial match only the fields
// completed before the cut are set. in.wrote is set when a field was
// written (so the caller clears ev only then).
func (t *template) match(msg []byte, ev *Event, in *interner) matchResult {
	rest := msg
	anchored := false
	for i := range t.segs {
		s := &t.segs[i]
		switch s.field {
		case fLiteral:
			if len(rest) < len(s.lit) {
				if s.lit[:len(rest)] != string(rest) {
					return noMatch
				}
				// The message stops inside this literal: a cut line. Accept it
				// once the first literal matched, or when the cut falls in the
				// first literal but enough of it is there to name the message.
				if anchored || (i == 0 && len(rest) >= minCutPrefix) || (i == 1 && t.segs[0].field == fAlt && len(msg) >= minCutPrefix) {
					return partialMatch
				}
				return noMatch
			}
			if string(rest[:len(s.lit)]) != s.lit {
				return noMatch
			}
			rest = rest[len(s.lit):]
			if i == 0 || (i == 1 && t.segs[0].field == fAlt) {
				anchored = true
			}
		case fAlt:
			found := false
			for _, a := range s.alts {
				if len(rest) >= len(a) && string(rest[:len(a)]) == a {
					rest = rest[len(a):]
					found = true
					switch {
					case s.name == "server":
						ev.Product, in.wrote = a, true
					case a == s.alts[1]:
						ev.Product, in.wrote = "Valkey", true // PRIMARY wording: Valkey 8+
					}
					break
				}
			}
			if !found {
				if anchored && len(rest) < 8 {
					for _, a := range s.alts {
						if len(rest) <= len(a) && a[:len(rest)] == string(rest) {
							return partialMatch
						}
					}
				}
				return noMatch
			}
		default:
			var next []byte
			last := i == len(t.segs)-1
			if !last && t.segs[i+1].field == fLiteral {
				next = t.segs[i+1].litb
			}
			var val []byte
			switch {
			case s.field.numeric():
				n := 0
				if n < len(rest) && rest[n] == '-' {
					n++
				}
				for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
					n++
				}
				if n == 0 || (n == 1 && rest[0] == '-') {
					if anchored && len(rest) == 0 {
						return partialMatch
					}
					return noMatch
				}
				if n == len(rest) && !last && anchored {
					return partialMatch // digits may be cut
				}
				val, rest = rest[:n], rest[n:]
			case s.field.decimal():
				n := 0
				for n < len(rest) && (rest[n] >= '0' && rest[n] <= '9' || rest[n] == '.' || rest[n] == '-') {
					n++
				}
				if n == 0 {
					if anchored && len(rest) == 0 {
						return partialMatch
					}
					return noMatch
				}
				if n == len(rest) && !last && anchored {
					return partialMatch
				}
				val, rest = rest[:n], rest[n:]
			default:
				if last || len(next) == 0 {
					val, rest = rest, rest[len(rest):]
				} else {
					k := bytes.Index(rest, next)
					if k < 0 {
						if anchored {
							return partialMatch
						}
						return noMatch
					}
					val, rest = rest[:k], rest[k:]
				}
			}
			setField(ev, s.field, val, in)
			in.wrote = true
		}
	}
	if len(rest) != 0 {
		return noMatch
	}
	return fullMatch
}

func setField(ev *Event, f fieldID, val []byte, in *interner) {
	switch f {
	case fPID:
		ev.ChildPID = int(parseInt(val))
	case fSignal:
		ev.Signal = int(parseInt(val))
	case fBytes:
		ev.Bytes = parseInt(val)
	case fOffset:
		ev.Offset = parseInt(val)
	case fKeys:
		ev.Keys = parseInt(val)
	case fExpired:
		ev.Expired = parseInt(val)
	case fN:
		ev.N = parseInt(val)
	case fSecs:
		ev.Seconds = parseDecimal(val)
	case fMB:
		ev.MB = parseDecimal(val)
	case fVersion:
		ev.Version = in.intern(val)
	case fReplID:
		ev.ReplID = in.intern(val)
	case fFile:
		ev.File = in.intern(val)
	case fFile2:
		ev.Target = in.intern(val)
	case fAddr:
		ev.Addr = in.intern(val)
	case fReason:
		ev.Reason = in.intern(val)
	}
}

// parseInt reads a decimal integer; it saturates instead of overflowing,
// since a hostile log can hold any number of digits.
func parseInt(b []byte) int64 {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		if n > (1<<63-1-9)/10 {
			n = 1<<63 - 1
			break
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// parseDecimal reads "123.456" as the server printed it with %.2f or %.3f:
// mantissa over a power of ten, which rounds as strconv would for such
// short numbers.
func parseDecimal(b []byte) float64 {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	var mant int64
	frac, inFrac := 0, false
	for _, c := range b {
		switch {
		case c == '.' && !inFrac:
			inFrac = true
		case c >= '0' && c <= '9':
			if mant > (1<<53)/10 || frac >= 18 {
				continue // beyond float precision
			}
			mant = mant*10 + int64(c-'0')
			if inFrac {
				frac++
			}
		default:
			goto done
		}
	}
done:
	v := float64(mant) / pow10[frac]
	if neg {
		return -v
	}
	return v
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// interner turns the bytes of a field into a string, allocating only for a
// value not seen before: logs repeat the same file names, versions and
// replication ids, so a long log costs allocations per distinct value, not
// per line. The table is bounded; past the bound values are copied.
type interner struct {
	m   map[string]string
	max int
	// wrote: a template match wrote a field into its scratch event.
	wrote bool
}

const maxInternBytes = 256

func newInterner(max int) *interner { return &interner{m: make(map[string]string), max: max} }

func (in *interner) intern(b []byte) string {
	if len(b) > maxInternBytes {
		b = b[:maxInternBytes]
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < in.max {
		in.m[s] = s
	}
	return s
}
