package scenario

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/redistest"
)

// The scenarios of this file kill servers mid-job, as a crash, the OOM
// killer or a forced pod deletion does, and copy what they leave: the
// moments are Dead (no server ran on the copy), with the phase the server
// died in as Was.

// BGSaveKilled kills a server and its BGSAVE child with SIGKILL mid-save:
// the partial temp-<pid>.rdb stays.
func BGSaveKilled(t testing.TB, st Settings) []*Moment {
	t.Helper()
	st = st.withDefaults()
	s := redistest.Start(t, redistest.Options{})
	populate(t, s, st)
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", strconv.Itoa(st.DelayMicro))
	s.MustDo("BGSAVE")
	name, err := WaitFile(s.Dir, bgsaveName, 10*time.Second)
	must(t, err)
	time.Sleep(500 * time.Millisecond)
	s.Kill()
	return []*Moment{copyDead(t, s, "bgsave-killed/crashed", "bgsave", 0, name)}
}

// OrphanedChild kills the server alone mid-BGSAVE: its child runs on, an
// orphan writing its file, until its next progress report to the dead
// parent fails ("Child failed reporting info to parent") and it exits,
// leaving the partial file. Frozen while the orphan writes, and after it
// exited.
func OrphanedChild(t testing.TB, st Settings) []*Moment {
	t.Helper()
	st = st.withDefaults()
	s := redistest.Start(t, redistest.Options{})
	populate(t, s, st)
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", strconv.Itoa(st.DelayMicro))
	s.MustDo("BGSAVE")
	name, err := WaitFile(s.Dir, bgsaveName, 10*time.Second)
	must(t, err)
	time.Sleep(300 * time.Millisecond)
	children := s.Children()
	if len(children) == 0 {
		t.Fatal("orphaned-child: no BGSAVE child found")
	}
	s.KillServerOnly()
	// The orphan writes on: its file is the picture of a live BGSAVE.
	running := freeze(t, s, "orphaned-child/running", "bgsave", 0)
	running.ChildPids, running.Dead, running.Was = children, true, "bgsave"
	must(t, waitPidsGone(children, 30*time.Second))
	exited := copyDead(t, s, "orphaned-child/exited", "bgsave", 0, name)
	return []*Moment{running, exited}
}

// waitPidsGone waits until none of pids runs (the orphaned children of a
// killed server, which exit on their own).
func waitPidsGone(pids []int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		alive := false
		for _, p := range pids {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p)); err == nil && !isZombie(b) {
				alive = true
			}
		}
		if !alive {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("processes %v still running after %v", pids, timeout)
}

func isZombie(stat []byte) bool {
	for i := len(stat) - 1; i > 0; i-- {
		if stat[i] == ')' {
			return i+2 < len(stat) && stat[i+2] == 'Z'
		}
	}
	return false
}

// ReplicaKilledMidLoad kills a replica with AOF on while it loads a
// full-sync payload: dump.rdb holds the payload, the AOF still the data
// before the sync.
func ReplicaKilledMidLoad(t testing.TB, st Settings) []*Moment {
	t.Helper()
	st = st.withDefaults()
	m := startMaster(t, st, false)
	r := redistest.Start(t, redistest.Options{Config: replicaConfig(m.Port, st, true)})
	must(t, waitExists(filepath.Join(r.Dir, "dump.rdb"), 60*time.Second))
	must(t, r.WaitLog("Loading DB in memory", 10*time.Second))
	time.Sleep(300 * time.Millisecond)
	r.Kill()
	m2 := copyDead(t, r, "replica-killed-mid-load/crashed", "sync-loading", 2)
	// Nothing on disk moves during a load, so the files of a dead load are
	// those of a live one: they read as the load.
	m2.Phase, m2.Step = "sync-loading", 2
	return []*Moment{m2}
}

// CrashedRewriteThenFullSync kills a server with AOF on mid-rewrite and
// restarts it on the same directory as a replica: its full sync begins
// beside the dead rewrite's file. The transfer file names the new server's
// pid, above the dead child's; the rewrite file stopped changing seconds
// before the sync began.
func CrashedRewriteThenFullSync(t testing.TB, st Settings) []*Moment {
	t.Helper()
	st = st.withDefaults()
	dir := t.TempDir()
	s := redistest.Start(t, redistest.Options{Dir: dir, Config: []string{"appendonly yes", "auto-aof-rewrite-percentage 0"}})
	populate(t, s, st)
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", strconv.Itoa(st.DelayMicro))
	s.MustDo("BGREWRITEAOF")
	name, err := WaitFile(dir, rewriteName, 10*time.Second)
	must(t, err)
	time.Sleep(500 * time.Millisecond)
	s.Kill()
	// A disk-based master whose BGSAVE is slow: the transfer file stays
	// empty for seconds.
	m := startMaster(t, st, false)
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", strconv.Itoa(st.DelayMicro))
	time.Sleep(3 * time.Second)
	r := redistest.Start(t, redistest.Options{Dir: dir, Config: append(replicaConfig(m.Port, st, false), "auto-aof-rewrite-percentage 0")})
	_, err = WaitFile(dir, transferName, 20*time.Second)
	must(t, err)
	time.Sleep(500 * time.Millisecond)
	return []*Moment{freezeTwice(t, r, "crashed-rewrite-then-sync/transfer", "sync-transfer", 1, name)}
}
