package replay

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/aoftool/aoftool/aofinspect"
)

// Command is one command of an AOF file in load order, as the scanner kept
// it (aofinspect.Options.Args).
type Command struct {
	// Args are the arguments kept, the name first; an argument whose Len is
	// larger than its Data was cut.
	Args []aofinspect.Arg
	// Argc is the argument count in the file; more than len(Args) when
	// the scanner kept fewer.
	Argc int64
	// File is the file's position in load order (0 for the base); Offset
	// is the command's first byte. Both only name the command in results.
	File   int
	Offset int64
}

// FromAOF wraps a command the scanner just read; it shares the scanner's
// buffers, so it is valid until the scanner's next Next.
func FromAOF(file int, c *aofinspect.Command) Command {
	return Command{Args: c.Args, Argc: c.Argc, File: file, Offset: c.Offset}
}

// Cmd builds a command from whole arguments, for callers and tests that
// write commands by hand.
func Cmd(args ...string) Command {
	a := make([]aofinspect.Arg, len(args))
	for i, s := range args {
		a[i] = aofinspect.Arg{Data: []byte(s), Len: uint64(len(s))}
	}
	return Command{Args: a, Argc: int64(len(args))}
}

type argT = aofinspect.Arg

// argv is the view handlers have of a command.
type argv struct {
	c    *Command
	name string // upper-cased; "CONTAINER|SUB" for subcommands
	info *cmdInfo
}

func (a *argv) n() int         { return len(a.c.Args) }
func (a *argv) complete() bool { return int64(len(a.c.Args)) == a.c.Argc }
func (a *argv) hidden() int64  { return a.c.Argc - int64(len(a.c.Args)) }
func (a *argv) b(i int) []byte { return a.c.Args[i].Data }
func (a *argv) cut(i int) bool { return a.c.Args[i].Cut() }
func (a *argv) has(i int) bool { return i < len(a.c.Args) }
func (a *argv) is(i int, w string) bool {
	return i < len(a.c.Args) && !a.cut(i) && strings.EqualFold(string(a.b(i)), w)
}

// int parses argument i as Redis's string2ll does (strict decimal).
func (a *argv) int(i int) (int64, bool) {
	if i >= len(a.c.Args) || a.cut(i) {
		return 0, false
	}
	return string2ll(a.b(i))
}

// float parses argument i as getDoubleFromObject does (strtod, no blanks,
// no NaN).
func (a *argv) float(i int) (float64, bool) {
	if i >= len(a.c.Args) || a.cut(i) {
		return 0, false
	}
	return parseScore(a.b(i))
}

func string2ll(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) > 1 && b[0] == '0' || len(b) > 2 && b[0] == '-' && b[1] == '0' {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || b[0] == '+' {
		return 0, false
	}
	return v, true
}

func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r' || b[0] == '\v' || b[0] == '\f' || bytes.IndexByte(b, '_') >= 0 {
		return 0, false
	}
	// strtod's ERANGE is an error too.
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// cmdInfo is one entry of the 7.0.15 command table.
type cmdInfo struct {
	name       string
	arity      int
	write      bool
	incomplete bool
	specs      []keySpec
}

// keySpec is a key_specs entry: where the keys begin and how to find them
// (src/db.c getKeysUsingKeySpecs).
type keySpec struct {
	bsIndex   int
	bsKeyword string
	bsStart   int
	lastKey   int
	step      int
	limit     int
	keynum    bool
	keynumIdx int
	firstKey  int
}

// containers are the commands whose table entry is per subcommand.
var containers = map[string]bool{"ACL": true, "CLIENT": true, "CLUSTER": true, "COMMAND": true, "CONFIG": true,
	"FUNCTION": true, "LATENCY": true, "MEMORY": true, "MODULE": true, "OBJECT": true, "PUBSUB": true,
	"SCRIPT": true, "SLOWLOG": true, "XGROUP": true, "XINFO": true}

// lookup finds the command as lookupCommand does: the name, and for a
// container its subcommand. Known names are not allocated.
// nameCache remembers the last command names looked up as written, so a
// file of the same few commands skips upper-casing and the table's map.
type nameCache struct {
	raw  [4][]byte
	a    [4]argv
	next int
}

// lookup is lookup with the model's cache; containers (whose name depends
// on the subcommand) are not cached.
func (m *Model) lookup(c *Command) argv {
	if len(c.Args) == 0 || c.Args[0].Cut() {
		return lookup(c)
	}
	raw := c.Args[0].Data
	nc := &m.names
	for i := range nc.raw {
		if nc.raw[i] != nil && string(nc.raw[i]) == string(raw) {
			a := nc.a[i]
			a.c = c
			return a
		}
	}
	a := lookup(c)
	if !strings.Contains(a.name, "|") && a.info != nil && len(raw) <= 32 {
		i := nc.next
		nc.raw[i] = append(nc.raw[i][:0], raw...)
		nc.a[i] = a
		nc.a[i].c = nil
		nc.next = (i + 1) % len(nc.raw)
	}
	return a
}

func lookup(c *Command) argv {
	a := argv{c: c}
	if len(c.Args) == 0 || c.Args[0].Cut() {
		return a
	}
	var buf [80]byte
	name := appendUpper(buf[:0], c.Args[0].Data)
	if containers[string(name)] {
		name = append(name, '|')
		if len(c.Args) < 2 || c.Args[1].Cut() {
			a.name = string(name)
			return a
		}
		name = appendUpper(name, c.Args[1].Data)
	}
	if a.info = commandTable[string(name)]; a.info != nil {
		a.name = a.info.name
	} else {
		a.name = string(name)
	}
	return a
}

func appendUpper(dst, b []byte) []byte {
	for _, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 32
		}
		dst = append(dst, c)
	}
	return dst
}

func init() {
	for name, info := range commandTable {
		info.name = name
	}
}

// keyPositions returns the argument positions of the keys the command
// names, by its key specs, plus SORT's STORE key; positions at or past the
// kept arguments are left out.
func (a *argv) keyPositions(dst []int) []int {
	dst = dst[:0]
	argc := int(a.c.Argc)
	if a.info == nil {
		// A module command: by convention its key comes first.
		if argc > 1 {
			dst = append(dst, 1)
		}
		return dst
	}
	for _, s := range a.info.specs {
		first := 0
		if s.bsIndex > 0 {
			first = s.bsIndex
		} else {
			start, end := s.bsStart, argc-1
			if s.bsStart <= 0 {
				start, end = argc+s.bsStart, 1
			}
			for i := start; i != end; {
				if i >= argc || i < 1 {
					break
				}
				if a.is(i, s.bsKeyword) {
					first = i + 1
					break
				}
				if start <= end {
					i++
				} else {
					i--
				}
			}
			if first == 0 {
				continue
			}
		}
		var last, step int
		if !s.keynum {
			step = s.step
			switch {
			case s.lastKey >= 0:
				last = first + s.lastKey
			case s.limit == 0:
				last = argc + s.lastKey
			default:
				last = first + ((argc-first)/s.limit + s.lastKey)
			}
		} else {
			step = s.step
			n, ok := a.int(first + s.keynumIdx)
			if !ok || n < 0 || n > int64(argc) {
				continue
			}
			first += s.firstKey
			last = first + int(n) - 1
		}
		if last >= argc || last < first || first >= argc || step < 1 {
			continue
		}
		for i := first; i <= last; i += step {
			if i < len(a.c.Args) {
				dst = append(dst, i)
			}
		}
	}
	if a.name == "SORT" {
		if i := sortStoreIndex(a); i > 0 && i < len(a.c.Args) {
			dst = append(dst, i)
		}
	}
	return dst
}

// sortStoreIndex is the position of SORT's STORE key, parsed as sortCommand
// parses its options, or 0.
func sortStoreIndex(a *argv) int {
	store := 0
	for j := 2; j < a.n(); j++ {
		left := int(a.c.Argc) - j - 1
		switch {
		case a.is(j, "ASC"), a.is(j, "DESC"), a.is(j, "ALPHA"):
		case a.is(j, "LIMIT") && left >= 2:
			j += 2
		case a.is(j, "STORE") && left >= 1:
			store = j + 1
			j++
		case (a.is(j, "BY") || a.is(j, "GET")) && left >= 1:
			j++
		default:
			return 0
		}
	}
	return store
}
