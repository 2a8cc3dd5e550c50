package rdbinspect

// Benchmarks. Compare runs with benchstat:
//
//	go test ./rdbinspect -run '^$' -bench . -benchmem -count 6 > old.txt
//	(change something)
//	go test ./rdbinspect -run '^$' -bench . -benchmem -count 6 > new.txt
//	benchstat old.txt new.txt
//
// bench/rdb.sh times the command against redis-check-rdb on a 1 GiB dump
// written by a real redis-server.

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aoftool/aoftool/internal/rdbdamage"
)

var (
	benchMu    sync.Mutex
	benchFiles = map[int][]byte{}
)

// benchRDB builds a valid RDB of about size bytes with the mix a cache
// holds: short and 200-byte strings, some with TTLs, listpack hashes and
// zsets, and LZF-compressed values.
func benchRDB(size int) []byte {
	benchMu.Lock()
	defer benchMu.Unlock()
	if b, ok := benchFiles[size]; ok {
		return b
	}
	r := rand.New(rand.NewSource(1))
	w := newBuilder(10).aux("redis-ver", "7.0.15").aux("redis-bits", "64").raw(opSelectDB, 0)
	val := make([]byte, 200)
	// A 120-byte hash or zset listpack of four short pairs, as a cache
	// holds many of.
	lp := rdbdamage.Listpack("name", "a-value-of-some-length", "count", "12345", "tags", "red,green,blue,yellow", "ts", "1764000000000")
	lp = rdbdamage.Listpack("name", "a-value-of-some-length", "count", "12345", "tags", "red,green,blue,yellow", "ts", "1764000000000"+strings.Repeat("x", 120-len(lp)))
	for i := 0; len(w.b) < size; i++ {
		key := "key:" + strconv.Itoa(i)
		switch i % 8 {
		case 0, 1, 2:
			r.Read(val)
			w.raw(typeString).str(key).str(string(val))
		case 3:
			w.raw(opExpireTimeMS, 1, 2, 3, 4, 5, 6, 7, 0).raw(typeString).str(key).str("v" + strconv.Itoa(i))
		case 4:
			w.raw(typeHashListpack).str(key).str(string(lp))
		case 5:
			w.raw(typeZSetListpack).str(key).str(string(lp))
		case 6:
			// "abc" repeated, LZF: one literal run and back-references.
			w.raw(typeString).str(key).raw(0xc3).length(10).length(300).raw(2, 'a', 'b', 'c', 0xe0, 247, 2, 0xe0, 32, 2)
		default:
			w.raw(typeList).str(key).length(3).str("a").str("bb").str("ccc")
		}
	}
	b := w.eof(true)
	benchFiles[size] = b
	return b
}

var benchSizes = []int{1 << 20, 64 << 20}

func BenchmarkCRC(b *testing.B) {
	for _, size := range benchSizes {
		data := benchRDB(size)
		r := bytes.NewReader(data)
		b.Run(fmt.Sprintf("size=%dMB/parallel", size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				p := newPipeline(context.Background(), r, int64(len(data)), int64(len(data))-8, 0, nil)
				p.drain(nil)
				p.close()
			}
		})
		b.Run(fmt.Sprintf("size=%dMB/sequential", size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				CRC64Update(0, data[:len(data)-8])
			}
		})
		// A block as the walk checksums it, still in the core's cache.
		block := data[:pipeBlock]
		for _, wide := range []bool{false, true} {
			b.Run(fmt.Sprintf("size=%dMB/block/512-bit=%v", size>>20, wide), func(b *testing.B) {
				if wide && !useVPCLMUL {
					b.Skip("no AVX-512 carry-less multiply on this machine")
				}
				defer func(old bool) { useVPCLMUL = old }(useVPCLMUL)
				useVPCLMUL = wide
				b.SetBytes(int64(len(block)))
				for b.Loop() {
					CRC64Update(0, block)
				}
			})
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, size := range benchSizes {
		data := benchRDB(size)
		for _, keys := range []bool{false, true} {
			b.Run(fmt.Sprintf("size=%dMB/keys=%v", size>>20, keys), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					rep := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), Options{Keys: keys})
					if rep.Findings.HasError() || rep.Checksum.Status != ChecksumOK {
						b.Fatalf("benchmark file is not intact: %v", rep.Findings)
					}
				}
			})
		}
	}
}

// BenchmarkVisit is the walk with a key visitor: memory and encodings
// only (aoftool keys), and with value digests (aoftool keydiff).
func BenchmarkVisit(b *testing.B) {
	for _, size := range benchSizes {
		data := benchRDB(size)
		for _, digest := range []bool{false, true} {
			b.Run(fmt.Sprintf("size=%dMB/digest=%v", size>>20, digest), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				var n int64
				v := &Visitor{Digest: digest, Key: func(k *Key) { n += k.Memory }}
				for b.Loop() {
					rep := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), Options{Visit: v})
					if rep.Findings.HasError() {
						b.Fatalf("benchmark file is not intact: %v", rep.Findings)
					}
				}
			})
		}
	}
}

func TestBenchFileIsIntact(t *testing.T) {
	data := benchRDB(1 << 20)
	if lp := rdbdamage.Listpack("name", "a-value-of-some-length", "count", "12345", "tags", "red,green,blue,yellow", "ts", "1764000000000"); len(lp) > 120 {
		t.Fatalf("the benchmark listpack no longer fits 120 bytes: %d", len(lp))
	}
	rep := verifyBytes(t, data, Options{Keys: true})
	if rep.Findings.HasError() || !rep.Complete || rep.Checksum.Status != ChecksumOK || rep.Keys.Keys == 0 {
		t.Fatalf("%v %+v", rep.Findings, rep.Checksum)
	}
}

// BenchmarkVerifyFile verifies the RDB named by AOFTOOL_BENCH_RDB (the dump
// bench/rdb.sh keeps with KEEP=1), so a profile shows where time goes on
// data a real server wrote.
func BenchmarkVerifyFile(b *testing.B) {
	path := os.Getenv("AOFTOOL_BENCH_RDB")
	if path == "" {
		b.Skip("AOFTOOL_BENCH_RDB names no file")
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		rep := Verify(context.Background(), f, fi.Size(), Options{})
		if rep.Findings.HasError() || rep.Checksum.Status != ChecksumOK {
			b.Fatalf("not intact: %v", rep.Findings)
		}
	}
}
