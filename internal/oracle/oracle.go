// Package oracle asks a real redis-server what it does on its next start
// from a data directory, and on the start after that. It is test
// infrastructure: the agreement tests compare aoftool's predictions with
// what it records.
//
// Start copies the directory (modes and mtimes kept), starts the server on
// the copy with a given configuration and records how the start ended
// (started, refused with an exit status, crashed by a signal or an
// assertion, hung), the reason the log gives, the live keys per database
// and every change the start made on disk. When the server started it then
// writes a marker key, saves, shuts down and starts again on the same copy:
// the traps of a torn start (an open MULTI swallowing later writes, a torn
// #TS annotation, a base overwritten when the manifest was missing) show
// only on that second start.
package oracle

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/internal/redistest"
)

// Config is the part of redis.conf a start depends on. The zero value is
// Redis 7.0.15's defaults with appendonly no.
type Config struct {
	AppendOnly bool
	// NoLoadTruncated is aof-load-truncated no (the default is yes).
	NoLoadTruncated bool
	// Sanitize is sanitize-dump-payload yes (the default is no).
	Sanitize bool
	// Names of the files inside dir; Redis's defaults when empty.
	DBFilename     string
	AppendDirName  string
	AppendFilename string
	// Databases is the databases directive; 16 when zero.
	Databases int
	// Binary is the server to run; Debian's redis-server when empty.
	Binary string
	// HangAfter is how long a start may go without answering PING (and
	// without reporting that it is loading) before it counts as hung.
	// Five seconds when zero.
	HangAfter time.Duration
	// Names asks for the live key names of the start (Run.Names): a SCAN
	// of every database, which a RESIZEDB hint of 2^32 buckets would make
	// endless, so only on the corpora that ask.
	Names bool
}

// Lines are the redis.conf directives of c.
func (c Config) Lines() []string {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	l := []string{
		"appendonly " + yn(c.AppendOnly),
		"aof-load-truncated " + yn(!c.NoLoadTruncated),
		"sanitize-dump-payload " + yn(c.Sanitize),
	}
	if c.DBFilename != "" {
		l = append(l, "dbfilename "+quote(c.DBFilename))
	}
	if c.AppendDirName != "" {
		l = append(l, "appenddirname "+quote(c.AppendDirName))
	}
	if c.AppendFilename != "" {
		l = append(l, "appendfilename "+quote(c.AppendFilename))
	}
	if c.Databases != 0 {
		l = append(l, "databases "+strconv.Itoa(c.Databases))
	}
	return l
}

func quote(s string) string {
	if strings.ContainsAny(s, " \t\"'\\") {
		return strconv.Quote(s)
	}
	return s
}

// String is a short label for tables: "aof=yes", "aof=yes trunc=no",
// "aof=no sanitize=yes".
func (c Config) String() string {
	s := "aof=no"
	if c.AppendOnly {
		s = "aof=yes"
	}
	if c.NoLoadTruncated {
		s += " trunc=no"
	}
	if c.Sanitize {
		s += " sanitize=yes"
	}
	if c.Databases != 0 {
		s += " databases=" + strconv.Itoa(c.Databases)
	}
	if c.Binary != "" {
		s += " bin=" + filepath.Base(filepath.Dir(c.Binary))
	}
	return s
}

// Plain reports whether c differs from the defaults only in appendonly and
// the names, so a prediction made without a configuration applies to it.
func (c Config) Plain() bool {
	return !c.NoLoadTruncated && !c.Sanitize && c.Databases == 0 && c.Binary == ""
}

// State is how a start ended.
type State string

const (
	Started State = "started"
	Refused State = "refused" // exited with a status
	Crashed State = "crashed" // killed by a signal, or an assertion or bug report in the log
	Hung    State = "hung"    // neither answered nor exited in time
)

// Run is one start of the server.
type Run struct {
	State State
	// ExitCode is the status of a refused start.
	ExitCode int
	// Signal names the signal of a crashed start.
	Signal string
	// Reasons are the log lines that say what the loader did or why it
	// stopped, shortened to their message (see reasons.go).
	Reasons []string
	// Keys are the live keys per database (expired keys are not counted:
	// SCAN deletes them as the server would within a moment); Expires the
	// keys with a TTL per INFO keyspace.
	Keys    map[int]int64
	Expires map[int]int64
	// Names are the live keys per database, as "db:name" (Config.Names).
	Names map[string]bool
	// Digest is DEBUG DIGEST of the dataset once expired keys are gone:
	// equal digests mean equal data, values and TTLs included.
	Digest string
	// Stalled says why a started server was given up: a walk of its
	// keyspace (DEBUG DIGEST) did not finish in time, as after a RESIZEDB
	// hint of 2^32 buckets.
	Stalled string
	// Changes is what the start changed on disk, before anything was
	// written to the server.
	Changes []Change
	// Log is the server's whole log.
	Log     string
	Elapsed time.Duration
}

// TotalKeys sums Keys.
func (r *Run) TotalKeys() int64 {
	var n int64
	for _, k := range r.Keys {
		n += k
	}
	return n
}

// Outcome is what the server did with a directory under one
// configuration.
type Outcome struct {
	Config Config
	// Dir is the scratch copy the server ran on, kept for investigation
	// until the test ends.
	Dir string
	// First is the start on the directory as it was.
	First Run
	// After is the start after First (nil when First did not start): a
	// marker key was written and the server saved and shut down first.
	After *Run
	// MarkerKept says the marker key written after First was there after
	// the start after.
	MarkerKept bool
	// SaveErr is the error of SAVE after First ("" when it succeeded):
	// a dump.rdb that is a directory breaks every save.
	SaveErr string
}

// MarkerKey is the key written between the two starts.
const MarkerKey = "__aoftool_oracle_marker__"

// Start copies dir to a scratch directory and runs the server on it under
// cfg: the start, then (when it started) a marker write, SAVE, SHUTDOWN
// NOSAVE and the start after. Servers are stopped by the pid started.
func Start(t testing.TB, dir string, cfg Config) Outcome {
	t.Helper()
	o := Outcome{Config: cfg}
	if cfg.Binary == "" {
		cfg.Binary = redistest.Binary(t)
	}
	if cfg.HangAfter == 0 {
		cfg.HangAfter = 5 * time.Second
	}
	scratch := filepath.Join(t.TempDir(), "data")
	fsguard.CopyTree(t, dir, scratch)
	o.Dir = scratch

	before := snapshotTree(t, scratch)
	s, first := launch(t, scratch, cfg)
	o.First = first
	if s == nil {
		// Refused, crashed, hung, or started and then given up.
		o.First.Changes = diffTrees(before, snapshotTree(t, scratch), o.First.Log)
		return o
	}
	o.First.Changes = diffTrees(before, settledTree(t, scratch), o.First.Log)
	if _, err := s.Do("SET", MarkerKey, "1"); err != nil {
		t.Fatalf("oracle: marker write after a start: %v\n%s", err, s.Log())
	}
	if err := save(s); err != nil {
		// A server whose save fails is not worth a second start: a
		// directory as dump.rdb fails every save, a save stuck walking a
		// huge table cannot even shut down.
		o.SaveErr = err.Error()
		s.Kill()
		o.First.Log = readLog(s.LogPath)
		for _, r := range reasons(o.First.Log) {
			if strings.Contains(r, "temp DB file") || strings.Contains(r, "temp RDB file") {
				o.SaveErr += ": " + r
			}
		}
		return o
	}
	o.First.Log = stop(s)

	mid := snapshotTree(t, scratch)
	s2, after := launch(t, scratch, cfg)
	o.After = &after
	if s2 == nil {
		o.After.Changes = diffTrees(mid, snapshotTree(t, scratch), o.After.Log)
		return o
	}
	o.After.Changes = diffTrees(mid, settledTree(t, scratch), o.After.Log)
	if r, err := s2.Do("EXISTS", MarkerKey); err == nil && r.Int == 1 {
		o.MarkerKept = true
	}
	o.After.Log = stop(s2)
	return o
}

// launch starts the server and waits until it answers, exits or hangs.
// The server is returned only when it started; its keys are counted.
func launch(t testing.TB, dir string, cfg Config) (*redistest.Server, Run) {
	t.Helper()
	start := time.Now()
	// The unix socket only: hundreds of parallel starts must not race for
	// TCP ports.
	s, err := redistest.Launch(t, redistest.Options{Dir: dir, Config: append(cfg.Lines(), "port 0"), Binary: cfg.Binary, NoWait: true})
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	var r Run
	deadline := time.Now().Add(cfg.HangAfter)
	limit := time.Now().Add(cfg.HangAfter + 10*time.Minute)
	var crashSeen, logChecked time.Time
	for {
		if s.Exited() {
			r.Elapsed = time.Since(start)
			r.Log = readLog(s.LogPath)
			for _, harness := range []string{"FATAL CONFIG FILE ERROR", "Could not create server TCP listening socket", "Failed opening Unix socket"} {
				if strings.Contains(r.Log, harness) {
					t.Fatalf("oracle: the server could not start for a reason outside the data dir:\n%s", r.Log)
				}
			}
			r.State, r.ExitCode, r.Signal = Refused, s.ExitCode(), s.ExitSignal()
			if r.Signal != "" || crashMarked(r.Log) {
				r.State = Crashed
			}
			r.Reasons = reasons(r.Log)
			return nil, r
		}
		if crashSeen.IsZero() && time.Since(logChecked) > 200*time.Millisecond {
			logChecked = time.Now()
			if crashMarked(readLog(s.LogPath)) {
				crashSeen = time.Now()
			}
		}
		if !crashSeen.IsZero() && time.Since(crashSeen) > time.Second {
			// A crash report that never ends: 7.0.15 can loop in it
			// (an assertion while logging the client that caused the
			// first one), writing its log forever.
			s.Kill()
			r.Elapsed = time.Since(start)
			r.State, r.Signal, r.Log = Crashed, "none: stuck in its crash report", readLog(s.LogPath)
			r.Reasons = reasons(r.Log)
			return nil, r
		}
		err := s.Ping(300 * time.Millisecond)
		if err == nil {
			break
		}
		if strings.HasPrefix(err.Error(), "LOADING") && time.Now().Before(limit) {
			// Loading is progress, not a hang.
			deadline = time.Now().Add(cfg.HangAfter)
		}
		if time.Now().After(deadline) {
			s.Kill()
			r.Elapsed = time.Since(start)
			r.State, r.Log = Hung, readLog(s.LogPath)
			if crashMarked(r.Log) {
				r.State, r.Signal = Crashed, "none: stuck in its crash report"
			}
			r.Reasons = append(reasons(r.Log), fmt.Sprintf("no answer within %v", cfg.HangAfter))
			return nil, r
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.Elapsed = time.Since(start)
	r.State = Started
	r.Keys, r.Expires = countKeys(t, s)
	if cfg.Names {
		r.Names = keyNames(t, s, r.Keys)
	}
	r.Digest, r.Stalled = digest(s)
	r.Log = readLog(s.LogPath)
	if r.Stalled != "" {
		s.Kill()
		return nil, r
	}
	r.Reasons = reasons(r.Log)
	return s, r
}

// countKeys counts the live keys of every database: INFO keyspace names the
// databases holding keys, SCAN walks them and skips (and deletes) keys whose
// TTL has passed, as the server's expiry cycle would a moment later.
func countKeys(t testing.TB, s *redistest.Server) (keys, expires map[int]int64) {
	t.Helper()
	c, err := s.Dial(2 * time.Minute)
	if err != nil {
		t.Fatalf("oracle: connect: %v", err)
	}
	defer c.Close()
	info, err := c.Do("INFO", "keyspace")
	if err != nil {
		t.Fatalf("oracle: INFO keyspace: %v", err)
	}
	keys, expires = map[int]int64{}, map[int]int64{}
	for _, line := range strings.Split(info.Str, "\r\n") {
		name, fields, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(name, "db") {
			continue
		}
		db, err := strconv.Atoi(name[2:])
		if err != nil {
			continue
		}
		for _, f := range strings.Split(fields, ",") {
			if v, ok := strings.CutPrefix(f, "expires="); ok {
				expires[db], _ = strconv.ParseInt(v, 10, 64)
			}
		}
		var total int64
		for _, f := range strings.Split(fields, ",") {
			if v, ok := strings.CutPrefix(f, "keys="); ok {
				total, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if expires[db] == 0 {
			// Without TTLs every key is live; SCAN is not needed (and
			// would walk every bucket of a table a RESIZEDB hint blew up).
			keys[db] = total
			continue
		}
		var n int64
		scanDB(t, c, db, func(string) { n++ })
		if n > 0 {
			keys[db] = n
		}
	}
	return keys, expires
}

// keyNames lists the live keys of the databases that hold any.
func keyNames(t testing.TB, s *redistest.Server, keys map[int]int64) map[string]bool {
	t.Helper()
	c, err := s.Dial(2 * time.Minute)
	if err != nil {
		t.Fatalf("oracle: connect: %v", err)
	}
	defer c.Close()
	names := map[string]bool{}
	for db := range keys {
		scanDB(t, c, db, func(name string) { names[fmt.Sprintf("%d:%s", db, name)] = true })
	}
	return names
}

// scanDB calls each for every live key of db, walked with SCAN (which
// skips, and deletes, keys whose TTL has passed).
func scanDB(t testing.TB, c *redistest.Conn, db int, each func(name string)) {
	t.Helper()
	if _, err := c.Do("SELECT", strconv.Itoa(db)); err != nil {
		t.Fatalf("oracle: SELECT %d: %v", db, err)
	}
	cursor := "0"
	for {
		r, err := c.Do("SCAN", cursor, "COUNT", "1000")
		if err != nil || len(r.Array) != 2 {
			t.Fatalf("oracle: SCAN db %d: %v", db, err)
		}
		for _, k := range r.Array[1].Array {
			each(k.Str)
		}
		cursor = r.Array[0].Str
		if cursor == "0" {
			return
		}
	}
}

// walkTimeout bounds DEBUG DIGEST, which walks every bucket of the
// keyspace: tiny for the corpora's datasets, minutes for a table a hint
// blew up.
const walkTimeout = 5 * time.Second

func digest(s *redistest.Server) (sum, stalled string) {
	c, err := s.Dial(walkTimeout)
	if err != nil {
		return "", ""
	}
	defer c.Close()
	d, err := c.Do("DEBUG", "DIGEST")
	if err != nil {
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			return "", fmt.Sprintf("DEBUG DIGEST did not finish within %v", walkTimeout)
		}
		return "", ""
	}
	return d.Str, ""
}

// saveTimeout bounds SAVE: a dump.rdb whose RESIZEDB hint made the server
// allocate a table of 2^32 buckets loads in a moment, but every save then
// walks the whole table for minutes.
const saveTimeout = 10 * time.Second

// save runs SAVE; a timeout is an error like a refusal.
func save(s *redistest.Server) error {
	c, err := s.Dial(saveTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Do("SAVE"); err != nil {
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			return fmt.Errorf("SAVE did not finish within %v", saveTimeout)
		}
		return err
	}
	return nil
}

// stop shuts the server down without saving (an AOF is flushed and synced
// by SHUTDOWN) and returns its log.
func stop(s *redistest.Server) string {
	s.Shutdown("NOSAVE")
	return readLog(s.LogPath)
}

// logHead and logTail bound the log kept per start: a crash report can
// grow without end.
const (
	logHead = 256 << 10
	logTail = 64 << 10
)

// readLog reads the server's log, or its first and last parts when it is
// long.
func readLog(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	if fi.Size() <= logHead+logTail {
		b, _ := io.ReadAll(f)
		return string(b)
	}
	head := make([]byte, logHead)
	n, _ := io.ReadFull(f, head)
	tail := make([]byte, logTail)
	m, _ := f.ReadAt(tail, fi.Size()-logTail)
	return string(head[:n]) + fmt.Sprintf("\n[… %d bytes of log left out …]\n", fi.Size()-int64(n+m)) + string(tail[:m])
}

// Databases lists the databases of a key map in order.
func Databases(m map[int]int64) []int {
	var dbs []int
	for db := range m {
		dbs = append(dbs, db)
	}
	sort.Ints(dbs)
	return dbs
}

// KeysString renders keys per database: "db0=12 db3=1", or "0 keys".
func KeysString(m map[int]int64) string {
	var parts []string
	for _, db := range Databases(m) {
		parts = append(parts, fmt.Sprintf("db%d=%d", db, m[db]))
	}
	if len(parts) == 0 {
		return "0 keys"
	}
	return strings.Join(parts, " ")
}

// settledTree snapshots dir until two snapshots in a row agree: history
// files are unlinked by a background thread a moment after the start.
func settledTree(t testing.TB, dir string) tree {
	t.Helper()
	prev := snapshotTree(t, dir)
	for i := 0; i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
		cur := snapshotTree(t, dir)
		if len(diffTrees(prev, cur, "")) == 0 {
			return cur
		}
		prev = cur
	}
	return prev
}

// Remove deletes the scratch copy early, for corpora whose copies would
// otherwise pile up until the test ends.
func (o *Outcome) Remove() { os.RemoveAll(o.Dir) }
