package serverlog

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"testing"
)

// realisticBlock is every captured log in testdata/ one after another:
// starts, syncs, saves, rewrites, load errors and a crash report, as a
// server's log holds them over its life.
func realisticBlock(tb testing.TB) []byte {
	tb.Helper()
	files, _ := filepath.Glob("testdata/*/*/*.log")
	if len(files) == 0 {
		tb.Fatal("no captured logs in testdata/")
	}
	sort.Strings(files)
	var b bytes.Buffer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		b.Write(data)
	}
	return b.Bytes()
}

// repeated is block repeated up to size bytes.
func repeated(block []byte, size int) []byte {
	out := make([]byte, 0, size+len(block))
	for len(out) < size {
		out = append(out, block...)
	}
	return out
}

// BenchmarkRead reads realistic logs of two sizes; MB/s is the throughput
// and allocs/op must not grow with the size.
//
//	go test ./serverlog -run '^$' -bench Read -benchmem
func BenchmarkRead(b *testing.B) {
	block := realisticBlock(b)
	for _, size := range []int{1 << 20, 64 << 20} {
		data := repeated(block, size)
		b.Run("size="+strconv.Itoa(size>>20)+"MB", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Read(bytes.NewReader(data), Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cycleReader yields block over and over until n bytes were read, without
// holding more than block: a log of any size generated on the fly.
type cycleReader struct {
	block []byte
	off   int
	left  int64
}

func (r *cycleReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		k := copy(p[n:], r.block[r.off:])
		if int64(k) > r.left {
			k = int(r.left)
		}
		n += k
		r.off = (r.off + k) % len(r.block)
		r.left -= int64(k)
	}
	return n, nil
}

// A 1 GiB log (128 MiB with -short) is read in constant memory: the heap
// in use while reading stays within a few MiB of what it was before.
func TestReadHugeLogInConstantMemory(t *testing.T) {
	size := int64(1 << 30)
	if testing.Short() {
		size = 128 << 20
	}
	block := realisticBlock(t)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var peak uint64
	sc := NewScanner(&cycleReader{block: block, left: size}, Options{})
	tr := NewTracker()
	keep := newRetainer(8)
	n := 0
	for sc.Next() {
		ev := sc.Event()
		tr.Add(ev)
		keep.add(&ev)
		if n++; n%200000 == 0 {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak {
				peak = m.HeapInuse
			}
		}
	}
	if sc.Err() != nil {
		t.Fatal(sc.Err())
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	st := tr.State()
	if sc.Stats().Bytes != size {
		t.Fatalf("read %d bytes, want %d", sc.Stats().Bytes, size)
	}
	const slack = 16 << 20
	if peak > before.HeapInuse+slack {
		t.Errorf("heap in use grew from %d to %d bytes while reading %d bytes", before.HeapInuse, peak, size)
	}
	if len(st.Lifetimes) > keepLifetimes || len(st.Failures) > keepFailures || len(st.Children) > keepChildren || keep.retained() > 8*len(keep.rings) {
		t.Errorf("retained state grew: %d lifetimes, %d failures, %d children, %d events", len(st.Lifetimes), len(st.Failures), len(st.Children), keep.retained())
	}
	// Allocations do not grow with the log: the read buffer, the rings and
	// the interned values are allocated once.
	if mallocs := after.Mallocs - before.Mallocs; mallocs > 5000 {
		t.Errorf("%d allocations while reading %d bytes", mallocs, size)
	}
	t.Logf("%d MiB, %d lines, %d events, %d lifetimes; heap in use %d KiB before, %d KiB peak; %d allocations", size>>20, sc.Stats().Lines, sc.Stats().Events, st.LifetimeCount, before.HeapInuse>>10, peak>>10, after.Mallocs-before.Mallocs)
}
