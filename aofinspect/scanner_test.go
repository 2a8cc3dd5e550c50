package aofinspect

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/aoftool/aoftool/finding"
)

const (
	setA  = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n" // 27 bytes
	multi = "*1\r\n$5\r\nMULTI\r\n"                     // 15 bytes
	exec  = "*1\r\n$4\r\nEXEC\r\n"                      // 14 bytes
)

// verdictCases are the server's observed outcomes (redis-server 7.0.15,
// aof-load-truncated yes, the file as the last incr); the agreement test in
// cmd/aoftool replays them against a real server.
var verdictCases = []struct {
	name     string
	in       string
	verdict  Verdict
	cut      int64 // server's in-place cut for LoadsTruncated
	okUpTo   int64
	sentinel error
}{
	{"clean", setA + setA, Loads, 0, 54, nil},
	{"empty", "", Loads, 0, 0, nil},
	{"torn-inside-multi", setA + multi + setA + setA + "*3\r\n$3\r\nSE", LoadsTruncated, 96, 27, ErrTruncated},
	{"open-multi", setA + multi + setA + setA, LoadsTruncated, 27, 27, nil},
	{"nested-multi-open", setA + multi + setA + multi + setA, LoadsTruncated, 69, 27, nil},
	{"stray-exec", setA + exec + setA, Loads, 0, 68, nil},
	{"closed-multi", setA + multi + setA + exec, Loads, 0, 83, nil},
	{"bare-star", setA + "*", LoadsTruncated, 27, 27, ErrTruncated},
	{"star-crlf", setA + "*\r\n", Refuses, 0, 27, ErrProtocol},
	{"star-zero", setA + "*0\r\n", Refuses, 0, 27, ErrProtocol},
	{"star-minus-one", setA + "*-1\r\n", Refuses, 0, 27, ErrProtocol},
	{"missing-crlf-middle", setA + "*3\r\n$3\r\nSETxx$1\r\nb\r\n$1\r\n1\r\n" + setA, Loads, 0, 81, nil},
	{"missing-crlf-end", setA + "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n1", LoadsTruncated, 27, 27, ErrTruncated},
	{"empty-line", setA + "\r\n" + setA, Refuses, 0, 27, ErrProtocol},
	{"garbage-middle", setA + "hello world\r\n" + setA, Refuses, 0, 27, ErrProtocol},
	{"long-annotation", setA + "#TS:" + strings.Repeat("0", 1100) + "5\r\n" + setA, Refuses, 0, 27, ErrProtocol},
	{"unknown-command", setA + "*3\r\n$3\r\nFOO\r\n$1\r\nb\r\n$1\r\n1\r\n", Refuses, 0, 54, nil},
	{"unknown-inside-open-multi", setA + multi + "*1\r\n$3\r\nFOO\r\n", Refuses, 0, 27, nil},
	{"module-command", setA + "*2\r\n$8\r\nJSON.DEL\r\n$1\r\nk\r\n", Loads, 0, 52, nil},
	{"lower-case", setA + "*3\r\n$3\r\nset\r\n$1\r\nb\r\n$1\r\n1\r\n", Loads, 0, 54, nil},
	{"argc-int-max", setA + "*2147483647\r\n", LoadsTruncated, 27, 27, ErrTruncated},
	{"argc-wraps", setA + "*-2147483649\r\n", LoadsTruncated, 27, 27, ErrTruncated},
	{"argc-99999999999", setA + "*99999999999\r\n", LoadsTruncated, 27, 27, ErrTruncated},
	{"argc-99999999999-middle", setA + "*99999999999\r\n" + setA, Refuses, 0, 27, ErrProtocol},
	{"bulk-99999999999", setA + "*2\r\n$99999999999\r\nab", LoadsTruncated, 27, 27, ErrTruncated},
	{"bulk-2p62", setA + "*2\r\n$4611686018427387904\r\nab", Refuses, 0, 27, ErrProtocol},
	{"bulk-negative", setA + "*2\r\n$-1\r\nab", Refuses, 0, 27, ErrProtocol},
	{"bulk-longer-than-file", setA + "*3\r\n$3\r\nSET\r\n$100\r\nabc", LoadsTruncated, 27, 27, ErrTruncated},
	{"timestamps", "#TS:1700000000\r\n" + setA + "#TS:1700000005\r\n" + setA, Loads, 0, 86, nil},
	{"annotation-at-eof-without-newline", setA + "#TS:17", Loads, 0, 27, nil},
	{"nul-after-star", setA + "*\x00\r\n", Refuses, 0, 27, ErrProtocol},
}

func TestScanVerdicts(t *testing.T) {
	for _, tc := range verdictCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, sized := range []bool{true, false} {
				size := int64(len(tc.in))
				if !sized {
					size = -1
				}
				rep := Scan(context.Background(), iotest.OneByteReader(strings.NewReader(tc.in)), size, Options{Path: "f.aof"})
				if rep.Server.Verdict != tc.verdict {
					t.Fatalf("sized=%v verdict %s, want %s; findings %v", sized, rep.Server.Verdict, tc.verdict, rep.Findings)
				}
				if tc.verdict == LoadsTruncated && (rep.Server.TruncatesAt == nil || *rep.Server.TruncatesAt != tc.cut) {
					t.Fatalf("truncates at %v, want %d", rep.Server.TruncatesAt, tc.cut)
				}
				if rep.OKUpTo != tc.okUpTo {
					t.Fatalf("ok_up_to %d, want %d", rep.OKUpTo, tc.okUpTo)
				}
				if tc.sentinel == nil && rep.Err != nil || tc.sentinel != nil && !errors.Is(rep.Err, tc.sentinel) {
					t.Fatalf("err %v, want %v", rep.Err, tc.sentinel)
				}
				var ce *CorruptionError
				if rep.Err != nil && !errors.As(rep.Err, &ce) {
					t.Fatalf("err %T is not a *CorruptionError", rep.Err)
				}
				if rep.Server.Verdict != Loads && !rep.Findings.HasError() {
					t.Fatalf("verdict %s without an error finding", rep.Server.Verdict)
				}
			}
		})
	}
}

func TestScannerRecords(t *testing.T) {
	in := "#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n" + setA + multi + exec
	s := NewScanner(strings.NewReader(in), Options{})
	var names []string
	var last int64
	for s.Next() {
		c := s.Command()
		if c.Offset != last || c.End <= c.Offset {
			t.Fatalf("record %+v after offset %d", c, last)
		}
		last = c.End
		if c.IsAnnotation() {
			if !c.TSValid || c.Timestamp != 1700000000 {
				t.Fatalf("annotation %+v", c)
			}
			names = append(names, "#")
			continue
		}
		if string(c.Name) == "SELECT" && c.DB != 3 {
			t.Fatalf("select db %d", c.DB)
		}
		names = append(names, string(c.Name))
	}
	if s.Err() != nil || strings.Join(names, " ") != "# SELECT SET MULTI EXEC" || s.Offset() != int64(len(in)) || s.OKUpTo() != int64(len(in)) {
		t.Fatalf("names %v err %v offset %d okupto %d", names, s.Err(), s.Offset(), s.OKUpTo())
	}
}

func TestCutEveryByteOfLastCommand(t *testing.T) {
	full := setA + setA + "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"
	for n := 54; n < len(full); n++ {
		rep := Scan(context.Background(), bytes.NewReader([]byte(full[:n])), int64(n), Options{})
		want := LoadsTruncated
		if n == 54 {
			want = Loads
		}
		if rep.Server.Verdict != want || rep.OKUpTo != 54 {
			t.Fatalf("cut at %d: verdict %s ok_up_to %d", n, rep.Server.Verdict, rep.OKUpTo)
		}
	}
}

func TestResyncPastDamage(t *testing.T) {
	in := setA + "garbage\r\n" + setA + "*0\r\n" + multi + setA + "$5\r\nhello\r\n" + setA
	s := NewScanner(strings.NewReader(in), Options{})
	n := 0
	for s.Next() {
		n++
	}
	if n != 1 || !errors.Is(s.Err(), ErrProtocol) || s.OKUpTo() != 27 {
		t.Fatalf("n %d err %v ok %d", n, s.Err(), s.OKUpTo())
	}
	var after []string
	resyncs := 0
	for s.Resync() {
		resyncs++
		for s.Next() {
			after = append(after, string(s.Command().Name))
		}
	}
	if strings.Join(after, " ") != "SET MULTI SET SET" || s.OKUpTo() != 27 {
		t.Fatalf("after damage %v (resyncs %d), ok_up_to %d", after, resyncs, s.OKUpTo())
	}
}

// TestLiveResume scans a growing file: a partial command is pending, and a
// scanner resumed at that offset once the file has grown reads it whole.
func TestLiveResume(t *testing.T) {
	full := setA + multi + setA + exec + setA
	for cut := 1; cut < len(full); cut++ {
		part := full[:cut]
		s := NewScanner(strings.NewReader(part), Options{Live: true, Size: int64(len(part))})
		n := 0
		for s.Next() {
			if s.Command().Kind == KindCommand {
				n++
			}
		}
		if s.Err() != nil {
			t.Fatalf("cut %d: live scan error %v", cut, s.Err())
		}
		resume := s.Offset()
		if p, ok := s.Pending(); ok {
			resume = p
		}
		rest := NewScanner(strings.NewReader(full[resume:]), Options{Live: true, BaseOffset: resume, Size: int64(len(full))})
		for rest.Next() {
			if rest.Command().Offset < resume {
				t.Fatalf("cut %d: resumed record at %d before %d", cut, rest.Command().Offset, resume)
			}
			if rest.Command().Kind == KindCommand {
				n++
			}
		}
		if rest.Err() != nil || n != 5 || rest.Offset() != int64(len(full)) {
			t.Fatalf("cut %d: %d commands, err %v, offset %d", cut, n, rest.Err(), rest.Offset())
		}
		rep := Scan(context.Background(), strings.NewReader(part), int64(len(part)), Options{Live: true})
		if rep.Findings.HasError() {
			t.Fatalf("cut %d: live report has errors %v", cut, rep.Findings)
		}
	}
}

// SELECT 20 with the default 16 databases: observed on 7.0.15, the server
// loads and puts the following SET into db 0.
func TestSelectOutOfRange(t *testing.T) {
	in := setA + "*2\r\n$6\r\nSELECT\r\n$2\r\n20\r\n" + setA
	rep := Scan(context.Background(), strings.NewReader(in), int64(len(in)), Options{})
	if rep.Server.Verdict != Loads || !rep.Findings.Has("aof-select-out-of-range") || len(rep.SelectedDBs) != 1 || rep.SelectedDBs[0] != 20 {
		t.Fatalf("%s %v %v", rep.Server.Verdict, rep.SelectedDBs, rep.Findings)
	}
}

// Header lines Redis never writes load the same and are reported once per
// file, at the first one.
func TestOddHeaders(t *testing.T) {
	for _, tc := range []struct {
		in    string
		count int64
		first int64
	}{
		{"*1\r\n$4\r\nPING\r\n", 0, -1},
		{"*1\f\n$4\r\nPING\r\n", 1, 0},
		{"*1abc\r\n$4\r\nPING\r\n", 1, 0},
		{"*1\r\n$04\r\nPING\r\n", 1, 4},
		{"*1\n$4\r\nPING\r\n", 1, 0},
		{"*1\r\n$4\r\nPING\r\n*01\r\n$4\r\nPING\r\n*1\r\n$4 \r\nPING\r\n", 2, 14},
	} {
		rep := Scan(context.Background(), strings.NewReader(tc.in), int64(len(tc.in)), Options{Path: "x"})
		got := rep.Findings.Has(finding.AOFOddHeader)
		if got != (tc.count > 0) || rep.oddHeader.count != tc.count || tc.count > 0 && rep.oddHeader.offset != tc.first {
			t.Errorf("%q: finding %v, count %d at %d; want %d at %d", tc.in, got, rep.oddHeader.count, rep.oddHeader.offset, tc.count, tc.first)
		}
		if rep.Server.Verdict != Loads || rep.Commands != int64(strings.Count(tc.in, "PING")) {
			t.Errorf("%q: %s, %d commands", tc.in, rep.Server.Verdict, rep.Commands)
		}
	}
}

func TestIndexNL(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for range 20000 {
		b := make([]byte, r.Intn(80))
		for i := range b {
			b[i] = "\n\r\x0a\x8a\x0b\x09a\xff\x00"[r.Intn(9)]
		}
		if got, want := indexNL(b), bytes.IndexByte(b, '\n'); got != want {
			t.Fatalf("indexNL(%q) = %d, want %d", b, got, want)
		}
	}
}
