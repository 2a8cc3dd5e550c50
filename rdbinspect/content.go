package rdbinspect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"

	"github.com/aoftool/aoftool/finding"
)

// Conversion thresholds of the default configuration (src/config.c): the
// loader converts a larger container to a hash table or skiplist by
// iterating it, and that iteration asserts on a broken layout or a
// duplicate.
const (
	convertHashEntries   = 512 // hash-max-listpack-entries
	convertZSetEntries   = 128 // zset-max-listpack-entries
	convertSetEntries    = 128 // set-max-listpack-entries (7.2)
	convertIntsetEntries = 512 // set-max-intset-entries
	convertValueBytes    = 64  // hash-max-listpack-value
)

// maxContentFindings bounds the findings listed for values; the refusals
// still count every record.
const maxContentFindings = 100

// maxPELChecked bounds the pending entries of one consumer group kept for
// the consumer and duplicate checks (20 bytes each).
const maxPELChecked = 1 << 18

// contentFault is one record the server's load-time checks reject or load
// differently from what the file holds.
type contentFault struct {
	class   CheckClass
	code    finding.Code
	verdict LoadVerdict
	at      int64 // offset of the record's first byte
	detail  string
	sev     finding.Severity
}

// contentState collects the content checks of one walk.
type contentState struct {
	target      Server
	limits      serverLimits
	targetKnown bool
	modules     map[string]bool
	databases   uint64 // 0: not told

	faults   []contentFault
	dropped  int64
	refusals []Refusal
	// skipped counts the keys the loader drops as empty, with
	// sanitize-dump-payload no and yes.
	skipped [2]int64

	// current record
	recAt       int64
	expireAllFF bool

	// RESIZEDB of the current database section
	resize      int64 // offset, -1 when none
	resizeKeys  uint64
	resizeExp   uint64
	sectionKeys int64
	sectionExp  int64

	// stream checks
	nodeKeys, groupNames, consumerNames dupSet
	pel                                 []pelEntry
}

type pelEntry struct {
	id    [16]byte
	owner int32
}

// flagged says whether any record so far was flagged or noted.
func (c *contentState) flagged() bool {
	return len(c.faults) > 0 || c.dropped > 0 || len(c.refusals) > 0 || c.skipped != [2]int64{}
}

// flag records a content fault of the current record.
func (w *walker) flag(class CheckClass, code finding.Code, v LoadVerdict, format string, args ...any) {
	c := &w.content
	at := c.recAt
	w.flagAt(class, at, v)
	if len(c.faults) >= maxContentFindings {
		c.dropped++
		return
	}
	detail := fmt.Sprintf(format, args...)
	if w.inKey {
		detail = fmt.Sprintf("%s key %s (db %d): %s", typeInfos[w.curType].name, w.quotedKey(), w.db, detail)
	}
	c.faults = append(c.faults, contentFault{class: class, code: code, verdict: v, at: at, sev: finding.Error,
		detail: detail + "; " + v.phrase()})
}

// endSection compares the RESIZEDB of the database section that ends with
// the keys it held. Redis writes the exact sizes of its tables; the loader
// only presizes its tables from them (dictExpand), so a larger announcement
// costs memory at start but loads the same data.
func (w *walker) endSection() {
	c := &w.content
	if c.resize >= 0 {
		keys, exp := uint64(c.sectionKeys), uint64(c.sectionExp)
		if c.resizeKeys >= 2*keys+1024 || c.resizeExp >= 2*exp+1024 {
			big := max(c.resizeKeys, c.resizeExp)
			if big >= unusableResize && big < 1<<61 {
				// Observed on 7.0.15 at 2^32: used_memory 32 GB, SAVE 52 s for
				// one key, SCAN and DEBUG DIGEST blocking.
				w.note(finding.RDBResizeOversized, finding.Error, c.resize, "RESIZEDB announces %d keys and %d expires for database %d, which holds %d keys and %d expires: the server presizes its key table for the announcement%s, and every SAVE, SCAN and full walk then crosses all those empty buckets: the server starts but is unusable", c.resizeKeys, c.resizeExp, w.db, keys, exp, presize(big))
			} else {
				w.note(finding.RDBResizeOversized, finding.Warning, c.resize, "RESIZEDB announces %d keys and %d expires for database %d, which holds %d keys and %d expires: the server presizes its key table for the announcement%s and loads the same data", c.resizeKeys, c.resizeExp, w.db, keys, exp, presize(big))
			}
		}
	}
	c.resize, c.sectionKeys, c.sectionExp = -1, 0, 0
}

// unusableResize is the announcement from which the presized key table
// (8 GiB of bucket pointers) makes the server unusable though it starts.
const unusableResize = 1 << 30

// presize words the table dictExpand allocates for n entries: the next
// power of two of 8-byte pointers; past 2^61 it detects the overflow and
// allocates nothing.
func presize(n uint64) string {
	if n <= 4 {
		return ""
	}
	exp := 64 - bits.LeadingZeros64(n-1)
	if exp >= 61 {
		return " (too large: the server ignores it)"
	}
	return fmt.Sprintf(" (%d bytes of bucket pointers)", uint64(8)<<exp)
}

// flagAt adds a refusal for a record outside a key (no finding: the
// caller words it).
func (w *walker) flagAt(class CheckClass, at int64, v LoadVerdict) {
	c := &w.content
	for i := range c.refusals {
		if c.refusals[i].Class == class {
			c.refusals[i].Verdict = c.refusals[i].Verdict.merge(v)
			c.refusals[i].Records++
			return
		}
	}
	c.refusals = append(c.refusals, Refusal{Class: class, Verdict: v, Records: 1, First: at})
}

// note records a finding about a record that is not a server refusal.
func (w *walker) note(code finding.Code, sev finding.Severity, at int64, format string, args ...any) {
	c := &w.content
	if len(c.faults) >= maxContentFindings {
		c.dropped++
		return
	}
	c.faults = append(c.faults, contentFault{code: code, at: at, sev: sev, detail: fmt.Sprintf(format, args...)})
}

// where names the failing byte of a container.
func where(r *blobReader, at uint64) string {
	if off := r.fileOffset(at); off >= 0 {
		return fmt.Sprintf("failing byte at offset %d", off)
	}
	return fmt.Sprintf("failing byte %d of the %d bytes it decompresses to", at, r.size)
}

// container reads one string holding an encoded container through check.
// ok is false when the string itself is broken (w.err is set). A container
// that must end with 0xFF and does not gets a shallow fault, as the header
// part of every validator checks the last byte first.
func (w *walker) container(what string, endFF bool, check func(r *blobReader) (walkInfo, *fault)) (info walkInfo, f *fault, r *blobReader, ok bool) {
	r = &w.br
	if !w.openString(r, what) {
		return info, nil, r, false
	}
	if w.vis != nil {
		w.vis.acc.encodedLen = r.size
	}
	info, f = check(r)
	last, good := r.drain()
	if !good || w.err != nil {
		return info, nil, r, false
	}
	if endFF && last != 0xff && (f == nil || !f.shallow) && r.size > 0 {
		f = faultAt(r.size-1, true, "%s does not end with 0xFF", what)
	}
	return info, f, r, true
}

func (w *walker) emptyKey(what string) {
	w.content.skipped[0]++
	w.content.skipped[1]++
	if w.vis != nil {
		w.vis.skipped = true
	}
	w.flag(ClassEmptyKey, finding.RDBEmptyKey, verdictEmptyKey, "%s holds no elements (rdbLoadObject skipping empty key)", what)
}

// value walks the value of one record of type t, running the checks the
// server's rdbLoadObject runs on it, and sets w.elems to its number of
// elements (list items, set members, hash fields, stream entries), or -1
// when the encoding does not say.
func (w *walker) value(t int) {
	w.elems = -1
	what := valueWhat[t]
	switch t {
	case typeString:
		if w.chk.em != nil {
			w.emitString(what)
		} else {
			w.str(what, false)
		}
	case typeList:
		n := w.count(1, "list length")
		w.elems = int64(n)
		if n == 0 && w.err == nil {
			w.emptyKey("the list")
		}
		for i := uint64(0); i < n && w.err == nil; i++ {
			if w.chk.em != nil {
				w.emitString("element")
			} else {
				w.str("element", false)
			}
		}
	case typeSet:
		w.plainSet()
	case typeZSet, typeZSet2:
		w.plainZSet(t)
	case typeHash:
		w.plainHash(t)
	case typeHashMeta, typeHashMetaPreGA:
		w.plainHash(t)
	case typeHashZipmap:
		info, f, r, ok := w.container(what, true, w.chk.zipmap)
		if !ok {
			return
		}
		w.elems = info.entries
		if f != nil {
			w.flag(ClassZipmap, finding.RDBZipmapCorrupt, verdictAllRefuse, "zipmap: %s (%s)", f.msg, where(r, f.at))
		}
	case typeListZiplist, typeZSetZiplist, typeHashZiplist:
		pairs := t != typeListZiplist
		info, f, r, ok := w.container(what, true, func(r *blobReader) (walkInfo, *fault) { return w.chk.ziplist(r, pairs) })
		if !ok {
			return
		}
		w.elems = elemsOf(info, f, perTuple(t))
		switch {
		case f != nil:
			w.flag(ClassZiplist, finding.RDBZiplistCorrupt, verdictAllRefuse, "%s (%s); ziplists are always checked in full because the loader converts them", f.msg, where(r, f.at))
		case info.entries == 0:
			w.emptyKey("the ziplist")
		}
	case typeSetIntset:
		info, f, r, ok := w.container(what, false, w.chk.intset)
		if !ok {
			return
		}
		w.elems = info.header
		switch {
		case f == nil:
		case f.shallow:
			w.flag(ClassIntset, finding.RDBIntsetCorrupt, verdictAllRefuse, "%s (%s)", f.msg, where(r, f.at))
		default:
			v := verdictSanitizeOnly
			if f.dup && info.header > convertIntsetEntries {
				// setTypeConvert asserts dictAdd succeeds for each integer.
				v.Default = Crashes
			}
			w.flag(ClassIntsetOrder, finding.RDBIntsetUnsorted, v, "%s (%s)", f.msg, where(r, f.at))
		}
	case typeHashListpack:
		w.listpackValue(t, what, lpMode{tuple: 2}, convertHashEntries)
	case typeZSetListpack:
		w.listpackValue(t, what, lpMode{tuple: 2}, convertZSetEntries)
	case typeSetListpack:
		w.listpackValue(t, what, lpMode{tuple: 1}, convertSetEntries)
	case typeHashLPExPreGA:
		w.listpackValue(t, what, lpMode{tuple: 3, ttl: true}, convertHashEntries)
	case typeHashLPEx:
		w.fixed(8, "hash minimum expire time")
		w.listpackValue(t, what, lpMode{tuple: 3, ttl: true}, convertHashEntries)
	case typeListQuicklist, typeListQuicklist2:
		w.quicklist(t)
	case typeStreamLP, typeStreamLP2, typeStreamLP3:
		w.stream(t)
	case typeModule2:
		idAt := w.s.off()
		id, _ := w.length("module id")
		if w.err != nil {
			return
		}
		w.moduleValue("module value")
		if w.err == nil {
			w.module(id, idAt, "module value")
		}
	}
}

// module flags module data whose module the target has not loaded: the
// server refuses it ("no matching module type"), redis-check-rdb parses it
// generically and accepts it.
func (w *walker) module(id uint64, at int64, what string) {
	name := ModuleTypeName(id)
	if w.content.modules[name] {
		return
	}
	w.flag(ClassModule, finding.RDBModuleNotLoaded, verdictServerOnly, "%s of module type %q (id %d at offset %d), which the server has not loaded", what, name, id, at)
}

// ModuleTypeName decodes the 9-character module type name of a module id
// (moduleTypeNameByID); its low 10 bits are the encoding version.
func ModuleTypeName(id uint64) string {
	const cset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var name [9]byte
	id >>= 10
	for j := 8; j >= 0; j-- {
		name[j] = cset[id&63]
		id >>= 6
	}
	return string(name[:])
}

func perTuple(t int) int64 {
	switch t {
	case typeZSetZiplist, typeHashZiplist, typeHashListpack, typeZSetListpack:
		return 2
	case typeHashLPExPreGA, typeHashLPEx:
		return 3
	}
	return 1
}

// elemsOf is the element count of a walked container: the entries found
// when the walk completed, else what its header says.
func elemsOf(info walkInfo, f *fault, tuple int64) int64 {
	if f == nil && info.complete {
		return info.entries / tuple
	}
	if info.header >= 0 {
		return info.header / tuple
	}
	return -1
}

// listpackValue checks the listpack of a hash, zset or set. The server
// checks its header on every load and walks it only when sanitizing; what
// a fault does without sanitizing follows rdbLoadObject: a header count of
// 0 makes the key "empty" and skipped, an unknown count (0xFFFF) makes
// lpLength walk the entries with assertions, and a container above the
// conversion threshold is iterated with assertions into a hash table.
func (w *walker) listpackValue(t int, what string, mode lpMode, convertAbove int64) {
	info, f, r, ok := w.container(what, true, func(r *blobReader) (walkInfo, *fault) { return w.chk.listpack(r, mode) })
	if !ok {
		return
	}
	tuple := int64(mode.tuple)
	w.elems = elemsOf(info, f, tuple)
	if info.dupUnchecked {
		w.note(finding.RDBDupCheckSkipped, finding.Info, w.content.recAt, "%s key %s: more than %d elements; not checked for duplicates", typeInfos[t].name, w.quotedKey(), maxDupElements)
	}
	if f == nil {
		if info.entries == 0 {
			w.emptyKey("the listpack")
		}
		return
	}
	if f.shallow {
		w.flag(ClassListpackHeader, finding.RDBListpackHeader, verdictAllRefuse, "%s (%s)", f.msg, where(r, f.at))
		return
	}
	v := verdictSanitizeOnly
	count := info.header
	if count < 0 && info.complete {
		count = info.entries
	}
	convert := count/tuple > convertAbove
	switch {
	case count < 0:
		v.Default = Crashes // lpLength walks the entries with assertions
	case count/tuple == 0:
		v.Default = LoadsChanged // skipped as an empty key
		w.content.skipped[0]++
	case convert && (!info.complete || f.dup):
		v.Default = Crashes // the conversion iterates with assertions
	case f.count && !convert:
		v.Default = LoadsChanged // lengths come from the wrong header count
	}
	w.flag(ClassListpack, finding.RDBListpackCorrupt, v, "%s (%s)%s", f.msg, where(r, f.at), afterLoad(v, info, f))
}

// afterLoad says what a listpack loaded without sanitization does later.
func afterLoad(v LoadVerdict, info walkInfo, f *fault) string {
	switch {
	case v.Default != Loads && v.Default != LoadsChanged:
		return ""
	case !info.complete:
		return "; loaded as is, the first command that walks the value asserts and crashes the server"
	case f.count:
		return "; lengths the server reports for it come from the wrong count"
	}
	return ""
}

// quicklist walks a list of ziplist (v1) or listpack (v2) nodes.
func (w *walker) quicklist(t int) {
	unit := uint64(1)
	if t == typeListQuicklist2 {
		unit = 2
	}
	n := w.count(unit, "quicklist node count")
	if w.err != nil {
		return
	}
	total, kept := int64(0), 0
	defer func() { w.elems = total }()
	for i := uint64(0); i < n && w.err == nil; i++ {
		at := w.s.off()
		container := uint64(2)
		if t == typeListQuicklist2 {
			container, _ = w.length("quicklist container")
			if w.err != nil {
				return
			}
			if container != 1 && container != 2 {
				w.fail(ErrInvalidOpcode, at, "quicklist node container %d is neither 1 (plain) nor 2 (packed) (Quicklist integrity check failed)", container)
				return
			}
		}
		if container == 1 {
			if w.chk.em != nil {
				w.emitString("quicklist plain node")
			} else {
				w.str("quicklist plain node", false)
			}
			if w.vis != nil && w.err == nil {
				w.vis.acc.quicklistNode(w.ulen, 1, true)
			}
			if w.err == nil && w.ulen == 0 {
				w.flag(ClassQuicklist, finding.RDBQuicklistNodeEmpty, verdictAllRefuse, "node %d is an empty string", i)
			}
			if total >= 0 {
				total++
			}
			kept++
			continue
		}
		var info walkInfo
		var f *fault
		var r *blobReader
		var ok bool
		if t == typeListQuicklist {
			info, f, r, ok = w.container("quicklist node", true, func(r *blobReader) (walkInfo, *fault) { return w.chk.ziplist(r, false) })
		} else {
			info, f, r, ok = w.container("quicklist node", true, func(r *blobReader) (walkInfo, *fault) { return w.chk.listpack(r, lpMode{}) })
		}
		if !ok {
			return
		}
		if r.size == 0 {
			w.flag(ClassQuicklist, finding.RDBQuicklistNodeEmpty, verdictAllRefuse, "node %d is an empty string", i)
			continue
		}
		count := elemsOf(info, f, 1)
		if w.vis != nil {
			w.vis.acc.quicklistNode(r.size, count, false)
		}
		if total >= 0 && count >= 0 {
			total += count
		} else {
			total = -1
		}
		switch {
		case f == nil:
			if info.entries > 0 {
				kept++
			}
		case t == typeListQuicklist:
			kept++ // the start stops on it anyway
			w.flag(ClassZiplist, finding.RDBZiplistCorrupt, verdictAllRefuse, "node %d: %s (%s); ziplists are always checked in full because the loader converts them", i, f.msg, where(r, f.at))
		case f.shallow:
			kept++
			w.flag(ClassListpackHeader, finding.RDBListpackHeader, verdictAllRefuse, "node %d: %s (%s)", i, f.msg, where(r, f.at))
		default:
			v := verdictSanitizeOnly
			switch {
			case info.header < 0:
				v.Default = Crashes // lpLength walks the node with assertions
				kept++
			case info.header == 0:
				v.Default = LoadsChanged // the node is dropped as empty
			case f.count:
				v.Default = LoadsChanged // the list length counts the header
				kept++
			default:
				kept++
			}
			w.flag(ClassListpack, finding.RDBListpackCorrupt, v, "node %d: %s (%s)%s", i, f.msg, where(r, f.at), afterLoad(v, info, f))
		}
	}
	if w.err == nil && kept == 0 {
		w.emptyKey("the quicklist")
	}
}

// hashedString reads one string, fingerprints its plain bytes and adds it
// to the checker's set: dup reports a repeat, n is its plain length.
func (w *walker) hashedString(what string, set *dupSet) (dup bool, n uint64, ok bool) {
	r := &w.br
	if !w.openString(r, what) {
		return false, 0, false
	}
	h := w.chk.hasher()
	h.reset()
	m := w.chk.em
	if m != nil {
		m.begin()
	}
	for r.more() {
		h.write(r.cur)
		if m != nil {
			m.write(r.cur)
		}
		r.cur = r.cur[:0]
	}
	if r.failed || w.err != nil {
		return false, 0, false
	}
	if m != nil {
		if r.enc == strInt {
			m.e.isInt = true
			m.e.ival, _ = string2ll(r.intText[:r.size])
		}
		m.end()
	}
	return set.add(h.sum()), r.size, true
}

func (w *walker) dupSkipped(set *dupSet) {
	if set.full {
		w.note(finding.RDBDupCheckSkipped, finding.Info, w.content.recAt, "%s key %s: more than %d elements; not checked for duplicates", typeInfos[w.curType].name, w.quotedKey(), maxDupElements)
	}
}

// plainSet: rdbLoadObject adds each member to an intset or a hash table,
// both of which refuse a duplicate ("Duplicate set members detected").
func (w *walker) plainSet() {
	n := w.count(1, "set length")
	w.elems = int64(n)
	if w.err != nil {
		return
	}
	if w.vis != nil {
		w.vis.acc.length(n)
	}
	if n == 0 {
		w.emptyKey("the set")
		return
	}
	set := &w.chk.set
	set.reset()
	reported := false
	for i := uint64(0); i < n && w.err == nil; i++ {
		dup, _, ok := w.hashedString("set member", set)
		if ok && dup && !reported {
			reported = true
			w.flag(ClassDuplicate, finding.RDBDuplicateElement, verdictAllRefuse, "member %d repeats an earlier member (Duplicate set members detected)", i)
		}
	}
	w.dupSkipped(set)
}

// plainZSet: a duplicate member and a NaN score refuse on every load.
func (w *walker) plainZSet(t int) {
	n := w.count(2, "zset length")
	w.elems = int64(n)
	if w.err != nil {
		return
	}
	if w.vis != nil {
		w.vis.acc.length(n)
	}
	if n == 0 {
		w.emptyKey("the sorted set")
		return
	}
	set := &w.chk.set
	set.reset()
	reportedDup, reportedScore := false, false
	for i := uint64(0); i < n && w.err == nil; i++ {
		dup, _, ok := w.hashedString("zset member", set)
		if !ok {
			return
		}
		bad := ""
		var score float64
		if t == typeZSet2 {
			if !w.need(8, "zset score") {
				return
			}
			score = math.Float64frombits(binary.LittleEndian.Uint64(w.s.buf[w.s.i:]))
			if math.IsNaN(score) {
				bad = "its score is NaN (Zset with NAN score detected)"
			}
			w.s.i += 8
		} else {
			bad, score = w.textScore()
		}
		if w.vis != nil && w.err == nil {
			w.vis.acc.score(score)
		}
		if bad != "" && !reportedScore && w.err == nil {
			reportedScore = true
			w.flag(ClassScore, finding.RDBZSetScore, verdictAllRefuse, "member %d: %s", i, bad)
		}
		if dup && !reportedDup {
			reportedDup = true
			w.flag(ClassDuplicate, finding.RDBDuplicateElement, verdictAllRefuse, "member %d repeats an earlier member (Duplicate zset fields detected)", i)
		}
	}
	w.dupSkipped(set)
}

// textScore reads a score written by rdbSaveDoubleValue (RDB < 8) and says
// why rdbLoadDoubleValue or the NaN check would refuse it, if they would.
func (w *walker) textScore() (string, float64) {
	n := w.byte1("zset score")
	if w.err != nil {
		return "", 0
	}
	switch n {
	case 253:
		return "its score is NaN (Zset with NAN score detected)", math.NaN()
	case 254:
		return "", math.Inf(1)
	case 255:
		return "", math.Inf(-1)
	}
	if !w.need(int(n), "zset score") {
		return "", 0
	}
	text := w.s.buf[w.s.i : w.s.i+int(n)]
	w.s.i += int(n)
	v, ok := scanDouble(text)
	switch {
	case !ok:
		return fmt.Sprintf("its score %q is not a number (sscanf %%lg fails)", text), 0
	case math.IsNaN(v):
		return "its score is NaN (Zset with NAN score detected)", v
	}
	return "", v
}

// scanDouble is sscanf("%lg"): leading white space, then the longest prefix
// that is a floating-point number (including inf and nan); the rest is
// ignored.
func scanDouble(b []byte) (float64, bool) {
	b = bytes.TrimLeft(b, " \t\n\v\f\r")
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	for k := len(b); k > 0; k-- {
		if v, err := strconv.ParseFloat(string(b[:k]), 64); err == nil || isRange(err) {
			if bytes.ContainsRune(b[:k], '_') {
				continue
			}
			return v, true
		}
	}
	return 0, false
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// plainHash: fields go into a listpack while the hash is small, where only
// sanitize-dump-payload yes looks for duplicates; a hash larger than the
// conversion threshold, or one that meets a long field or value, moves to a
// hash table, which refuses a duplicate, and a listpack already holding one
// makes the conversion panic ("Listpack corruption detected").
func (w *walker) plainHash(t int) {
	var minExpire uint64
	if t == typeHashMeta {
		if !w.need(8, "hash minimum expire time") {
			return
		}
		minExpire = binary.LittleEndian.Uint64(w.s.buf[w.s.i:])
		w.s.i += 8
	}
	unit := uint64(2)
	if t != typeHash {
		unit = 3
	}
	n := w.count(unit, "hash length")
	w.elems = int64(n)
	if w.err != nil {
		return
	}
	if w.vis != nil {
		w.vis.acc.length(n)
	}
	if n == 0 {
		w.emptyKey("the hash")
		return
	}
	set := &w.chk.set
	set.reset()
	dupAt, convertAt := int64(-1), int64(-1)
	if n > convertHashEntries {
		convertAt = 0
	}
	badTTL := false
	for i := uint64(0); i < n && w.err == nil; i++ {
		if t != typeHash {
			// A field's expire time: absolute (pre-GA), or relative to the
			// hash's minimum (+1, 0 meaning none); above 2^48-1 the loader
			// refuses it ("invalid expireAt time").
			ttl, _ := w.length("hash field TTL")
			if w.vis != nil {
				w.vis.acc.fieldTTL = ttl != 0
			}
			at := ttl
			if t == typeHashMeta && ttl != 0 {
				at = ttl + minExpire - 1
			}
			if at > ebExpireTimeMax && !badTTL && w.err == nil {
				badTTL = true
				w.flag(ClassHashTTL, finding.RDBHashFieldTTL, verdictAllRefuse, "field %d expires at %d, beyond 2^48-1 (invalid expireAt time)", i, at)
			}
		}
		dup, flen, ok := w.hashedString("hash field", set)
		if !ok {
			return
		}
		if w.chk.em != nil {
			w.emitString("hash value")
		} else {
			w.str("hash value", false)
		}
		if w.err != nil {
			return
		}
		if dup && dupAt < 0 {
			dupAt = int64(i)
		}
		if convertAt < 0 && (flen > convertValueBytes || w.ulen > convertValueBytes) {
			convertAt = int64(i)
		}
	}
	w.dupSkipped(set)
	if dupAt < 0 {
		return
	}
	v := verdictSanitizeOnly
	switch {
	case convertAt >= 0 && convertAt <= dupAt:
		v.Default = Refuses // the hash table refuses the duplicate
	case convertAt > dupAt:
		v.Default = Crashes // the listpack with the duplicate is converted
	}
	w.flag(ClassDuplicate, finding.RDBDuplicateElement, v, "field %d repeats an earlier field", dupAt)
}

// stream walks a stream: its node keys and listpacks, metadata, consumer
// groups, their pending entries (PEL) and consumers, with the checks of
// rdbLoadObject.
func (w *walker) stream(t int) {
	c := &w.content
	n := w.count(2, "stream listpack count")
	if w.err != nil {
		return
	}
	c.nodeKeys.reset()
	var key [16]byte
	nodes := 0
	for i := uint64(0); i < n && w.err == nil; i++ {
		r := &w.br
		if !w.openString(r, "stream node key") {
			return
		}
		size := r.size
		if size == 16 {
			r.read(key[:])
		}
		if _, ok := r.drain(); !ok {
			return
		}
		if w.vis != nil && size == 16 {
			w.vis.acc.nodeRax.add(key[:])
			w.vis.acc.sd.node(key[:])
		}
		if size != 16 {
			w.flag(ClassStream, finding.RDBStreamCorrupt, verdictAllRefuse, "node %d key is %d bytes, not a 16-byte stream ID (Stream node key entry is not the size of a stream ID)", i, size)
		} else {
			h := w.chk.hasher()
			h.reset()
			h.write(key[:])
			if c.nodeKeys.add(h.sum()) {
				w.flag(ClassStream, finding.RDBStreamCorrupt, verdictAllRefuse, "node %d repeats the key %s of an earlier node (Listpack re-added with existing key)", i, streamID(key[:]))
			}
		}
		var entries int64
		info, f, r2, ok := w.container("stream listpack", true, func(r *blobReader) (walkInfo, *fault) {
			info, e, f := w.chk.streamListpack(r)
			entries = e
			return info, f
		})
		_ = info
		if !ok {
			return
		}
		if w.vis != nil {
			w.vis.acc.streamMem += jeSize(r2.size)
		}
		nodes++
		switch {
		case f == nil:
		case f.shallow:
			w.flag(ClassListpackHeader, finding.RDBListpackHeader, verdictAllRefuse, "node %d: %s (%s)", i, f.msg, where(r2, f.at))
			continue
		case f.empty:
			w.flag(ClassStream, finding.RDBStreamCorrupt, verdictAllRefuse, "node %d: %s", i, f.msg)
			continue
		default:
			v := verdictSanitizeOnly
			if f.firstEntry {
				v.Default = Crashes // lpFirst asserts on the first entry
			}
			w.flag(ClassStreamListpack, finding.RDBStreamListpackCorrupt, v, "node %d: %s (%s)", i, f.msg, where(r2, f.at))
		}
		_ = entries
	}
	length, _ := w.length("stream length")
	w.elems = int64(length)
	if length > 1<<62 {
		w.elems = -1
	}
	w.length("stream last ID")
	w.length("stream last ID")
	if t >= typeStreamLP2 {
		for range 5 {
			w.length("stream first/max-deleted ID or entries added")
		}
	}
	if w.err != nil {
		return
	}
	if length != 0 && nodes == 0 {
		w.flag(ClassStream, finding.RDBStreamCorrupt, verdictAllRefuse, "length %d but no listpack nodes (Stream length inconsistent with rax entries)", length)
	}
	groups := w.count(3, "stream consumer group count")
	c.groupNames.reset()
	for g := uint64(0); g < groups && w.err == nil; g++ {
		dup, _, ok := w.hashedString("consumer group name", &c.groupNames)
		if !ok {
			return
		}
		if dup {
			w.flag(ClassStream, finding.RDBStreamCorrupt, verdictAllRefuse, "consumer group %d repeats an earlier group's name (Duplicated consumer group name)", g)
		}
		w.length("consumer group ID")
		w.length("consumer group ID")
		if t >= typeStreamLP2 {
			w.length("consumer group offset")
		}
		if w.vis != nil {
			w.vis.acc.streamMem += sizeStreamCG
		}
		w.streamGroup(t, g)
	}
}

func streamID(b []byte) string {
	return fmt.Sprintf("%d-%d", binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:]))
}

// streamGroup walks one consumer group's PEL and consumers: every consumer
// entry must be in the group's PEL once, the PEL must not repeat an ID, and
// (only when sanitizing) every PEL entry must have an owner.
func (w *walker) streamGroup(t int, g uint64) {
	c := &w.content
	pel := w.count(17, "consumer group PEL size")
	if w.err != nil {
		return
	}
	checked := pel <= maxPELChecked
	c.pel = c.pel[:0]
	var acc *valueAcc
	if w.vis != nil {
		acc = &w.vis.acc
		acc.pelRax = raxCounter{}
	}
	sorted := true
	for p := uint64(0); p < pel && w.err == nil; p++ {
		if !w.need(16, "PEL entry ID") {
			return
		}
		if checked {
			var e pelEntry
			copy(e.id[:], w.s.buf[w.s.i:w.s.i+16])
			if k := len(c.pel); k > 0 && bytes.Compare(c.pel[k-1].id[:], e.id[:]) >= 0 {
				sorted = false
			}
			c.pel = append(c.pel, e)
		}
		if acc != nil {
			acc.pelRax.add(w.s.buf[w.s.i : w.s.i+16])
		}
		w.s.i += 16
		w.fixed(8, "PEL delivery time")
		w.length("PEL delivery count")
	}
	if w.err != nil {
		return
	}
	if acc != nil {
		acc.streamMem += acc.pelRax.memory() + sizeStreamNACK*pel
	}
	if !checked {
		w.note(finding.RDBDupCheckSkipped, finding.Info, c.recAt, "stream key %s: consumer group %d has %d pending entries, more than the %d checked against its consumers", w.quotedKey(), g, pel, maxPELChecked)
	}
	if !sorted {
		sort.Slice(c.pel, func(i, j int) bool { return bytes.Compare(c.pel[i].id[:], c.pel[j].id[:]) < 0 })
		for i := 1; i < len(c.pel); i++ {
			if c.pel[i].id == c.pel[i-1].id {
				w.flag(ClassStream, finding.RDBStreamCorrupt, verdictAllRefuse, "consumer group %d lists the pending entry %s twice (Duplicated global PEL entry)", g, streamID(c.pel[i].id[:]))
				break
			}
		}
	}
	consumers := w.count(10, "consumer count")
	c.consumerNames.reset()
	missing, twice := false, false
	for k := uint64(0); k < consumers && w.err == nil; k++ {
		dup, nameLen, ok := w.hashedString("consumer name", &c.consumerNames)
		if !ok {
			return
		}
		if dup {
			w.flag(ClassStream, finding.RDBStreamCorrupt, verdictAllRefuse, "consumer group %d: consumer %d repeats an earlier consumer's name (Duplicate stream consumer detected)", g, k)
		}
		w.fixed(8, "consumer seen time")
		if t >= typeStreamLP3 {
			w.fixed(8, "consumer active time")
		}
		cp := w.count(16, "consumer PEL size")
		if acc != nil {
			acc.consumerRax = raxCounter{}
		}
		for p := uint64(0); p < cp && w.err == nil; p++ {
			if !w.need(16, "consumer PEL entry ID") {
				return
			}
			id := w.s.buf[w.s.i : w.s.i+16]
			if acc != nil {
				acc.consumerRax.add(id)
			}
			if checked {
				i := sort.Search(len(c.pel), func(i int) bool { return bytes.Compare(c.pel[i].id[:], id) >= 0 })
				switch {
				case i == len(c.pel) || !bytes.Equal(c.pel[i].id[:], id):
					if !missing {
						missing = true
						w.flag(ClassStream, finding.RDBStreamCorrupt, verdictAllRefuse, "consumer group %d: consumer %d owns %s, which the group's PEL does not list (Consumer entry not found in group global PEL)", g, k, streamID(id))
					}
				case c.pel[i].owner == int32(k)+1:
					if !twice {
						twice = true
						w.flag(ClassStream, finding.RDBStreamCorrupt, verdictAllRefuse, "consumer group %d: consumer %d lists %s twice (Duplicated consumer PEL entry)", g, k, streamID(id))
					}
				default:
					c.pel[i].owner = int32(k) + 1
				}
			}
			w.s.i += 16
		}
		if acc != nil && w.err == nil {
			acc.streamMem += acc.consumerSize + nameLen + acc.consumerRax.memory()
		}
	}
	if w.err != nil || !checked {
		return
	}
	for _, e := range c.pel {
		if e.owner == 0 {
			w.flag(ClassStreamPEL, finding.RDBStreamPELUnowned, verdictSanitizeOnly, "consumer group %d: pending entry %s has no consumer (Stream CG PEL entry without consumer)", g, streamID(e.id[:]))
			break
		}
	}
}
