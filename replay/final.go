package replay

import "encoding/binary"

// Existence is what the model knows of a key's existence.
type Existence uint8

const (
	Absent Existence = iota
	Present
	Maybe
)

func (e Existence) String() string {
	switch e {
	case Present:
		return "present"
	case Maybe:
		return "maybe"
	}
	return "absent"
}

// KeyState is what the model knows of one tracked key after the commands
// applied so far.
type KeyState struct {
	DB int
	// Key is valid during the call only.
	Key    []byte
	Exists Existence
	Type   Type
	// LenMin and LenMax bound the cardinality (elements, or a string's
	// bytes); LenMax is -1 without a known bound.
	LenMin, LenMax int64
	// ExpireAt is the absolute expiry in Unix milliseconds or NoExpiry;
	// ExpireKnown is false when a command left it unknown.
	ExpireAt    int64
	ExpireKnown bool
	// Written says a command applied to the key (it was looked up in the
	// base); a key only the first pass saw, in a transaction the loader
	// never executes, is not written.
	Written bool
}

// Final lists the tracked keys by the database they are in now, for a
// caller that reports keys one by one; keys of a database flushed since
// are left out (they are gone).
func (m *Model) Final(yield func(KeyState) bool) {
	dbOf := make(map[uint32]int, len(m.slots))
	for db, id := range m.slots {
		dbOf[id] = db
	}
	m.keys.each(func(k []byte, idx int32) bool {
		db, ok := dbOf[binary.BigEndian.Uint32(k[:4])]
		if !ok {
			return true
		}
		s := m.stateAt(idx)
		ks := KeyState{DB: db, Key: k[4:], Exists: Absent, Type: TypeNone, ExpireAt: NoExpiry, ExpireKnown: true, LenMax: 0,
			Written: s.flags&flagMaterialized != 0}
		if ks.Written {
			ks.Exists, ks.Type, ks.ExpireAt, ks.ExpireKnown = Existence(s.ex), s.typ, s.exp, s.expKnown()
			ks.LenMin, ks.LenMax = s.lo, s.hi
			if s.hi >= many {
				ks.LenMax = -1
			}
			if s.ex == absent {
				ks.LenMin, ks.LenMax = 0, 0
			}
		}
		return yield(ks)
	})
}

// Origins says, for each database, which base database's keys it holds
// after the commands seen so far (SWAPDB moves them), or -1 when it was
// flushed and holds only keys written since. After the first pass it
// already tells a caller walking the base where each key ends up.
func (m *Model) Origins() []int {
	out := make([]int, len(m.slots))
	for db, id := range m.slots {
		out[db] = m.gens[id].origin
	}
	return out
}

// Unbounded lists the databases whose key count an unknown command (a
// module's, EVAL, DEBUG) or a cut argument may have changed by any number
// of keys the model does not track.
func (m *Model) Unbounded() []int {
	var out []int
	for db, id := range m.slots {
		if g := m.gens[id]; g.unbounded || g.lo != 0 || g.hi != 0 {
			out = append(out, db)
		}
	}
	return out
}
