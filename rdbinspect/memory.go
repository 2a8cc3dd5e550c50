package rdbinspect

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// The memory model predicts what MEMORY USAGE key SAMPLES 0 reports once a
// server has loaded a key from the file: objectComputeSize (src/object.c)
// over the structures rdbLoadObject (src/rdb.c) builds, with the usable
// sizes jemalloc 5.3 gives them (zmalloc_size is malloc_usable_size), plus
// the key's own sds and dictEntry (memoryCommand). Constants are the
// struct sizes of Redis 7.0.15 on a 64-bit build.
const (
	sizeRobj          = 16  // robj
	sizeDictEntry     = 24  // dictEntry: key, value, next
	sizeDict          = 56  // dict: type, 2 tables, 2 used, rehashidx, pauserehash, 2 exps
	sizeQuicklist     = 40  // quicklist: head, tail, count, len, fill/compress/bookmark bits
	sizeQuicklistNode = 40  // quicklistNode: prev, next, entry, sz, 32 bits of fields
	sizeZSet          = 16  // zset: dict, zsl
	sizeZSkiplist     = 32  // zskiplist: header, tail, length, level
	sizeStream        = 80  // stream: rax, length, last/first/max-deleted IDs, entries_added, cgroups
	sizeStreamCG      = 40  // streamCG: last_id, entries_read, pel, consumers
	sizeStreamNACK    = 24  // streamNACK: delivery_time, delivery_count, consumer
	sizeConsumer70    = 24  // streamConsumer: seen_time, name, pel (7.2 adds active_time)
	raxPerElement     = 16  // streamRadixTreeMemoryUsage: sizeof(streamID) per element
	raxPerNode        = 244 // sizeof(raxNode) + 30 * sizeof(long) per node
	zslMaxLevel       = 32  // ZSKIPLIST_MAXLEVEL
	listpackHeader    = 6   // total bytes (4) + element count (2)
	embstrLimit       = 44  // OBJ_ENCODING_EMBSTR_SIZE_LIMIT
)

// jeSize is the usable size jemalloc 5.3 (16-byte quantum, 4 KiB pages)
// returns for a request of n bytes: 8, then multiples of 16 up to 128,
// then four size classes per doubling (160, 192, 224, 256, 320, ...), the
// same rule for small and large classes.
func jeSize(n uint64) uint64 {
	switch {
	case n <= 8:
		return 8
	case n <= 128:
		return (n + 15) &^ 15
	case n > 1<<62:
		return n
	}
	lg := bits.Len64(n-1) - 1
	delta := uint64(1) << (lg - 2)
	return (n + delta - 1) &^ (delta - 1)
}

// sdsHeader is the header size of the sds type sdsnewlen picks for a
// string of n bytes (sdsReqType; an empty string gets type 8).
func sdsHeader(n uint64) uint64 {
	switch {
	case n == 0:
		return 3
	case n < 1<<5:
		return 1
	case n < 1<<8:
		return 3
	case n < 1<<16:
		return 5
	case n < 1<<32:
		return 9
	}
	return 17
}

// sdsAlloc is sdsZmallocSize of an sds of n bytes made by sdsnewlen.
func sdsAlloc(n uint64) uint64 { return jeSize(sdsHeader(n) + n + 1) }

// stringValueMemory is objectComputeSize of a string value of n bytes
// after tryObjectEncoding: an integer is a bare robj, up to 44 bytes the
// robj and sds share one allocation (embstr), beyond that a robj points at
// its own sds (raw).
func stringValueMemory(n uint64, isInt bool) uint64 {
	switch {
	case isInt:
		return sizeRobj
	case n <= embstrLimit:
		return jeSize(sizeRobj + 3 + n + 1)
	}
	return sizeRobj + sdsAlloc(n)
}

// stringEncoding is OBJECT ENCODING of a loaded string value.
func stringEncoding(n uint64, isInt bool) string {
	switch {
	case isInt:
		return "int"
	case n <= embstrLimit:
		return "embstr"
	}
	return "raw"
}

// keyMemory is what memoryCommand adds for the key itself: its sds and the
// dictEntry of the main dictionary.
func keyMemory(keyLen uint64) uint64 { return sdsAlloc(keyLen) + sizeDictEntry }

// lpIntSize is the encoded size of an integer entry (lpEncodeIntegerGetType).
func lpIntSize(v int64) uint64 {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= -32768 && v <= 32767:
		return 3
	case v >= -8388608 && v <= 8388607:
		return 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 5
	}
	return 9
}

// lpStringSize is the encoded size of a string entry of n bytes.
func lpStringSize(n uint64) uint64 {
	switch {
	case n < 64:
		return 1 + n
	case n < 4096:
		return 2 + n
	}
	return 5 + n
}

// lpEntryBytes is the size of a whole listpack entry (encoding, data and
// back-length) for an entry of encoded size l.
func lpEntryBytes(l uint64) uint64 { return l + lpBacklenSize(l) }

// lpElemSize is the bytes lpAppend adds for an element: strings that
// lpStringToInt64 reads as an integer are stored as integers.
func lpElemSize(e *elemInfo) uint64 {
	if v, ok := e.intValue(); ok {
		return lpEntryBytes(lpIntSize(v))
	}
	return lpEntryBytes(lpStringSize(e.n))
}

// lpScoreSize is the bytes zzlInsertAt adds for a score: an integral score
// within ±2^62 as an integer, any other as its d2string text.
func lpScoreSize(score float64) uint64 {
	if v, ok := double2ll(score); ok {
		return lpEntryBytes(lpIntSize(v))
	}
	return lpEntryBytes(lpStringSize(uint64(len(d2string(score)))))
}

// double2ll is src/util.c double2ll.
func double2ll(d float64) (int64, bool) {
	const lim = float64(math.MaxInt64 / 2)
	if math.IsNaN(d) || d < -lim || d > lim {
		return 0, false
	}
	v := int64(d)
	if float64(v) == d {
		return v, true
	}
	return 0, false
}

// d2string is src/util.c d2string: integers as integers, otherwise %.17g.
func d2string(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case v == 0:
		if math.Signbit(v) {
			return "-0"
		}
		return "0"
	}
	if l, ok := double2ll(v); ok {
		return strconv.FormatInt(l, 10)
	}
	return formatG17(v)
}

// formatG17 is printf("%.17g"), which DEBUG DIGEST uses for scores.
func formatG17(v float64) string {
	switch {
	case math.IsNaN(v):
		if math.Signbit(v) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'g', 17, 64)
}

// intsetWidth is the encoding an intset needs for v (_intsetValueEncoding).
func intsetWidth(v int64) uint64 {
	switch {
	case v < math.MinInt32 || v > math.MaxInt32:
		return 8
	case v < math.MinInt16 || v > math.MaxInt16:
		return 4
	}
	return 2
}

// dictSim follows the two tables of a dict as elements are added
// (src/dict.c: dictExpand, _dictExpandIfNeeded, incremental rehashing one
// bucket per add), so the bucket count MEMORY USAGE sees after a load is
// known. Which buckets are empty depends on the server's random hash seed,
// so the progress of a rehash is the expected one: a table of s buckets
// holding u entries has s(1-(1-1/s)^u) non-empty buckets, one moved per add.
type dictSim struct {
	size0, size1 uint64
	used         uint64 // entries in both tables
	// old is the entries still in table 0 during a rehash, left its
	// non-empty buckets still to move.
	old, left float64
}

func dictNextPow(n uint64) uint64 {
	if n <= 4 {
		return 4
	}
	if n > 1<<62 {
		return 1 << 62
	}
	return 1 << bits.Len64(n-1)
}

// expand is _dictExpand: a no-op while rehashing, below the used count or
// to the same size.
func (d *dictSim) expand(n uint64) {
	if d.size1 != 0 || d.used > n {
		return
	}
	s := dictNextPow(n)
	if s == d.size0 {
		return
	}
	if d.size0 == 0 {
		d.size0 = s
		return
	}
	d.size1 = s
	fs, u := float64(d.size0), float64(d.used)
	d.old = u
	d.left = fs * (1 - math.Pow(1-1/fs, u))
}

// step is one _dictRehashStep.
func (d *dictSim) step() {
	if d.size1 == 0 {
		return
	}
	if d.old >= 0.5 && d.left >= 0.5 {
		d.old -= d.old / d.left
		d.left--
	}
	if d.old < 0.5 || d.left < 0.5 {
		d.size0, d.size1 = d.size1, 0
		d.old, d.left = 0, 0
	}
}

// add is dictAdd of a new key.
func (d *dictSim) add() {
	d.step()
	if d.size1 == 0 {
		switch {
		case d.size0 == 0:
			d.expand(4)
		case d.used >= d.size0:
			d.expand(d.used + 1)
		}
	}
	d.used++
}

// slots is dictSlots: the buckets of both tables.
func (d *dictSim) slots() uint64 { return d.size0 + d.size1 }

// presized is the bucket count of a new dict expanded to n and then
// filled with n elements: no growth, no rehash.
func presizedSlots(n uint64) uint64 { return dictNextPow(n) }

// grownSlots is the bucket count of a dict that starts empty and grows by
// adds alone to n elements.
func grownSlots(n uint64) uint64 {
	var d dictSim
	if n > 1<<20 {
		// Past a million adds the last doubling decides; start there.
		s := dictNextPow(n) / 2
		if s >= n {
			s /= 2
		}
		d = dictSim{size0: s, used: s}
		for i := s; i < n; i++ {
			d.add()
		}
		return d.slots()
	}
	for range n {
		d.add()
	}
	return d.slots()
}

// zslNodeMean is the expected zmalloc size of a skiplist node: 24 bytes
// plus 16 per level, levels drawn with p = 1/4 (zslRandomLevel).
var zslNodeMean = func() float64 {
	var mean float64
	rest := 1.0
	for level := uint64(1); level <= zslMaxLevel; level++ {
		pl := rest * 0.75
		if level == zslMaxLevel {
			pl = rest
		}
		mean += pl * float64(jeSize(24+16*level))
		rest -= pl
	}
	return mean
}()

// zslHeaderSize is the header node of every skiplist (ZSKIPLIST_MAXLEVEL levels).
var zslHeaderSize = jeSize(24 + 16*zslMaxLevel)

// raxCounter counts the nodes of a rax (src/rax.c) that receives 16-byte
// keys in ascending order, as the loader inserts stream node IDs and
// pending entries. Such a rax is the compressed trie of its keys: a node
// per branching point, per leaf, and per run of single-child characters
// between them, the run from the root folded into the head node. Only the
// rightmost path is open, so memory is constant.
type raxCounter struct {
	n         uint64
	prev      [16]byte
	spine     [18]uint8 // depths of the open path: 0 (root), branches, 16 (leaf)
	depth     int       // entries in spine
	branches  uint64    // branching nodes below the root
	extra     uint64    // character-run nodes on finished edges from branching nodes
	rootExtra uint64    // character-run nodes on edges from the root
	rootEdges uint64
	// unordered: a key did not follow the previous one; the count is then
	// an estimate.
	unordered bool
}

func (c *raxCounter) finishEdge(parent, child uint8) {
	if parent == 0 {
		c.rootEdges++
		if child-parent >= 2 {
			c.rootExtra++
		}
		return
	}
	if child-parent >= 2 {
		c.extra++
	}
}

// add inserts the next key.
func (c *raxCounter) add(k []byte) {
	if len(k) != 16 {
		c.unordered = true
		return
	}
	if c.n == 0 {
		c.spine[0], c.spine[1] = 0, 16
		c.depth = 2
		copy(c.prev[:], k)
		c.n = 1
		return
	}
	l := uint8(0)
	for l < 16 && c.prev[l] == k[l] {
		l++
	}
	if l == 16 || k[l] < c.prev[l] {
		c.unordered = true
		// A repeated or out-of-order key: count it as one more leaf
		// hanging off a branch.
		c.n++
		c.branches++
		return
	}
	// Close every open node deeper than the divergence point.
	for c.spine[c.depth-1] > l {
		x := c.spine[c.depth-1]
		c.depth--
		below := c.spine[c.depth-1]
		if below < l {
			// A new branch at depth l becomes x's parent.
			c.finishEdge(l, x)
			c.spine[c.depth] = l
			c.depth++
			c.branches++
			break
		}
		c.finishEdge(below, x)
	}
	c.spine[c.depth] = 16
	c.depth++
	copy(c.prev[:], k)
	c.n++
}

// nodes is rax->numnodes.
func (c *raxCounter) nodes() uint64 {
	if c.n == 0 {
		return 1
	}
	edges, extra, rootExtra := c.rootEdges, c.extra, c.rootExtra
	for i := c.depth - 1; i > 0; i-- {
		parent, child := c.spine[i-1], c.spine[i]
		if parent == 0 {
			edges++
			if child-parent >= 2 {
				rootExtra++
			}
		} else if child-parent >= 2 {
			extra++
		}
	}
	n := 1 + c.branches + c.n + extra
	if edges > 1 {
		n += rootExtra
	}
	return n
}

// memory is streamRadixTreeMemoryUsage.
func (c *raxCounter) memory() uint64 { return c.n*raxPerElement + c.nodes()*raxPerNode }

// fpconvDtoa is deps/fpconv fpconv_dtoa of Redis 7.2 and later (and
// Valkey), which DEBUG DIGEST uses for scores there: the shortest digits
// that read back as v, plain up to a few zeros, scientific beyond, with an
// exponent of as few digits as it needs.
func fpconvDtoa(v float64) string {
	neg := math.Signbit(v)
	sign := ""
	if neg {
		sign = "-"
	}
	switch {
	case v == 0:
		return sign + "0"
	case math.IsNaN(v):
		return sign + "nan"
	case math.IsInf(v, 0):
		return sign + "inf"
	}
	digits, k := fpconvGrisu2(math.Abs(v))
	nd := len(digits)
	absExp := k + nd - 1
	if absExp < 0 {
		absExp = -absExp
	}
	switch {
	case k >= 0 && absExp < nd+7:
		return sign + digits + strings.Repeat("0", k)
	case k < 0 && (k > -7 || absExp < 4):
		offset := nd + k
		if offset <= 0 {
			return sign + "0." + strings.Repeat("0", -offset) + digits
		}
		return sign + digits[:offset] + "." + digits[offset:]
	}
	limit := 18
	if neg {
		limit = 17
	}
	nd = min(nd, limit)
	out := sign + digits[:1]
	if nd > 1 {
		out += "." + digits[1:nd]
	}
	if k+nd-1 < 0 {
		out += "e-"
	} else {
		out += "e+"
	}
	return out + strconv.Itoa(absExp)
}
