package rdbinspect

import (
	"context"
	"hash/crc64"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// crcPoly is CRC-64 Jones in reflected form (src/crc64.c): reflected in
// and out, initial value 0, no final xor.
const crcPoly = 0x95ac9329ac4bc9b5

var crcTable = crc64.MakeTable(crcPoly)

// CRC64Update continues a Redis CRC-64 over p. Start from 0. The standard
// library inverts before and after each update; Redis does neither, so the
// inversions are undone here.
func CRC64Update(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, crcTable, p)
}

// gf2Times multiplies the 64x64 GF(2) matrix m by vector v.
func gf2Times(m *[64]uint64, v uint64) uint64 {
	var sum uint64
	for i := 0; v != 0; i, v = i+1, v>>1 {
		if v&1 != 0 {
			sum ^= m[i]
		}
	}
	return sum
}

func gf2Square(dst, m *[64]uint64) {
	for i := range 64 {
		dst[i] = gf2Times(m, m[i])
	}
}

// CRC64Combine returns the CRC of A||B from crcA, crcB and len(B), the way
// zlib's crc32_combine does: apply the "append one zero bit" operator
// len(B)*8 times to crcA by repeated squaring. With initial value 0 and no
// final xor the CRC is linear, so no correction term is needed.
func CRC64Combine(crcA, crcB uint64, lenB int64) uint64 {
	if lenB <= 0 || crcA == 0 {
		return crcA ^ crcB
	}
	var odd, even [64]uint64
	// Operator for one zero bit in reflected form.
	odd[0] = crcPoly
	row := uint64(1)
	for i := 1; i < 64; i++ {
		odd[i] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	for {
		gf2Square(&even, &odd) // first pass: one zero byte
		if lenB&1 != 0 {
			crcA = gf2Times(&even, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
		gf2Square(&odd, &even)
		if lenB&1 != 0 {
			crcA = gf2Times(&odd, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

// zerosOperator returns the matrix that advances a CRC over n zero bytes,
// so combining many equal-sized blocks costs one matrix-vector product each.
func zerosOperator(n int64) *[64]uint64 {
	opMu.Lock()
	defer opMu.Unlock()
	if m, ok := opCache[n]; ok {
		return m
	}
	m := new([64]uint64)
	for i := range 64 {
		m[i] = CRC64Combine(uint64(1)<<i, 0, n)
	}
	opCache[n] = m
	return m
}

var (
	opMu    sync.Mutex
	opCache = map[int64]*[64]uint64{}
)

// readChunk is the size of each ReadAt issued by the checksum workers and
// the walk: large enough that the syscall cost vanishes, small enough that
// a few of them stay far below the memory budget.
const readChunk = 1 << 20

// crcBlocks holds the CRCs of consecutive blocks of [0, end), so the CRC of
// any prefix can be assembled without reading the file twice.
type crcBlocks struct {
	end       int64
	blockSize int64
	sums      []uint64
	done      []bool
}

// maxBlocks bounds the per-file bookkeeping: block size grows with the file
// instead of the number of blocks.
const maxBlocks = 1024

func newCRCBlocks(end int64) *crcBlocks {
	bs := int64(8 << 20)
	if need := (end + maxBlocks - 1) / maxBlocks; need > bs {
		bs = (need + readChunk - 1) / readChunk * readChunk
	}
	n := int((end + bs - 1) / bs)
	return &crcBlocks{end: end, blockSize: bs, sums: make([]uint64, n), done: make([]bool, n)}
}

func (b *crcBlocks) bounds(i int) (int64, int64) {
	lo := int64(i) * b.blockSize
	return lo, min(lo+b.blockSize, b.end)
}

// compute fills every block using workers goroutines. progress, when set,
// receives byte counts as blocks finish. It stops early when ctx is done.
func (b *crcBlocks) compute(ctx context.Context, r io.ReaderAt, workers int, progress func(int64)) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(b.sums))
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, max(min(readChunk, b.blockSize, b.end), 1))
			for {
				i := int(next.Add(1) - 1)
				if i >= len(b.sums) || ctx.Err() != nil {
					if ctx.Err() != nil {
						errs[w] = ctx.Err()
					}
					return
				}
				lo, hi := b.bounds(i)
				sum, err := crcRange(r, lo, hi, buf)
				if err != nil {
					errs[w] = err
					return
				}
				b.sums[i], b.done[i] = sum, true
				if progress != nil {
					progress(hi - lo)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// crcRange computes the CRC of [lo, hi) from a zero start.
func crcRange(r io.ReaderAt, lo, hi int64, buf []byte) (uint64, error) {
	var sum uint64
	for off := lo; off < hi; {
		n := min(int64(len(buf)), hi-off)
		m, err := r.ReadAt(buf[:n], off)
		if int64(m) < n {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		sum = CRC64Update(sum, buf[:n])
		off += n
	}
	return sum, nil
}

// prefix returns the CRC of [0, l), combining whole blocks and reading only
// the part of the last block below l.
func (b *crcBlocks) prefix(r io.ReaderAt, l int64) (uint64, error) {
	var sum uint64
	var off int64
	var op *[64]uint64
	for i := range b.sums {
		lo, hi := b.bounds(i)
		if hi > l || !b.done[i] {
			break
		}
		if hi-lo == b.blockSize && i > 0 {
			if op == nil {
				op = zerosOperator(b.blockSize)
			}
			sum = gf2Times(op, sum) ^ b.sums[i]
		} else {
			sum = CRC64Combine(sum, b.sums[i], hi-lo)
		}
		off = hi
	}
	if off < l {
		rest, err := crcRange(r, off, l, make([]byte, min(readChunk, l-off)))
		if err != nil {
			return 0, err
		}
		sum = CRC64Combine(sum, rest, l-off)
	}
	return sum, nil
}
