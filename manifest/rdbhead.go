package manifest

// rdbHasData reports whether an RDB head holds anything after its auxiliary
// fields: an empty dataset's RDB is the magic, AUX records and EOF. When the
// head ends before that can be decided it answers true, the careful choice
// for "loading it twice aborts".
func rdbHasData(head []byte) bool {
	p := 9 // "REDIS" + 4 digits
	if len(head) >= 6 && string(head[:6]) == "VALKEY" {
		p = 9 // "VALKEY" + 3 digits
	}
	for p < len(head) {
		switch head[p] {
		case 0xFF:
			return false
		case 0xFA:
			p++
			for range 2 {
				n, ok := skipString(head, p)
				if !ok {
					return true
				}
				p = n
			}
		default:
			return true
		}
	}
	return true
}

// skipString returns the offset after the RDB string at p, checking every
// length against the bytes present.
func skipString(b []byte, p int) (int, bool) {
	if p >= len(b) {
		return 0, false
	}
	c := b[p]
	switch c >> 6 {
	case 0:
		return advance(b, p+1, int64(c&0x3f))
	case 1:
		if p+1 >= len(b) {
			return 0, false
		}
		return advance(b, p+2, int64(c&0x3f)<<8|int64(b[p+1]))
	case 2:
		n, q, ok := bigLen(b, p)
		if !ok {
			return 0, false
		}
		return advance(b, q, n)
	}
	switch c & 0x3f {
	case 0:
		return advance(b, p+1, 1)
	case 1:
		return advance(b, p+1, 2)
	case 2:
		return advance(b, p+1, 4)
	case 3: // LZF: compressed length, uncompressed length, data
		clen, q, ok := readLen(b, p+1)
		if !ok {
			return 0, false
		}
		if _, q, ok = readLen(b, q); !ok {
			return 0, false
		}
		return advance(b, q, clen)
	}
	return 0, false
}

func readLen(b []byte, p int) (int64, int, bool) {
	if p >= len(b) {
		return 0, 0, false
	}
	c := b[p]
	switch c >> 6 {
	case 0:
		return int64(c & 0x3f), p + 1, true
	case 1:
		if p+1 >= len(b) {
			return 0, 0, false
		}
		return int64(c&0x3f)<<8 | int64(b[p+1]), p + 2, true
	case 2:
		return bigLen(b, p)
	}
	return 0, 0, false
}

func bigLen(b []byte, p int) (int64, int, bool) {
	w := 0
	switch b[p] {
	case 0x80:
		w = 4
	case 0x81:
		w = 8
	default:
		return 0, 0, false
	}
	if p+1+w > len(b) {
		return 0, 0, false
	}
	var n uint64
	for _, x := range b[p+1 : p+1+w] {
		n = n<<8 | uint64(x)
	}
	if n > uint64(len(b)) {
		return 0, 0, false
	}
	return int64(n), p + 1 + w, true
}

func advance(b []byte, p int, n int64) (int, bool) {
	if n < 0 || int64(p)+n > int64(len(b)) {
		return 0, false
	}
	return p + int(n), true
}
