package aofinspect

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzScan asserts what must hold for any input: no panic, records move
// forward, OKUpTo never exceeds the input, every error is typed, and the
// sized and unsized scans agree, and so do the sequential and parallel
// scans.
func FuzzScan(f *testing.F) {
	for _, tc := range verdictCases {
		f.Add([]byte(tc.in))
	}
	fixtures, _ := filepath.Glob("../testdata/aof/*/appendonlydir/*.aof")
	legacy, _ := filepath.Glob("../testdata/aof/*/appendonly.aof")
	for _, p := range append(fixtures, legacy...) {
		if b, err := os.ReadFile(p); err == nil && len(b) < 8192 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<20 {
			return
		}
		s := NewScanner(bytes.NewReader(in), Options{Size: int64(len(in))})
		var last int64
		check := func() {
			c := s.Command()
			if c.Offset < last || c.End <= c.Offset || c.End > int64(len(in)) {
				t.Fatalf("record [%d,%d) after %d, input %d bytes", c.Offset, c.End, last, len(in))
			}
			if s.Offset() < c.End {
				t.Fatalf("offset %d behind record end %d", s.Offset(), c.End)
			}
			last = c.End
		}
		for s.Next() {
			check()
		}
		ok := s.OKUpTo()
		var firstErr = s.Err()
		for i := 0; s.Resync() && i < 1000; i++ {
			for s.Next() {
				check()
			}
		}
		if s.OKUpTo() != ok {
			t.Fatalf("ok_up_to moved from %d to %d while reading past damage (%v)", ok, s.OKUpTo(), firstErr)
		}
		if s.OKUpTo() > int64(len(in)) || s.OKUpTo() < 0 || s.Offset() > int64(len(in)) {
			t.Fatalf("ok_up_to %d offset %d for %d bytes", s.OKUpTo(), s.Offset(), len(in))
		}
		if err := s.Err(); err != nil {
			var ce *CorruptionError
			if !errorsAs(err, &ce) {
				t.Fatalf("untyped error %v", err)
			}
		}
		a := Scan(context.Background(), bytes.NewReader(in), int64(len(in)), Options{})
		b := Scan(context.Background(), onlyReader{bytes.NewReader(in)}, -1, Options{})
		if a.OKUpTo > int64(len(in)) || a.Server.Verdict != b.Server.Verdict || a.Commands != b.Commands && a.RDB == nil {
			t.Fatalf("sized %s/%d/%d vs unsized %s/%d/%d", a.Server.Verdict, a.OKUpTo, a.Commands, b.Server.Verdict, b.OKUpTo, b.Commands)
		}
		if cut, err := a.RepairCut(); err == nil && (cut.Keep < 0 || cut.Keep > int64(len(in))) {
			t.Fatalf("repair keeps %d of %d", cut.Keep, len(in))
		}
		assertArgsSameRecords(t, in, ArgLimits{MaxArgs: 3, MaxArgBytes: 5})
		// Scanned in chunks, the report is the sequential one.
		chunk := max(int64(1+len(in)%61), int64(len(in))/256)
		assertParallelSame(t, "fuzzed input", in, chunk, Options{})
	})
}

// onlyReader hides io.ReaderAt so Scan takes the streaming path.
type onlyReader struct{ r *bytes.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }
