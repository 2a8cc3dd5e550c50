package manifest

import (
	"reflect"
	"strings"
	"testing"
)

// splitArgsRef is sdssplitargs transcribed without the fast path for
// unquoted tokens, as a reference for splitArgs.
func splitArgsRef(line string) ([]string, bool) {
	n := len(line)
	at := func(i int) byte {
		if i < n {
			return line[i]
		}
		return 0
	}
	p := 0
	argv := []string{}
	for {
		for p < n && isSpace(line[p]) {
			p++
		}
		if p >= n {
			return argv, true
		}
		inq, insq, done := false, false, false
		var cur []byte
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
					e := map[byte]byte{'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'a': '\a'}[line[p]]
					if e == 0 {
						e = line[p]
					}
					cur = append(cur, e)
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

func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{`file a seq 1 type b`, `a"b c"`, `"x\x41\n" 'y\'z'`, "a\vb\fc", `"unterminated`, `'a'b`, `ab"c"d`, "a  b\t\tc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.ReplaceAll(s, "\x00", "") // the loader never passes a NUL
		got, ok := SplitArgs(s)
		want, wok := splitArgsRef(s)
		if ok != wok || (ok && !reflect.DeepEqual(got, want)) {
			t.Fatalf("SplitArgs(%q) = %q %v, reference %q %v", s, got, ok, want, wok)
		}
	})
}
