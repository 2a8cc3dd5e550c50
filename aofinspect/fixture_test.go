package aofinspect

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
)

func readFixture(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/aof/" + p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRealIncrCutEveryByte cuts a real incr file at every byte of its last
// command: always a truncated tail at the command's start, never a
// protocol error.
func TestRealIncrCutEveryByte(t *testing.T) {
	b := readFixture(t, "multi-dbs/appendonlydir/appendonly.aof.1.incr.aof")
	s := NewScanner(bytes.NewReader(b), Options{})
	var last int64
	for s.Next() {
		last = s.Command().Offset
	}
	for n := last + 1; n < int64(len(b)); n++ {
		rep := Scan(context.Background(), bytes.NewReader(b[:n]), n, Options{})
		if rep.Server.Verdict != LoadsTruncated || rep.OKUpTo != last || *rep.Server.TruncatesAt != last {
			t.Fatalf("cut at %d: %s ok_up_to %d", n, rep.Server.Verdict, rep.OKUpTo)
		}
		if !errors.Is(rep.Err, ErrTruncated) || errors.Is(rep.Err, ErrProtocol) {
			t.Fatalf("cut at %d: err %v", n, rep.Err)
		}
		notLast := Scan(context.Background(), bytes.NewReader(b[:n]), n, Options{NotLast: true})
		if notLast.Server.Verdict != Refuses || !notLast.Findings.HasError() {
			t.Fatalf("not last, cut at %d: %s", n, notLast.Server.Verdict)
		}
	}
}

// TestPreambleStreamingMatchesVerified: the checksum locator used without
// io.ReaderAt finds the same end as rdbinspect.
func TestPreambleStreamingMatchesVerified(t *testing.T) {
	b := readFixture(t, "legacy-preamble/appendonly.aof")
	a := Scan(context.Background(), bytes.NewReader(b), int64(len(b)), Options{})
	s := Scan(context.Background(), onlyReader{bytes.NewReader(b)}, -1, Options{})
	if a.RDB == nil || s.RDB == nil || a.RDB.End == 0 || a.RDB.End != s.RDB.End || !a.RDB.Verified || s.RDB.Verified {
		t.Fatalf("verified %+v streaming %+v", a.RDB, s.RDB)
	}
	if a.Commands != s.Commands || a.Commands == 0 || a.Format != FormatRDBPreamble || a.Server.Verdict != Loads {
		t.Fatalf("commands %d/%d format %s verdict %s", a.Commands, s.Commands, a.Format, a.Server.Verdict)
	}
	for _, n := range []int64{9, a.RDB.End / 2, a.RDB.End - 1} {
		for _, r := range []*Report{
			Scan(context.Background(), bytes.NewReader(b[:n]), n, Options{}),
			Scan(context.Background(), onlyReader{bytes.NewReader(b[:n])}, -1, Options{}),
		} {
			if r.Server.Verdict != Refuses || !r.Findings.Has("aof-rdb-preamble-corrupt") {
				t.Fatalf("cut at %d: %s %v", n, r.Server.Verdict, r.Findings)
			}
			if _, err := r.RepairCut(); !errors.Is(err, ErrNotRepairable) {
				t.Fatalf("cut at %d: repairable?", n)
			}
		}
	}
}

func TestCorruptionErrorText(t *testing.T) {
	rep := Scan(context.Background(), bytes.NewReader([]byte(setA+"junk\r\n")), 33, Options{Path: "x.aof"})
	var ce *CorruptionError
	if !errors.As(rep.Err, &ce) || ce.Offset != 27 || ce.Line != 8 || ce.Path != "x.aof" {
		t.Fatalf("%#v", rep.Err)
	}
	if got := ce.Error(); got != `x.aof: offset 27 (line 8): at 27 expected '*' or '#', found "junk\r\n": aofinspect: bytes are not RESP` {
		t.Fatalf("%q", got)
	}
}
