package serverlog

import (
	"io"
	"sort"
)

// Log is what Read keeps of a log: counts, a sample of the lines it could
// not read, the most recent events of each kind, and the derived state.
type Log struct {
	Stats   Stats    `json:"stats"`
	Unknown []Sample `json:"unknown"`
	// Events holds the last Options.KeepPerKind events of each kind, in
	// line order.
	Events []Event `json:"events"`
	State  *State  `json:"state"`
}

// Read reads a whole log from r in one pass and constant memory. Lines it
// cannot read are counted and sampled, never an error; the error is r's.
func Read(r io.Reader, opts Options) (*Log, error) {
	opts = opts.withDefaults()
	sc := NewScanner(r, opts)
	tr := NewTracker()
	keep := newRetainer(opts.KeepPerKind)
	for sc.Next() {
		// Pointers, not copies: an event is a few hundred bytes and most
		// lines of a busy log are events.
		tr.add(&sc.ev)
		keep.add(&sc.ev)
	}
	lg := &Log{Stats: sc.Stats(), Unknown: append([]Sample{}, sc.Unknown()...), Events: keep.events(), State: tr.State()}
	return lg, sc.Err()
}

// retainer keeps the last n events of each kind in fixed rings.
type retainer struct {
	n     int
	rings map[Kind]*ring
}

type ring struct {
	evs  []Event
	next int
}

func newRetainer(n int) *retainer { return &retainer{n: n, rings: map[Kind]*ring{}} }

func (r *retainer) add(e *Event) {
	rg := r.rings[e.Kind]
	if rg == nil {
		rg = &ring{evs: make([]Event, 0, r.n)}
		r.rings[e.Kind] = rg
	}
	if len(rg.evs) < r.n {
		rg.evs = append(rg.evs, *e)
		return
	}
	rg.evs[rg.next] = *e
	rg.next = (rg.next + 1) % r.n
}

func (r *retainer) events() []Event {
	out := []Event{}
	for _, rg := range r.rings {
		out = append(out, rg.evs...)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Line < out[b].Line })
	return out
}

// retained is how many events the retainer holds (for tests of bounds).
func (r *retainer) retained() int {
	n := 0
	for _, rg := range r.rings {
		n += len(rg.evs)
	}
	return n
}
