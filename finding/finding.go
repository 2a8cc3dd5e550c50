// Package finding is the one model every aoftool command reports through: a
// problem or notable fact, with a stable code scripts can match on, the file
// and byte offset it concerns, a sentence for a person and a hint on what to do.
//
// It is the leaf of the import graph: the format packages (manifest,
// rdbinspect, aofinspect, snapshot) may import it, it imports only the
// standard library.
package finding

import (
	"fmt"
	"sort"
	"strings"
)

// Severity orders findings by what they mean for the exit code: any Error
// makes a command exit 1.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	default:
		return 2
	}
}

// Code is a stable kebab-case identifier. Messages may change between
// releases; codes do not.
type Code string

// Finding is one problem or notable fact. Offset is a pointer because 0 is a
// real byte offset; it is nil when no file content is involved.
type Finding struct {
	Severity Severity `json:"severity"`
	Code     Code     `json:"code"`
	Path     string   `json:"path,omitempty"`
	Offset   *int64   `json:"offset,omitempty"`
	Line     int      `json:"line,omitempty"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

// New builds a finding with the code's default severity.
func New(code Code, path string, format string, args ...any) Finding {
	return Finding{Severity: DefaultSeverity(code), Code: code, Path: path, Message: fmt.Sprintf(format, args...)}
}

// At returns a copy of f that points at byte offset off of its file.
func (f Finding) At(off int64) Finding {
	f.Offset = &off
	return f
}

// AtLine returns a copy of f that also names a 1-based line number.
func (f Finding) AtLine(line int) Finding {
	f.Line = line
	return f
}

// WithHint returns a copy of f with a hint on what to do.
func (f Finding) WithHint(format string, args ...any) Finding {
	f.Hint = fmt.Sprintf(format, args...)
	return f
}

// As returns a copy of f with another severity, for the few codes whose
// weight depends on context (a leftover is a warning on a live server and
// information in a post-mortem).
func (f Finding) As(s Severity) Finding {
	f.Severity = s
	return f
}

func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(string(f.Severity))
	b.WriteString(" ")
	b.WriteString(string(f.Code))
	if f.Path != "" {
		b.WriteString(" ")
		b.WriteString(f.Path)
		if f.Offset != nil {
			fmt.Fprintf(&b, "@%d", *f.Offset)
		}
		if f.Line > 0 {
			fmt.Fprintf(&b, ":%d", f.Line)
		}
	}
	b.WriteString(": ")
	b.WriteString(f.Message)
	return b.String()
}

// List is a set of findings with the queries every command needs.
type List []Finding

// HasError reports whether any finding has severity Error: the exit-1 rule.
func (l List) HasError() bool {
	for _, f := range l {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// Has reports whether a finding with the given code is present.
func (l List) Has(code Code) bool {
	for _, f := range l {
		if f.Code == code {
			return true
		}
	}
	return false
}

// Count returns how many findings have each severity.
func (l List) Count() map[Severity]int {
	m := map[Severity]int{Error: 0, Warning: 0, Info: 0}
	for _, f := range l {
		m[f.Severity]++
	}
	return m
}

// Sort orders findings by severity, then path, then offset, keeping the
// original order among equals so a parser's sequence is preserved.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.Severity.rank() != b.Severity.rank() {
			return a.Severity.rank() < b.Severity.rank()
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		ao, bo := int64(-1), int64(-1)
		if a.Offset != nil {
			ao = *a.Offset
		}
		if b.Offset != nil {
			bo = *b.Offset
		}
		return ao < bo
	})
}
