package serverlog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SchemaVersion is the schema of the State JSON document.
const SchemaVersion = 1

// Phase is one of the contract's phase names (docs/cli-contract.md).
type Phase string

const (
	Steady              Phase = "steady"
	BGSave              Phase = "bgsave"
	SyncTransfer        Phase = "sync-transfer"
	SyncLoading         Phase = "sync-loading"
	AOFRewrite          Phase = "aof-rewrite"
	AOFRewriteFinishing Phase = "aof-rewrite-finishing"
)

// Confidence says how well the log separates the phase from the
// alternatives.
type Confidence string

const (
	High   Confidence = "high"
	Medium Confidence = "medium"
	Low    Confidence = "low"
)

// Job names a persistence job.
type Job string

const (
	JobBGSave      Job = "bgsave"       // a BGSAVE child writing temp-<pid>.rdb
	JobAOFRewrite  Job = "aof-rewrite"  // an AOF rewrite child and its install
	JobRDBTransfer Job = "rdb-transfer" // a master's diskless sync child (writes no file)
	JobSync        Job = "sync"         // a replica's full sync: transfer, then load
	JobStartLoad   Job = "start-load"   // loading the AOF or dump.rdb at start
	JobServer      Job = "server"       // the server process itself
)

// Evidence is one log line that led to the answer.
type Evidence struct {
	Line int       `json:"line"`
	Time time.Time `json:"time,omitzero"`
	Fact string    `json:"fact"`
}

// Lifetime is one run of the server: from its start banner (or the first
// line of a pid never seen starting) to its exit, crash, or the next start.
type Lifetime struct {
	PID int `json:"pid"`
	// Product is "Redis" or "Valkey"; Version the server's version.
	Product string `json:"product,omitempty"`
	Version string `json:"version,omitempty"`
	// Role is the role of its last line: master or replica.
	Role Role   `json:"role,omitempty"`
	Mode string `json:"mode,omitempty"`
	// AOF is "on", "off" or "" (the log does not say).
	AOF       string    `json:"aof,omitempty"`
	StartLine int       `json:"start_line"`
	StartedAt time.Time `json:"started_at,omitzero"`
	// Implied: no start line was seen; the lifetime starts at the first
	// line of its pid (a paste that begins mid-run).
	Implied bool      `json:"implied,omitempty"`
	ReadyAt time.Time `json:"ready_at,omitzero"`
	// End says how it ended: "running" (no end in the log), "shutdown",
	// "crash", "load-error", "fatal-error", or "vanished" (the next start
	// came with no exit line: SIGKILL, the OOM killer, or a lost log).
	End     string `json:"end"`
	EndLine int    `json:"end_line,omitempty"`
	// EndedAt is the time of the end line; for a vanished server, of the
	// last line it wrote.
	EndedAt time.Time `json:"ended_at,omitzero"`
	// Reason is the cause of a crash or error end.
	Reason string `json:"reason,omitempty"`
}

// Running is one job running at the end of the log.
type Running struct {
	Job       Job       `json:"job"`
	Stage     string    `json:"stage"`
	ChildPID  int       `json:"child_pid,omitempty"`
	StartLine int       `json:"start_line"`
	StartedAt time.Time `json:"started_at,omitzero"`
	Phase     Phase     `json:"phase"`
}

// Child is a fork child the log named, for matching against the pids in
// temp file names (temp-<pid>.rdb, temp-rewriteaof-<pid>.aof).
type Child struct {
	PID       int       `json:"pid"`
	Job       Job       `json:"job"`
	StartLine int       `json:"start_line"`
	StartedAt time.Time `json:"started_at,omitzero"`
	// Outcome: "running", "ok", "error", "killed", "died-with-server".
	Outcome string `json:"outcome"`
	Signal  int    `json:"signal,omitempty"`
	// ServerPID is the parent.
	ServerPID int `json:"server_pid"`
	// EndLine and EndedAt are the line that told the child's end (for a
	// child that died with its server: the next start's line).
	EndLine int       `json:"end_line,omitempty"`
	EndedAt time.Time `json:"ended_at,omitzero"`
}

// Failure is one job that failed, or one thing the server reported going
// wrong, with its cause in the server's words.
type Failure struct {
	Line     int       `json:"line"`
	Time     time.Time `json:"time,omitzero"`
	Job      Job       `json:"job"`
	Kind     Kind      `json:"kind"`
	ChildPID int       `json:"child_pid,omitempty"`
	Signal   int       `json:"signal,omitempty"`
	// Why is a sentence for a person.
	Why string `json:"why"`
	// Reason is the server's own detail, when it gave one.
	Reason string `json:"reason,omitempty"`
}

// Done is a job that finished (well or not), with how long it took.
type Done struct {
	Job       Job       `json:"job"`
	ChildPID  int       `json:"child_pid,omitempty"`
	StartLine int       `json:"start_line"`
	StartedAt time.Time `json:"started_at,omitzero"`
	EndLine   int       `json:"end_line"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	// DurationS is from the start line to the end line; nil when either
	// has no time.
	DurationS *float64 `json:"duration_s"`
	OK        bool     `json:"ok"`
	dur       float64
	// Source of a load: "sync-disk", "sync-socket", "aof" or "rdb".
	Source string `json:"source,omitempty"`
	Keys   int64  `json:"keys,omitempty"`
	// Expired keys were dropped while loading.
	Expired int64 `json:"expired,omitempty"`
}

// Progress is what the log says about how far the running job is.
type Progress struct {
	Job       Job       `json:"job"`
	ChildPID  int       `json:"child_pid,omitempty"`
	StartLine int       `json:"start_line"`
	StartedAt time.Time `json:"started_at,omitzero"`
	// ElapsedS is from the job's start to the last timestamped line (the
	// log's "now").
	ElapsedS *float64 `json:"elapsed_s"`
	// PayloadBytes is the full-sync payload size announced by "receiving
	// <n> bytes from master"; 0 when streamed (its size is not known).
	PayloadBytes int64 `json:"payload_bytes"`
	Streamed     bool  `json:"streamed,omitempty"`
	// KeysBefore is how many keys the previous load of this server loaded:
	// the best guess of this load's count.
	KeysBefore int64 `json:"keys_before,omitempty"`
	// RDBMemoryBytes is "RDB memory usage when created" of the payload
	// being loaded.
	RDBMemoryBytes int64 `json:"rdb_memory_bytes,omitempty"`
	// PreviousS is how long the previous job of the same kind took.
	PreviousS *float64 `json:"previous_s"`
}

// State is what the log says about the server at its end. It is a pure
// function of the events (Derive, Tracker).
type State struct {
	Schema       int        `json:"schema"`
	Phase        Phase      `json:"phase"`
	Confidence   Confidence `json:"confidence"`
	Alternatives []Phase    `json:"alternatives"`
	Summary      string     `json:"summary"`
	// Step is the replica rebuild step (1 transfer, 2 load, 3 rewrite, 4
	// install), 0 outside a rebuild; StepOf is 4, or 2 when AOF is off.
	Step     int        `json:"step"`
	StepOf   int        `json:"step_of,omitempty"`
	Evidence []Evidence `json:"evidence"`
	// AsOf is the time of the last timestamped line: the log's "now".
	AsOf     time.Time `json:"as_of,omitzero"`
	LastLine int       `json:"last_line"`

	// Server is the current (last) lifetime; Running says it has not
	// exited as far as the log shows.
	Server    *Lifetime  `json:"server"`
	Running   bool       `json:"running"`
	Lifetimes []Lifetime `json:"lifetimes"`
	// LifetimeCount counts every lifetime; Lifetimes keeps the last few.
	LifetimeCount int `json:"lifetime_count"`
	Crashes       int `json:"crashes"`

	Jobs     []Running `json:"jobs"`
	Progress *Progress `json:"progress,omitempty"`
	Children []Child   `json:"children"`

	Failures     []Failure `json:"failures"`
	FailureCount int       `json:"failure_count"`
	// FullSyncs counts "Full resync from master" lines (replica side);
	// FullSyncsMaxPerHour is the most in any hour; FullSyncLoop is set at
	// three or more in an hour. ServedFullSyncs counts "Full resync
	// requested by replica" (master side).
	FullSyncs           int  `json:"full_syncs"`
	FullSyncsMaxPerHour int  `json:"full_syncs_max_per_hour"`
	FullSyncLoop        bool `json:"full_sync_loop"`
	ServedFullSyncs     int  `json:"served_full_syncs"`
	// AOFTruncatedAt lists "Truncating the AOF at offset" lines.
	AOFTruncations []Failure `json:"aof_truncations"`

	LastLoad    *Done `json:"last_load,omitempty"`
	LastRewrite *Done `json:"last_rewrite,omitempty"`
	LastBGSave  *Done `json:"last_bgsave,omitempty"`
	LastSync    *Done `json:"last_sync,omitempty"`
}

// Bounds of what a Tracker keeps, whatever the log's length.
const (
	keepLifetimes = 16
	keepFailures  = 32
	keepChildren  = 32
	keepWindow    = 1024
	loopPerHour   = 3
	keepEvidence  = 12
)

// Tracker folds events into a State, one at a time, in bounded memory.
// It does no I/O and never reads the clock.
type Tracker struct {
	life      *life
	lifetimes []Lifetime // ended lifetimes, last keepLifetimes
	count     int
	crashes   int

	failures []failRec
	nfail    int
	children []Child

	fullSyncs  int
	served     int
	window     []time.Time
	maxPerHour int
	truncs     []failRec

	lastLoad, lastRewrite, lastBGSave, lastSync *Done
	loadBuf, rewriteBuf, bgsaveBuf, syncBuf     Done
	prevKeys                                    int64
	cur                                         life

	asOf     time.Time
	lastLine int
	// curLine and curAt are the event being added.
	curLine int
	curAt   time.Time
	// lastCut: the last event came from a cut line.
	lastCut bool
}

type jobState struct {
	child     int
	startLine int
	started   time.Time
	stage     string
	// afterSync: the rewrite turns AOF on after a full sync (step 3).
	afterSync bool
}

type syncState struct {
	stage       string // connecting, handshake, waiting, transfer, loading, loaded
	startLine   int
	started     time.Time
	payload     int64
	streamed    bool
	toParser    bool
	loadLine    int
	loadAt      time.Time
	memoryBytes int64
	keys        int64
	expired     int64
	full        bool
}

type loadState struct {
	source    string
	startLine int
	started   time.Time
	keys      int64
	expired   int64
}

type life struct {
	Lifetime
	bgsave   *jobState
	rewrite  *jobState
	transfer *jobState
	sync     *syncState
	load     *loadState
	// rebuild: a full sync finished (or is under way) and the rewrite that
	// turns AOF on after it has not finished yet.
	rebuild bool
	// crashing: a bug report is being written.
	crashing bool
	// lastLine and lastAt are the last event of this lifetime.
	lastLine int
	lastAt   time.Time
	// loadErr and saveErr hold the last load or save error, for the
	// failure line that follows them.
	loadErr    Event
	hasLoadErr bool
	saveErr    string
	evidence   []noteRec
	// Storage the job pointers above point into, so that a long log
	// allocates nothing per job or per lifetime.
	bgsaveBuf, rewriteBuf, transferBuf jobState
	syncBuf                            syncState
	loadBuf                            loadState
}

// put stores v in buf and returns buf: the tracker's records live in
// fixed storage, reused from one job to the next.
func put[T any](buf *T, v T) *T {
	*buf = v
	return buf
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker { return &Tracker{} }

// Derive is the state after events, in order.
func Derive(events []Event) *State {
	t := NewTracker()
	for i := range events {
		t.Add(events[i])
	}
	return t.State()
}

// note records a fact for the evidence; text names event fields in
// braces (see expand) and is rendered only when the state is asked for, so
// that reading a log allocates nothing per event.
func (l *life) note(e *Event, text string) {
	if len(l.evidence) >= keepEvidence {
		copy(l.evidence, l.evidence[1:])
		l.evidence = l.evidence[:keepEvidence-1]
	}
	l.evidence = append(l.evidence, noteRec{ev: *e, text: text})
}

type noteRec struct {
	ev   Event
	text string
}

// failRec is a Failure before rendering: extra fills {extra}; cause is
// the kind whose words fill {loadreason} when it differs from ev.Kind.
type failRec struct {
	ev    Event
	job   Job
	text  string
	extra string
	cause Kind
}

func (t *Tracker) fail(e *Event, job Job, text, extra string) {
	t.failRec(failRec{ev: *e, job: job, text: text, extra: extra})
}

func (t *Tracker) failCause(e *Event, job Job, text string, cause Kind) {
	t.failRec(failRec{ev: *e, job: job, text: text, cause: cause})
}

func (t *Tracker) failRec(r failRec) {
	t.nfail++
	if len(t.failures) >= keepFailures {
		copy(t.failures, t.failures[1:])
		t.failures = t.failures[:keepFailures-1]
	}
	t.failures = append(t.failures, r)
}

func (r *failRec) render() Failure {
	e := r.ev
	f := Failure{Line: e.Line, Time: e.Time, Job: r.job, Kind: e.Kind, ChildPID: e.ChildPID, Signal: e.Signal, Reason: e.Reason}
	if r.cause != "" {
		e.Kind = r.cause
	}
	f.Why = expand(r.text, &e, r.extra)
	return f
}

// expand fills a note or failure text from an event.
func expand(text string, e *Event, extra string) string {
	if !strings.Contains(text, "{") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		switch text[i+1 : i+j] {
		case "keys":
			b.WriteString(strconv.FormatInt(e.Keys, 10))
		case "bytes":
			b.WriteString(strconv.FormatInt(e.Bytes, 10))
		case "offset":
			b.WriteString(strconv.FormatInt(e.Offset, 10))
		case "n":
			b.WriteString(strconv.FormatInt(e.N, 10))
		case "pid":
			b.WriteString(strconv.Itoa(e.ChildPID))
		case "replid":
			b.WriteString(e.ReplID)
		case "reason":
			if e.Reason != "" {
				b.WriteString(e.Reason)
			} else {
				b.WriteString(syncFailWords(e))
			}
		case "file":
			b.WriteString(e.File)
		case "filesp":
			b.WriteString(fileWords(e.File))
		case "signal":
			b.WriteString(signalWords(e.Signal))
		case "crash":
			b.WriteString(crashReason(e))
		case "loadreason":
			b.WriteString(loadReason(e))
		case "extra":
			b.WriteString(extra)
		}
		text = text[i+j+1:]
	}
}

func (t *Tracker) child(pid int, job Job, e *Event) {
	if pid == 0 {
		return
	}
	c := Child{PID: pid, Job: job, StartLine: e.Line, StartedAt: e.Time, Outcome: "running"}
	if t.life != nil {
		c.ServerPID = t.life.PID
	}
	if len(t.children) >= keepChildren {
		copy(t.children, t.children[1:])
		t.children = t.children[:keepChildren-1]
	}
	t.children = append(t.children, c)
}

func (t *Tracker) findChild(pid int) *Child {
	for i := len(t.children) - 1; i >= 0; i-- {
		if t.children[i].PID == pid {
			return &t.children[i]
		}
	}
	return nil
}

func (t *Tracker) childEnd(pid int, outcome string, signal int) {
	for i := len(t.children) - 1; i >= 0; i-- {
		if t.children[i].PID == pid && t.children[i].Outcome == "running" {
			t.children[i].Outcome, t.children[i].Signal = outcome, signal
			t.children[i].EndLine, t.children[i].EndedAt = t.curLine, t.curAt
			return
		}
	}
}

// setDuration sets DurationS to the seconds from a to b, in storage of
// d's own (nil when either time is unknown).
func (d *Done) setDuration(a, b time.Time) {
	d.DurationS = nil
	if a.IsZero() || b.IsZero() {
		return
	}
	d.dur = b.Sub(a).Seconds()
	if d.dur < 0 {
		d.dur = 0
	}
	d.DurationS = &d.dur
}

func secondsBetween(a, b time.Time) *float64 {
	if a.IsZero() || b.IsZero() {
		return nil
	}
	d := b.Sub(a).Seconds()
	if d < 0 {
		d = 0
	}
	return &d
}

func (t *Tracker) done(buf *Done, job Job, j *jobState, e *Event, ok bool) *Done {
	d := put(buf, Done{Job: job, ChildPID: j.child, StartLine: j.startLine, StartedAt: j.started, EndLine: e.Line, EndedAt: e.Time, OK: ok})
	d.setDuration(j.started, e.Time)
	return d
}

// startLife begins a new lifetime; the current one, if not ended, ended
// without a line saying so.
func (t *Tracker) startLife(e *Event, implied bool) {
	t.endLife(e, "vanished", "")
	t.count++
	ev := t.cur.evidence[:0]
	t.cur = life{Lifetime: Lifetime{PID: e.PID, StartLine: e.Line, StartedAt: e.Time, Implied: implied, End: "running", Product: e.Product}, evidence: ev}
	t.cur.lastLine, t.cur.lastAt = e.Line, e.Time
	t.life = &t.cur
	if e.Role == RoleMaster || e.Role == RoleReplica {
		t.life.Role = e.Role
	}
}

// endLife closes the current lifetime; a running child dies with it.
func (t *Tracker) endLife(e *Event, how, reason string) {
	l := t.life
	if l == nil || l.End != "running" {
		return
	}
	l.End, l.Reason = how, reason
	if how == "vanished" {
		// The end is not in the log: it ended after its last line.
		l.EndLine, l.EndedAt = l.lastLine, l.lastAt
	} else {
		l.EndLine, l.EndedAt = e.Line, e.Time
	}
	for _, j := range []*jobState{l.bgsave, l.rewrite, l.transfer} {
		if j != nil && j.child != 0 {
			t.childEnd(j.child, "died-with-server", 0)
		}
	}
	if how == "vanished" && (l.bgsave != nil || l.rewrite != nil || l.sync != nil || l.load != nil) {
		what := runningWords(l)
		t.fail(&Event{Line: l.EndLine, Kind: KindVanished, Time: e.Time}, JobServer, "the server ended with no exit line while {extra} (killed, OOM-killed, or the log was cut)", what)
	}
	l.bgsave, l.rewrite, l.transfer, l.sync, l.load = nil, nil, nil, nil, nil
	if len(t.lifetimes) >= keepLifetimes {
		copy(t.lifetimes, t.lifetimes[1:])
		t.lifetimes = t.lifetimes[:keepLifetimes-1]
	}
	t.lifetimes = append(t.lifetimes, l.Lifetime)
}

// runningWords names what a server was doing when it vanished; the texts
// are constants so that a log of many restarts allocates nothing for them.
func runningWords(l *life) string {
	switch {
	case l.load != nil:
		return "loading its data at start"
	case l.sync != nil && (l.sync.stage == "loading" || l.sync.stage == "loaded"):
		return "loading a full-sync payload"
	case l.sync != nil && (l.sync.stage == "transfer" || l.sync.stage == "waiting"):
		return "receiving a full-sync payload"
	case l.rewrite != nil:
		return "an AOF rewrite ran"
	case l.bgsave != nil:
		return "a BGSAVE ran"
	}
	return "idle"
}

// isServerLine: the line was written by the server process (not a child).
func (t *Tracker) isServerLine(e *Event) bool {
	if e.Role == RoleMaster || e.Role == RoleReplica || e.Role == RoleSentinel {
		return true
	}
	return t.life != nil && e.PID == t.life.PID
}

// Add folds one event in. Events must come in line order.
func (t *Tracker) Add(e Event) { t.add(&e) }

func (t *Tracker) add(ev *Event) {
	e := *ev
	if e.Line > t.lastLine {
		t.lastLine = e.Line
	}
	t.curLine, t.curAt = e.Line, e.Time
	t.lastCut = e.Cut
	if !e.Time.IsZero() && e.Time.After(t.asOf) {
		t.asOf = e.Time
	}
	switch e.Kind {
	case KindStarting:
		t.startLife(&e, false)
		return
	case KindVersion:
		if t.life == nil || t.life.PID != e.PID || t.life.Version != "" || t.life.End != "running" {
			t.startLife(&e, false)
		}
		t.life.Version = e.Version
		if e.Product != "" {
			t.life.Product = e.Product
		}
		return
	}
	// A server line from a pid that is not the current server's: a new
	// lifetime whose start is not in the log.
	if (e.Role == RoleMaster || e.Role == RoleReplica) && (t.life == nil || t.life.PID != e.PID) {
		if t.life != nil && t.life.PID == 0 && t.life.End == "running" {
			// The lifetime opened for child or raw lines before any
			// server line is this server's.
			t.life.PID = e.PID
		} else {
			t.startLife(&e, true)
		}
	}
	if t.life == nil {
		// Child or raw lines before any server line: keep the facts that
		// stand alone.
		t.startLife(&Event{Line: e.Line, Time: e.Time, PID: 0}, true)
	}
	l := t.life
	l.lastLine = e.Line
	if !e.Time.IsZero() {
		l.lastAt = e.Time
	}
	if t.isServerLine(&e) && (e.Role == RoleMaster || e.Role == RoleReplica) {
		l.Role = e.Role
	}
	if e.Product == "Valkey" && l.Product == "" {
		l.Product = "Valkey"
	}
	if l.End != "running" && e.Kind != KindCrashEnd {
		// Lines after an exit from the same pid (a crash report's tail).
		if e.Kind != KindCrashSignal && e.Kind != KindAssertion {
			return
		}
	}
	t.apply(l, &e)
}

func (t *Tracker) apply(l *life, e *Event) {
	switch e.Kind {
	case KindRunningMode:
		l.Mode = e.Reason
	case KindReady:
		l.ReadyAt = e.Time
	case KindShutdownAsked, KindShutdownSignal:
		l.note(e, "shutdown requested")
	case KindShutdownRefuse:
		t.fail(e, JobServer, "the server refused to shut down", "")
	case KindExit:
		t.endLife(e, "shutdown", "")
	case KindCrash:
		l.crashing = true
		l.note(e, "crash report started")
	case KindCrashSignal, KindAssertion:
		if e.PID != 0 && e.PID != l.PID && e.Role == RoleChild {
			return // a child's crash shows as its job terminated by signal
		}
		if l.End == "crash" {
			if l.Reason == "" {
				l.Reason = crashReason(e)
			}
			return
		}
		t.crashes++
		t.fail(e, JobServer, "the server crashed: {crash}", "")
		t.endLife(e, "crash", crashReason(e))
	case KindCrashEnd:
		if l.End == "running" && l.crashing {
			t.crashes++
			t.fail(e, JobServer, "the server crashed", "")
			t.endLife(e, "crash", "bug report")
		}
	case KindOOM:
		t.crashes++
		t.fail(e, JobServer, "the server ran out of memory allocating {bytes} bytes and aborted", "")
		t.endLife(e, "crash", "out of memory")
	case KindFatalLoad, KindRDBTerminating:
		t.loadError(l, e)
		if l.End == "running" {
			t.endLife(e, "load-error", loadReason(e))
		}
	case KindAOFAfterSyncBad:
		t.fail(e, JobAOFRewrite, "AOF could not be turned on after the full sync", "")
	case KindAOFWriteError:
		t.fail(e, JobServer, "writing the AOF failed: {reason}", "")
	case KindAOFFsyncSlow:
		l.note(e, "AOF fsync is slow (disk busy)")

	// start-up loading
	case KindAOFBaseCreated, KindAOFIncrCreated, KindAOFMigrated, KindAOFIncrOpened:
		l.AOF = "on"
	case KindAOFReadBase, KindAOFReadPreamble:
		l.AOF = "on"
		if l.load == nil && l.sync == nil {
			l.load = put(&l.loadBuf, loadState{source: "aof", startLine: e.Line, started: e.Time})
			l.note(e, "loading the AOF at start")
		}
	case KindRDBProducer, KindRDBAge, KindRDBMemory, KindRDBIsBase:
		if l.sync != nil && (l.sync.stage == "loading" || l.sync.stage == "transfer") {
			if e.Kind == KindRDBMemory {
				l.sync.memoryBytes = int64(e.MB * 1024 * 1024)
			}
			return
		}
		if l.load == nil && l.ReadyAt.IsZero() {
			l.load = put(&l.loadBuf, loadState{source: "rdb", startLine: e.Line, started: e.Time})
			l.note(e, "loading dump.rdb at start")
		}
	case KindRDBDone:
		if l.sync != nil && l.sync.stage == "loading" {
			l.sync.keys, l.sync.expired, l.sync.stage = e.Keys, e.Expired, "loaded"
			l.note(e, "payload loaded: {keys} keys")
			d := put(&t.loadBuf, Done{Job: JobSync, StartLine: l.sync.loadLine, StartedAt: l.sync.loadAt, EndLine: e.Line, EndedAt: e.Time, OK: true, Keys: e.Keys, Expired: e.Expired, Source: "sync-disk"})
			if l.sync.toParser {
				d.Source = "sync-socket"
			}
			d.setDuration(l.sync.loadAt, e.Time)
			t.lastLoad = d
			t.prevKeys = e.Keys
			return
		}
		if l.load != nil {
			l.load.keys += e.Keys
			l.load.expired += e.Expired
			if l.load.source == "rdb" {
				t.finishStartLoad(l, e, true)
			}
		}
	case KindAOFBaseLoaded, KindAOFIncrLoaded:
		if l.load == nil {
			l.load = put(&l.loadBuf, loadState{source: "aof", startLine: e.Line, started: e.Time})
		}
	case KindAOFLoaded:
		l.AOF = "on"
		if l.load == nil {
			l.load = put(&l.loadBuf, loadState{source: "aof", startLine: e.Line, started: e.Time})
		}
		l.load.source = "aof"
		t.finishStartLoad(l, e, true)
	case KindRDBLoaded:
		if l.AOF == "" {
			l.AOF = "off"
		}
		if l.load == nil {
			l.load = put(&l.loadBuf, loadState{source: "rdb", startLine: e.Line, started: e.Time})
		}
		t.finishStartLoad(l, e, true)
	case KindAOFTruncating:
		const why = "the AOF {filesp}was truncated at offset {offset} while loading: the commands after it are lost"
		if len(t.truncs) < keepFailures {
			t.truncs = append(t.truncs, failRec{ev: *e, job: JobStartLoad, text: why})
		}
		t.fail(e, JobStartLoad, why, "")
	case KindAOFLoadedCut:
		l.note(e, "AOF loaded although truncated (aof-load-truncated yes)")
	case KindAOFShortRead:
		l.note(e, "short read at the end of the AOF")
	case KindAOFManifestErr, KindAOFBadFormat, KindAOFUnexpectedEOF, KindAOFUnrecoverable, KindAOFUnknownCmd, KindAOFMissing, KindAOFOpenFailed,
		KindRDBShortRead, KindRDBChecksum, KindRDBVersion, KindRDBSignature, KindRDBInternal:
		t.loadError(l, e)
	case KindAOFRevertMulti:
		l.note(e, "an incomplete MULTI/EXEC at the end of the AOF was dropped")

	// replication, replica side
	case KindConnecting, KindSyncRetry, KindReplicaOf:
		if e.Kind == KindReplicaOf {
			l.Role = RoleReplica
		}
		if l.sync == nil || l.sync.stage != "connecting" {
			l.sync = put(&l.syncBuf, syncState{stage: "connecting", startLine: e.Line, started: e.Time})
		}
	case KindSyncStarted, KindPsyncTry, KindPsyncImpossible:
		if l.sync == nil {
			l.sync = put(&l.syncBuf, syncState{startLine: e.Line, started: e.Time})
		}
		l.sync.stage = "handshake"
	case KindFullResync:
		t.fullSyncs++
		t.countWindow(e.Time)
		l.sync = put(&l.syncBuf, syncState{stage: "waiting", startLine: e.Line, started: e.Time, full: true})
		l.rebuild = l.AOF != "off"
		l.note(e, "full resync from the master ({replid}:{offset}); waiting for the payload")
	case KindPsyncAccepted:
		l.sync = nil
		l.note(e, "partial resync accepted: no payload, no rebuild")
		t.lastSync = put(&t.syncBuf, Done{Job: JobSync, StartLine: e.Line, StartedAt: e.Time, EndLine: e.Line, EndedAt: e.Time, OK: true, Source: "partial"})
	case KindTransferDisk, KindStreamDisk, KindTransferParser, KindStreamParser:
		s := t.ensureSync(l, e)
		s.payload = e.Bytes
		s.streamed = e.Kind == KindStreamDisk || e.Kind == KindStreamParser
		s.toParser = e.Kind == KindTransferParser || e.Kind == KindStreamParser
		if s.toParser {
			s.stage, s.loadLine, s.loadAt = "loading", e.Line, e.Time
			l.note(e, "diskless load: the payload goes straight to the parser")
		} else {
			s.stage = "transfer"
			if s.streamed {
				l.note(e, "receiving a streamed payload to disk (size unknown)")
			} else {
				l.note(e, "receiving {bytes} bytes from the master to disk")
			}
		}
	case KindFlushing, KindLoadingDB, KindSwapDB, KindDiscardOld:
		s := t.ensureSync(l, e)
		if s.stage != "loading" && s.stage != "loaded" {
			s.stage, s.loadLine, s.loadAt = "loading", e.Line, e.Time
			l.note(e, "loading the payload")
		} else if e.Kind == KindLoadingDB && !s.toParser {
			s.loadLine, s.loadAt = e.Line, e.Time
		}
	case KindReplicaKills:
		if l.bgsave != nil {
			t.childEnd(l.bgsave.child, "killed", 0)
			l.bgsave = nil
		}
		t.childEnd(e.ChildPID, "killed", 0)
		l.note(e, "the replica killed child {pid} before loading the payload")
	case KindSyncDone:
		s := t.ensureSync(l, e)
		d := put(&t.syncBuf, Done{Job: JobSync, StartLine: s.startLine, StartedAt: s.started, EndLine: e.Line, EndedAt: e.Time, OK: true, Keys: s.keys, Expired: s.expired})
		d.setDuration(s.started, e.Time)
		t.lastSync = d
		l.sync = nil
		l.note(e, "full sync finished")
	case KindSyncLoadFailed:
		switch {
		case e.Reason != "":
			t.fail(e, JobSync, "the replica could not load the full-sync payload: {reason}", "")
		case l.hasLoadErr:
			// The cause is the load error logged just before.
			cause := l.loadErr
			cause.Line, cause.Time = e.Line, e.Time
			cause.Kind = e.Kind
			t.failCause(&cause, JobSync, "the replica could not load the full-sync payload: {loadreason}", l.loadErr.Kind)
		default:
			t.fail(e, JobSync, "the replica could not load the full-sync payload", "")
		}
		if s := l.sync; s != nil {
			d := put(&t.loadBuf, Done{Job: JobSync, StartLine: s.loadLine, StartedAt: s.loadAt, EndLine: e.Line, EndedAt: e.Time, OK: false})
			d.setDuration(s.loadAt, e.Time)
			t.lastLoad = d
		}
		l.sync = put(&l.syncBuf, syncState{stage: "connecting", startLine: e.Line, started: e.Time})
		l.hasLoadErr = false
	case KindSyncFailed:
		stage := "connecting"
		if l.sync != nil {
			stage = l.sync.stage
		}
		if e.Reason == "Success" || e.Reason == "connection lost" {
			// errno 0: the master closed the link.
			t.fail(e, JobSync, "the full sync failed while {extra}: the master closed the link (client-output-buffer-limit replica, repl-timeout on the master, or a master restart)", syncStageWords(stage))
		} else {
			t.fail(e, JobSync, "the full sync failed while {extra}: {reason}", syncStageWords(stage))
		}
		l.sync = put(&l.syncBuf, syncState{stage: "connecting", startLine: e.Line, started: e.Time})
	case KindMasterMode:
		l.Role = RoleMaster
		l.sync = nil
		l.rebuild = false
	case KindDisklessSkipped:
		l.note(e, "diskless load skipped: {reason}")

	// master side
	case KindServeFull:
		t.served++
	case KindTransferStart:
		l.transfer = put(&l.transferBuf, jobState{child: e.ChildPID, startLine: e.Line, started: e.Time, stage: "running"})
		t.child(e.ChildPID, JobRDBTransfer, e)
	case KindTransferOK, KindTransferError, KindTransferKilled:
		if j := l.transfer; j != nil {
			switch e.Kind {
			case KindTransferOK:
				t.childEnd(j.child, "ok", 0)
			case KindTransferError:
				t.childEnd(j.child, "error", 0)
				e.ChildPID = j.child
				t.fail(e, JobRDBTransfer, "the diskless transfer child failed", "")
			default:
				t.childEnd(j.child, "killed", e.Signal)
				e.ChildPID = j.child
				t.fail(e, JobRDBTransfer, "the diskless transfer child was {signal}", "")
			}
		}
		l.transfer = nil
	case KindServeSyncFailed:
		t.fail(e, JobRDBTransfer, "serving a full sync failed", "")

	// BGSAVE
	case KindBGSaveStart:
		l.bgsave = put(&l.bgsaveBuf, jobState{child: e.ChildPID, startLine: e.Line, started: e.Time, stage: "running"})
		t.child(e.ChildPID, JobBGSave, e)
		l.note(e, "BGSAVE child {pid} started")
	case KindDBSaved:
		if j := l.bgsave; j != nil && (e.PID == j.child || e.Role == RoleChild) {
			j.stage = "child-done"
			e.ChildPID = j.child
			l.note(e, "BGSAVE child {pid} wrote and renamed the RDB")
		}
	case KindBGSaveOK, KindBGSaveError, KindBGSaveKilled:
		j := l.bgsave
		if j == nil {
			j = &jobState{startLine: e.Line, started: e.Time}
		}
		switch e.Kind {
		case KindBGSaveOK:
			t.childEnd(j.child, "ok", 0)
		case KindBGSaveError:
			t.childEnd(j.child, "error", 0)
			e.ChildPID = j.child
			if l.saveErr != "" {
				t.fail(e, JobBGSave, "the BGSAVE child failed (it removed its temp file): {extra}", l.saveErr)
			} else {
				t.fail(e, JobBGSave, "the BGSAVE child failed (it removed its temp file)", "")
			}
		default:
			t.childEnd(j.child, "killed", e.Signal)
			e.ChildPID = j.child
			t.fail(e, JobBGSave, "the BGSAVE child was {signal}", "")
		}
		t.lastBGSave = t.done(&t.bgsaveBuf, JobBGSave, j, e, e.Kind == KindBGSaveOK)
		l.bgsave = nil
		l.saveErr = ""
	case KindSaveFailed:
		l.saveErr = e.Reason
		if e.Role != RoleChild {
			t.fail(e, JobBGSave, "saving the RDB failed: {reason}", "")
		}
	case KindForkFailed:
		t.fail(e, JobServer, "fork failed: {reason}", "")

	// AOF rewrite
	case KindIncrOnRewrite:
		if strings.HasPrefix(e.File, "temp-") && l.rewrite == nil {
			// AOF_WAIT_REWRITE: AOF is being turned on (after a sync,
			// CONFIG SET appendonly yes); the child forks next.
			l.rewrite = put(&l.rewriteBuf, jobState{startLine: e.Line, started: e.Time, stage: "starting", afterSync: l.rebuild})
			l.note(e, "temp incr {file} created: AOF is being turned on by a rewrite")
		}
		l.AOF = "on"
	case KindRewriteStart:
		if l.rewrite == nil || l.rewrite.child != 0 {
			l.rewrite = put(&l.rewriteBuf, jobState{startLine: e.Line, started: e.Time, afterSync: l.rebuild && t.lastSync != nil})
		}
		l.rewrite.child, l.rewrite.stage = e.ChildPID, "running"
		if l.rebuild && t.lastSync != nil && t.lastSync.EndLine > 0 {
			l.rewrite.afterSync = true
		}
		t.child(e.ChildPID, JobAOFRewrite, e)
		l.note(e, "AOF rewrite child {pid} started")
	case KindRewriteChildDone:
		if j := l.rewrite; j != nil && j.stage == "running" {
			j.stage = "child-done"
			l.note(e, "the rewrite child wrote the new base {file}")
		}
	case KindRewriteResidual:
		if j := l.rewrite; j != nil {
			if j.stage != "installing" && j.child != 0 {
				t.childEnd(j.child, "ok", 0)
			}
			j.stage = "installing"
		}
	case KindRewriteOK, KindBaseRenamed, KindIncrRenamed, KindHistoryRemoved:
		if j := l.rewrite; j != nil {
			if j.stage != "installing" && j.child != 0 {
				t.childEnd(j.child, "ok", 0)
			}
			j.stage = "installing"
			if e.Kind == KindRewriteOK {
				l.note(e, "the rewrite child exited; the server installs the new base")
			}
		}
	case KindRewriteDone:
		j := l.rewrite
		if j == nil {
			j = &jobState{startLine: e.Line, started: e.Time}
		}
		t.lastRewrite = t.done(&t.rewriteBuf, JobAOFRewrite, j, e, true)
		if j.afterSync || l.rebuild {
			l.rebuild = false
			l.note(e, "the AOF rewrite after the full sync finished: the rebuild is done")
		} else {
			l.note(e, "AOF rewrite finished")
		}
		l.rewrite = nil
		l.AOF = "on"
	case KindRewriteError, KindRewriteKilled, KindRewriteKill, KindRewriteInstallErr:
		j := l.rewrite
		if j == nil {
			j = &jobState{startLine: e.Line, started: e.Time}
		}
		pid := j.child
		if e.Kind == KindRewriteKill && e.ChildPID != 0 {
			pid = e.ChildPID
		}
		e.ChildPID = pid
		switch e.Kind {
		case KindRewriteError:
			t.childEnd(pid, "error", 0)
			t.fail(e, JobAOFRewrite, "the AOF rewrite failed", "")
		case KindRewriteKilled:
			t.childEnd(pid, "killed", e.Signal)
			t.fail(e, JobAOFRewrite, "the AOF rewrite child was {signal}", "")
		case KindRewriteKill:
			t.childEnd(pid, "killed", 0)
			t.fail(e, JobAOFRewrite, "the server killed the AOF rewrite child (a full sync is loading, AOF was switched off, or shutdown)", "")
		default:
			t.fail(e, JobAOFRewrite, "installing the rewritten AOF failed: {reason}", "")
		}
		t.lastRewrite = t.done(&t.rewriteBuf, JobAOFRewrite, j, e, false)
		l.rewrite = nil
	case KindRewriteBackoff:
		t.fail(e, JobAOFRewrite, "AOF rewrites keep failing; the next automatic one waits {n} minutes", "")
	case KindChildCoW:
		// child facts; nothing to change
	case KindChildOrphaned:
		// The child's progress report found no parent: the server died
		// without an exit line (SIGKILL, the OOM killer), and its child
		// exits now, leaving its partial file.
		if c := t.findChild(e.PID); c != nil && c.ServerPID == l.PID && c.Outcome == "running" {
			e.ChildPID = e.PID
			l.note(e, "child {pid} found its parent gone and exits")
			t.endLife(e, "vanished", "")
		}
	}
}

func (t *Tracker) ensureSync(l *life, e *Event) *syncState {
	if l.sync == nil {
		// The start of the sync is not in the log.
		l.sync = put(&l.syncBuf, syncState{stage: "transfer", startLine: e.Line, started: e.Time, full: true})
		l.rebuild = l.AOF != "off"
	}
	return l.sync
}

func (t *Tracker) finishStartLoad(l *life, e *Event, ok bool) {
	ld := l.load
	if ld == nil {
		return
	}
	d := put(&t.loadBuf, Done{Job: JobStartLoad, StartLine: ld.startLine, StartedAt: ld.started, EndLine: e.Line, EndedAt: e.Time, OK: ok, Source: ld.source, Keys: ld.keys, Expired: ld.expired})
	if e.Seconds > 0 || e.Kind == KindAOFLoaded || e.Kind == KindRDBLoaded {
		d.dur = e.Seconds
		d.DurationS = &d.dur
	} else {
		d.setDuration(ld.started, e.Time)
	}
	t.lastLoad = d
	if ld.keys > 0 {
		t.prevKeys = ld.keys
	}
	l.load = nil
}

func (t *Tracker) loadError(l *life, e *Event) {
	l.loadErr, l.hasLoadErr = *e, true
	if l.sync != nil && (l.sync.stage == "loading" || l.sync.stage == "loaded") {
		l.note(e, "loading the payload failed: {loadreason}")
		return
	}
	if l.load == nil && l.ReadyAt.IsZero() {
		l.load = put(&l.loadBuf, loadState{startLine: e.Line, started: e.Time})
	}
	t.fail(e, JobStartLoad, "loading the data at start failed: {loadreason}", "")
	if l.load != nil {
		t.finishStartLoad(l, e, false)
		t.lastLoad.setDuration(t.lastLoad.StartedAt, e.Time)
	}
	// Every load error at start ends the server (exit 1, or abort for an
	// RDB read error).
	t.endLife(e, "load-error", loadCause(e.Kind))
}

// loadCause is a constant text for a load error, for Lifetime.Reason.
func loadCause(k Kind) string {
	switch k {
	case KindAOFManifestErr:
		return "invalid AOF manifest"
	case KindAOFBadFormat:
		return "bad AOF format"
	case KindAOFUnexpectedEOF:
		return "truncated AOF (aof-load-truncated no)"
	case KindAOFUnrecoverable:
		return "unrecoverable AOF read error"
	case KindAOFUnknownCmd:
		return "unknown command in the AOF"
	case KindAOFMissing:
		return "AOF file missing"
	case KindAOFOpenFailed:
		return "AOF unreadable"
	case KindRDBShortRead:
		return "truncated RDB (short read)"
	case KindRDBChecksum:
		return "wrong RDB checksum"
	case KindRDBVersion:
		return "RDB version too new"
	case KindRDBSignature:
		return "not an RDB"
	case KindRDBInternal:
		return "RDB read error"
	}
	return "fatal load error"
}

func loadReason(e *Event) string {
	switch e.Kind {
	case KindAOFManifestErr:
		return "the AOF manifest is invalid"
	case KindAOFBadFormat:
		return "bad file format in the AOF" + fileSuffix(e.File)
	case KindAOFUnexpectedEOF:
		return "the AOF ends in the middle of a command" + fileSuffix(e.File) + " (aof-load-truncated no)"
	case KindAOFUnrecoverable:
		return "unrecoverable error reading the AOF" + fileSuffix(e.File) + ": " + e.Reason
	case KindAOFUnknownCmd:
		return "unknown command '" + e.Reason + "' in the AOF" + fileSuffix(e.File)
	case KindAOFMissing:
		return "a file the AOF needs is missing" + fileSuffix(e.File)
	case KindAOFOpenFailed:
		return "the AOF could not be read" + fileSuffix(e.File)
	case KindRDBShortRead:
		return "short read or out of memory loading the RDB (truncated file)"
	case KindRDBChecksum:
		return "wrong RDB checksum"
	case KindRDBVersion:
		return fmt.Sprintf("RDB format version %d is newer than this server handles", e.N)
	case KindRDBSignature:
		return "the file is not an RDB (wrong signature)"
	case KindRDBInternal:
		return fmt.Sprintf("RDB read error at offset %d: %s", e.Offset, e.Reason)
	case KindFatalLoad:
		if e.Reason != "" {
			return e.Reason
		}
		return "fatal error loading the DB"
	}
	return string(e.Kind)
}

func fileSuffix(f string) string {
	if f == "" {
		return ""
	}
	return " " + f
}

func fileWords(f string) string {
	if f == "" {
		return ""
	}
	return f + " "
}

func crashReason(e *Event) string {
	switch {
	case e.Kind == KindCrashSignal && e.Signal != 0:
		return signalName(e.Signal)
	case e.Kind == KindAssertion && e.Reason != "":
		return "assertion: " + e.Reason
	case e.Kind == KindAssertion:
		return "assertion failed"
	}
	return "bug report"
}

// signalName names the signals a crash report shows, without allocating
// for the usual ones.
func signalName(sig int) string {
	switch sig {
	case 4:
		return "signal 4 (SIGILL)"
	case 6:
		return "signal 6 (SIGABRT)"
	case 7:
		return "signal 7 (SIGBUS)"
	case 8:
		return "signal 8 (SIGFPE)"
	case 11:
		return "signal 11 (SIGSEGV)"
	}
	return "signal " + strconv.Itoa(sig)
}

func signalWords(sig int) string {
	switch sig {
	case 9:
		return "killed by signal 9 (SIGKILL: the OOM killer, or kill -9)"
	case 10:
		return "killed by signal 10 (SIGUSR1: a deliberate kill by the server or an operator)"
	case 15:
		return "killed by signal 15 (SIGTERM)"
	case 11:
		return "killed by signal 11 (SIGSEGV: a crash in the child)"
	case 6:
		return "killed by signal 6 (SIGABRT: an assertion in the child)"
	case 0:
		return "killed"
	}
	return fmt.Sprintf("killed by signal %d", sig)
}

func syncStageWords(stage string) string {
	switch stage {
	case "waiting":
		return "the master prepared the payload"
	case "transfer":
		return "receiving the payload"
	case "loading", "loaded":
		return "loading the payload"
	case "handshake":
		return "negotiating with the master"
	}
	return "connecting to the master"
}

func syncFailWords(e *Event) string {
	if e.Reason != "" {
		return e.Reason
	}
	switch e.Kind {
	case KindSyncFailed:
		return "timeout or connection error"
	}
	return string(e.Kind)
}

func (t *Tracker) countWindow(at time.Time) {
	if at.IsZero() {
		return
	}
	// drop entries older than an hour before at
	i := 0
	for i < len(t.window) && at.Sub(t.window[i]) >= time.Hour {
		i++
	}
	if i > 0 {
		n := copy(t.window, t.window[i:])
		t.window = t.window[:n]
	}
	if len(t.window) >= keepWindow {
		copy(t.window, t.window[1:])
		t.window = t.window[:keepWindow-1]
	}
	t.window = append(t.window, at)
	if len(t.window) > t.maxPerHour {
		t.maxPerHour = len(t.window)
	}
}
