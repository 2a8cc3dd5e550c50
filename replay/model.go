package replay

import (
	"encoding/binary"
	"maps"
	"strings"
)

// Options configure a Model.
type Options struct {
	// At is the start time in Unix milliseconds: keys whose expiry is at or
	// before it are not seen (the server deletes them right after the
	// load).
	At int64
	// Window is how long after At the start may take to serve (the load's
	// duration), in milliseconds: keys expiring in (At, At+Window] make the
	// count a range.
	Window int64
	// Databases is the server's databases setting (default 16): SELECT,
	// MOVE, COPY and SWAPDB of a higher index fail.
	Databases int
	// MaxKeys caps the keys tracked one by one (default DefaultMaxKeys).
	// Commands on further keys make the count a range.
	MaxKeys int
	// MaxMembers caps the elements of one collection whose contents are
	// kept (default 1024); a larger collection is tracked by its
	// cardinality only.
	MaxMembers int
	// MaxMemberBytes caps the estimated bytes of all contents kept
	// (default 24 MiB).
	MaxMemberBytes int64
	// MaxLost caps the lost commands itemised in the result (default 100);
	// all are counted.
	MaxLost int
}

// DefaultMaxKeys tracks half a million keys: some 75 bytes each plus the
// name, under 100 MiB of peak RSS with the rest of a run.
const DefaultMaxKeys = 1 << 19

func (o Options) withDefaults() Options {
	if o.Databases <= 0 {
		o.Databases = 16
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	if o.MaxMembers <= 0 {
		o.MaxMembers = 1024
	}
	if o.MaxMemberBytes <= 0 {
		o.MaxMemberBytes = 24 << 20
	}
	if o.MaxLost <= 0 {
		o.MaxLost = 100
	}
	if o.Window < 0 {
		o.Window = 0
	}
	return o
}

// dbGen is one generation of a database's contents: the base's keys of one
// database until it is flushed, or what was written after a flush. SWAPDB
// swaps generations between database indexes.
type dbGen struct {
	origin int // base database whose keys this generation holds, or -1
	// lo and hi are what untracked keys add to the count; unbounded: a
	// command may have added or deleted any number of keys.
	lo, hi    int64
	unbounded bool
	// loNoTTL is lo had every untracked key a known expiry that has not
	// passed: the lower bound when no command of the set can have given
	// any key an expiry (Model.ttlSet) and the base holds no key that is
	// gone by the start. An untracked key's TTL is otherwise unknown, and
	// each INCR on one would count as a key that may have expired.
	loNoTTL int64
	// consumed counts base keys now tracked one by one, by how the base
	// count classified them; consumedUnknown those the base may hold.
	consumed        [3]int64
	consumedUnknown int64
}

const (
	pass0 = iota // nothing seen yet
	pass1        // Touch: collecting keys
	pass2        // Apply: replaying
)

// chunk is the states allocated at once: small, so a model of a few keys
// (a fuzz call, a small set) stays cheap; a chunk never moves, so a state
// pointer lives through a command that adds others.
const chunk = 128

// Model replays the keyspace effect of AOF commands in load order. See the
// package documentation for the two passes.
type Model struct {
	opt   Options
	names nameCache
	// ttlSet: a command that can give a key an expiry was applied.
	ttlSet bool
	pass   int
	// lazy: Apply without a first pass tracks keys as it first sees them,
	// which is right when the base answers any lookup (or is empty).
	lazy bool

	keys   *keyTable // 4-byte generation id + key → state
	chunks [][]state
	n      int32
	kbuf   []byte

	slots  []uint32          // database index → generation id
	gens   map[uint32]*dbGen // the live generations (those slots name)
	nextID uint32
	db     int
	base   Base

	txn     *txn
	eph     []*ephemeral
	ephPool []*ephemeral

	reasons     [nReasons]reasonStat
	unknownCmds map[string]int64
	untracked   int64 // key references past MaxKeys
	memberBytes int64
	recounted   int64
	commands    int64

	lost   Lost
	dropDB int
	cur    *Command
	curCmd Command
	av     argv
	kp     []int
}

type ephemeral struct {
	id  uint32
	key []byte
	st  state
}

type txn struct {
	saved       map[int32]state
	slots       []uint32
	gens        map[uint32]*dbGen
	nextID      uint32
	reasons     [nReasons]reasonStat
	unknownCmds map[string]int64
	untracked   int64
	memberBytes int64
	items       []LostCommand
	count       int64
}

// New returns a model.
func New(opt Options) *Model {
	opt = opt.withDefaults()
	m := &Model{opt: opt, keys: newKeyTable(), unknownCmds: map[string]int64{}, dropDB: -1}
	m.resetSlots()
	return m
}

func (m *Model) resetSlots() {
	m.slots = make([]uint32, m.opt.Databases)
	m.gens = make(map[uint32]*dbGen, m.opt.Databases)
	for i := range m.slots {
		m.slots[i] = uint32(i)
		m.gens[uint32(i)] = &dbGen{origin: i}
	}
	m.nextID = uint32(m.opt.Databases)
	m.db = 0
}

func (m *Model) stateAt(i int32) *state { return &m.chunks[i/chunk][i%chunk] }

func (m *Model) addState() int32 {
	if int(m.n/chunk) == len(m.chunks) {
		m.chunks = append(m.chunks, make([]state, chunk))
	}
	i := m.n
	m.n++
	*m.stateAt(i) = state{exp: NoExpiry}
	return i
}

func (m *Model) mapKey(id uint32, key []byte) []byte {
	m.kbuf = binary.BigEndian.AppendUint32(m.kbuf[:0], id)
	m.kbuf = append(m.kbuf, key...)
	return m.kbuf
}

// Touch is the first pass: it records the keys cmd names, so the caller
// can ask the base about them (Keys, Wants) before the second pass.
func (m *Model) Touch(c Command) {
	if m.pass == pass2 {
		panic("replay: Touch after Apply")
	}
	m.pass = pass1
	m.curCmd = c
	a := m.lookup(&m.curCmd)
	m.followDBs(&a, true)
	m.kp = a.keyPositions(m.kp)
	for _, i := range m.kp {
		if a.cut(i) {
			continue
		}
		m.track(m.slots[m.db], a.b(i))
	}
	switch a.name {
	case "MOVE":
		if db, ok := m.dbArg(&a, 2); ok && a.has(1) && !a.cut(1) {
			m.track(m.slots[db], a.b(1))
		}
	case "COPY":
		if db, ok := copyDB(m, &a); ok && a.has(2) && !a.cut(2) {
			m.track(m.slots[db], a.b(2))
		}
	}
}

func (m *Model) track(id uint32, key []byte) {
	if id == lastGen {
		m.untracked++
		return
	}
	k := m.mapKey(id, key)
	idx, h := m.keys.find(k)
	if idx >= 0 {
		return
	}
	if m.keys.len() >= m.opt.MaxKeys || !m.keys.fits(k) {
		m.untracked++
		return
	}
	m.keys.insert(k, h, m.addState())
}

// followDBs applies SELECT, SWAPDB, FLUSHDB, FLUSHALL, MULTI and EXEC to the
// database table in the first pass, as the second pass will.
func (m *Model) followDBs(a *argv, first bool) {
	switch a.name {
	case "SELECT":
		// selectCommand and swapdbCommand read their arguments and ignore
		// any more (the loader checks no arity).
		if db, ok := m.dbArg(a, 1); ok {
			m.db = db
		}
	case "SWAPDB":
		x, ok1 := m.dbArg(a, 1)
		y, ok2 := m.dbArg(a, 2)
		if ok1 && ok2 {
			m.slots[x], m.slots[y] = m.slots[y], m.slots[x]
		}
	case "FLUSHDB":
		if flushArgsOK(a) {
			m.flush(m.db)
		}
	case "FLUSHALL":
		if flushArgsOK(a) {
			for db := range m.slots {
				m.flush(db)
			}
		}
	case "MULTI":
		if first && m.txn == nil {
			m.txn = &txn{slots: append([]uint32(nil), m.slots...), gens: cloneGens(m.gens), nextID: m.nextID}
		}
	case "EXEC":
		if first {
			m.txn = nil
		}
	}
}

// flushArgsOK is getFlushCommandFlags: nothing, or ASYNC or SYNC.
func flushArgsOK(a *argv) bool {
	return a.c.Argc == 1 || a.c.Argc == 2 && (a.is(1, "ASYNC") || a.is(1, "SYNC"))
}

// flush gives database db a new, empty generation; the old one is gone
// (its keys are never looked up again). After 2^32 generations the last id
// is reused for every flush and its keys are not tracked.
func (m *Model) flush(db int) {
	delete(m.gens, m.slots[db])
	id := m.nextID
	if id != lastGen {
		m.nextID++
	}
	m.slots[db] = id
	m.gens[id] = &dbGen{origin: -1}
}

// lastGen is the generation id whose keys are never tracked.
const lastGen = ^uint32(0)

func cloneGens(g map[uint32]*dbGen) map[uint32]*dbGen {
	out := make(map[uint32]*dbGen, len(g))
	for id, x := range g {
		cp := *x
		out[id] = &cp
	}
	return out
}

// dbArg parses a database index argument as selectDb accepts it.
func (m *Model) dbArg(a *argv, i int) (int, bool) {
	v, ok := a.int(i)
	if !ok || v < 0 || v >= int64(m.opt.Databases) {
		return 0, false
	}
	return int(v), true
}

// Keys lists the keys the first pass recorded, by base database: what to
// ask the base about. Keys of a database flushed before they were written
// are left out: the base cannot hold them.
func (m *Model) Keys(yield func(db int, key string) bool) {
	m.keys.each(func(k []byte, _ int32) bool {
		id := binary.BigEndian.Uint32(k[:4])
		return int(id) >= m.opt.Databases || yield(int(id), string(k[4:]))
	})
}

// Wants reports whether the model needs the base's facts about key in db,
// for a caller walking the base once.
func (m *Model) Wants(db int, key []byte) bool {
	if db < 0 || db >= m.opt.Databases {
		return false
	}
	idx, _ := m.keys.find(m.mapKey(uint32(db), key))
	return idx >= 0
}

// Tracked returns how many keys the first pass recorded and how many key
// references it left untracked (past MaxKeys).
func (m *Model) Tracked() (keys int, untracked int64) { return m.keys.len(), m.untracked }

// SetBase ends the first pass and gives the model the base's facts. A nil
// base is an empty one.
func (m *Model) SetBase(b Base) {
	m.base = b
	m.startApply()
}

func (m *Model) startApply() {
	if m.pass == pass2 {
		return
	}
	m.lazy = m.pass == pass0
	m.pass = pass2
	m.txn = nil
	m.resetSlots()
	m.dropDB = -1
}

// EndFile marks the end of a file: the server loads each file with a new
// client (database 0, no transaction), and a transaction left open at the
// end of a file is never executed.
func (m *Model) EndFile() {
	if m.pass != pass2 {
		if t := m.txn; t != nil {
			m.slots, m.gens, m.nextID = t.slots, t.gens, t.nextID
			m.txn = nil
		}
		m.db = 0
		return
	}
	m.startApply()
	if m.txn != nil {
		m.revert()
	}
	m.db = 0
	m.dropDB = -1
}

// Apply is the second pass: it replays one command's effect.
func (m *Model) Apply(c Command) {
	m.startApply()
	m.commands++
	m.dropDB = -1
	m.curCmd = c
	m.cur = &m.curCmd
	m.av = m.lookup(m.cur)
	a := &m.av
	if !m.ttlSet && setsTTL(a) {
		m.ttlSet = true
	}
	defer m.settle()
	if m.txn != nil {
		m.noteTxn(a)
	}
	switch a.name {
	case "MULTI":
		if m.txn == nil {
			m.begin()
			m.noteTxn(a)
		}
		return
	case "EXEC":
		m.txn = nil
		return
	case "SELECT", "SWAPDB", "FLUSHDB", "FLUSHALL":
		// As in the first pass, whatever the arity: the two must agree.
		m.followDBs(a, false)
		return
	}
	h, ok := handlers[a.name]
	switch {
	case !ok && a.info != nil && !a.info.write && !effectUnknown[a.name]:
		// A read or admin command: no keyspace effect while loading.
	case !ok:
		m.unknownCommand(a)
	case !arityOK(a):
		m.unknownCommand(a)
	case !a.complete() && !h.partial:
		m.partialCommand(a)
	default:
		h.fn(m, a)
	}
}

func arityOK(a *argv) bool {
	ar, n := a.info.arity, a.c.Argc
	if ar >= 0 {
		return n == int64(ar)
	}
	return n >= int64(-ar)
}

// maxUnknownNames caps the distinct unknown command names counted.
const maxUnknownNames = 256

// effectUnknown are commands that are not flagged as writes but whose
// execution by the loader can change the keyspace or stop the load.
var effectUnknown = map[string]bool{"DEBUG": true, "MODULE|LOAD": true, "MODULE|LOADEX": true, "MODULE|UNLOAD": true,
	"REPLICAOF": true, "SLAVEOF": true, "SYNC": true, "PSYNC": true, "FAILOVER": true, "SHUTDOWN": true,
	"EVAL": true, "EVALSHA": true, "FCALL": true, "CLUSTER|FLUSHSLOTS": true, "CLUSTER|DELSLOTS": true}

// unknownCommand: a command whose effect the model does not know makes
// every key it names unknown; commands naming no keys (DEBUG, SHUTDOWN)
// leave the database's count without bounds.
func (m *Model) unknownCommand(a *argv) {
	name := a.name
	if name == "" {
		name = "(cut name)"
	}
	if _, seen := m.unknownCmds[name]; !seen && len(m.unknownCmds) >= maxUnknownNames {
		name = "(other)"
	}
	m.unknownCmds[name]++
	m.note(reasonUnknownCommand)
	m.kp = a.keyPositions(m.kp)
	if len(m.kp) == 0 || a.info != nil && a.info.incomplete || !a.complete() || name == "DEBUG" {
		m.gens[m.slots[m.db]].unbounded = true
	}
	for _, i := range m.kp {
		m.key(m.db, a, i).unknown(reasonUnknownCommand)
	}
}

// partialCommand: arguments past those kept hide keys and members; the
// keys kept become unknown, and each hidden argument may be a key created
// or deleted.
func (m *Model) partialCommand(a *argv) {
	m.note(reasonArgsCut)
	m.kp = a.keyPositions(m.kp)
	for _, i := range m.kp {
		m.key(m.db, a, i).unknown(reasonArgsCut)
	}
	g := m.gens[m.slots[m.db]]
	g.lo -= a.hidden()
	g.loNoTTL -= a.hidden()
	g.hi += a.hidden()
}

// key returns the state of the key at argument i in database db. A key the
// model does not track gets a scratch state whose effect on the count is
// settled when the command ends.
func (m *Model) key(db int, a *argv, i int) *state {
	arg := a.c.Args[i]
	id := m.slots[db]
	if id == lastGen {
		m.note(reasonUntracked)
		return m.scratch(id, arg.Data)
	}
	if arg.Cut() {
		m.note(reasonArgsCut)
		return m.scratch(id, nil)
	}
	k := m.mapKey(id, arg.Data)
	idx, h := m.keys.find(k)
	if idx < 0 {
		if !m.lazy || m.keys.len() >= m.opt.MaxKeys || !m.keys.fits(k) {
			m.note(reasonUntracked)
			return m.scratch(id, arg.Data)
		}
		idx = m.addState()
		m.keys.insert(k, h, idx)
	}
	st := m.stateAt(idx)
	if m.txn != nil {
		if _, saved := m.txn.saved[idx]; !saved {
			cp := *st
			cp.mem = st.mem.clone()
			m.txn.saved[idx] = cp
		}
	}
	if st.flags&flagMaterialized == 0 {
		m.materialize(id, arg.Data, st)
	}
	return st
}

func (m *Model) scratch(id uint32, key []byte) *state {
	if key != nil {
		for _, e := range m.eph {
			if e.id == id && string(e.key) == string(key) {
				return &e.st
			}
		}
	}
	var e *ephemeral
	if n := len(m.ephPool); n > 0 {
		e, m.ephPool = m.ephPool[n-1], m.ephPool[:n-1]
	} else {
		e = new(ephemeral)
	}
	e.id, e.key = id, key
	e.st = state{}
	e.st.unknown(reasonUntracked)
	m.eph = append(m.eph, e)
	return &e.st
}

// setsTTL says whether a command can give a key an expiry: the EXPIRE
// family, SET with an expiry, SETEX, PSETEX, GETEX, RESTORE, and any
// command the model does not know. RENAME, COPY and MOVE carry expiries
// only from keys that had one.
func setsTTL(a *argv) bool {
	switch a.name {
	case "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "SETEX", "PSETEX", "GETEX", "RESTORE", "RESTORE-ASKING":
		return true
	case "SET":
		for i := 3; i < a.n(); i++ {
			switch strings.ToUpper(string(a.c.Args[i].Data)) {
			case "EX", "PX", "EXAT", "PXAT":
				return true
			}
		}
		return a.hidden() > 0
	}
	return a.info == nil || effectUnknown[a.name]
}

// settle adds what untracked keys did to their generation's count.
func (m *Model) settle() {
	for _, e := range m.eph {
		g := m.gens[e.id]
		lo, hi := m.counts(&e.st)
		g.lo += lo - 1
		g.hi += hi
		if lo == 0 && e.st.ex == present && !e.st.expKnown() {
			lo = 1
		}
		g.loNoTTL += lo - 1
		e.key = nil
		m.ephPool = append(m.ephPool, e)
	}
	m.eph = m.eph[:0]
	m.cur = nil
}

func (m *Model) materialize(id uint32, key []byte, st *state) {
	st.flags |= flagMaterialized
	g := m.gens[id]
	if g.origin < 0 || m.base == nil {
		st.setAbsent()
		return
	}
	info, ok := m.base.Lookup(g.origin, key)
	if !ok {
		st.setAbsent()
		return
	}
	if info.Type == TypeUnknown || info.Type == TypeNone {
		st.unknown(reasonBaseUnknown)
		g.consumedUnknown++
		return
	}
	g.consumed[expiryClass(info.ExpireAt, m.opt.At, m.opt.Window)]++
	st.ex, st.typ, st.exp = present, info.Type, info.ExpireAt
	if info.Len >= 0 {
		st.lo, st.hi = info.Len, info.Len
	} else if info.Type == TypeString || info.Type == TypeStream {
		st.lo, st.hi = 0, many
	} else {
		st.lo, st.hi = 1, many
	}
	if info.Members != nil && len(info.Members) <= m.opt.MaxMembers && (info.Len < 0 || info.Len == int64(len(info.Members))) {
		mb := &members{}
		switch info.Type {
		case TypeList:
			mb.list = append([]string(nil), info.Members...)
		case TypeSet, TypeHash, TypeZSet:
			mb.set = make(map[string]float64, len(info.Members))
			for i, k := range info.Members {
				if info.Scores != nil && i < len(info.Scores) {
					mb.set[k] = info.Scores[i]
				} else {
					mb.set[k] = 0
				}
			}
			if info.Type == TypeZSet && len(info.Scores) != len(info.Members) {
				st.flags |= flagScoresUnknown
			}
			if info.Type == TypeZSet && !fitsListpack(mb.set) {
				st.flags |= flagSkiplist
			}
		default:
			mb = nil
		}
		if mb != nil && m.fits(mb.size()) {
			if mb.set != nil && len(mb.set) != len(info.Members) {
				return // duplicate members: not a faithful listing
			}
			st.mem = mb
			st.lo, st.hi = int64(mb.len()), int64(mb.len())
			m.memberBytes += mb.size()
		}
	}
}

func (mb *members) len() int {
	if mb.set != nil {
		return len(mb.set)
	}
	return len(mb.list)
}

// fits reports whether n more bytes of contents fit the budget. The
// running total only grows; now and then it is recounted from the
// contents actually held.
func (m *Model) fits(n int64) bool {
	if m.memberBytes+n <= m.opt.MaxMemberBytes {
		return true
	}
	if m.commands-m.recounted >= 10000 || m.recounted == 0 {
		m.recounted = max(m.commands, 1)
		m.memberBytes = 0
		for i := int32(0); i < m.n; i++ {
			m.memberBytes += m.stateAt(i).mem.size()
		}
	}
	return m.memberBytes+n <= m.opt.MaxMemberBytes
}

func (m *Model) begin() {
	m.txn = &txn{saved: map[int32]state{}, slots: append([]uint32(nil), m.slots...), gens: cloneGens(m.gens), nextID: m.nextID,
		reasons: m.reasons, unknownCmds: maps.Clone(m.unknownCmds), untracked: m.untracked, memberBytes: m.memberBytes}
}

// revert undoes a transaction left open at the end of a file, as the
// loader never executes it.
func (m *Model) revert() {
	t := m.txn
	m.txn = nil
	for idx, s := range t.saved {
		*m.stateAt(idx) = s
	}
	m.slots, m.gens, m.nextID = t.slots, t.gens, t.nextID
	m.reasons, m.unknownCmds, m.untracked, m.memberBytes = t.reasons, t.unknownCmds, t.untracked, t.memberBytes
	m.lost.add(t.count, t.items, LostOpenMulti, m.opt.MaxLost)
}

func (m *Model) noteTxn(a *argv) {
	m.txn.count++
	if len(m.txn.items) < m.opt.MaxLost {
		m.txn.items = append(m.txn.items, m.lostItem(a, m.db, LostOpenMulti))
	}
}

// Drop records a command the server will not load (a torn tail, a
// transaction the caller knows is cut, the part of a file past a cut), for
// the result's Lost section. It has no effect on the count. A Command with
// no arguments stands for a partial command.
func (m *Model) Drop(c Command, why LostReason) {
	m.startApply()
	a := m.lookup(&c)
	if m.dropDB < 0 {
		m.dropDB = m.db
	}
	if a.name == "SELECT" {
		if db, ok := m.dbArg(&a, 1); ok {
			m.dropDB = db
		}
	}
	m.lost.add(1, []LostCommand{m.lostItem(&a, m.dropDB, why)}, why, m.opt.MaxLost)
}
