package serverlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Options bound what a read keeps. The zero value is usable.
type Options struct {
	// Location is the zone of timestamps that carry none (the legacy
	// "dd Mon yyyy hh:mm:ss.mmm" stamp is the server's local time); UTC when
	// nil, which is what containers run in.
	Location *time.Location
	// MaxLineBytes cuts longer lines there (default 16 KiB); the rest of the
	// line is skipped without being kept.
	MaxLineBytes int
	// UnknownSamples is how many unrecognised lines are kept as samples
	// (default 20); all are counted.
	UnknownSamples int
	// KeepPerKind is how many of the most recent events of each kind Read
	// keeps in Log.Events (default 8). The state sees every event.
	KeepPerKind int
}

func (o Options) withDefaults() Options {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 16 << 10
	}
	if o.MaxLineBytes > maxLineCap {
		o.MaxLineBytes = maxLineCap
	}
	if o.UnknownSamples <= 0 {
		o.UnknownSamples = 20
	}
	if o.KeepPerKind <= 0 {
		o.KeepPerKind = 8
	}
	return o
}

const (
	readBufferBytes = 64 << 10
	maxLineCap      = readBufferBytes
	// maxSampleBytes bounds the text kept of one unknown line.
	maxSampleBytes = 240
	// maxInterned bounds the interned field values.
	maxInterned = 4096
)

// Stats counts what the input held.
type Stats struct {
	Lines int   `json:"lines"`
	Bytes int64 `json:"bytes"`
	// ServerLines have a server header (any format); Events of them (and
	// of raw lines) matched a pattern; OtherMessages are server lines no
	// pattern describes (most of a log: client, memory, cluster messages).
	ServerLines   int `json:"server_lines"`
	Events        int `json:"events"`
	OtherMessages int `json:"other_messages"`
	Legacy        int `json:"legacy_lines"`
	Logfmt        int `json:"logfmt_lines"`
	SignalHandler int `json:"signal_handler_lines"`
	// Noise a paste adds or the server prints without a header.
	Blank       int `json:"blank"`
	Prompt      int `json:"prompt"`
	Banner      int `json:"banner"`
	CrashBody   int `json:"crash_report_body"`
	CRLF        int `json:"crlf"`
	PastePrefix int `json:"paste_prefix"`
	// Cut lines stopped mid-message and were still read as an event; Long
	// lines were longer than MaxLineBytes.
	Cut  int `json:"cut"`
	Long int `json:"long"`
	// Unknown lines are none of the above; a bounded sample is kept.
	Unknown int `json:"unknown"`
	// LastLineCut says the input ended without a newline.
	LastLineCut bool `json:"last_line_cut"`
}

// Sample is one unknown line kept for a person to look at.
type Sample struct {
	Line int    `json:"line"`
	Text string `json:"text"`
}

var errNilReader = errors.New("serverlog: nil reader")

type rule struct {
	kind Kind
	tmpl template
}

// ruleTable is the pattern table compiled: rules by the first word of
// the messages they match, and those that start with a field. It is built
// on the first line read, not at every run's start.
type ruleTable struct {
	dispatch map[string][]*rule
	fallback []*rule
}

var rules = sync.OnceValue(func() ruleTable {
	rt := ruleTable{dispatch: map[string][]*rule{}}
	for _, p := range Patterns {
		t, err := compileTemplate(p.Template)
		if err != nil {
			panic(fmt.Sprintf("serverlog: pattern table: %v", err))
		}
		r := &rule{kind: p.Kind, tmpl: t}
		words := t.firstWords()
		if words == nil {
			rt.fallback = append(rt.fallback, r)
			continue
		}
		for _, w := range words {
			rt.dispatch[w] = append(rt.dispatch[w], r)
		}
	}
	return rt
})

// matchMessage finds the pattern a message matches. A full match of any
// pattern wins; a cut message is read as a kind only when every pattern it
// partially matches is of that one kind.
func matchMessage(msg []byte, ev *Event, in *interner) (Kind, bool) {
	word := msg
	if i := bytes.IndexByte(msg, ' '); i >= 0 {
		word = msg[:i]
	}
	var partial Kind
	ambiguous := false
	var scratch Event
	in.wrote = false
	rt := rules()
	for pass := 0; pass < 2; pass++ {
		rs := rt.fallback
		if pass == 0 {
			rs = rt.dispatch[string(word)]
		}
		for _, r := range rs {
			if in.wrote {
				scratch, in.wrote = Event{}, false
			}
			switch r.tmpl.match(msg, &scratch, in) {
			case fullMatch:
				copyFields(ev, &scratch)
				return r.kind, false
			case partialMatch:
				if partial == "" {
					partial = r.kind
					copyFields(ev, &scratch)
				} else if partial != r.kind {
					ambiguous = true
				}
			}
		}
	}
	if partial != "" && !ambiguous {
		return partial, true
	}
	*ev = Event{}
	return "", false
}

func copyFields(dst, src *Event) {
	dst.ChildPID, dst.Signal, dst.Bytes, dst.Offset = src.ChildPID, src.Signal, src.Bytes, src.Offset
	dst.Keys, dst.Expired, dst.N, dst.Seconds, dst.MB = src.Keys, src.Expired, src.N, src.Seconds, src.MB
	dst.Version, dst.ReplID, dst.File, dst.Target, dst.Addr, dst.Reason = src.Version, src.ReplID, src.File, src.Target, src.Addr, src.Reason
	dst.Product = src.Product
}

// Scanner reads a log line by line and stops at each event. Its memory is
// bounded by the read buffer, the sample of unknown lines and the interned
// field values, whatever the input's size.
type Scanner struct {
	br      *bufio.Reader
	opts    Options
	in      *interner
	ev      Event
	line    Line
	stats   Stats
	unknown []Sample
	err     error
	inCrash bool
	// crashTail: the raw lines after a bug report's end line (the request
	// to report the crash) up to the next server line.
	crashTail bool
	done      bool
	// skipRest: the last line was longer than the read buffer; the rest of
	// it is skipped before the next line is read.
	skipRest bool
	days     dayCache
}

// NewScanner reads r.
func NewScanner(r io.Reader, opts Options) *Scanner {
	opts = opts.withDefaults()
	s := &Scanner{opts: opts, in: newInterner(maxInterned)}
	if r == nil {
		s.err, s.done = errNilReader, true
		return s
	}
	s.br = bufio.NewReaderSize(r, readBufferBytes)
	return s
}

// Next advances to the next event; false at the end of the input or on a
// read error (see Err).
func (s *Scanner) Next() bool {
	for !s.done {
		raw, ok := s.readLine()
		if !ok {
			s.done = true
			return false
		}
		if s.scanLine(raw) {
			return true
		}
	}
	return false
}

// Event is the current event; valid until the next call to Next.
func (s *Scanner) Event() Event { return s.ev }

// Line is the line of the current event, header decoded; its Message
// aliases the read buffer and is valid until the next call to Next.
func (s *Scanner) Line() Line { return s.line }

// Stats are the counts so far.
func (s *Scanner) Stats() Stats { return s.stats }

// Unknown is the sample of unrecognised lines so far.
func (s *Scanner) Unknown() []Sample { return s.unknown }

// Err is the first read error other than io.EOF.
func (s *Scanner) Err() error { return s.err }

// readLine returns the next line, without its newline, cut to
// MaxLineBytes; the returned slice aliases the read buffer and is valid
// until the next call.
func (s *Scanner) readLine() ([]byte, bool) {
	if s.skipRest {
		s.skipRest = false
		for {
			b, err := s.br.ReadSlice('\n')
			s.stats.Bytes += int64(len(b))
			if !errors.Is(err, bufio.ErrBufferFull) {
				if err != nil && err != io.EOF {
					s.err = err
				}
				if err != nil {
					s.stats.LastLineCut = err == io.EOF
					return nil, false
				}
				break
			}
		}
	}
	if s.err != nil {
		return nil, false
	}
	b, err := s.br.ReadSlice('\n')
	s.stats.Bytes += int64(len(b))
	switch {
	case err == nil:
		b = b[:len(b)-1]
	case errors.Is(err, bufio.ErrBufferFull):
		s.stats.Long++
		s.skipRest = true
	case err == io.EOF:
		if len(b) == 0 {
			return nil, false
		}
		s.stats.LastLineCut = true
	default:
		s.err = err
		if len(b) == 0 {
			return nil, false
		}
	}
	s.stats.Lines++
	if len(b) > s.opts.MaxLineBytes {
		if !s.skipRest {
			s.stats.Long++
		}
		b = b[:s.opts.MaxLineBytes]
	}
	return b, true
}

// scanLine reads one line; true when it carries an event, now in s.ev.
func (s *Scanner) scanLine(raw []byte) bool {
	if len(raw) > 0 && raw[len(raw)-1] == '\r' {
		s.stats.CRLF++
	}
	before := len(raw)
	b, pt := stripPaste(raw)
	if len(b) < before && !(len(b) == before-1 && raw[before-1] == '\r') {
		s.stats.PastePrefix++
	}
	ln := &s.line
	*ln = Line{Number: s.stats.Lines, PasteTime: pt}
	s.ev = Event{}
	if parseHeader(b, s.opts.Location, ln, &s.days) {
		s.crashTail = false
		s.stats.ServerLines++
		switch ln.Format {
		case FormatLogfmt:
			s.stats.Logfmt++
		case FormatSignal:
			s.stats.SignalHandler++
		default:
			s.stats.Legacy++
		}
		kind, cut := matchMessage(trimEllipsis(bytes.TrimRight(ln.Message, " ")), &s.ev, s.in)
		if kind == "" {
			s.stats.OtherMessages++
			return false
		}
		return s.emit(kind, cut)
	}
	ln.Format = FormatRaw
	switch classifyNoise(b) {
	case noiseBlank:
		s.stats.Blank++
		return false
	case noisePrompt:
		if !s.inCrash && !s.crashTail {
			s.stats.Prompt++
			return false
		}
	case noiseBanner:
		if !s.inCrash && !s.crashTail {
			s.stats.Banner++
			return false
		}
	}
	msg := trimEllipsis(bytes.TrimSpace(b))
	ln.Message = msg
	kind, cut := matchMessage(msg, &s.ev, s.in)
	if kind != "" && (!cut || !s.inCrash) {
		return s.emit(kind, cut)
	}
	if s.inCrash || s.crashTail {
		s.stats.CrashBody++
		return false
	}
	s.stats.Unknown++
	if len(s.unknown) < s.opts.UnknownSamples {
		t := raw
		if len(t) > maxSampleBytes {
			t = t[:maxSampleBytes]
		}
		s.unknown = append(s.unknown, Sample{Line: ln.Number, Text: string(bytes.TrimRight(t, "\r"))})
	}
	return false
}

func (s *Scanner) emit(kind Kind, cut bool) bool {
	ln := &s.line
	ev := &s.ev
	ev.Kind, ev.Line, ev.Time, ev.PID, ev.Role, ev.Level, ev.Cut = kind, ln.Number, ln.Time, ln.PID, ln.Role, ln.Level, cut
	if ev.Time.IsZero() && !ln.PasteTime.IsZero() {
		ev.Time = ln.PasteTime
	}
	switch kind {
	case KindCrash:
		s.inCrash = true
	case KindCrashEnd:
		s.inCrash, s.crashTail = false, true
	case KindStarting, KindVersion:
		s.inCrash, s.crashTail = false, false
	}
	if cut {
		s.stats.Cut++
	}
	s.stats.Events++
	return true
}

// ellipsis is what a chat or a pager appends to a line it cut ("…").
var ellipsis = []byte("\u2026")

// trimEllipsis removes a trailing "…": the line was cut there, and what is
// left is matched as a cut message.
func trimEllipsis(b []byte) []byte {
	return bytes.TrimRight(bytes.TrimSuffix(b, ellipsis), " ")
}
