package damage

import (
	"bytes"
	"fmt"
	"math/rand"
	"strconv"
)

// Variant is one hostile input derived from a real file. WantExit is the
// exit code a command must give on it; -1 means only "ran and stayed
// healthy" is required (inputs whose verdict depends on leniencies Redis
// itself has, such as the two bytes after a bulk string that the loader
// skips unchecked).
type Variant struct {
	Name     string
	Data     []byte
	WantExit int
}

// RDBVariants derives hostile RDBs from a real one: cuts at every offset of
// the header and the trailer and spread over the body, flipped bytes,
// lengths claiming 2^32 … 2^63 bytes or elements in files with a correct
// checksum, cut ziplist and listpack blobs, and garbage.
func RDBVariants(src []byte) []Variant {
	var out []Variant
	n := len(src)
	cuts := map[int]bool{}
	for i := 0; i < 40 && i < n; i++ {
		cuts[i] = true
	}
	for i := 1; i < 40; i++ {
		cuts[n*i/40] = true
	}
	for i := n - 10; i < n; i++ {
		cuts[i] = true
	}
	for _, c := range sortedKeys(cuts) {
		out = append(out, Variant{fmt.Sprintf("rdb-cut-%d", c), src[:c], 1})
	}
	// The checksum covers every byte, so each flip is caught.
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 40; i++ {
		pos := rng.Intn(n)
		if i < 4 {
			pos = []int{0, 5, 8, n - 1}[i]
		}
		b := append([]byte{}, src...)
		b[pos] ^= byte(1 << uint(rng.Intn(8)))
		out = append(out, Variant{fmt.Sprintf("rdb-flip-%d", pos), b, 1})
	}
	for _, shift := range []uint{32, 40, 48, 56, 62, 63} {
		big := uint64(1) << shift
		if shift == 63 {
			big = 1<<63 - 1
		}
		key := append(append(RDBPrefix(), 0x00), Len64(big)...)
		out = append(out, Variant{fmt.Sprintf("rdb-keylen-2^%d", shift), WithCRC(append(key, 'k')), 1})
		val := append(append(append(RDBPrefix(), 0x00), RDBString("k")...), Len64(big)...)
		out = append(out, Variant{fmt.Sprintf("rdb-vallen-2^%d", shift), WithCRC(append(val, 'v')), 1})
		list := append(append(append(RDBPrefix(), 0x01), RDBString("k")...), Len64(big)...)
		out = append(out, Variant{fmt.Sprintf("rdb-listcount-2^%d", shift), WithCRC(append(list, RDBString("e")...)), 1})
		// LZF string: compressed length 3, uncompressed length huge.
		lzf := append(append(append(RDBPrefix(), 0x00), RDBString("k")...), 0xC3)
		lzf = append(append(lzf, Len64(3)...), Len64(big)...)
		out = append(out, Variant{fmt.Sprintf("rdb-lzf-ulen-2^%d", shift), WithCRC(append(lzf, 1, 2, 3)), 1})
		sel := append(append([]byte{}, RDBPrefix()[:len(RDBPrefix())-2]...), 0xFE)
		out = append(out, Variant{fmt.Sprintf("rdb-selectdb-2^%d", shift), WithCRC(append(sel, Len64(big)...)), 1})
	}
	// A blob whose header claims more bytes than the blob holds.
	lp := []byte{0xE8, 0x03, 0, 0, 2, 0, 0x81, 'a', 2, 0x81, 'b', 2} // total 1000, 2 elements, no end byte
	for _, typ := range []byte{16, 17, 20, 13, 12, 10} {
		b := append(append(append(RDBPrefix(), typ), RDBString("h")...), byte(len(lp)))
		out = append(out, Variant{fmt.Sprintf("rdb-cut-listpack-type-%d", typ), WithCRC(append(b, lp...)), 1})
	}
	garbage := make([]byte, 4096)
	rng.Read(garbage)
	garbage[0] = 'X'
	out = append(out,
		Variant{"rdb-empty", nil, 1},
		Variant{"rdb-nul-bytes", make([]byte, 4096), 1},
		Variant{"rdb-binary-garbage", garbage, 1},
		Variant{"rdb-magic-only", []byte("REDIS0010"), 1},
		Variant{"rdb-version-99", append([]byte("REDIS0099"), src[9:]...), 1},
		// Bytes after the checksum: the server ignores them, a warning.
		Variant{"rdb-trailing-bytes", append(append([]byte{}, src...), "garbage"...), 0},
	)
	return out
}

func sortedKeys(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// RESPBoundaries returns the offsets where a command ends outside
// MULTI/EXEC in a RESP stream written by Redis, and where the last command
// starts. #TS annotations are skipped as the loader skips them.
func RESPBoundaries(b []byte) (ends []int, lastStart int, err error) {
	pos, inMulti := 0, false
	readLine := func() (string, error) {
		i := bytes.Index(b[pos:], []byte("\r\n"))
		if i < 0 {
			return "", fmt.Errorf("unterminated line at %d", pos)
		}
		s := string(b[pos : pos+i])
		pos += i + 2
		return s, nil
	}
	for pos < len(b) {
		if b[pos] == '#' {
			if _, err := readLine(); err != nil {
				return nil, 0, err
			}
			ends = append(ends, pos)
			continue
		}
		lastStart = pos
		line, err := readLine()
		if err != nil {
			return nil, 0, err
		}
		argc, _ := strconv.Atoi(line[1:])
		var name string
		for i := 0; i < argc; i++ {
			line, err := readLine()
			if err != nil {
				return nil, 0, err
			}
			l, _ := strconv.Atoi(line[1:])
			if pos+l+2 > len(b) {
				return nil, 0, fmt.Errorf("bulk of %d bytes at %d runs past the end", l, pos)
			}
			if i == 0 {
				name = string(bytes.ToUpper(b[pos : pos+l]))
			}
			pos += l + 2
		}
		switch name {
		case "MULTI":
			inMulti = true
		case "EXEC":
			inMulti = false
		}
		if !inMulti {
			ends = append(ends, pos)
		}
	}
	return ends, lastStart, nil
}

// AOFVariants derives hostile incr files from a real one: cuts at every
// byte of the last command and spread over the file, records inserted in
// the middle, garbage and an unterminated transaction.
func AOFVariants(src []byte) ([]Variant, error) {
	ends, lastStart, err := RESPBoundaries(src)
	if err != nil {
		return nil, err
	}
	isEnd := map[int]bool{0: true}
	for _, e := range ends {
		isEnd[e] = true
	}
	want := func(cut int) int {
		if isEnd[cut] {
			return 0
		}
		return 1
	}
	var out []Variant
	for c := lastStart; c < len(src); c++ {
		out = append(out, Variant{fmt.Sprintf("aof-cut-%d", c), src[:c], want(c)})
	}
	for i := 1; i < 40; i++ {
		c := len(src) * i / 40
		out = append(out, Variant{fmt.Sprintf("aof-cut-%d", c), src[:c], want(c)})
	}
	mid := ends[len(ends)/2]
	insert := func(name string, junk string, wantExit int) {
		b := append(append(append([]byte{}, src[:mid]...), junk...), src[mid:]...)
		out = append(out, Variant{name, b, wantExit})
	}
	insert("aof-garbage-middle", "hello world\r\n", 1)
	insert("aof-argc-99999999999", "*99999999999\r\n$3\r\nSET\r\n", 1)
	insert("aof-argc-zero", "*0\r\n", 1)
	insert("aof-argc-minus-1", "*-1\r\n", 1)
	insert("aof-argc-bare", "*\r\n", 1)
	insert("aof-argc-wraps", "*-2147483649\r\n$3\r\nSET\r\n", 1)
	insert("aof-bulk-negative", "*2\r\n$3\r\nGET\r\n$-5\r\nkey\r\n", 1)
	insert("aof-bulk-huge", "*2\r\n$3\r\nGET\r\n$4611686018427387904\r\nkey\r\n", 1)
	insert("aof-bulk-2^32", "*2\r\n$3\r\nGET\r\n$4294967296\r\nkey\r\n", 1)
	insert("aof-bulk-not-dollar", "*2\r\n$3\r\nGET\r\n:3\r\nkey\r\n", 1)
	insert("aof-nul-bytes-middle", string(make([]byte, 64)), 1)
	// The loader skips the two bytes after a bulk unchecked: lenient.
	insert("aof-missing-crlf-after-bulk", "*2\r\n$3\r\nGETXX$1\r\nk\r\n", -1)
	garbage := make([]byte, 4096)
	rand.New(rand.NewSource(2)).Read(garbage)
	garbage[0] = 'X'
	out = append(out,
		Variant{"aof-empty", nil, 0},
		Variant{"aof-nul-bytes", make([]byte, 4096), 1},
		Variant{"aof-binary-garbage", garbage, 1},
		Variant{"aof-unterminated-multi", append(append([]byte{}, src...), "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"...), 1},
	)
	return out, nil
}

// ManifestVariants derives hostile manifests from a real one. With huge,
// the variants of 10 MB lines are included.
func ManifestVariants(good []byte, huge bool) []Variant {
	out := []Variant{
		{"manifest-nul-bytes", make([]byte, 4096), 1},
		{"manifest-nul-in-line", append([]byte("file \x00 seq 1 type b\n"), good...), 1},
		{"manifest-empty", nil, 1},
		{"manifest-no-final-newline", bytes.TrimRight(good, "\n"), 1},
		{"manifest-binary-garbage", func() []byte { b := make([]byte, 8192); rand.New(rand.NewSource(3)).Read(b); return b }(), 1},
		{"manifest-huge-seq", []byte("file appendonly.aof.1.base.rdb seq 99999999999999999999999 type b\n"), -1},
		{"manifest-path-name", []byte("file ../../etc/passwd seq 1 type b\n"), 1},
		{"manifest-dotdot-name", []byte("file .. seq 1 type b\n"), 1},
		{"manifest-crlf", bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")), 0},
	}
	if huge {
		line := bytes.Repeat([]byte("x"), 10<<20)
		out = append(out,
			Variant{"manifest-10MB-line", append(append([]byte("file "), line...), " seq 1 type b\n"...), 1},
			Variant{"manifest-10MB-comment", append(append([]byte("#"), line...), '\n'), 1})
	}
	return out
}
