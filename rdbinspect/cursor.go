package rdbinspect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Opcodes, src/rdb.h.
const (
	opSlotInfo      = 0xF4
	opFunction2     = 0xF5
	opFunctionPreGA = 0xF6
	opModuleAux     = 0xF7
	opIdle          = 0xF8
	opFreq          = 0xF9
	opAux           = 0xFA
	opResizeDB      = 0xFB
	opExpireTimeMS  = 0xFC
	opExpireTime    = 0xFD
	opSelectDB      = 0xFE
	opEOF           = 0xFF
)

// errWindow: a read would go past the bytes ReadHeader loaded but not past
// the end of the file; the header is simply longer than the window.
var errWindow = errors.New("rdbinspect: beyond header window")

// cursor parses an in-memory prefix of a file whose real length is limit.
type cursor struct {
	b     []byte
	pos   int64
	limit int64
	errAt int64
}

// truncated reports whether the cursor ran into the real end of the file
// rather than the end of its window.
func (c *cursor) truncated() bool { return int64(len(c.b)) >= c.limit && c.pos >= c.limit }

func (c *cursor) need(n uint64) error {
	if uint64(int64(len(c.b))-c.pos) >= n {
		return nil
	}
	c.errAt = c.pos
	if uint64(c.limit-c.pos) < n {
		if int64(len(c.b)) >= c.limit {
			return ErrTruncated
		}
		return ErrInvalidLength
	}
	return errWindow
}

func (c *cursor) byte() (byte, bool) {
	if c.pos >= int64(len(c.b)) {
		return 0, false
	}
	v := c.b[c.pos]
	c.pos++
	return v, true
}

// length reads an RDB length (src/rdb.c rdbLoadLenByRef); enc is true for
// the 11xxxxxx special string encodings, with the encoding in n.
func (c *cursor) length() (n uint64, enc bool, err error) {
	if err := c.need(1); err != nil {
		return 0, false, err
	}
	b0 := c.b[c.pos]
	switch b0 >> 6 {
	case 0:
		c.pos++
		return uint64(b0 & 0x3f), false, nil
	case 1:
		if err := c.need(2); err != nil {
			return 0, false, err
		}
		v := uint64(b0&0x3f)<<8 | uint64(c.b[c.pos+1])
		c.pos += 2
		return v, false, nil
	case 3:
		c.pos++
		return uint64(b0 & 0x3f), true, nil
	}
	switch b0 {
	case 0x80:
		if err := c.need(5); err != nil {
			return 0, false, err
		}
		v := uint64(binary.BigEndian.Uint32(c.b[c.pos+1:]))
		c.pos += 5
		return v, false, nil
	case 0x81:
		if err := c.need(9); err != nil {
			return 0, false, err
		}
		v := binary.BigEndian.Uint64(c.b[c.pos+1:])
		c.pos += 9
		return v, false, nil
	}
	c.errAt = c.pos
	return 0, false, fmt.Errorf("%w: unknown length encoding byte 0x%02x", ErrInvalidEncoding, b0)
}

// str reads a string object and returns it decoded, integers as decimal
// text. Values longer than max are refused before anything is allocated.
func (c *cursor) str(max uint64) (string, error) {
	start := c.pos
	n, enc, err := c.length()
	if err != nil {
		return "", err
	}
	if !enc {
		if err := c.need(n); err != nil {
			c.errAt = start
			return "", err
		}
		if n > max {
			c.errAt = start
			return "", errWindow
		}
		s := string(c.b[c.pos : c.pos+int64(n)])
		c.pos += int64(n)
		return s, nil
	}
	switch n {
	case 0, 1, 2:
		w := uint64(1) << n
		if err := c.need(w); err != nil {
			return "", err
		}
		var v int64
		switch n {
		case 0:
			v = int64(int8(c.b[c.pos]))
		case 1:
			v = int64(int16(binary.LittleEndian.Uint16(c.b[c.pos:])))
		case 2:
			v = int64(int32(binary.LittleEndian.Uint32(c.b[c.pos:])))
		}
		c.pos += int64(w)
		return strconv.FormatInt(v, 10), nil
	case 3:
		clen, _, err := c.length()
		if err != nil {
			return "", err
		}
		ulen, _, err := c.length()
		if err != nil {
			return "", err
		}
		if err := c.need(clen); err != nil {
			c.errAt = start
			return "", err
		}
		if ulen > max || clen == 0 {
			if clen == 0 {
				c.errAt = c.pos
				return "", fmt.Errorf("%w: LZF string with 0 compressed bytes", ErrInvalidEncoding)
			}
			c.errAt = start
			return "", errWindow
		}
		out := make([]byte, ulen)
		if got, ok := lzfDecompress(c.b[c.pos:c.pos+int64(clen)], out); !ok || got != int(ulen) {
			c.errAt = c.pos
			return "", fmt.Errorf("%w: invalid LZF compressed string", ErrInvalidEncoding)
		}
		c.pos += int64(clen)
		return string(out), nil
	}
	c.errAt = start
	return "", fmt.Errorf("%w: unknown string encoding %d", ErrInvalidEncoding, n)
}

// lzfDecompress mirrors src/lzf_d.c: it returns the number of bytes written
// and false on any malformed input or when out is too small.
func lzfDecompress(in, out []byte) (int, bool) {
	ip, op := 0, 0
	for ip < len(in) {
		ctrl := int(in[ip])
		ip++
		if ctrl < 32 {
			ctrl++
			if op+ctrl > len(out) || ip+ctrl > len(in) {
				return op, false
			}
			copy(out[op:], in[ip:ip+ctrl])
			op += ctrl
			ip += ctrl
			continue
		}
		l := ctrl >> 5
		ref := op - ((ctrl & 0x1f) << 8) - 1
		if ip >= len(in) {
			return op, false
		}
		if l == 7 {
			l += int(in[ip])
			ip++
			if ip >= len(in) {
				return op, false
			}
		}
		ref -= int(in[ip])
		ip++
		if op+l+2 > len(out) || ref < 0 {
			return op, false
		}
		for i := 0; i < l+2; i++ {
			out[op] = out[ref]
			op++
			ref++
		}
	}
	return op, true
}
