package aofinspect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// assertParallelSame scans in with chunks of the given size and
// sequentially, and fails unless both reports are identical.
func assertParallelSame(t testing.TB, name string, in []byte, chunk int64, opt Options) {
	t.Helper()
	seq := scanPlanned(context.Background(), bytes.NewReader(in), int64(len(in)), opt, parallelPlan{})
	par := scanPlanned(context.Background(), bytes.NewReader(in), int64(len(in)), opt, parallelPlan{chunk: chunk, workers: 2})
	if reflect.DeepEqual(seq, par) {
		return
	}
	sj, _ := json.MarshalIndent(seq, "", " ")
	pj, _ := json.MarshalIndent(par, "", " ")
	t.Fatalf("%s, %d bytes, chunks of %d: parallel differs\nsequential %s\nerr %v marks %v\nparallel %s\nerr %v marks %v",
		name, len(in), chunk, sj, seq.Err, seq.tsMarks, pj, par.Err, par.tsMarks)
}

var parallelChunks = []int64{1, 2, 3, 5, 7, 13, 16, 31, 64, 100, 257, 1000, 4096}

func TestParallelMatchesSequentialFixtures(t *testing.T) {
	var files []string
	for _, root := range []string{"../testdata", "../cmd/aoftool/testdata"} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".aof") {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) < 10 {
		t.Fatalf("only %d fixtures found", len(files))
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range parallelChunks {
			assertParallelSame(t, p, b, c, Options{Path: p})
			assertParallelSame(t, p, b, c, Options{Path: p, NotLast: true})
		}
	}
	for _, tc := range verdictCases {
		for _, c := range parallelChunks {
			assertParallelSame(t, tc.name, []byte(tc.in), c, Options{})
		}
	}
}

// genAOF writes n records of a mix that exercises the join: transactions
// (nested, unmatched, left open), annotations (valid, backwards, invalid),
// SELECTs beyond 15, unknown and module commands, bulks holding
// "\r\n*3\r\n" and "\r\n#TS:", missing CRLFs and odd headers.
func genAOF(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	cmd := func(args ...string) {
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	ts := int64(1700000000)
	for range n {
		switch k := r.Intn(40); {
		case k < 12:
			cmd("SET", fmt.Sprintf("key:%d", r.Intn(100)), strings.Repeat("v", r.Intn(40)))
		case k < 15:
			cmd("MULTI")
		case k < 18:
			cmd("EXEC")
		case k < 20:
			ts += int64(r.Intn(5)) - 1
			fmt.Fprintf(&b, "#TS:%d\r\n", ts)
		case k == 20:
			b.WriteString("#note\r\n")
		case k == 21:
			cmd("SELECT", fmt.Sprint(r.Intn(20)))
		case k == 22:
			cmd(fmt.Sprintf("CMD%d", r.Intn(6)), "x")
		case k == 23:
			cmd("JSON.SET", "k", "$", "1")
		case k == 24:
			cmd("SET", "k", "a\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\nc\r\n")
		case k == 25:
			cmd("SET", "k", "z\r\n#TS:1\r\n*1\r\n$4\r\nEXEC\r\n")
		case k == 26:
			b.WriteString("*2\r\n$4\r\nINCR\r\n$1\r\nkXY") // no CRLF after the bulk
		case k == 27:
			b.WriteString("*02\r\n$4\r\nincr\r\n$1\r\nk\r\n") // odd header
		case k == 28:
			cmd("multi")
		default:
			cmd("INCR", fmt.Sprintf("counter:%d", r.Intn(10)))
		}
	}
	return b.Bytes()
}

// damage spoils a generated file the ways a torn or corrupt one is.
func damage(r *rand.Rand, in []byte) []byte {
	b := append([]byte{}, in...)
	switch r.Intn(7) {
	case 0: // torn tail
		return b[:r.Intn(len(b)+1)]
	case 1: // a huge bulk length
		return append(b, "*2\r\n$3\r\nGET\r\n$99999999999\r\nxx\r\n"...)
	case 2: // garbage in the middle
		i := r.Intn(len(b) + 1)
		return append(b[:i], append([]byte("garbage\r\n"), b[i:]...)...)
	case 3: // an open MULTI
		return append(b, "*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n"...)
	case 4: // a torn annotation
		return append(b, "#TS:17"...)
	case 5: // a flipped byte
		if len(b) > 0 {
			b[r.Intn(len(b))] ^= 0x20
		}
	}
	return b
}

func TestParallelMatchesSequentialGenerated(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	small := Options{Limits: Limits{MaxDistinctNames: 4, MaxDBs: 3}}
	for i := range 300 {
		in := genAOF(r, 5+r.Intn(200))
		if i%2 == 1 {
			in = damage(r, in)
		}
		c := parallelChunks[r.Intn(len(parallelChunks))]
		assertParallelSame(t, fmt.Sprint("generated ", i), in, c, Options{})
		assertParallelSame(t, fmt.Sprint("generated, small limits ", i), in, c, small)
	}
}

// TestParallelMatchesSequentialLarge scans a few MiB of a typical file with
// an open transaction at many seams, as the default plan splits a large
// one, and checks the seams held (the sequential rest is short).
func TestParallelMatchesSequentialLarge(t *testing.T) {
	in := benchAOF(4 << 20)
	for _, c := range []int64{64 << 10, 100_003, 1 << 20} {
		assertParallelSame(t, "bench", in, c, Options{})
		rep := &Report{}
		s, _ := rep.scanParallel(context.Background(), bytes.NewReader(in), int64(len(in)), Options{}, make([]byte, bufSize), parallelPlan{chunk: c, workers: 2})
		if s.Offset() < int64(len(in))-2*c {
			t.Fatalf("chunks of %d: the sequential scan resumes at %d of %d", c, s.Offset(), len(in))
		}
	}
	var b bytes.Buffer
	b.WriteString("*1\r\n$5\r\nMULTI\r\n")
	b.Write(benchAOF(1 << 20)) // a transaction open across every seam, nested ones inside
	b.WriteString("#TS:5\r\n*1\r\n$4\r\nEXEC\r\n")
	b.Write(benchAOF(1 << 20))
	b.WriteString("*1\r\n$5\r\nMULTI\r\n#TS:6\r\n")
	assertParallelSame(t, "open transaction", b.Bytes(), 50_000, Options{})
	big := b.Bytes()[:b.Len()-9]
	assertParallelSame(t, "open transaction, torn", big, 50_000, Options{})

	// Bulks of records and annotations that span many seams: every seam
	// inside them is a false candidate.
	b.Reset()
	fake := strings.Repeat("\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n#TS:9\r\n", 4000)
	for i := range 6 {
		fmt.Fprintf(&b, "#TS:%d\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n%s\r\n", 100+i, len(fake), fake)
		b.WriteString("*1\r\n$5\r\nMULTI\r\n")
	}
	for _, c := range []int64{1000, 4096, 65536} {
		assertParallelSame(t, "bulks of records", b.Bytes(), c, Options{})
		assertParallelSame(t, "bulks of records, torn", b.Bytes()[:b.Len()/2], c, Options{})
	}
}

// TestFindStart compares findStart, which reads through a buffer of any
// size, with a search of the whole input.
func TestFindStart(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	want := func(in []byte, from, limit int64) int64 {
		for p := max(from, 2); p < limit; p++ {
			if in[p-2] == '\r' && in[p-1] == '\n' && (p+1 < int64(len(in)) && in[p] == '*' && in[p+1] >= '0' && in[p+1] <= '9' || bytes.HasPrefix(in[p:], []byte("#TS:"))) {
				return p
			}
		}
		return -1
	}
	for range 3000 {
		in := make([]byte, 1+r.Intn(300))
		for i := range in {
			in[i] = "\r\n*#TS:3x"[r.Intn(9)]
		}
		from := int64(r.Intn(len(in)))
		limit := from + int64(r.Intn(len(in)-int(from)+1))
		buf := make([]byte, 8+r.Intn(40))
		if got, w := findStart(bytes.NewReader(in), from, limit, buf), want(in, from, limit); got != w {
			t.Fatalf("findStart(%q, %d, %d) with %d bytes of buffer = %d, want %d", in, from, limit, len(buf), got, w)
		}
	}
}

func TestParallelCancelledAndProgress(t *testing.T) {
	in := benchAOF(1 << 20)
	var last int64
	calls := 0
	opt := Options{Progress: func(off int64) {
		if off <= last {
			t.Errorf("progress %d after %d", off, last)
		}
		last, calls = off, calls+1
	}}
	rep := scanPlanned(context.Background(), bytes.NewReader(in), int64(len(in)), opt, parallelPlan{chunk: 64 << 10, workers: 2})
	if rep.Server.Verdict != Loads || calls < 8 {
		t.Fatalf("verdict %s, %d progress calls", rep.Server.Verdict, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep = scanPlanned(ctx, bytes.NewReader(in), int64(len(in)), Options{}, parallelPlan{chunk: 64 << 10, workers: 2})
	if rep.Err != context.Canceled || rep.Server.Verdict != Refuses {
		t.Fatalf("cancelled: %v %s", rep.Err, rep.Server.Verdict)
	}
}
