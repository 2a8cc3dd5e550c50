package serverlog

import "time"

// Role is the process role a log line names.
type Role string

const (
	RoleMaster   Role = "master"   // M; Valkey logfmt "primary"
	RoleReplica  Role = "replica"  // S
	RoleChild    Role = "child"    // C: a BGSAVE, AOF rewrite or transfer child; Valkey logfmt "RDB/AOF"
	RoleSentinel Role = "sentinel" // X
	RoleUnknown  Role = ""         // signal-handler lines and raw lines
)

// Level is the log level of a line.
type Level string

const (
	LevelDebug   Level = "debug"   // .
	LevelVerbose Level = "verbose" // -  (Valkey logfmt: info)
	LevelNotice  Level = "notice"  // *
	LevelWarning Level = "warning" // #
	LevelNone    Level = ""        // raw lines
)

// Event is one recognised log line, in the domain's terms. Only the fields
// its Kind's template names are set; the others are zero.
type Event struct {
	Kind Kind `json:"kind"`
	// Line is the 1-based line number in the input.
	Line int `json:"line"`
	// Time is when the server wrote the line; zero when the line has no
	// timestamp (raw lines) or it was cut away.
	Time  time.Time `json:"time,omitzero"`
	PID   int       `json:"pid,omitempty"`
	Role  Role      `json:"role,omitempty"`
	Level Level     `json:"level,omitempty"`
	// Cut says the line stopped before the end of its message (a paste cut
	// by a terminal or a chat): fields after the cut are missing.
	Cut bool `json:"cut,omitempty"`

	ChildPID int     `json:"child_pid,omitempty"`
	Signal   int     `json:"signal,omitempty"`
	Bytes    int64   `json:"bytes,omitempty"`
	Offset   int64   `json:"offset,omitempty"`
	Keys     int64   `json:"keys,omitempty"`
	Expired  int64   `json:"expired,omitempty"`
	N        int64   `json:"n,omitempty"`
	Seconds  float64 `json:"seconds,omitempty"`
	MB       float64 `json:"mb,omitempty"`
	Version  string  `json:"version,omitempty"`
	ReplID   string  `json:"replid,omitempty"`
	File     string  `json:"file,omitempty"`
	Target   string  `json:"target,omitempty"`
	Addr     string  `json:"addr,omitempty"`
	Reason   string  `json:"reason,omitempty"`
	// Product is "Redis" or "Valkey" when the wording tells.
	Product string `json:"product,omitempty"`
}
