package replay

import (
	"maps"
	"slices"
)

// exist is what the model knows of a key's existence.
type exist uint8

const (
	absent exist = iota
	present
	maybe
)

// many stands for "no known upper bound" in cardinality ranges.
const many = int64(1) << 60

const (
	flagMaterialized  uint8 = 1 << iota // base facts taken
	flagExpUnknown                      // the TTL is not known
	flagScoresUnknown                   // zset scores in mem are not known
	flagSkiplist                        // a zset no longer in a listpack (order of lex ranges)
)

// state is what the model knows of one key. When the key exists, its
// cardinality (elements, or string bytes) lies in [lo, hi]; mem, when set,
// holds its contents exactly (and then ex is present and lo == hi).
type state struct {
	lo, hi int64
	exp    int64 // Unix ms, or NoExpiry
	ex     exist
	typ    Type
	flags  uint8
	why    reason // why the key is uncertain, for the result
	mem    *members
}

// members are a collection's exact contents: set members, hash fields or
// zset members (with scores) in set, list elements in list.
type members struct {
	set  map[string]float64
	list []string
}

func (mb *members) size() int64 {
	if mb == nil {
		return 0
	}
	var n int64
	for k := range mb.set {
		n += int64(len(k)) + memberOverhead
	}
	for _, e := range mb.list {
		n += int64(len(e)) + 16
	}
	return n
}

// memberOverhead estimates a map entry's cost beyond its bytes.
const memberOverhead = 48

func (mb *members) clone() *members {
	if mb == nil {
		return nil
	}
	return &members{set: maps.Clone(mb.set), list: slices.Clone(mb.list)}
}

func (s *state) expKnown() bool { return s.flags&flagExpUnknown == 0 }

// setAbsent makes the key not exist.
func (s *state) setAbsent() {
	s.ex, s.typ, s.lo, s.hi, s.exp, s.mem, s.why = absent, TypeNone, 0, 0, NoExpiry, nil, reasonNone
	s.flags &^= flagExpUnknown | flagScoresUnknown | flagSkiplist
}

// setNew makes the key a fresh one of type t with exactly n elements and
// no TTL (what dbAdd or setKey without KEEPTTL leaves).
func (s *state) setNew(t Type, n int64) {
	s.ex, s.typ, s.lo, s.hi, s.exp, s.mem, s.why = present, t, n, n, NoExpiry, nil, reasonNone
	s.flags &^= flagExpUnknown | flagScoresUnknown | flagSkiplist
}

// unknown makes everything about the key unknown.
func (s *state) unknown(why reason) {
	s.ex, s.typ, s.lo, s.hi, s.mem = maybe, TypeUnknown, 0, many, nil
	s.flags |= flagExpUnknown
	s.why = why
}

// cause is why an effect on the key is uncertain: its contents were
// unknown for a reason of their own (a GEO search, a RESTORE payload...),
// or r.
func (s *state) cause(r reason) reason {
	switch s.why {
	case reasonNone, reasonMembersUnknown, reasonExpiryWindow, reasonExpiryUnknown:
		return r
	}
	if r == reasonMembersUnknown {
		return s.why
	}
	return r
}

// merge makes s the union of two possible outcomes: s or o.
func (s *state) merge(o *state, why reason) {
	why = o.cause(s.cause(why))
	if s.ex == absent && o.ex == absent {
		return
	}
	if s.ex == absent {
		t := *o
		t.ex = maybe
		t.mem = nil
		t.why = why
		*s = t
		return
	}
	if o.ex != absent {
		if s.ex != o.ex {
			s.ex = maybe
		}
		s.lo, s.hi = min(s.lo, o.lo), max(s.hi, o.hi)
		if s.typ != o.typ {
			s.typ = TypeUnknown
		}
		if s.exp != o.exp || !o.expKnown() {
			s.flags |= flagExpUnknown
		}
	} else {
		s.ex = maybe
	}
	if s.mem != o.mem {
		s.mem = nil
	}
	if s.ex == maybe {
		s.mem = nil
		s.why = why
	}
}

// card returns the cardinality range, 0 when the key does not exist.
func (s *state) card() (lo, hi int64) {
	switch s.ex {
	case absent:
		return 0, 0
	case maybe:
		return 0, s.hi
	}
	return s.lo, s.hi
}

// shrink removes between dlo and dhi elements from an existing
// collection, deleting it when it may become empty.
func (s *state) shrink(dlo, dhi int64, why reason) {
	s.mem = nil
	lo, hi := s.lo-dhi, s.hi-dlo
	if lo < 0 {
		lo = 0
	}
	if hi <= 0 {
		s.setAbsent()
		return
	}
	s.hi = hi
	if lo == 0 {
		s.lo = 1
		s.ex = maybe
		s.why = s.cause(why)
		return
	}
	s.lo = lo
}

// grow adds between dlo and dhi elements, creating a key of type t when
// needed.
func (s *state) grow(t Type, dlo, dhi int64) {
	switch s.ex {
	case absent:
		s.setNew(t, 0)
		s.lo, s.hi = max(dlo, 1), max(dhi, 1)
		return
	case maybe:
		// Created, or grown with its TTL kept.
		s.ex = present
		s.lo = max(dlo, 1)
		if s.exp != NoExpiry {
			s.flags |= flagExpUnknown
		}
	default:
		s.lo += dlo
	}
	if s.typ == TypeUnknown {
		s.typ = t
	}
	s.hi = min(s.hi+dhi, many)
	s.mem = nil
}
