package rdbinspect

import (
	"bytes"
	"errors"
	"math/rand"
	"testing"
	"time"
)

func TestCRC64Jones(t *testing.T) {
	if got := CRC64Update(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc(123456789) = %x", got)
	}
}

func TestCRC64CombineMatchesSequential(t *testing.T) {
	data := make([]byte, 300_001)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	whole := CRC64Update(0, data)
	for _, cut := range []int{0, 1, 7, 8, 4096, 150_000, 300_000, 300_001} {
		a := CRC64Update(0, data[:cut])
		b := CRC64Update(0, data[cut:])
		if got := CRC64Combine(a, b, int64(len(data)-cut)); got != whole {
			t.Errorf("cut %d: combine %x, sequential %x", cut, got, whole)
		}
	}
	for _, bs := range []int{1, 3, 4096, 1 << 20} {
		old := pipeBlock
		pipeBlock = bs
		r := bytes.NewReader(data)
		for _, l := range []int64{1, 4095, 4096, 4097, 299_999, 300_001} {
			p := newPipeline(t.Context(), r, int64(len(data)), int64(len(data)), 3, nil)
			// consume blocks up to the one holding l, as the walk would
			var cur *block
			for b := p.next(); b != nil; b = p.next() {
				if b.off+int64(b.n) >= l {
					cur = b
					break
				}
				p.release(b)
			}
			got, err := p.prefixCRC(cur, l)
			if err != nil {
				t.Fatal(err)
			}
			if want := CRC64Update(0, data[:l]); got != want {
				t.Errorf("block %d prefix %d: %x, want %x", bs, l, got, want)
			}
			p.close()
		}
		p := newPipeline(t.Context(), r, int64(len(data)), int64(len(data))-8, 2, nil)
		if got := p.drain(nil); got != CRC64Update(0, data[:len(data)-8]) {
			t.Errorf("block %d: drain %x", bs, got)
		}
		p.close()
		pipeBlock = old
	}
}

func emptyRDB() []byte {
	return newBuilder(10).
		aux("redis-ver", "7.0.15").
		aux("redis-bits", "\xc0\x40"[:0]+"64").
		aux("ctime", "1700000000").
		aux("used-mem", "1000000").
		aux("aof-base", "0").
		eof(true)
}

func TestReadHeaderEmpty(t *testing.T) {
	b := emptyRDB()
	h, err := ReadHeader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if h.Magic != "REDIS0010" || h.Version != 10 || h.Producer != "redis" || h.Releases != "Redis 7.0" {
		t.Errorf("header %+v", h)
	}
	if h.RedisVer != "7.0.15" || h.Bits != 64 || !h.CTime.Equal(time.Unix(1700000000, 0)) || h.UsedMem != 1000000 {
		t.Errorf("typed aux %+v", h)
	}
	if h.AOFBase == nil || *h.AOFBase || h.AOFPreamble != nil || h.ReplOffset != nil {
		t.Errorf("aof-base %v preamble %v", h.AOFBase, h.AOFPreamble)
	}
	if len(h.Aux) != 5 || h.Aux[0].Offset != 9 || h.Aux[1].Key != "redis-bits" {
		t.Errorf("aux %+v", h.Aux)
	}
	if !h.EmptyDataset || h.AuxEnd != int64(len(b)-9) || !h.Tail.LooksComplete || h.Tail.StoredCRC != CRC64Update(0, b[:len(b)-8]) {
		t.Errorf("empty %v auxend %d tail %+v", h.EmptyDataset, h.AuxEnd, h.Tail)
	}
}

func TestReadHeaderErrors(t *testing.T) {
	b := emptyRDB()
	cases := []struct {
		name string
		in   []byte
		want error
		off  int64
	}{
		{"empty file", nil, ErrTruncated, 0},
		{"short magic", []byte("REDI"), ErrTruncated, 0},
		{"not rdb", []byte("*2\r\n$6\r\nSELECT\r\n"), ErrNotRDB, 0},
		{"version zero", []byte("REDIS0000\xff"), ErrUnsupportedVersion, 0},
		{"version letters", []byte("REDISabcd\xff"), ErrUnsupportedVersion, 0},
		{"cut in aux", b[:20], ErrTruncated, 20},
		{"cut after magic", b[:9], ErrTruncated, 9},
	}
	for _, c := range cases {
		_, err := ReadHeader(bytes.NewReader(c.in), int64(len(c.in)))
		var ce *CorruptionError
		if !errors.Is(err, c.want) || !errors.As(err, &ce) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
			continue
		}
		if ce.Offset != c.off {
			t.Errorf("%s: offset %d, want %d", c.name, ce.Offset, c.off)
		}
	}
}

func TestReadHeaderValkeyAndEnvelope(t *testing.T) {
	b := []byte("VALKEY080\xfa\x0avalkey-ver\x058.1.0\xff")
	b = append(b, make([]byte, 8)...)
	h, err := ReadHeader(bytes.NewReader(b), int64(len(b)))
	if err != nil || h.Producer != "valkey" || h.Version != 80 || h.ValkeyVer != "8.1.0" || !h.EmptyDataset {
		t.Fatalf("valkey: %+v %v", h, err)
	}
	e := []byte("VKCS\x00\x00\x00\x01rest")
	h, err = ReadHeader(bytes.NewReader(e), int64(len(e)))
	if err != nil || h.Envelope != "VKCS" {
		t.Fatalf("vkcs: %+v %v", h, err)
	}
}

// TestCRCFoldingMatchesTable checks the carry-less multiplication path
// against hash/crc64's tables for every length up to 1100 and several
// starting values.
func TestCRCFoldingMatchesTable(t *testing.T) {
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(i*131 + i>>3)
	}
	for _, init := range []uint64{0, 1, 0xe9c6d914c4b8d9ca, ^uint64(0)} {
		for n := 0; n <= 1100; n++ {
			if got, want := CRC64Update(init, data[:n]), crcTableUpdate(init, data[:n]); got != want {
				t.Fatalf("init %x len %d: %x, table %x", init, n, got, want)
			}
		}
		if got, want := CRC64Update(init, data), crcTableUpdate(init, data); got != want {
			t.Fatalf("init %x len %d: %x, table %x", init, len(data), got, want)
		}
	}
	if !useCLMUL {
		t.Log("no PCLMULQDQ on this machine; only the table path was tested")
	}
}

// TestCRCFoldWidthsAgree: the 128-bit and 512-bit foldings give the table's
// checksum on every length, including those past their unrolled steps.
func TestCRCFoldWidthsAgree(t *testing.T) {
	if !useCLMUL {
		t.Skip("no PCLMULQDQ on this machine")
	}
	data := make([]byte, 300<<10)
	rand.New(rand.NewSource(5)).Read(data)
	defer func(old bool) { useVPCLMUL = old }(useVPCLMUL)
	wide := useVPCLMUL
	for _, n := range []int{64, 255, 256, 257, 271, 319, 320, 511, 512, 767, 1024 + 48, 4096 + 208, 256 << 10, 256<<10 + 512 + 3, len(data)} {
		want := crcTableUpdate(7, data[:n])
		useVPCLMUL = false
		if got := CRC64Update(7, data[:n]); got != want {
			t.Fatalf("128-bit folding, len %d: %x, table %x", n, got, want)
		}
		useVPCLMUL = wide
		if got := CRC64Update(7, data[:n]); got != want {
			t.Fatalf("512-bit folding (in use: %v), len %d: %x, table %x", wide, n, got, want)
		}
	}
	if !wide {
		t.Log("no AVX-512 carry-less multiply on this machine; only the 128-bit folding was tested")
	}
}

func TestZerosOperator(t *testing.T) {
	for _, n := range []int64{1, 2, 7, 8, 4096, 12345, 1 << 20} {
		op := zerosOperator(n)
		for _, v := range []uint64{1, 0x8000000000000000, 0xe9c6d914c4b8d9ca, ^uint64(0)} {
			if got, want := gf2Times(op, v), CRC64Combine(v, 0, n); got != want {
				t.Errorf("n %d v %x: operator %x, combine %x", n, v, got, want)
			}
		}
	}
}
