package snapshot

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Run with: go test ./snapshot -run XXX -bench . -benchmem
// Compare with benchstat over -count=10 runs.

func BenchmarkFromListing(b *testing.B) {
	for _, n := range []int{10, 1000} {
		var buf strings.Builder
		buf.WriteString("/data:\ntotal 1\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&buf, "-rw-r--r-- 1 redis redis %d Nov 20 18:14 appendonly.aof.%d.incr.aof\n", i*4096, i+1)
		}
		data := []byte(buf.String())
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
			for b.Loop() {
				FromListing(bytes.NewReader(data), ListingOptions{Now: now})
			}
		})
	}
}

func BenchmarkCapture(b *testing.B) {
	for _, n := range []int{10, 1000} {
		dir := b.TempDir()
		aof := filepath.Join(dir, "appendonlydir")
		if err := os.Mkdir(aof, 0o755); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if err := os.WriteFile(filepath.Join(aof, fmt.Sprintf("appendonly.aof.%d.incr.aof", i+1)), []byte("*1\r\n$4\r\nPING\r\n"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Capture(dir, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
