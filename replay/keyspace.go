package replay

import (
	"bytes"
	"math"
)

// handler applies one command's effect. partial handlers cope with
// arguments the scanner did not keep; the others never see such commands.
type handler struct {
	fn      func(m *Model, a *argv)
	partial bool
}

var handlers map[string]handler

func init() {
	h := func(fn func(*Model, *argv), names ...string) {
		for _, n := range names {
			handlers[n] = handler{fn: fn}
		}
	}
	p := func(fn func(*Model, *argv), names ...string) {
		for _, n := range names {
			handlers[n] = handler{fn: fn, partial: true}
		}
	}
	handlers = map[string]handler{}
	// Writes with no effect on which keys exist.
	h(func(*Model, *argv) {}, "FUNCTION|DELETE", "FUNCTION|FLUSH", "FUNCTION|LOAD", "FUNCTION|RESTORE", "PFDEBUG",
		"XACK", "XAUTOCLAIM", "XCLAIM", "XDEL", "XGROUP|CREATECONSUMER", "XGROUP|DELCONSUMER", "XGROUP|DESTROY",
		"XGROUP|SETID", "XREADGROUP", "XSETID", "XTRIM", "PFCOUNT", "PUBLISH", "SPUBLISH")
	// Applied by Apply itself, as the first pass does.
	h(func(*Model, *argv) {}, "SELECT", "SWAPDB", "FLUSHDB", "FLUSHALL")
	p(cmdDel, "DEL", "UNLINK")
	h(cmdExpire(1000, true), "EXPIRE")
	h(cmdExpire(1, true), "PEXPIRE")
	h(cmdExpire(1000, false), "EXPIREAT")
	h(cmdExpire(1, false), "PEXPIREAT")
	h(cmdPersist, "PERSIST")
	h(cmdRename(false), "RENAME")
	h(cmdRename(true), "RENAMENX")
	h(cmdMove, "MOVE")
	h(cmdCopy, "COPY")
	h(cmdRestore, "RESTORE", "RESTORE-ASKING")
	h(cmdSort, "SORT")

	h(cmdSet, "SET")
	h(func(m *Model, a *argv) { m.setString(a, 1, 2, setNX, 0, 0) }, "SETNX")
	h(func(m *Model, a *argv) { m.setWithTTL(a, 1000) }, "SETEX")
	h(func(m *Model, a *argv) { m.setWithTTL(a, 1) }, "PSETEX")
	h(func(m *Model, a *argv) { m.setString(a, 1, 2, 0, 0, 0) }, "GETSET")
	p(cmdMSet(false), "MSET")
	h(cmdMSet(true), "MSETNX")
	h(cmdGetDel, "GETDEL")
	h(cmdGetEx, "GETEX")
	h(cmdAppend, "APPEND")
	h(cmdSetRange, "SETRANGE")
	h(cmdIncr(false, false), "INCR", "DECR")
	h(cmdIncr(true, false), "INCRBY", "DECRBY")
	h(cmdIncr(true, true), "INCRBYFLOAT")
	h(cmdSetBit, "SETBIT")
	h(cmdBitfield, "BITFIELD")
	h(cmdBitop, "BITOP")
	p(cmdPFAdd, "PFADD")
	h(cmdPFMerge, "PFMERGE")

	initCollections(h, p)
}

// assumeExists: the command changes the key only if it exists, and the
// server wrote it to the file, so the key existed when it ran.
func assumeExists(s *state) {
	if s.ex != maybe {
		return
	}
	s.ex = present
	if s.lo < 1 && s.typ != TypeString && s.typ != TypeStream && s.typ != TypeUnknown {
		s.lo = 1
	}
}

// assumeAbsent: the command has an effect only if the key does not exist;
// it was written to the file, so it did not.
func assumeAbsent(s *state) {
	if s.ex == maybe {
		s.setAbsent()
	}
}

// typeOK reports whether the key's type lets the command run (a wrong type
// is an error, which the server neither executes nor writes). An unknown
// type is taken to be the one the command needs, since it was written.
func typeOK(s *state, t Type) bool {
	if s.ex == absent || s.typ == t {
		return true
	}
	if s.typ == TypeUnknown {
		s.typ = t
		return true
	}
	return false
}

func (m *Model) k(a *argv, i int) *state { return m.key(m.db, a, i) }

// sameKey reports whether arguments i and j name the same key.
func sameKey(a *argv, i, j int) bool {
	return !a.cut(i) && !a.cut(j) && bytes.Equal(a.b(i), a.b(j))
}

func cmdDel(m *Model, a *argv) {
	for i := 1; i < a.n(); i++ {
		m.k(a, i).setAbsent()
	}
	if h := a.hidden(); h > 0 {
		m.note(reasonArgsCut)
		m.gens[m.slots[m.db]].lo -= h
		m.gens[m.slots[m.db]].loNoTTL -= h
	}
}

// cmdExpire is EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT (expireGenericCommand):
// while loading, an expiry in the past is set like any other and the key
// is deleted after the load.
func cmdExpire(unit int64, relative bool) func(*Model, *argv) {
	return func(m *Model, a *argv) {
		when, ok := a.int(2)
		if !ok {
			return
		}
		var nx, xx, gt, lt bool
		for j := 3; j < a.n(); j++ {
			switch {
			case a.is(j, "NX"):
				nx = true
			case a.is(j, "XX"):
				xx = true
			case a.is(j, "GT"):
				gt = true
			case a.is(j, "LT"):
				lt = true
			default:
				return
			}
		}
		if nx && (xx || gt || lt) || gt && lt {
			return
		}
		if unit == 1000 {
			if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
				return
			}
			when *= 1000
		}
		if relative {
			if when > math.MaxInt64-m.opt.At {
				return
			}
			when += m.opt.At
		}
		s := m.k(a, 1)
		if s.ex == absent {
			return
		}
		assumeExists(s)
		if s.expKnown() {
			cur := s.exp
			if nx && cur != NoExpiry || xx && cur == NoExpiry || gt && (when <= cur || cur == NoExpiry) || lt && cur != NoExpiry && when >= cur {
				return
			}
		}
		s.exp = when
		s.flags &^= flagExpUnknown
	}
}

func cmdPersist(m *Model, a *argv) {
	s := m.k(a, 1)
	if s.ex == absent {
		return
	}
	assumeExists(s)
	s.exp = NoExpiry
	s.flags &^= flagExpUnknown
}

// moveState makes dst what src was and src absent.
func moveState(dst, src *state) {
	if dst == src {
		return
	}
	*dst = *src
	dst.flags |= flagMaterialized
	src.mem = nil
	src.setAbsent()
}

func cmdRename(nx bool) func(*Model, *argv) {
	return func(m *Model, a *argv) {
		src := m.k(a, 1)
		if src.ex == absent {
			return
		}
		assumeExists(src)
		if sameKey(a, 1, 2) {
			return
		}
		dst := m.k(a, 2)
		if nx {
			if dst.ex == present {
				return
			}
			assumeAbsent(dst)
		}
		moveState(dst, src)
	}
}

func cmdMove(m *Model, a *argv) {
	db, ok := m.dbArg(a, 2)
	if !ok || db == m.db {
		return
	}
	src := m.k(a, 1)
	if src.ex == absent {
		return
	}
	dst := m.key(db, a, 1)
	if dst.ex == present {
		return
	}
	assumeExists(src)
	assumeAbsent(dst)
	moveState(dst, src)
}

// copyDB parses COPY's options: the target database, and whether they
// are valid.
func copyDB(m *Model, a *argv) (int, bool) {
	db := m.db
	for j := 3; j < a.n(); j++ {
		switch {
		case a.is(j, "REPLACE"):
		case a.is(j, "DB") && j+1 < a.n():
			d, ok := m.dbArg(a, j+1)
			if !ok {
				return 0, false
			}
			db = d
			j++
		default:
			return 0, false
		}
	}
	return db, true
}

func cmdCopy(m *Model, a *argv) {
	db, ok := copyDB(m, a)
	if !ok || db == m.db && sameKey(a, 1, 2) {
		return
	}
	replace := false
	for j := 3; j < a.n(); j++ {
		replace = replace || a.is(j, "REPLACE")
	}
	src := m.k(a, 1)
	if src.ex == absent {
		return
	}
	dst := m.key(db, a, 2)
	if dst.ex == present && !replace {
		return
	}
	assumeExists(src)
	if !replace {
		assumeAbsent(dst)
	}
	cp := *src
	cp.flags |= flagMaterialized
	cp.mem = nil
	if src.mem != nil {
		if n := src.mem.size(); m.fits(n) {
			cp.mem = src.mem.clone()
			m.memberBytes += n
		}
	}
	*dst = cp
}

// restored gives key s the value of the DUMP payload at argument 3:
// its contents when the model decodes them, else its type and a
// cardinality it does not know.
func (m *Model) restored(s *state, a *argv) {
	var p payload
	ok := false
	if !a.cut(3) {
		p, ok = decodePayload(a.b(3), m.opt.MaxMembers)
	}
	if !ok {
		p = payload{t: TypeUnknown, n: -1}
		if b := a.b(3); len(b) > 0 {
			if rt, known := rdbTypes[b[0]]; known {
				p.t = rt
			}
		}
	}
	s.setNew(p.t, 1)
	if p.n < 0 {
		s.hi = many
		if p.t == TypeString || p.t == TypeStream || p.t == TypeUnknown {
			s.lo = 0
		}
		s.why = reasonRestore
		return
	}
	s.lo, s.hi = p.n, p.n
	if p.members == nil {
		s.why = reasonRestore
		return
	}
	mb := &members{}
	if p.t == TypeList {
		mb.list = p.members
	} else {
		mb.set = make(map[string]float64, len(p.members))
		for i, e := range p.members {
			if i < len(p.scores) {
				mb.set[e] = p.scores[i]
			} else {
				mb.set[e] = 0
			}
		}
		if len(mb.set) != len(p.members) {
			s.why = reasonRestore
			return
		}
		if p.t == TypeZSet && !fitsListpack(mb.set) {
			s.flags |= flagSkiplist
		}
	}
	if n := mb.size(); m.fits(n) {
		s.mem = mb
		m.memberBytes += n
	}
}

// rdbTypes maps an RDB object type byte (a DUMP payload's first byte) to
// the key's type (src/rdb.h).
var rdbTypes = map[byte]Type{0: TypeString, 1: TypeList, 2: TypeSet, 3: TypeZSet, 4: TypeHash, 5: TypeZSet,
	6: TypeModule, 7: TypeModule, 9: TypeHash, 10: TypeList, 11: TypeSet, 12: TypeZSet, 13: TypeHash,
	14: TypeList, 15: TypeStream, 16: TypeHash, 17: TypeZSet, 18: TypeList, 19: TypeStream, 20: TypeSet}

func cmdRestore(m *Model, a *argv) {
	ttl, ok := a.int(2)
	if !ok || ttl < 0 {
		return
	}
	replace, absttl := false, false
	idle, freq := false, false
	for j := 4; j < a.n(); j++ {
		switch {
		case a.is(j, "REPLACE"):
			replace = true
		case a.is(j, "ABSTTL"):
			absttl = true
		case a.is(j, "IDLETIME") && j+1 < a.n() && !freq:
			if v, ok := a.int(j + 1); !ok || v < 0 {
				return
			}
			idle = true
			j++
		case a.is(j, "FREQ") && j+1 < a.n() && !idle:
			if v, ok := a.int(j + 1); !ok || v < 0 || v > 255 {
				return
			}
			freq = true
			j++
		default:
			return
		}
	}
	s := m.k(a, 1)
	if s.ex == present && !replace {
		return
	}
	if !replace {
		assumeAbsent(s)
	}
	m.restored(s, a)
	if ttl != 0 {
		if !absttl {
			ttl += m.opt.At
		}
		s.exp = ttl
	}
}

// cmdSort is SORT ... STORE (sortCommand): the stored list has the sorted
// key's length, cut by LIMIT, times the GET patterns; an empty result
// deletes the destination.
func cmdSort(m *Model, a *argv) {
	store := sortStoreIndex(a)
	if store == 0 {
		return
	}
	var limStart, limCount int64 = 0, -1
	gets := int64(0)
	for j := 2; j < a.n(); j++ {
		switch {
		case a.is(j, "LIMIT"):
			var ok1, ok2 bool
			limStart, ok1 = a.int(j + 1)
			limCount, ok2 = a.int(j + 2)
			if !ok1 || !ok2 {
				return
			}
			j += 2
		case a.is(j, "GET"):
			gets++
			j++
		case a.is(j, "STORE"), a.is(j, "BY"):
			j++
		}
	}
	src := m.k(a, 1)
	if src.ex != absent && src.typ != TypeList && src.typ != TypeSet && src.typ != TypeZSet && src.typ != TypeUnknown {
		return
	}
	lo, hi := src.card()
	out := func(v int64) int64 {
		start := min(max(limStart, 0), v)
		count := min(max(limCount, -1), v)
		end := v - 1
		if count >= 0 {
			end = start + count - 1
		}
		if start >= v {
			return 0
		}
		if end >= v {
			end = v - 1
		}
		n := end - start + 1
		if n < 0 {
			n = 0
		}
		if gets > 0 {
			n = min(n*gets, many)
		}
		return n
	}
	dst := m.k(a, store)
	m.store(dst, TypeList, out(lo), out(hi), src.cause(reasonMembersUnknown))
	if dst.ex == present {
		dst.why = reasonSortContents
	}
}

// store gives a STORE destination a fresh value of type t with between lo
// and hi elements, deleting it when the result is empty.
func (m *Model) store(dst *state, t Type, lo, hi int64, why reason) {
	switch {
	case hi <= 0:
		dst.setAbsent()
	case lo > 0:
		dst.setNew(t, lo)
		dst.hi = hi
	default:
		deleted := *dst
		deleted.setAbsent()
		dst.setNew(t, 1)
		dst.hi = hi
		dst.merge(&deleted, why)
		m.note(dst.why)
	}
}

// String commands.

const (
	setNX = 1 << iota
	setXX
	setGet
	setKeepTTL
)

// cmdSet is SET with its options (parseExtendedStringArgumentsOrReply).
func cmdSet(m *Model, a *argv) {
	flags := 0
	var expKind string
	expArg := 0
	for j := 3; j < a.n(); j++ {
		next := j+1 < a.n()
		switch {
		case a.is(j, "NX") && flags&setXX == 0:
			flags |= setNX
		case a.is(j, "XX") && flags&setNX == 0:
			flags |= setXX
		case a.is(j, "GET"):
			flags |= setGet
		case a.is(j, "KEEPTTL") && expKind == "":
			flags |= setKeepTTL
		case (a.is(j, "EX") || a.is(j, "PX") || a.is(j, "EXAT") || a.is(j, "PXAT")) && expKind == "" && flags&setKeepTTL == 0 && next:
			expKind = string(bytes.ToUpper(a.b(j)))
			expArg = j + 1
			j++
		default:
			return
		}
	}
	var at int64
	if expKind != "" {
		var ok bool
		if at, ok = m.expireArg(a, expArg, expKind); !ok {
			return
		}
	}
	m.setString(a, 1, 2, flags, at, expArg)
}

// expireArg reads an EX/PX/EXAT/PXAT argument as an absolute time
// (getExpireMillisecondsOrReply); relative ones count from the start.
func (m *Model) expireArg(a *argv, i int, kind string) (int64, bool) {
	v, ok := a.int(i)
	if !ok || v <= 0 {
		return 0, false
	}
	if kind == "EX" || kind == "EXAT" {
		if v > math.MaxInt64/1000 {
			return 0, false
		}
		v *= 1000
	}
	if kind == "EX" || kind == "PX" {
		if v > math.MaxInt64-m.opt.At {
			return 0, false
		}
		v += m.opt.At
	}
	return v, v > 0
}

func (m *Model) setWithTTL(a *argv, unit int64) {
	kind := "EX"
	if unit == 1 {
		kind = "PX"
	}
	at, ok := m.expireArg(a, 2, kind)
	if !ok {
		return
	}
	m.setString(a, 1, 3, 0, at, 2)
}

// setString sets key i to the value at argument v (setGenericCommand);
// expAt is the absolute expiry when hasExp names its argument.
func (m *Model) setString(a *argv, i, v int, flags int, expAt int64, hasExp int) {
	s := m.k(a, i)
	if (flags&setGet != 0 || a.name == "GETSET") && s.ex != absent && !typeOK(s, TypeString) {
		return
	}
	switch {
	case flags&setNX != 0:
		if s.ex == present {
			return
		}
		assumeAbsent(s)
	case flags&setXX != 0:
		if s.ex == absent {
			return
		}
		assumeExists(s)
	}
	wasMaybe, oldExp, oldKnown := s.ex == maybe, s.exp, s.expKnown()
	wasPresent := s.ex == present
	s.setNew(TypeString, int64(a.c.Args[v].Len))
	switch {
	case hasExp > 0:
		s.exp = expAt
	case flags&setKeepTTL != 0 && wasPresent:
		s.exp = oldExp
		if !oldKnown {
			s.flags |= flagExpUnknown
		}
	case flags&setKeepTTL != 0 && wasMaybe && (oldExp != NoExpiry || !oldKnown):
		s.flags |= flagExpUnknown
	}
}

func cmdMSet(nx bool) func(*Model, *argv) {
	return func(m *Model, a *argv) {
		if a.c.Argc%2 == 0 {
			return
		}
		if nx {
			for i := 1; i+1 < a.n(); i += 2 {
				if m.k(a, i).ex == present {
					return
				}
			}
		}
		for i := 1; i+1 < a.n(); i += 2 {
			s := m.k(a, i)
			s.setNew(TypeString, int64(a.c.Args[i+1].Len))
		}
		if h := a.hidden(); h > 0 {
			// Each hidden key-value pair may create a key.
			m.note(reasonArgsCut)
			m.gens[m.slots[m.db]].hi += (h + 1) / 2
		}
	}
}

func cmdGetDel(m *Model, a *argv) {
	s := m.k(a, 1)
	if s.ex == absent || !typeOK(s, TypeString) {
		return
	}
	s.setAbsent()
}

// cmdGetEx is GETEX as the loader runs it: it only sets or removes the TTL
// (7.0 writes it as PEXPIREAT, PERSIST or DEL).
func cmdGetEx(m *Model, a *argv) {
	var kind string
	at, persist := int64(0), false
	for j := 2; j < a.n(); j++ {
		switch {
		case a.is(j, "PERSIST") && kind == "":
			persist = true
		case (a.is(j, "EX") || a.is(j, "PX") || a.is(j, "EXAT") || a.is(j, "PXAT")) && kind == "" && !persist && j+1 < a.n():
			kind = string(bytes.ToUpper(a.b(j)))
			var ok bool
			if at, ok = m.expireArg(a, j+1, kind); !ok {
				return
			}
			j++
		default:
			return
		}
	}
	s := m.k(a, 1)
	if s.ex == absent || !typeOK(s, TypeString) || kind == "" && !persist {
		return
	}
	assumeExists(s)
	if persist {
		s.exp = NoExpiry
	} else {
		s.exp = at
	}
	s.flags &^= flagExpUnknown
}

// growString lengthens a string key, creating it when absent; min is the
// length at least reached.
func growString(s *state, add, atLeast int64) {
	switch s.ex {
	case absent:
		s.setNew(TypeString, max(add, atLeast))
		return
	case maybe:
		s.ex = present
		s.lo = max(add, atLeast)
		if s.exp != NoExpiry {
			s.flags |= flagExpUnknown
		}
	default:
		s.lo = max(s.lo+add, atLeast)
	}
	s.typ = TypeString
	s.hi = min(max(s.hi+add, atLeast), many)
	s.mem = nil
}

func cmdAppend(m *Model, a *argv) {
	s := m.k(a, 1)
	if !typeOK(s, TypeString) {
		return
	}
	growString(s, int64(a.c.Args[2].Len), 0)
}

const maxStringLen = 512 << 20

func cmdSetRange(m *Model, a *argv) {
	off, ok := a.int(2)
	if !ok || off < 0 {
		return
	}
	n := int64(a.c.Args[3].Len)
	s := m.k(a, 1)
	if !typeOK(s, TypeString) || n == 0 || off+n > maxStringLen {
		return
	}
	growString(s, 0, off+n)
}

func cmdIncr(hasArg, float bool) func(*Model, *argv) {
	return func(m *Model, a *argv) {
		if hasArg {
			if float {
				if v, ok := a.float(2); !ok || math.IsInf(v, 0) {
					return
				}
			} else if _, ok := a.int(2); !ok {
				return
			}
		}
		s := m.k(a, 1)
		if !typeOK(s, TypeString) {
			return
		}
		growString(s, 0, 1)
		s.hi = max(s.hi, 64)
	}
}

func cmdSetBit(m *Model, a *argv) {
	off, ok := a.int(2)
	bit, ok2 := a.int(3)
	if !ok || !ok2 || off < 0 || off >= maxStringLen*8 || bit != 0 && bit != 1 {
		return
	}
	s := m.k(a, 1)
	if !typeOK(s, TypeString) {
		return
	}
	growString(s, 0, off/8+1)
}

// cmdBitfield: a SET or INCRBY operation creates the key; GET alone does
// not (and is not written).
func cmdBitfield(m *Model, a *argv) {
	writes := false
	for j := 2; j < a.n(); j++ {
		switch {
		case a.is(j, "GET"):
			j += 2
		case a.is(j, "SET"), a.is(j, "INCRBY"):
			writes = true
			j += 3
		case a.is(j, "OVERFLOW"):
			j++
		default:
			return
		}
	}
	s := m.k(a, 1)
	if !writes || !typeOK(s, TypeString) {
		return
	}
	growString(s, 0, 1)
}

// cmdBitop: the result is as long as the longest source (missing ones are
// empty); an empty result deletes the destination (bitopCommand).
func cmdBitop(m *Model, a *argv) {
	not := a.is(1, "NOT")
	if !not && !a.is(1, "AND") && !a.is(1, "OR") && !a.is(1, "XOR") || not && a.n() != 4 {
		return
	}
	var lo, hi int64
	for i := 3; i < a.n(); i++ {
		s := m.k(a, i)
		if s.ex != absent && !typeOK(s, TypeString) {
			return
		}
		l, h := s.card()
		lo, hi = max(lo, l), max(hi, h)
	}
	m.store(m.k(a, 2), TypeString, lo, hi, reasonMembersUnknown)
}

func cmdPFAdd(m *Model, a *argv) {
	s := m.k(a, 1)
	if !typeOK(s, TypeString) {
		return
	}
	growString(s, 0, 1)
}

func cmdPFMerge(m *Model, a *argv) {
	for i := 2; i < a.n(); i++ {
		if s := m.k(a, i); s.ex != absent && !typeOK(s, TypeString) {
			return
		}
	}
	s := m.k(a, 1)
	if !typeOK(s, TypeString) {
		return
	}
	growString(s, 0, 1)
}
