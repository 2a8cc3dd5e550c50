package rdbinspect

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"strconv"
	"strings"
)

// Visitor asks Verify to describe every key as the walk reaches it, in the
// same single pass: what TYPE, OBJECT ENCODING, PTTL and MEMORY USAGE key
// SAMPLES 0 would say of it on the server that loads the file
// (Options.Target, by default the writer), and on request the members of
// small collections and a digest of the value. Memory stays constant
// besides what the caller keeps.
type Visitor struct {
	// Key is called once per key, after its value was walked. The Key and
	// the slices it holds are reused: copy what you keep.
	Key func(k *Key)
	// Want, when set, is asked for each key once its name is read: members
	// (MaxMembers) are kept only for the keys it wants. The name is valid
	// during the call; nameLen is its full length.
	Want func(db uint64, name []byte, nameLen uint64) bool
	// WantedOnly describes only the keys Want wants (Key is called for
	// those alone); the others are only counted, at little cost.
	WantedOnly bool
	// Digest computes Key.Digest for every key.
	Digest bool
	// MaxMembers caps the elements kept of a wanted collection (default
	// 1024) and MaxMemberBytes their bytes (default 64 KiB); a larger one
	// is reported without members.
	MaxMembers     int
	MaxMemberBytes int
	// KeyName is how many bytes of a name are kept (default 64 KiB); a
	// longer name is cut and identified by Key.NameHash.
	KeyName int
	// At and Window, in Unix milliseconds, classify expiries for Counts:
	// expired at or before At, or expiring within (At, At+Window].
	At, Window int64

	// Counts is filled by Verify: per database, in order of appearance.
	Counts []ExpiryCounts
}

// ExpiryCounts is one database's keys classified by expiry against
// Visitor.At and Visitor.Window.
type ExpiryCounts struct {
	DB       uint64
	Keys     int64
	Expired  int64
	Expiring int64
}

// NoExpiry is Key.ExpireAt of a key without a TTL.
const NoExpiry = -1

// Key is one key as the server would hold it after loading the file.
type Key struct {
	DB uint64
	// Name holds the first Visitor.KeyName bytes of the name; NameLen is
	// its full length. NameHash is the SHA-256 of the whole name when it
	// was cut, zero otherwise.
	Name     []byte
	NameLen  uint64
	NameHash [32]byte
	// RDBType is the object type byte in the file.
	RDBType int
	// Type and Encoding are what TYPE and OBJECT ENCODING say on the
	// target server (a module's TYPE is its 9-character type name).
	Type     string
	Encoding string
	// ExpireAt is the absolute expiry in Unix milliseconds, or NoExpiry.
	ExpireAt int64
	// Elements counts list items, set and sorted set members, hash fields
	// and stream entries (XLEN), or a string's bytes (STRLEN); -1 when the
	// encoding does not say.
	Elements int64
	// Size is the record's bytes in the file, from its first opcode;
	// Offset where it starts.
	Size   int64
	Offset int64
	// Memory estimates MEMORY USAGE key SAMPLES 0 on the target; -1 for
	// module values, whose size only the module knows.
	Memory int64
	// Digest is DEBUG DIGEST-VALUE of the key (SHA-1 based, independent of
	// the encoding), with Visitor.Digest; HasDigest is false for module
	// values and for a stream listpack of more than 65536 fields.
	Digest    [20]byte
	HasDigest bool
	// Members lists the elements of a wanted collection in their string
	// forms (hash fields, set and zset members, list items in order);
	// Scores parallels them for a sorted set. MembersKept says they are
	// all there; false for strings, streams and collections over the cap.
	Members     [][]byte
	Scores      []float64
	MembersKept bool
	// Skipped says every loader drops the key: a collection without
	// elements ("rdbLoadObject skipping empty key").
	Skipped bool
}

// visitState is the walk's side of a Visitor.
type visitState struct {
	v       *Visitor
	keyCap  int
	name    []byte
	nameSHA hash.Hash
	key     Key
	em      emitter
	acc     valueAcc
	expire  int64
	skipped bool
	ignored bool // the key is only counted (Visitor.WantedOnly)
	dbs     map[uint64]int
	fam     family
}

// family is the server generation whose load rules decide encodings.
type family int

const (
	fam62 family = iota // up to 6.2: ziplists stay ziplists
	fam70               // 7.0: listpacks everywhere
	fam72               // 7.2 (and Valkey 7.2, 8.x): listpack sets and small lists
	fam74               // 7.4 and later Redis: hash field TTLs
)

func familyOf(s Server) family {
	major, minor, ok := majorMinor(s.Version)
	switch {
	case !ok:
		return fam70
	case s.Name == "valkey":
		return fam72
	case major < 7:
		return fam62
	case major == 7 && minor < 2:
		return fam70
	case major == 7 && minor < 4:
		return fam72
	}
	return fam74
}

func newVisitState(v *Visitor) *visitState {
	vs := &visitState{v: v, keyCap: v.KeyName, dbs: map[uint64]int{}, expire: NoExpiry}
	if vs.keyCap <= 0 {
		vs.keyCap = 64 << 10
	}
	if v.MaxMembers <= 0 {
		v.MaxMembers = 1024
	}
	if v.MaxMemberBytes <= 0 {
		v.MaxMemberBytes = 64 << 10
	}
	v.Counts = nil
	vs.em.acc = &vs.acc
	vs.acc.vs = vs
	if v.Digest {
		vs.em.sha = sha1.New()
	}
	return vs
}

// readKey reads a key name (the walker's str with capture), keeping up to
// keyCap bytes and hashing a longer name whole.
func (w *walker) readKey() {
	vs := w.vis
	w.headLen, w.ulen = 0, 0
	r := &w.br
	if !w.openString(r, "key") {
		return
	}
	w.ulen = r.size
	vs.name = vs.name[:0]
	long := r.size > uint64(vs.keyCap)
	if long {
		if vs.nameSHA == nil {
			vs.nameSHA = sha256.New()
		}
		vs.nameSHA.Reset()
	}
	// The duplicate check hashes a name the head buffer cannot hold as
	// the plain walk does.
	stream := w.hashingName && r.size > headCap
	if stream {
		w.dup.long.Reset()
	}
	for r.more() {
		if stream {
			w.dup.long.Write(r.cur)
		}
		// The head holds what the plain walk's does, whatever the
		// visitor keeps: a name cut at the visitor's cap would hash
		// unlike the same name in the walk that locates duplicates.
		if room := headCap - w.headLen; room > 0 {
			w.headLen += copy(w.head[w.headLen:], r.cur[:min(room, len(r.cur))])
		}
		if room := vs.keyCap - len(vs.name); room > 0 {
			vs.name = append(vs.name, r.cur[:min(room, len(r.cur))]...)
		}
		if long {
			vs.nameSHA.Write(r.cur)
		}
		r.cur = r.cur[:0]
	}
	if r.failed || w.err != nil {
		w.headLen = 0
		return
	}
	if stream {
		w.nameSum, w.nameStreamed = w.dup.long.Sum64(), true
	}
	vs.key.NameHash = [32]byte{}
	if long {
		vs.nameSHA.Sum(vs.key.NameHash[:0])
	}
	w.lastB = r.last
}

// beginValue prepares the accumulators for the value of type t.
func (w *walker) beginValue(t int) {
	vs := w.vis
	want := vs.v.Want != nil && vs.v.Want(w.db, vs.name, w.keyLen)
	vs.acc.start(t, want, vs.v.Digest, vs.fam)
	w.chk.em, w.chk.acc = nil, &vs.acc
	vs.ignored = vs.v.WantedOnly && !want
	if vs.ignored {
		w.chk.acc = nil
		return
	}
	if vs.acc.elems && objectType(t) != objModule {
		w.chk.em = &vs.em
	}
}

// visitRecord reports the key just walked.
func (w *walker) visitRecord(t int, size, at int64) {
	vs := w.vis
	if vs.ignored {
		vs.count(w.db, vs.expire)
		w.chk.em, w.chk.acc = nil, nil
		vs.expire, vs.skipped = NoExpiry, false
		return
	}
	k := &vs.key
	k.DB, k.Name, k.NameLen, k.RDBType = w.db, vs.name, w.keyLen, t
	k.ExpireAt, k.Size, k.Offset = vs.expire, size, at
	k.Elements, k.Skipped = w.elems, vs.skipped
	if t == typeString {
		k.Elements = int64(vs.acc.strLen)
	}
	vs.acc.finish(k, w)
	if k.ExpireAt != NoExpiry && k.HasDigest {
		xorSHA(&k.Digest, []byte("!!expire!!"))
	}
	vs.count(w.db, k.ExpireAt)
	w.chk.em, w.chk.acc = nil, nil
	if vs.v.Key != nil {
		vs.v.Key(k)
	}
	vs.expire, vs.skipped = NoExpiry, false
}

func (vs *visitState) count(db uint64, exp int64) {
	i, ok := vs.dbs[db]
	if !ok {
		vs.v.Counts = append(vs.v.Counts, ExpiryCounts{DB: db})
		i = len(vs.v.Counts) - 1
		vs.dbs[db] = i
	}
	c := &vs.v.Counts[i]
	c.Keys++
	switch {
	case exp == NoExpiry:
	case exp <= vs.v.At:
		c.Expired++
	case exp <= vs.v.At+vs.v.Window:
		c.Expiring++
	}
}

// ---- elements ----

// elemInfo is one element of a value in its string form, as the loader
// would see it.
type elemInfo struct {
	isInt bool // stored as an integer (ivalue holds it)
	ival  int64
	n     uint64   // bytes of the string form
	head  [32]byte // its first bytes
	hl    int
	sha   [20]byte // SHA-1 of the string form, when digesting
}

// intValue is the element as an integer when the server's string to
// integer conversion (string2ll, lpStringToInt64) accepts it.
func (e *elemInfo) intValue() (int64, bool) {
	if e.isInt {
		return e.ival, true
	}
	if e.n > 20 || uint64(e.hl) < e.n {
		return 0, false
	}
	return string2ll(e.head[:e.n])
}

// text is the element's first bytes (all of it when short).
func (e *elemInfo) text() []byte { return e.head[:e.hl] }

// emitter receives the elements a validator decodes and hands each, once
// complete, to the value accumulator.
type emitter struct {
	acc    *valueAcc
	e      elemInfo
	sha    hash.Hash
	keep   bool // capture the element's bytes
	start  int  // where the element starts in acc.arena
	intBuf [24]byte
}

func (m *emitter) begin() {
	m.e.isInt, m.e.n, m.e.hl = false, 0, 0
	if m.acc.digest {
		m.sha.Reset()
	}
	m.keep = m.acc.capturing
	m.start = len(m.acc.arena)
}

func (m *emitter) write(p []byte) {
	if m.e.hl < len(m.e.head) {
		m.e.hl += copy(m.e.head[m.e.hl:], p)
	}
	m.e.n += uint64(len(p))
	if m.acc.digest {
		m.sha.Write(p)
	}
	if m.keep {
		if len(m.acc.arena)+len(p) > m.acc.vs.v.MaxMemberBytes {
			m.keep = false
			m.acc.dropMembers()
			return
		}
		m.acc.arena = append(m.acc.arena, p...)
	}
}

func (m *emitter) end() {
	if m.acc.digest {
		m.sha.Sum(m.e.sha[:0])
	}
	m.acc.elem(&m.e, m.start, m.keep)
}

// whole emits an element held in one slice.
func (m *emitter) whole(p []byte) {
	m.begin()
	m.write(p)
	m.end()
}

// integer emits an element stored as an integer.
func (m *emitter) integer(v int64) {
	m.begin()
	m.write(strconv.AppendInt(m.intBuf[:0], v, 10))
	m.e.isInt, m.e.ival = true, v
	m.end()
}

// emitString reads one whole RDB string as an element; false when the
// string is broken (w.err says why).
func (w *walker) emitString(what string) bool {
	r := &w.br
	w.ulen = 0
	if !w.openString(r, what) {
		return false
	}
	w.ulen = r.size
	m := w.chk.em
	m.begin()
	for r.more() {
		m.write(r.cur)
		r.cur = r.cur[:0]
	}
	if r.failed || w.err != nil {
		return false
	}
	if r.enc == strInt {
		v, _ := string2ll(r.intText[:r.size])
		m.e.isInt, m.e.ival = true, v
	}
	m.end()
	return true
}

// emitBytes feeds n bytes of r to the emitter; false when the string
// ends first.
func (m *emitter) emitBytes(r *blobReader, n uint64) bool {
	for n > 0 {
		if !r.more() {
			return false
		}
		k := min(uint64(len(r.cur)), n)
		m.write(r.cur[:k])
		r.cur = r.cur[k:]
		n -= k
	}
	return true
}

// ---- digests (src/debug.c xorDigest, mixDigest, xorObjectDigest) ----

func xorSHA(d *[20]byte, p []byte) {
	h := sha1.Sum(p)
	for i := range d {
		d[i] ^= h[i]
	}
}

func xorSum(d *[20]byte, h *[20]byte) {
	for i := range d {
		d[i] ^= h[i]
	}
}

// mixSum is mixDigest given SHA1(data): digest = SHA1(digest ^ SHA1(data)).
func mixSum(d *[20]byte, h *[20]byte) {
	xorSum(d, h)
	*d = sha1.Sum(d[:])
}

func mixBytes(d *[20]byte, p []byte) {
	h := sha1.Sum(p)
	mixSum(d, &h)
}

// Object types as DEBUG DIGEST mixes them in (OBJ_STRING ... OBJ_STREAM).
const (
	objString = 0
	objList   = 1
	objSet    = 2
	objZSet   = 3
	objHash   = 4
	objModule = 5
	objStream = 6
)

func objectType(t int) int {
	switch t {
	case typeString:
		return objString
	case typeList, typeListZiplist, typeListQuicklist, typeListQuicklist2:
		return objList
	case typeSet, typeSetIntset, typeSetListpack:
		return objSet
	case typeZSet, typeZSet2, typeZSetZiplist, typeZSetListpack:
		return objZSet
	case typeStreamLP, typeStreamLP2, typeStreamLP3:
		return objStream
	case typeModule2, typeModulePreGA:
		return objModule
	}
	return objHash
}

// Conversion thresholds of the default configuration that decide the
// encoding a value loads into (src/config.c).
const (
	setMaxIntsetEntries    = 512
	setMaxListpackEntries  = 128 // 7.2
	setMaxListpackValue    = 64  // 7.2
	listMaxListpackBytes   = 8192
	zsetMaxListpackEntries = 128
	zsetMaxListpackValue   = 64
	hashMaxListpackEntries = 512
	hashMaxListpackValue   = 64
	quicklistSizeOverhead  = 8 // SIZE_ESTIMATE_OVERHEAD
)

// valueAcc accumulates what a value's elements say about its memory,
// digest and members.
type valueAcc struct {
	vs  *visitState
	t   int
	fam family
	// elems: the value needs its elements emitted.
	elems     bool
	digest    bool
	want      bool
	capturing bool
	idx       int64 // elements seen
	count     int64 // declared count, when the encoding gives it first (-1)

	dig, pair [20]byte
	strLen    uint64
	// digestLost: the digest could not be computed in bounded memory.
	digestLost bool

	// members
	arena   []byte
	offs    []int
	scores  []float64
	dropped bool

	// memory
	mem     uint64 // bytes counted so far besides the robj
	enc     string
	lpBytes uint64 // listpack being built
	sdsSum  uint64 // sds and dictEntry bytes of elements, if converted
	width   uint64 // intset width
	d       dictSim
	ht      bool // the value is (or became) a hash table
	maxLen  uint64
	field   elemInfo // the first of a pair
	value   elemInfo // the second of a triple
	// fieldTTL: the hash field being read has an expiry (7.4).
	fieldTTL bool
	// encodedLen is the serialized length of a single-container value.
	encodedLen uint64
	// quicklist simulation
	qlNodes, qlNodeBytes, qlNodeCount uint64
	qlNodeMem, qlLastBytes            uint64
	// stream
	sd                  streamDigest
	nodeRax             raxCounter
	pelRax, consumerRax raxCounter
	streamMem           uint64
	consumerSize        uint64
}

func (a *valueAcc) start(t int, want, digest bool, fam family) {
	// Fields are reset one by one: the accumulator is large and this runs
	// once per key.
	a.t, a.fam, a.want, a.digest, a.digestLost = t, fam, want, digest, false
	a.count, a.width, a.idx, a.strLen = -1, 2, 0, 0
	a.mem, a.enc, a.lpBytes, a.sdsSum, a.ht, a.maxLen, a.encodedLen = 0, "", 0, 0, false, 0, 0
	a.d = dictSim{}
	a.qlNodes, a.qlNodeBytes, a.qlNodeCount, a.qlNodeMem, a.qlLastBytes = 0, 0, 0, 0, 0
	a.arena, a.offs, a.scores, a.dropped = a.arena[:0], a.offs[:0], a.scores[:0], false
	ot := objectType(t)
	a.capturing = want && ot != objString && ot != objStream && ot != objModule
	a.elems = digest || a.capturing
	switch t {
	case typeString, typeList, typeListZiplist, typeListQuicklist, typeSet, typeZSet, typeZSet2,
		typeZSetZiplist, typeHash, typeHashZiplist, typeHashZipmap, typeHashMeta, typeHashMetaPreGA:
		a.elems = true
	}
	if ot == objStream {
		a.nodeRax, a.pelRax, a.consumerRax, a.streamMem = raxCounter{}, raxCounter{}, raxCounter{}, 0
		a.consumerSize = sizeConsumer70
		if fam >= fam72 {
			a.consumerSize = 32
		}
	}
	if digest {
		a.dig = [20]byte{}
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(ot))
		mixBytes(&a.dig, b[:])
	}
}

// dropMembers gives up keeping the members of a value over the caps.
func (a *valueAcc) dropMembers() {
	a.capturing, a.dropped = false, true
	a.arena, a.offs, a.scores = a.arena[:0], a.offs[:0], a.scores[:0]
}

// header is the element count a container declares before its elements;
// a value that converts to a hash table above a threshold needs its
// elements to be sized.
func (a *valueAcc) header(count int64, em **emitter) {
	a.count = count
	if a.capturing && (count < 0 || count > int64(a.vs.v.MaxMembers)*a.tuple()) {
		a.dropMembers()
	}
	if a.elems {
		return
	}
	limit := int64(-1)
	switch a.t {
	case typeHashListpack, typeHashLPEx, typeHashLPExPreGA:
		limit = 2 * hashMaxListpackEntries
	case typeZSetListpack:
		limit = 2 * zsetMaxListpackEntries
	case typeSetIntset:
		limit = setMaxIntsetEntries
	case typeSetListpack:
		limit = setMaxListpackEntries
	}
	if limit >= 0 && (count < 0 || count > limit) {
		a.elems = true
		*em = &a.vs.em
	}
}

// length is the element count of a plain (unencoded) collection, read
// before its elements.
func (a *valueAcc) length(n uint64) {
	a.count = int64(min(n, 1<<62))
	if a.capturing && n > uint64(a.vs.v.MaxMembers) {
		a.dropMembers()
	}
}

// elem takes one element; start and kept say where its bytes are in the
// arena when members are captured.
func (a *valueAcc) elem(e *elemInfo, start int, kept bool) {
	i := a.idx
	a.idx++
	if a.capturing && a.keptRole(i) {
		if !kept || len(a.offs) >= a.vs.v.MaxMembers {
			a.dropMembers()
		} else {
			a.offs = append(a.offs, start)
		}
	}
	switch a.t {
	case typeString:
		a.strLen = e.n
		_, isInt := e.intValue()
		a.mem = stringValueMemory(e.n, isInt)
		a.enc = stringEncoding(e.n, isInt)
		if a.digest {
			mixSum(&a.dig, &e.sha)
		}
	case typeList, typeListZiplist:
		a.qlPush(e)
		a.listDigest(e)
	case typeListQuicklist:
		a.lpBytes += lpElemSize(e)
		a.listDigest(e)
	case typeListQuicklist2:
		a.listDigest(e)
	case typeSet:
		a.plainSetElem(e, i)
		a.setDigest(e)
	case typeSetIntset, typeSetListpack:
		if a.count > a.threshold() {
			a.sdsSum += sizeDictEntry + sdsAlloc(e.n)
		}
		a.setDigest(e)
	case typeZSet, typeZSet2:
		a.maxLen = max(a.maxLen, e.n)
		a.lpBytes += lpElemSize(e)
		a.sdsSum += sdsAlloc(e.n) + sizeDictEntry
		if a.digest {
			a.pair = [20]byte{}
			mixSum(&a.pair, &e.sha)
		}
	case typeZSetZiplist, typeZSetListpack:
		a.lpBytes += lpElemSize(e)
		if i%2 == 0 {
			a.sdsSum += sdsAlloc(e.n) + sizeDictEntry
			if a.digest {
				a.pair = [20]byte{}
				mixSum(&a.pair, &e.sha)
			}
			return
		}
		var score float64
		if e.isInt {
			score = float64(e.ival)
		} else {
			score = strtod(e.text())
		}
		a.score(score)
	case typeHash, typeHashMeta, typeHashMetaPreGA:
		a.plainHashElem(e, i)
	case typeHashZipmap, typeHashZiplist, typeHashListpack, typeHashLPEx, typeHashLPExPreGA:
		switch i % a.tuple() {
		case 0:
			a.field = *e
		case 1:
			a.maxLen = max(a.maxLen, a.field.n, e.n)
			a.lpBytes += lpElemSize(&a.field) + lpElemSize(e)
			a.sdsSum += sizeDictEntry + sdsAlloc(a.field.n) + sdsAlloc(e.n)
			if a.tuple() == 2 {
				a.hashDigest(e, false)
			} else {
				a.value = *e
			}
		case 2:
			// The field's expiry: 0 means none (HASH_LP_NO_TTL).
			v, ok := e.intValue()
			a.hashDigest(&a.value, !ok || v != 0)
		}
	}
}

// strtod reads a score as zzlStrtod does: the longest prefix that is a
// decimal floating-point number, inf or nan; 0 when there is none.
func strtod(b []byte) float64 {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	start := i
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	if rest := b[i:]; len(rest) >= 3 {
		switch w := strings.ToLower(string(rest[:3])); w {
		case "inf", "nan":
			v, _ := strconv.ParseFloat(string(b[start:i])+w, 64)
			return v
		}
	}
	digits := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
		digits++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		j := i + 1
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j < len(b) && b[j] >= '0' && b[j] <= '9' {
			for j < len(b) && b[j] >= '0' && b[j] <= '9' {
				j++
			}
			i = j
		}
	}
	v, _ := strconv.ParseFloat(string(b[start:i]), 64)
	return v
}

// tuple is the entries per logical element of a listpack or ziplist.
func (a *valueAcc) tuple() int64 {
	switch a.t {
	case typeHashLPEx, typeHashLPExPreGA:
		return 3
	case typeHashZipmap, typeHashZiplist, typeHashListpack, typeZSetZiplist, typeZSetListpack, typeHash, typeHashMeta, typeHashMetaPreGA:
		return 2
	}
	return 1
}

// keptRole says whether element i is kept as a member: hash fields, sorted
// set members, every list item and set member.
func (a *valueAcc) keptRole(i int64) bool {
	switch a.t {
	case typeZSet, typeZSet2:
		return true
	}
	return i%a.tuple() == 0
}

func (a *valueAcc) threshold() int64 {
	if a.t == typeSetListpack {
		return setMaxListpackEntries
	}
	return setMaxIntsetEntries
}

func (a *valueAcc) listDigest(e *elemInfo) {
	if a.digest {
		mixSum(&a.dig, &e.sha)
	}
}

func (a *valueAcc) setDigest(e *elemInfo) {
	if a.digest {
		xorSum(&a.dig, &e.sha)
	}
}

// hashDigest adds one field and its value; a field with an expiry (7.4)
// is marked as xorObjectDigest marks it.
func (a *valueAcc) hashDigest(v *elemInfo, expires bool) {
	if !a.digest {
		return
	}
	var d [20]byte
	mixSum(&d, &a.field.sha)
	mixSum(&d, &v.sha)
	if expires {
		xorSHA(&d, []byte("!!hexpire!!"))
	}
	xorSHA(&a.dig, d[:])
}

// score takes the score of the zset member just emitted.
func (a *valueAcc) score(v float64) {
	if a.t == typeZSet || a.t == typeZSet2 {
		a.lpBytes += lpScoreSize(v)
	}
	if a.capturing {
		a.scores = append(a.scores, v)
	}
	if a.digest {
		text := formatG17(v)
		if a.fam >= fam72 {
			text = fpconvDtoa(v)
		}
		mixBytes(&a.pair, []byte(text))
		xorSHA(&a.dig, a.pair[:])
	}
}

// plainSetElem follows rdbLoadObject for RDB_TYPE_SET: an intset while
// every member is an integer and the set is small, a hash table presized
// to the set's length otherwise.
func (a *valueAcc) plainSetElem(e *elemInfo, i int64) {
	n := uint64(a.count)
	a.maxLen = max(a.maxLen, e.n)
	a.lpBytes += lpElemSize(e)
	if i == 0 {
		a.ht = n > setMaxIntsetEntries
		if a.ht {
			a.d.expand(n)
		}
	}
	if !a.ht {
		if v, ok := e.intValue(); ok {
			a.width = max(a.width, intsetWidth(v))
			a.sdsSum += sizeDictEntry + sdsAlloc(e.n)
			return
		}
		// setTypeConvert presizes for the integers so far, then the
		// loader asks for the whole length.
		a.ht = true
		a.d.expand(uint64(i))
		for range i {
			a.d.add()
		}
		a.d.expand(n)
	}
	a.d.add()
	a.sdsSum += sizeDictEntry + sdsAlloc(e.n)
}

// plainHashElem follows rdbLoadObject for RDB_TYPE_HASH: a listpack until
// a field or value is longer than 64 bytes (or the hash has more than 512
// fields), then a hash table sized as the conversion and the loader's
// dictTryExpand of the remaining length leave it.
func (a *valueAcc) plainHashElem(e *elemInfo, i int64) {
	if i%2 == 0 {
		a.field = *e
		return
	}
	pairs := uint64(a.count)
	pair := uint64(i / 2)
	if pair == 0 && pairs > hashMaxListpackEntries {
		a.ht = true
		a.d.expand(0)
		a.d.expand(pairs)
	}
	cost := sizeDictEntry + sdsAlloc(a.field.n) + sdsAlloc(e.n)
	if !a.ht && (a.field.n > hashMaxListpackValue || e.n > hashMaxListpackValue) {
		a.ht = true
		a.d.expand(pair)
		for range pair {
			a.d.add()
		}
		a.d.add()
		a.sdsSum += cost
		if rest := pairs - pair - 1; rest > 4 {
			a.d.expand(rest)
		}
		a.hashDigest(e, a.fieldTTL)
		return
	}
	if a.ht {
		a.d.add()
	} else {
		a.lpBytes += lpElemSize(&a.field) + lpElemSize(e)
	}
	a.sdsSum += cost
	a.hashDigest(e, a.fieldTTL)
}

// qlPush is quicklistPushTail with list-max-listpack-size -2 (8 KiB
// nodes), for lists the loader builds element by element.
func (a *valueAcc) qlPush(e *elemInfo) {
	if a.qlNodes > 0 && a.qlNodeBytes+e.n+quicklistSizeOverhead <= listMaxListpackBytes {
		a.qlNodeBytes += lpElemSize(e)
		a.qlNodeCount++
		return
	}
	a.qlClose()
	a.qlNodes++
	a.qlNodeBytes = listpackHeader + 1 + lpElemSize(e)
	a.qlNodeCount = 1
}

func (a *valueAcc) qlClose() {
	if a.qlNodeCount > 0 {
		a.qlNodeMem += sizeQuicklistNode + jeSize(a.qlNodeBytes)
	}
	a.qlNodeCount = 0
}

// quicklistNode adds one node of a quicklist value: its serialized length
// and entries (packed), or a plain node of n bytes.
func (a *valueAcc) quicklistNode(encodedLen uint64, entries int64, plain bool) {
	switch {
	case plain:
		a.qlNodes++
		a.qlNodeMem += sizeQuicklistNode + jeSize(encodedLen)
	case entries <= 0:
		// An empty node is dropped.
	case a.t == typeListQuicklist:
		a.qlNodes++
		a.qlNodeMem += sizeQuicklistNode + jeSize(a.lpBytes+listpackHeader+1)
		a.qlLastBytes = a.lpBytes + listpackHeader + 1
	default:
		a.qlNodes++
		a.qlNodeMem += sizeQuicklistNode + jeSize(encodedLen)
		a.qlLastBytes = encodedLen
	}
	a.lpBytes = 0
}

// finish fills the key's type, encoding, memory and digest.
func (a *valueAcc) finish(k *Key, w *walker) {
	t := a.t
	k.Type, k.Encoding = typeInfos[t].name, typeInfos[t].encoding
	k.Memory, k.HasDigest = -1, false
	k.Members, k.Scores, k.MembersKept = k.Members[:0], k.Scores[:0], false
	var mem uint64
	known := true
	switch t {
	case typeString:
		mem = a.mem
		k.Encoding = a.enc
	case typeList, typeListZiplist:
		a.qlClose()
		mem = sizeRobj + sizeQuicklist + a.qlNodeMem
		k.Encoding = "quicklist"
		if a.fam >= fam72 && a.qlNodes == 1 && a.qlNodeBytes <= listMaxListpackBytes {
			k.Encoding, mem = "listpack", sizeRobj+jeSize(a.qlNodeBytes)
		}
	case typeListQuicklist, typeListQuicklist2:
		mem = sizeRobj + sizeQuicklist + a.qlNodeMem
		k.Encoding = "quicklist"
		if a.fam >= fam72 && a.qlNodes == 1 && a.qlLastBytes <= listMaxListpackBytes {
			k.Encoding, mem = "listpack", sizeRobj+jeSize(a.qlLastBytes)
		}
	case typeSet:
		switch {
		case a.ht && a.fam >= fam72 && a.count <= setMaxListpackEntries && a.maxLen <= setMaxListpackValue:
			mem = sizeRobj + jeSize(a.lpBytes+listpackHeader+1)
			k.Encoding = "listpack"
		case a.ht:
			mem = sizeRobj + sizeDict + 8*a.d.slots() + a.sdsSum
			k.Encoding = "hashtable"
		default:
			mem = sizeRobj + jeSize(8+uint64(max(a.count, 0))*a.width)
			k.Encoding = "intset"
		}
	case typeSetIntset, typeSetListpack:
		if a.count > a.threshold() {
			mem = sizeRobj + sizeDict + 8*presizedSlots(uint64(a.count)) + a.sdsSum
			k.Encoding = "hashtable"
		} else {
			mem = sizeRobj + jeSize(a.encodedLen)
		}
	case typeZSet, typeZSet2:
		n := uint64(max(a.count, 0))
		if n <= zsetMaxListpackEntries && a.maxLen <= zsetMaxListpackValue {
			mem = sizeRobj + jeSize(a.lpBytes+listpackHeader+1)
			k.Encoding = "listpack"
		} else {
			mem = a.skiplistMemory(presizedSlots(n))
			k.Encoding = "skiplist"
		}
	case typeZSetZiplist, typeZSetListpack:
		n := w.elems
		switch {
		case n > zsetMaxListpackEntries:
			mem = a.skiplistMemory(grownSlots(uint64(n)))
			k.Encoding = "skiplist"
		case t == typeZSetZiplist && a.fam >= fam70:
			mem = sizeRobj + jeSize(a.lpBytes+listpackHeader+1)
			k.Encoding = "listpack"
		default:
			mem = sizeRobj + jeSize(a.encodedLen)
			if t == typeZSetZiplist {
				k.Encoding = "ziplist"
			}
		}
	case typeHash, typeHashMeta, typeHashMetaPreGA:
		if a.ht {
			mem = sizeRobj + sizeDict + 8*a.d.slots() + a.sdsSum
			k.Encoding = "hashtable"
		} else {
			mem = sizeRobj + jeSize(a.lpBytes+listpackHeader+1)
			k.Encoding = "listpack"
			if t != typeHash {
				k.Encoding = "listpackex"
			}
		}
	case typeHashZipmap, typeHashZiplist, typeHashListpack, typeHashLPEx, typeHashLPExPreGA:
		n := w.elems
		switch {
		case n > hashMaxListpackEntries || (t == typeHashZipmap && a.maxLen > hashMaxListpackValue):
			mem = sizeRobj + sizeDict + 8*presizedSlots(uint64(n)) + a.sdsSum
			k.Encoding = "hashtable"
		case t == typeHashListpack || t == typeHashLPEx || t == typeHashLPExPreGA || a.fam == fam62:
			mem = sizeRobj + jeSize(a.encodedLen)
			if t == typeHashLPEx || t == typeHashLPExPreGA {
				k.Encoding = "listpackex"
			}
		default:
			mem = sizeRobj + jeSize(a.lpBytes+listpackHeader+1)
			k.Encoding = "listpack"
		}
	case typeStreamLP, typeStreamLP2, typeStreamLP3:
		mem = sizeRobj + sizeStream + a.nodeRax.memory() + a.streamMem
		k.Encoding = "stream"
	default:
		known = false
		k.Type, k.Encoding = "module", "raw"
	}
	if t == typeSetListpack && k.Encoding != "hashtable" {
		k.Encoding = "listpack"
	}
	if t == typeSetIntset && k.Encoding != "hashtable" {
		k.Encoding = "intset"
	}
	if known {
		k.Memory = int64(mem + keyMemory(w.keyLen))
	}
	if a.digest && objectType(t) != objModule && !a.digestLost {
		k.Digest, k.HasDigest = a.dig, true
	}
	if a.capturing && !a.dropped {
		k.MembersKept = true
		for i, s := range a.offs {
			e := len(a.arena)
			if i+1 < len(a.offs) {
				e = a.offs[i+1]
			}
			k.Members = append(k.Members, a.arena[s:e])
		}
		k.Scores = append(k.Scores, a.scores...)
	}
}

// streamDigest mixes stream entries into the value digest as
// xorObjectDigest does: each live entry's ID as "<ms>.<seq>", then each
// field and value.
type streamDigest struct {
	acc       *valueAcc
	masterMS  uint64
	masterSeq uint64
	master    [][20]byte // SHA-1 of the master entry's field names
	idText    []byte
}

// streamDigester is the digest of the stream being walked, or nil.
func (c *checker) streamDigester() *streamDigest {
	if c.acc == nil || !c.acc.digest || c.em == nil {
		return nil
	}
	sd := &c.acc.sd
	sd.acc = c.acc
	return sd
}

// maxMasterFields bounds the master field digests kept per stream
// listpack; a listpack with more loses its value digest rather than
// holding memory in proportion to the file.
const maxMasterFields = 1 << 16

// masterField records the SHA-1 of the next master field name; false when
// there are too many to keep.
func (sd *streamDigest) masterField(h [20]byte) {
	if len(sd.master) >= maxMasterFields {
		sd.acc.digestLost = true
		return
	}
	sd.master = append(sd.master, h)
}

// node starts a listpack whose master ID is the 16-byte node key.
func (sd *streamDigest) node(key []byte) {
	sd.masterMS = binary.BigEndian.Uint64(key)
	sd.masterSeq = binary.BigEndian.Uint64(key[8:])
}

func (sd *streamDigest) entry(msDiff, seqDiff uint64) {
	sd.idText = strconv.AppendUint(sd.idText[:0], sd.masterMS+msDiff, 10)
	sd.idText = append(sd.idText, '.')
	sd.idText = strconv.AppendUint(sd.idText, sd.masterSeq+seqDiff, 10)
	mixBytes(&sd.acc.dig, sd.idText)
}

func (sd *streamDigest) field(name, value *[20]byte) {
	mixSum(&sd.acc.dig, name)
	mixSum(&sd.acc.dig, value)
}

// skiplistMemory is objectComputeSize of a skiplist sorted set whose
// members' sds and entries sum to sdsSum, with slots buckets.
func (a *valueAcc) skiplistMemory(slots uint64) uint64 {
	n := float64(max(a.idx, 0))
	if a.t == typeZSetZiplist || a.t == typeZSetListpack {
		n = float64(a.idx / 2)
	}
	return sizeRobj + sizeZSet + sizeZSkiplist + sizeDict + 8*slots + zslHeaderSize + a.sdsSum + uint64(n*zslNodeMean+0.5)
}
