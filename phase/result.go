package phase

import (
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/snapshot"
)

// SchemaVersion is the schema of the phase --json document.
const SchemaVersion = 1

// Phase is one of the contract's phase names.
type Phase string

const (
	Steady              Phase = "steady"
	BGSave              Phase = "bgsave"
	SyncTransfer        Phase = "sync-transfer"
	SyncLoading         Phase = "sync-loading"
	AOFRewrite          Phase = "aof-rewrite"
	AOFRewriteFinishing Phase = "aof-rewrite-finishing"
)

// AllPhases lists the phases in contract order.
var AllPhases = []Phase{Steady, BGSave, SyncTransfer, SyncLoading, AOFRewrite, AOFRewriteFinishing}

// Confidence says how well the files separate the phase from the
// alternatives.
type Confidence string

const (
	High   Confidence = "high"
	Medium Confidence = "medium"
	Low    Confidence = "low"
)

// Evidence is one fact about one artifact that led to the answer.
type Evidence struct {
	Path string `json:"path"`
	Fact string `json:"fact"`
	// Line is the line of the server's log the fact comes from (Path is
	// then the log).
	Line int `json:"line,omitempty"`
}

// Progress is the growing artifact of the running job and its estimated
// final size. Rate and ETA are set only when growth was observed.
type Progress struct {
	Path          string   `json:"path"`
	Bytes         int64    `json:"bytes"`
	ExpectedBytes int64    `json:"expected_bytes"`
	RateBytesPerS float64  `json:"rate_bytes_per_s"`
	ETAS          *float64 `json:"eta_s"`
	// Basis says where ExpectedBytes comes from.
	Basis string `json:"basis"`
	// Percent is Bytes of ExpectedBytes, capped at 100.
	Percent float64 `json:"percent"`
}

// Leftover is an artifact of a dead job, with what §7.2 of the domain
// reference says about it.
type Leftover struct {
	Path string        `json:"path"`
	Kind snapshot.Kind `json:"kind"`
	Code finding.Code  `json:"code"`
	// Bytes is the size (as listed when the source is a listing).
	Bytes int64 `json:"bytes"`
	// PID and StartedAt are what the name encodes (StartedAt: the replica's
	// clock at +FULLRESYNC in a transfer file's name).
	PID       int        `json:"pid,omitempty"`
	StartedAt *time.Time `json:"started_at,omitempty"`
	// Why says what makes it stale.
	Why string `json:"why"`
	// SafeToDelete is the answer; Caveat qualifies it.
	SafeToDelete bool   `json:"safe_to_delete"`
	Caveat       string `json:"caveat,omitempty"`
	// NextStart is what the next Redis start does with it.
	NextStart string `json:"next_start"`
	// WasRunning: this is the file of the job that was running when the
	// server stopped or the copy was taken (with Options.ServerStopped).
	WasRunning bool `json:"was_running,omitempty"`
}

// Was is, for a directory no server runs on (Options.ServerStopped), what
// its files say was running when the server stopped or the copy was
// taken.
type Was struct {
	Phase      Phase      `json:"phase"`
	Confidence Confidence `json:"confidence"`
	// Step and StepNumber are the replica rebuild step, as in Result.
	Step       string `json:"step,omitempty"`
	StepNumber int    `json:"step_number"`
	// PID is the child (or replica) pid the running job's file names;
	// Path that file.
	PID  int    `json:"pid,omitempty"`
	Path string `json:"path,omitempty"`
	// Summary says it for a person: "was: aof-rewrite, child 15506".
	Summary string `json:"summary"`
}

// Result is the phase --json document (schema 1 of the contract) plus
// fields the contract allows adding.
type Result struct {
	Schema       int          `json:"schema"`
	Phase        Phase        `json:"phase"`
	Confidence   Confidence   `json:"confidence"`
	Alternatives []Phase      `json:"alternatives"`
	Summary      string       `json:"summary"`
	Evidence     []Evidence   `json:"evidence"`
	Findings     finding.List `json:"findings"`
	Progress     *Progress    `json:"progress,omitempty"`

	// Step is "step N of 4" inside a replica rebuild, empty otherwise;
	// StepNumber is N (0 outside a rebuild).
	Step       string `json:"step,omitempty"`
	StepNumber int    `json:"step_number"`
	// Next says what happens next and what to watch for.
	Next []string `json:"next"`
	// Leftovers are the artifacts of dead jobs (each also a finding).
	Leftovers []Leftover `json:"leftovers"`
	// Rule is the name of the rule that decided.
	Rule string `json:"rule"`
	// Was is set when no server runs on the directory
	// (Options.ServerStopped) and a job was running when it stopped.
	Was *Was `json:"was,omitempty"`
	// RewriteIncr is the incr file a running BGREWRITEAOF opened (AOF on):
	// the manifest lists it beside the previous incr until the rewrite is
	// installed, which is no sign of a failed rewrite.
	RewriteIncr string `json:"rewrite_incr,omitempty"`
	// Log is what the server's log said (Options.Log), LogProgress its
	// word on the running job's progress.
	Log         *LogSummary  `json:"log,omitempty"`
	LogProgress *LogProgress `json:"log_progress,omitempty"`
	// Root and TakenAt describe the newest snapshot; Snapshots is how many
	// were compared, SpanS the seconds between the first and the last.
	Root      string    `json:"root"`
	TakenAt   time.Time `json:"taken_at"`
	Snapshots int       `json:"snapshots"`
	SpanS     float64   `json:"span_s"`
	// Source is where the newest snapshot came from (dir, ls, file).
	Source snapshot.Source `json:"source"`
}
