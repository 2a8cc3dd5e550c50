// Package scenario drives real redis-server processes through every
// persistence phase and freezes each moment: the server and its fork
// children are stopped with SIGSTOP, the data directory is copied with
// modes and mtimes kept (cp -a), and they are resumed. Each frozen copy is a
// data directory exactly as an operator copying the volume of a stopped pod
// would find it, labelled with the phase Redis was in and the leftovers it
// holds. Phase and check tests assert on these copies.
//
// Jobs are slowed the way Redis's own tests slow them: rdb-key-save-delay
// (microseconds per key in a saving or rewriting child) and key-load-delay
// (microseconds per key while loading).
package scenario

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/redistest"
)

// Moment is one frozen copy of a data directory.
type Moment struct {
	// Name identifies the moment, e.g. "replica-rebuild-disk/1-transfer".
	Name string
	// Dir is the frozen copy of the data directory.
	Dir string
	// Phase is what the server was doing when it was frozen, in the
	// contract's phase names.
	Phase string
	// Step is the replica-rebuild step (1–4), 0 outside a rebuild.
	Step int
	// Leftovers names the artifacts of dead jobs the copy holds, as file
	// names relative to Dir.
	Leftovers []string
	// Later, when set, is a second copy of the same moment taken about a
	// second after Dir, for growth (or the lack of it).
	Later *Moment
	// TakenAt is when the copy was made.
	TakenAt time.Time
	// ServerPid and ChildPids are the processes when it was frozen.
	ServerPid int
	ChildPids []int
	// Log is a copy of the server's log made with the data dir (outside
	// it), ending where the files stand.
	Log string
	// Dead says no server ran on the directory when it was copied (it was
	// killed, or only an orphaned child ran on); Was is then the phase it
	// was in when it died, and WasStep its rebuild step.
	Dead    bool
	Was     string
	WasStep int
}

// Settings shape the dataset and delays. The defaults make each slowed job
// last about five seconds, long enough to freeze it reliably on a busy
// two-core machine.
type Settings struct {
	Keys       int // keys in the dataset
	ValueBytes int // bytes per value
	DelayMicro int // rdb-key-save-delay / key-load-delay per key
}

func (s Settings) withDefaults() Settings {
	if s.Keys == 0 {
		s.Keys = 2500
	}
	if s.ValueBytes == 0 {
		s.ValueBytes = 1000
	}
	if s.DelayMicro == 0 {
		s.DelayMicro = 2000
	}
	return s
}

var (
	transferName  = regexp.MustCompile(`^temp-\d+\.\d+\.rdb$`)
	bgsaveName    = regexp.MustCompile(`^temp-(\d+)\.rdb$`)
	rewriteName   = regexp.MustCompile(`^temp-rewriteaof-(\d+)\.aof$`)
	rewriteBGName = regexp.MustCompile(`^temp-rewriteaof-bg-(\d+)\.aof$`)
)

// WaitFile polls dir for a name matching re, every 1 ms so short-lived files
// are not missed, and returns the name.
func WaitFile(dir string, re *regexp.Regexp, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if re.MatchString(e.Name()) {
				return e.Name(), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return "", fmt.Errorf("no file matching %s in %s within %v", re, dir, timeout)
}

// MustWaitFile is WaitFile for tests: pattern is a regular expression over
// names, and the test fails when no name matches in time.
func MustWaitFile(t testing.TB, dir, pattern string, timeout time.Duration) string {
	t.Helper()
	name, err := WaitFile(dir, regexp.MustCompile(pattern), timeout)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func waitGone(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, err := os.Lstat(path); os.IsNotExist(err) {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("%s still present after %v", path, timeout)
}

// freeze copies s's data dir into a fresh temp dir and labels it.
func freeze(t testing.TB, s *redistest.Server, name, phase string, step int, leftovers ...string) *Moment {
	t.Helper()
	side := t.TempDir()
	dst := filepath.Join(side, "data")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	logCopy := filepath.Join(side, "redis.log")
	if err := s.FreezeCopyWithLog(dst, logCopy); err != nil {
		t.Fatalf("%s: freeze: %v", name, err)
	}
	// Listed after the copy: a rewrite-bg file lives only until the
	// parent's next cron tick, and reading /proc first could miss it.
	children := s.Children()
	return &Moment{Name: name, Dir: dst, Phase: phase, Step: step, Leftovers: leftovers, TakenAt: time.Now(), ServerPid: s.Pid(), ChildPids: children, Log: logCopy}
}

// copyDead copies the data dir and log of a server that was killed: what
// an operator copying a dead pod's volume finds. was is the phase it died
// in; the files alone cannot tell a dead job from a live one, so Phase is
// left empty.
func copyDead(t testing.TB, s *redistest.Server, name, was string, wasStep int, leftovers ...string) *Moment {
	t.Helper()
	side := t.TempDir()
	dst := filepath.Join(side, "data")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	logCopy := filepath.Join(side, "redis.log")
	if err := s.CopyOut(dst, logCopy); err != nil {
		t.Fatalf("%s: copy: %v", name, err)
	}
	return &Moment{Name: name, Dir: dst, Leftovers: leftovers, TakenAt: time.Now(), ServerPid: s.Pid(), Log: logCopy, Dead: true, Was: was, WasStep: wasStep}
}

// freezeTwice freezes a moment and again about a second later.
func freezeTwice(t testing.TB, s *redistest.Server, name, phase string, step int, leftovers ...string) *Moment {
	t.Helper()
	m := freeze(t, s, name, phase, step, leftovers...)
	time.Sleep(time.Second)
	m.Later = freeze(t, s, name+" (1s later)", phase, step, leftovers...)
	return m
}

func populate(t testing.TB, s *redistest.Server, st Settings) {
	t.Helper()
	s.MustDo("DEBUG", "POPULATE", strconv.Itoa(st.Keys), "key", strconv.Itoa(st.ValueBytes))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// BGSave freezes a BGSAVE in progress and the directory after it finished.
func BGSave(t testing.TB, st Settings) []*Moment {
	t.Helper()
	st = st.withDefaults()
	s := redistest.Start(t, redistest.Options{})
	populate(t, s, st)
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", strconv.Itoa(st.DelayMicro))
	s.MustDo("BGSAVE")
	_, err := WaitFile(s.Dir, bgsaveName, 10*time.Second)
	must(t, err)
	time.Sleep(500 * time.Millisecond)
	during := freezeTwice(t, s, "bgsave/during", "bgsave", 0)
	must(t, s.WaitInfo("rdb_bgsave_in_progress", "0", 60*time.Second))
	after := freeze(t, s, "bgsave/after", "steady", 0)
	return []*Moment{during, after}
}

// BGRewriteAOF freezes a BGREWRITEAOF with AOF on, the rewrite-bg file in
// its short life, and the directory after the rewrite.
func BGRewriteAOF(t testing.TB, st Settings) []*Moment {
	t.Helper()
	st = st.withDefaults()
	s := redistest.Start(t, redistest.Options{Config: []string{"appendonly yes"}})
	populate(t, s, st)
	s.MustDo("SET", "after-populate", "1")
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", strconv.Itoa(st.DelayMicro))
	// A slow cron stretches the rewrite-bg file's life from tens of
	// milliseconds to up to a second, so it can be frozen.
	s.MustDo("CONFIG", "SET", "hz", "1")
	s.MustDo("BGREWRITEAOF")
	_, err := WaitFile(s.Dir, rewriteName, 10*time.Second)
	must(t, err)
	time.Sleep(500 * time.Millisecond)
	s.MustDo("SET", "during-rewrite", "1")
	during := freezeTwice(t, s, "bgrewriteaof/during", "aof-rewrite", 0)
	_, err = WaitFile(s.Dir, rewriteBGName, 60*time.Second)
	must(t, err)
	finishing := freeze(t, s, "bgrewriteaof/finishing", "aof-rewrite-finishing", 0)
	must(t, s.WaitInfo("aof_rewrite_in_progress", "0", 30*time.Second))
	must(t, waitNoTemp(s.Dir, 10*time.Second))
	after := freeze(t, s, "bgrewriteaof/after", "steady", 0)
	return []*Moment{during, finishing, after}
}

func waitNoTemp(dir string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		found := false
		for _, d := range []string{dir, filepath.Join(dir, "appendonlydir")} {
			ents, _ := os.ReadDir(d)
			for _, e := range ents {
				if len(e.Name()) > 5 && e.Name()[:5] == "temp-" {
					found = true
				}
			}
		}
		if !found {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("temp files still in %s after %v", dir, timeout)
}

// RewriteChildKilled kills an AOF rewrite child with SIGKILL: the parent
// removes its temp files, but the incr opened for the rewrite stays listed,
// so the manifest holds two incr files.
func RewriteChildKilled(t testing.TB, st Settings) []*Moment {
	t.Helper()
	st = st.withDefaults()
	s := redistest.Start(t, redistest.Options{Config: []string{"appendonly yes", "auto-aof-rewrite-percentage 0"}})
	populate(t, s, st)
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", strconv.Itoa(st.DelayMicro))
	s.MustDo("BGREWRITEAOF")
	name, err := WaitFile(s.Dir, rewriteName, 10*time.Second)
	must(t, err)
	pid, _ := strconv.Atoi(rewriteName.FindStringSubmatch(name)[1])
	time.Sleep(300 * time.Millisecond)
	must(t, killPid(pid))
	must(t, s.WaitLog("terminated by signal", 10*time.Second))
	must(t, waitGone(filepath.Join(s.Dir, name), 5*time.Second))
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", "0")
	s.MustDo("SET", "after-kill", "1")
	after := freezeTwice(t, s, "rewrite-child-killed/after", "steady", 0)
	return []*Moment{after}
}

// ServerKilledMidRewrite kills the server and its rewrite child with
// SIGKILL, as a crash or an OOM kill of the pod would, and restarts it on
// the same directory: the partial rewrite file and the extra incr remain.
func ServerKilledMidRewrite(t testing.TB, st Settings) []*Moment {
	t.Helper()
	st = st.withDefaults()
	dir := t.TempDir()
	conf := []string{"appendonly yes", "auto-aof-rewrite-percentage 0"}
	s := redistest.Start(t, redistest.Options{Dir: dir, Config: conf})
	populate(t, s, st)
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", strconv.Itoa(st.DelayMicro))
	s.MustDo("BGREWRITEAOF")
	name, err := WaitFile(dir, rewriteName, 10*time.Second)
	must(t, err)
	time.Sleep(500 * time.Millisecond)
	s.Kill()
	crashed := copyDead(t, s, "server-killed-mid-rewrite/crashed", "aof-rewrite", 0, name)
	// Restarted servers do not remove or mention the leftover.
	time.Sleep(1100 * time.Millisecond)
	r := redistest.Start(t, redistest.Options{Dir: dir, Config: conf})
	r.MustDo("SET", "after-restart", "1")
	restarted := freezeTwice(t, r, "server-killed-mid-rewrite/restarted", "steady", 0, name)
	return []*Moment{crashed, restarted}
}

func killPid(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
