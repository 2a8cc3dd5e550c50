package aofinspect

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// Run: go test ./aofinspect -run '^$' -bench . -benchmem -count 6 | tee new.txt
// and compare runs with benchstat old.txt new.txt.

// benchAOF builds about n bytes of a typical incr file: #TS lines, SELECT,
// SETs with 100-byte values, INCRs, and MULTI/EXEC blocks.
func benchAOF(n int) []byte {
	var b bytes.Buffer
	val := bytes.Repeat([]byte("v"), 100)
	b.WriteString("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")
	for i := 0; b.Len() < n; i++ {
		if i%1000 == 0 {
			fmt.Fprintf(&b, "#TS:%d\r\n", 1700000000+i/1000)
		}
		switch i % 10 {
		case 0:
			fmt.Fprintf(&b, "*2\r\n$4\r\nINCR\r\n$%d\r\ncounter:%d\r\n", len(fmt.Sprint(i%100))+8, i%100)
		case 1:
			b.WriteString("*1\r\n$5\r\nMULTI\r\n")
			fmt.Fprintf(&b, "*3\r\n$3\r\nSET\r\n$8\r\nkey:%04d\r\n$%d\r\n%s\r\n", i%10000, len(val), val)
			b.WriteString("*1\r\n$4\r\nEXEC\r\n")
		default:
			fmt.Fprintf(&b, "*3\r\n$3\r\nSET\r\n$8\r\nkey:%04d\r\n$%d\r\n%s\r\n", i%10000, len(val), val)
		}
	}
	return b.Bytes()
}

// BenchmarkScan: from 64 MiB on, a file is scanned on all cores.
func BenchmarkScan(b *testing.B) {
	for _, size := range []int{1 << 20, 64 << 20} {
		data := benchAOF(size)
		b.Run(fmt.Sprintf("size=%dMB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				rep := Scan(context.Background(), bytes.NewReader(data), int64(len(data)), Options{})
				if rep.Server.Verdict != Loads {
					b.Fatal(rep.Server.Verdict)
				}
			}
		})
	}
}

// BenchmarkScanSequential is BenchmarkScan's large file scanned on one core.
func BenchmarkScanSequential(b *testing.B) {
	data := benchAOF(64 << 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rep := scanPlanned(context.Background(), bytes.NewReader(data), int64(len(data)), Options{}, parallelPlan{})
		if rep.Server.Verdict != Loads {
			b.Fatal(rep.Server.Verdict)
		}
	}
}

func BenchmarkScanner(b *testing.B) {
	data := benchAOF(64 << 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s := NewScanner(bytes.NewReader(data), Options{Size: int64(len(data))})
		for s.Next() {
		}
		if s.Err() != nil {
			b.Fatal(s.Err())
		}
	}
}

// BenchmarkScannerArgs is BenchmarkScanner keeping arguments as a model of
// the commands' effect asks (DefaultArgLimits).
func BenchmarkScannerArgs(b *testing.B) {
	data := benchAOF(64 << 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s := NewScanner(bytes.NewReader(data), Options{Size: int64(len(data)), Args: DefaultArgLimits})
		n := 0
		for s.Next() {
			n += len(s.Command().Args)
		}
		if s.Err() != nil || n == 0 {
			b.Fatal(s.Err(), n)
		}
	}
}
