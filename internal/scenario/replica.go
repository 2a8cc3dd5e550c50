package scenario

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/redistest"
)

// startMaster starts a master holding the dataset, with disk-based or
// diskless full syncs.
func startMaster(t testing.TB, st Settings, diskless bool) *redistest.Server {
	t.Helper()
	conf := []string{"repl-diskless-sync no"}
	if diskless {
		conf = []string{"repl-diskless-sync yes", "repl-diskless-sync-delay 0"}
	}
	m := redistest.Start(t, redistest.Options{Config: conf})
	populate(t, m, st)
	return m
}

// replicaConfig is a replica with AOF on that writes the payload to disk
// (the default repl-diskless-load disabled), loads and rewrites slowly, and
// reaps its children only once a second so the rewrite-bg file can be
// frozen.
func replicaConfig(masterPort int, st Settings, slow bool) []string {
	conf := []string{
		"appendonly yes",
		"repl-diskless-load disabled",
		"replicaof 127.0.0.1 " + strconv.Itoa(masterPort),
		"hz 1",
	}
	if slow {
		conf = append(conf,
			"key-load-delay "+strconv.Itoa(st.DelayMicro),
			"rdb-key-save-delay "+strconv.Itoa(st.DelayMicro))
	}
	return conf
}

// ReplicaRebuild freezes every step of a replica rebuilding from an empty
// volume with AOF on: the transfer (0 bytes while a disk-based master
// saves, growing from a diskless master), the load, the AOF rewrite, the
// install of the new base, and the steady state after it.
func ReplicaRebuild(t testing.TB, st Settings, diskless bool) []*Moment {
	t.Helper()
	st = st.withDefaults()
	prefix := "replica-rebuild-disk"
	if diskless {
		prefix = "replica-rebuild-diskless"
	}
	m := startMaster(t, st, diskless)
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", strconv.Itoa(st.DelayMicro))
	r := redistest.Start(t, redistest.Options{Config: replicaConfig(m.Port, st, true)})
	return rebuildMoments(t, r, prefix)
}

// rebuildMoments freezes the steps of a rebuild the replica r has begun.
func rebuildMoments(t testing.TB, r *redistest.Server, prefix string) []*Moment {
	t.Helper()
	var out []*Moment
	_, err := WaitFile(r.Dir, transferName, 20*time.Second)
	must(t, err)
	time.Sleep(700 * time.Millisecond)
	out = append(out, freezeTwice(t, r, prefix+"/1-transfer", "sync-transfer", 1))

	// The transfer file is renamed to dump.rdb just before the load starts;
	// key-load-delay keeps the load going for seconds.
	must(t, waitExists(filepath.Join(r.Dir, "dump.rdb"), 60*time.Second))
	// The server answers no command while it loads, so the log tells.
	must(t, r.WaitLog("Loading DB in memory", 10*time.Second))
	time.Sleep(300 * time.Millisecond)
	loading := freezeTwice(t, r, prefix+"/2-loading", "sync-loading", 2)
	if strings.Contains(r.Log(), "Done loading RDB") {
		t.Fatalf("%s: the load ended before the copies were made; raise Settings.DelayMicro", prefix)
	}
	out = append(out, loading)

	_, err = WaitFile(r.Dir, rewriteName, 60*time.Second)
	must(t, err)
	time.Sleep(700 * time.Millisecond)
	out = append(out, freezeTwice(t, r, prefix+"/3-rewrite", "aof-rewrite", 3))

	_, err = WaitFile(r.Dir, rewriteBGName, 60*time.Second)
	must(t, err)
	out = append(out, freeze(t, r, prefix+"/4-finishing", "aof-rewrite-finishing", 4))

	must(t, r.WaitInfo("aof_rewrite_in_progress", "0", 30*time.Second))
	must(t, waitNoTemp(r.Dir, 10*time.Second))
	out = append(out, freeze(t, r, prefix+"/5-done", "steady", 0))
	return out
}

// ReplicaOf is the rebuild of a running server with AOF on, started on an
// empty volume and then told REPLICAOF, as an operator attaches a new
// replica: the moment before the command (steady), then every step. With
// crossMinute the command waits for the wall clock's next minute, so that
// listings with minute timestamps (ls -l) date the AOF directory, made at
// the start, before dump.rdb.
func ReplicaOf(t testing.TB, st Settings, crossMinute bool) []*Moment {
	t.Helper()
	st = st.withDefaults()
	m := startMaster(t, st, false)
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", strconv.Itoa(st.DelayMicro))
	conf := replicaConfig(m.Port, st, true)
	r := redistest.Start(t, redistest.Options{Config: conf[:1:1]})
	for _, c := range conf[1:] {
		if k, v, _ := strings.Cut(c, " "); k != "replicaof" {
			r.MustDo("CONFIG", "SET", k, v)
		}
	}
	out := []*Moment{freeze(t, r, "replicaof/0-before", "steady", 0)}
	if crossMinute {
		now := time.Now()
		time.Sleep(now.Truncate(time.Minute).Add(time.Minute + time.Second).Sub(now))
	}
	r.MustDo("REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
	return append(out, rebuildMoments(t, r, "replicaof")...)
}

// ReplicaKilledMidTransfer kills a replica with SIGKILL while a diskless
// master streams the payload, then restarts it on the same directory: the
// new sync completes and the old transfer file stays behind, older than the
// dump.rdb that replaced it.
func ReplicaKilledMidTransfer(t testing.TB, st Settings) []*Moment {
	t.Helper()
	st = st.withDefaults()
	m := startMaster(t, st, true)
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", strconv.Itoa(st.DelayMicro))
	dir := t.TempDir()
	r := redistest.Start(t, redistest.Options{Dir: dir, Config: replicaConfig(m.Port, st, false)})
	name, err := WaitFile(dir, transferName, 20*time.Second)
	must(t, err)
	time.Sleep(time.Second)
	r.Kill()
	crashed := copyDead(t, r, "replica-killed-mid-transfer/crashed", "sync-transfer", 1, name)
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", "0")
	// The master's sync child notices the dropped replica and ends.
	time.Sleep(1100 * time.Millisecond)
	r2 := redistest.Start(t, redistest.Options{Dir: dir, Config: replicaConfig(m.Port, st, false)})
	must(t, r2.WaitInfo("master_link_status", "up", 60*time.Second))
	must(t, r2.WaitInfo("aof_rewrite_in_progress", "0", 30*time.Second))
	must(t, waitExists(filepath.Join(dir, "dump.rdb"), 10*time.Second))
	must(t, waitAOFInstalled(dir, 30*time.Second))
	return []*Moment{crashed, freezeTwice(t, r2, "replica-killed-mid-transfer/restarted", "steady", 0, name)}
}

func waitExists(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, err := os.Lstat(path); err == nil {
			return nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return os.ErrNotExist
}

// waitAOFInstalled waits until no rewrite temp file exists in the data dir
// or the appendonlydir apart from the given leftovers' kind (transfer
// files), i.e. the post-sync rewrite was installed.
func waitAOFInstalled(dir string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		busy := false
		for _, d := range []string{dir, filepath.Join(dir, "appendonlydir")} {
			ents, _ := os.ReadDir(d)
			for _, e := range ents {
				n := e.Name()
				if rewriteName.MatchString(n) || rewriteBGName.MatchString(n) || n == "temp-appendonly.aof.incr" {
					busy = true
				}
			}
		}
		if !busy {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return os.ErrDeadlineExceeded
}
