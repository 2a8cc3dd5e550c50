package manifest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse measures the loader on manifests of growing size and on one
// 10 MB line, which must cost one 1 KiB read and not grow with the line:
//
//	go test ./manifest -run '^$' -bench Parse -count 6 | tee new.txt
//	benchstat old.txt new.txt
func BenchmarkParse(b *testing.B) {
	for _, lines := range []int{2, 1000, 100000} {
		var buf bytes.Buffer
		buf.WriteString("file appendonly.aof.1.base.rdb seq 1 type b\n")
		for i := 1; i < lines; i++ {
			fmt.Fprintf(&buf, "file appendonly.aof.%d.incr.aof seq %d type i\n", i, i)
		}
		data := buf.Bytes()
		b.Run(fmt.Sprintf("lines=%d", lines), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				Parse(bytes.NewReader(data), "m")
			}
		})
	}
	long := []byte("file a seq 1 type b x " + strings.Repeat("y", 10<<20) + "\n")
	b.Run("line=10MB", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, _ := Parse(bytes.NewReader(long), "m")
			if m.Bytes != maxLine {
				b.Fatalf("read %d bytes", m.Bytes)
			}
		}
	})
}
