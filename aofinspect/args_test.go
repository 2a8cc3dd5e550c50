package aofinspect

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func resp(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// keptArgs renders the arguments a scanner kept: cut ones as data…(len).
func keptArgs(c *Command) string {
	var parts []string
	for _, a := range c.Args {
		if a.Cut() {
			parts = append(parts, fmt.Sprintf("%s…(%d)", a.Data, a.Len))
		} else {
			parts = append(parts, string(a.Data))
		}
	}
	return strings.Join(parts, " ")
}

func TestArgs(t *testing.T) {
	long := strings.Repeat("x", 40)
	cases := []struct {
		name string
		in   string
		lim  ArgLimits
		want []string // kept arguments per command
	}{
		{"whole", resp("set", "k", "v") + resp("PEXPIREAT", "k", "1700000000000"), ArgLimits{MaxArgs: 8, MaxArgBytes: 16},
			[]string{"set k v", "PEXPIREAT k 1700000000000"}},
		{"cut-long-value", resp("SET", "key", long, "PXAT", "5"), ArgLimits{MaxArgs: 8, MaxArgBytes: 8},
			[]string{"SET key xxxxxxxx…(40) PXAT 5"}},
		{"fewer-args", resp("SADD", "s", "a", "b", "c", "d"), ArgLimits{MaxArgs: 3, MaxArgBytes: 8},
			[]string{"SADD s a"}},
		{"empty-arg", resp("SET", "", ""), ArgLimits{MaxArgs: 8, MaxArgBytes: 8},
			[]string{"SET  "}},
		{"newlines-in-args", resp("SET", "a\r\nb", "\n\n") + resp("DEL", "a\r\nb"), ArgLimits{MaxArgs: 8, MaxArgBytes: 2},
			[]string{"SE…(3) a\r…(4) \n\n", "DE…(3) a\r…(4)"}},
		{"annotation-has-none", "#TS:1\r\n" + resp("DEL", "k"), ArgLimits{MaxArgs: 8, MaxArgBytes: 8},
			[]string{"", "DEL k"}},
		{"default-bytes", resp("DEL", long), ArgLimits{MaxArgs: 2},
			[]string{"DEL " + long}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []func(string) io.Reader{
				func(s string) io.Reader { return strings.NewReader(s) },
				func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
			} {
				s := NewScanner(r(tc.in), Options{Size: int64(len(tc.in)), Args: tc.lim})
				var got []string
				for s.Next() {
					got = append(got, keptArgs(s.Command()))
				}
				if s.Err() != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") {
					t.Fatalf("got %q (err %v), want %q", got, s.Err(), tc.want)
				}
			}
		})
	}
}

// TestArgsArena: arguments past the shared buffer keep no bytes and say so.
func TestArgsArena(t *testing.T) {
	in := resp("MSET", "aaaa", "bbbb", "cccc", "dddd")
	s := NewScanner(strings.NewReader(in), Options{Args: ArgLimits{MaxArgs: 1 << 16, MaxArgBytes: 1 << 20}})
	if cap(s.argBytes) != maxArgArena {
		t.Fatalf("arena %d bytes", cap(s.argBytes))
	}
	s.argBytes = make([]byte, 0, 10) // as if the arena were nearly spent
	if !s.Next() {
		t.Fatal(s.Err())
	}
	if got := keptArgs(s.Command()); got != "MSET aaaa bb…(4) …(4) …(4)" {
		t.Fatalf("kept %q", got)
	}
}

// TestArgsSameRecords: keeping arguments changes nothing else the scanner
// reports, over the verdict cases and a large generated file.
func TestArgsSameRecords(t *testing.T) {
	inputs := []string{string(benchAOF(1 << 20))}
	for _, tc := range verdictCases {
		inputs = append(inputs, tc.in)
	}
	for _, in := range inputs {
		assertArgsSameRecords(t, []byte(in), ArgLimits{MaxArgs: 3, MaxArgBytes: 5})
	}
}

func assertArgsSameRecords(t *testing.T, in []byte, lim ArgLimits) {
	t.Helper()
	plain := NewScanner(bytes.NewReader(in), Options{Size: int64(len(in))})
	kept := NewScanner(bytes.NewReader(in), Options{Size: int64(len(in)), Args: lim})
	for {
		a, b := plain.Next(), kept.Next()
		if a != b {
			t.Fatalf("Next %v without arguments, %v with", a, b)
		}
		if !a {
			break
		}
		pc, kc := *plain.Command(), *kept.Command()
		if pc.Offset != kc.Offset || pc.End != kc.End || pc.Line != kc.Line || string(pc.Name) != string(kc.Name) || pc.DB != kc.DB || pc.BadCRLF != kc.BadCRLF {
			t.Fatalf("record %+v without arguments, %+v with", pc, kc)
		}
		if kc.Kind != KindCommand {
			continue
		}
		if want := min(kc.Argc, int64(lim.MaxArgs)); int64(len(kc.Args)) != want {
			t.Fatalf("kept %d arguments of %d at %d", len(kc.Args), kc.Argc, kc.Offset)
		}
		// Each kept argument is the start of the bulk that follows its
		// header in the file.
		// A header line ends at its newline or after lineMax bytes, as
		// fgets reads it.
		lineLen := func(at int64) int64 {
			if i := bytes.IndexByte(in[at:], '\n'); i >= 0 && i < lineMax {
				return int64(i) + 1
			}
			return lineMax
		}
		at := kc.Offset
		at += lineLen(at)
		for _, a := range kc.Args {
			at += lineLen(at)
			if !bytes.Equal(in[at:at+int64(len(a.Data))], a.Data) || uint64(len(a.Data)) > a.Len || len(a.Data) > lim.MaxArgBytes {
				t.Fatalf("argument %q (len %d) is not the file's bytes at %d", a.Data, a.Len, at)
			}
			at += int64(a.Len) + 2
		}
	}
	if fmt.Sprint(plain.Err()) != fmt.Sprint(kept.Err()) || plain.OKUpTo() != kept.OKUpTo() || plain.Offset() != kept.Offset() {
		t.Fatalf("end: %v/%d/%d without arguments, %v/%d/%d with", plain.Err(), plain.OKUpTo(), plain.Offset(), kept.Err(), kept.OKUpTo(), kept.Offset())
	}
}
