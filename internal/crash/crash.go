// Package crash builds the crash corpus: data directories of real
// redis-server 7.0.15 processes frozen or killed at a crash (mid-rewrite,
// mid-BGSAVE, under redis-benchmark writes, inside transactions, with short
// and long TTLs, several databases, custom names, AOF switched on and off
// at runtime), and damaged copies of them (torn tails, a lost page, a
// deleted manifest or incr). The key agreement test restarts a server on
// each and compares the keys it holds with aoftool's prediction.
package crash

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/damage"
	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/internal/redistest"
	"github.com/aoftool/aoftool/internal/scenario"
)

// Dir is one directory of the corpus.
type Dir struct {
	Name        string
	Description string
	Dir         string
	// Names the server was configured with; empty for the defaults.
	DBFilename, AppendDirName, AppendFilename string
	// From names the directory a damaged copy was made from.
	From string
}

// driver makes one or more crash directories under root.
type driver struct {
	name string
	run  func(t *testing.T, root string) []Dir
}

// Build runs every driver (two at a time) and derives the damaged copies.
// The directories live under root.
func Build(t *testing.T, root string) []Dir {
	t.Helper()
	benchmark(t) // fail early under CI when redis-tools is missing
	var mu sync.Mutex
	var out []Dir
	t.Run("crash", func(t *testing.T) {
		for _, d := range drivers() {
			t.Run(d.name, func(t *testing.T) {
				t.Parallel()
				dirs := d.run(t, filepath.Join(root, d.name))
				mu.Lock()
				out = append(out, dirs...)
				mu.Unlock()
			})
		}
	})
	sortDirs(out)
	var damaged []Dir
	for _, d := range out {
		if damagedToo(d.Name) {
			damaged = append(damaged, damageCopies(t, d, filepath.Join(root, "damaged"))...)
		}
	}
	return append(out, damaged...)
}

func sortDirs(d []Dir) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j].Name < d[j-1].Name; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}

// settings are the scenarios' own defaults (each slowed job lasts about
// five seconds, which their freezes are timed for on a busy machine) with
// small values, to keep the copies small.
var settings = scenario.Settings{ValueBytes: 100}

// moments copies a scenario's frozen moments out of the driver's test.
func moments(t *testing.T, root, prefix string, ms []*scenario.Moment) []Dir {
	var out []Dir
	for _, m := range ms {
		name := prefix + "/" + strings.ReplaceAll(strings.TrimPrefix(m.Name, prefix+"/"), "/", "-")
		if !strings.HasPrefix(m.Name, prefix) {
			name = prefix + "/" + strings.ReplaceAll(m.Name, "/", "-")
		}
		dst := filepath.Join(root, strings.ReplaceAll(name, "/", "__"))
		fsguard.CopyTree(t, m.Dir, dst)
		desc := "frozen (SIGSTOP, copy) while " + m.Phase
		if m.Phase == "" {
			desc = "copied after a SIGKILL"
		}
		if len(m.Leftovers) > 0 {
			desc += "; leftovers " + strings.Join(m.Leftovers, ", ")
		}
		out = append(out, Dir{Name: name, Description: desc, Dir: dst})
	}
	return out
}

func drivers() []driver {
	return []driver{
		{"bgsave", func(t *testing.T, root string) []Dir {
			return moments(t, root, "bgsave", scenario.BGSave(t, settings))
		}},
		{"bgrewriteaof", func(t *testing.T, root string) []Dir {
			return moments(t, root, "bgrewriteaof", scenario.BGRewriteAOF(t, settings))
		}},
		{"rewrite-child-killed", func(t *testing.T, root string) []Dir {
			return moments(t, root, "rewrite-child-killed", scenario.RewriteChildKilled(t, settings))
		}},
		{"server-killed-mid-rewrite", func(t *testing.T, root string) []Dir {
			return moments(t, root, "server-killed-mid-rewrite", scenario.ServerKilledMidRewrite(t, settings))
		}},
		{"replica-rebuild-disk", func(t *testing.T, root string) []Dir {
			return moments(t, root, "replica-rebuild-disk", scenario.ReplicaRebuild(t, settings, false))
		}},
		{"replica-killed-mid-transfer", func(t *testing.T, root string) []Dir {
			return moments(t, root, "replica-killed-mid-transfer", scenario.ReplicaKilledMidTransfer(t, settings))
		}},
		{"bench-everysec", func(t *testing.T, root string) []Dir {
			return killUnderBenchmark(t, root, "bench-everysec", "redis-benchmark writes, appendfsync everysec, SIGKILL",
				[]string{"appendonly yes"}, benchOpts{}, nil)
		}},
		{"bench-always", func(t *testing.T, root string) []Dir {
			return killUnderBenchmark(t, root, "bench-always", "redis-benchmark writes, appendfsync always, SIGKILL",
				[]string{"appendonly yes", "appendfsync always"}, benchOpts{}, nil)
		}},
		{"bench-dbs", func(t *testing.T, root string) []Dir {
			return killUnderBenchmark(t, root, "bench-dbs", "redis-benchmark writes into databases 0, 2 and 9 at once, SIGKILL",
				[]string{"appendonly yes"}, benchOpts{dbs: []int{0, 2, 9}}, nil)
		}},
		{"bench-mid-rewrite", func(t *testing.T, root string) []Dir {
			return killUnderBenchmark(t, root, "bench-mid-rewrite", "redis-benchmark writes, SIGKILL of server and child during BGREWRITEAOF",
				[]string{"appendonly yes", "rdb-key-save-delay 300"}, benchOpts{}, func(s *redistest.Server) {
					s.MustDo("BGREWRITEAOF")
					scenario.MustWaitFile(t, s.Dir, `^temp-rewriteaof-\d+\.aof$`, 10*time.Second)
					time.Sleep(300 * time.Millisecond)
				})
		}},
		{"bench-mid-bgsave", func(t *testing.T, root string) []Dir {
			return killUnderBenchmark(t, root, "bench-mid-bgsave", "AOF off, redis-benchmark writes, SIGKILL during a BGSAVE (an older dump.rdb beside it)",
				[]string{"rdb-key-save-delay 300"}, benchOpts{}, func(s *redistest.Server) {
					s.MustDo("CONFIG", "SET", "rdb-key-save-delay", "0")
					s.MustDo("SAVE")
					s.MustDo("CONFIG", "SET", "rdb-key-save-delay", "300")
					s.MustDo("BGSAVE")
					scenario.MustWaitFile(t, s.Dir, `^temp-\d+\.rdb$`, 10*time.Second)
					time.Sleep(300 * time.Millisecond)
				})
		}},
		{"bench-custom-names", func(t *testing.T, root string) []Dir {
			d := killUnderBenchmark(t, root, "bench-custom-names", "custom dbfilename, appenddirname and appendfilename, redis-benchmark writes, SIGKILL",
				[]string{"appendonly yes", "dbfilename data-6380.rdb", "appenddirname aof-6380", "appendfilename r6380.aof"}, benchOpts{}, func(s *redistest.Server) {
					s.MustDo("BGSAVE")
				})
			for i := range d {
				d[i].DBFilename, d[i].AppendDirName, d[i].AppendFilename = "data-6380.rdb", "aof-6380", "r6380.aof"
			}
			return d
		}},
		{"multi-blocks", func(t *testing.T, root string) []Dir {
			return killUnderWriter(t, root, "multi-blocks", "MULTI/EXEC blocks of four commands written until SIGKILL",
				[]string{"appendonly yes"}, multiBatch)
		}},
		{"short-ttls", func(t *testing.T, root string) []Dir {
			return killUnderWriter(t, root, "short-ttls", "keys with TTLs of 200 ms (expired by the restart) and one hour, until SIGKILL",
				[]string{"appendonly yes"}, ttlBatch)
		}},
		{"short-ttls-rewritten", func(t *testing.T, root string) []Dir {
			return killUnderWriter(t, root, "short-ttls-rewritten", "short and long TTLs, a rewrite with active expiry off (expired keys in the base), more writes, SIGKILL",
				[]string{"appendonly yes"}, ttlBatch, func(t *testing.T, s *redistest.Server) {
					s.MustDo("DEBUG", "SET-ACTIVE-EXPIRE", "0")
					s.MustDo("BGREWRITEAOF")
					waitRewrite(t, s)
				})
		}},
		{"aof-on-at-runtime-mid-rewrite", func(t *testing.T, root string) []Dir {
			return aofSwitched(t, root, "aof-on-at-runtime-mid-rewrite", true, false)
		}},
		{"aof-on-at-runtime-done", func(t *testing.T, root string) []Dir {
			return aofSwitched(t, root, "aof-on-at-runtime-done", true, true)
		}},
		{"aof-off-at-runtime", func(t *testing.T, root string) []Dir {
			return aofSwitched(t, root, "aof-off-at-runtime", false, false)
		}},
		{"aof-off-rewrite", func(t *testing.T, root string) []Dir {
			return aofSwitched(t, root, "aof-off-rewrite", false, true)
		}},
	}
}

// benchmark is redis-benchmark, which redis-tools installs beside the
// server; missing, the test fails under CI and skips elsewhere.
func benchmark(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("redis-benchmark")
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("redis-benchmark not found on PATH; CI must install it (apt-get install redis-tools)")
	}
	t.Skip("redis-benchmark not found on PATH (install redis-tools); skipped outside CI")
	return ""
}

type benchOpts struct {
	dbs []int
}

// killUnderBenchmark starts a server, loads a base dataset, runs
// redis-benchmark against it (set, lpush, sadd, hset, zadd and incr on
// random keys), calls during (a job to crash in) while it runs, and kills
// the server and its children with SIGKILL.
func killUnderBenchmark(t *testing.T, root, name, desc string, conf []string, o benchOpts, during func(*redistest.Server)) []Dir {
	bin := benchmark(t)
	s := redistest.Start(t, redistest.Options{Config: conf})
	// A base dataset in dump.rdb and, with AOF on, in the base (DEBUG
	// POPULATE is not propagated to the AOF).
	s.MustDo("DEBUG", "POPULATE", "500", "base", "50")
	s.MustDo("SAVE")
	if s.Info("aof_enabled") == "1" {
		s.MustDo("BGREWRITEAOF")
		waitRewrite(t, s)
	}
	dbs := o.dbs
	if len(dbs) == 0 {
		dbs = []int{0}
	}
	var cmds []*exec.Cmd
	for _, db := range dbs {
		// -l loops over the six tests, so every type is written before
		// the kill; -r spreads the writes over 3000 keys per test.
		c := exec.Command(bin, "-s", s.Socket, "-t", "set,lpush,sadd,hset,zadd,incr", "-r", "3000", "-n", "20000", "-P", "8", "-c", "4", "-q", "-l", "--dbnum", strconv.Itoa(db))
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	defer func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}()
	time.Sleep(1200 * time.Millisecond)
	if during != nil {
		during(s)
	}
	time.Sleep(200 * time.Millisecond)
	s.Kill()
	return []Dir{copyOut(t, s.Dir, root, name, desc)}
}

func copyOut(t *testing.T, src, root, name, desc string) Dir {
	dst := filepath.Join(root, strings.ReplaceAll(name, "/", "__"))
	fsguard.CopyTree(t, src, dst)
	return Dir{Name: name, Description: desc, Dir: dst}
}

// killUnderWriter writes batches from batch on one pipelined connection
// until the server is killed; prepare runs after the first batches.
func killUnderWriter(t *testing.T, root, name, desc string, conf []string, batch func(i int) [][]string, prepare ...func(*testing.T, *redistest.Server)) []Dir {
	s := redistest.Start(t, redistest.Options{Config: conf})
	for i := 0; i < 20; i++ {
		if err := s.Pipeline(batch(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range prepare {
		p(t, s)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 20; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if s.Pipeline(batch(i)) != nil {
				return
			}
		}
	}()
	time.Sleep(600 * time.Millisecond)
	s.Kill()
	close(stop)
	<-done
	d := copyOut(t, s.Dir, root, name, desc)
	// Short TTLs must have passed before any restart.
	time.Sleep(300 * time.Millisecond)
	return []Dir{d}
}

func multiBatch(i int) [][]string {
	var c [][]string
	for j := 0; j < 50; j++ {
		k := strconv.Itoa((i*50 + j) % 4000)
		c = append(c, []string{"MULTI"}, []string{"SET", "tx:" + k, k}, []string{"INCR", "tx:n:" + strconv.Itoa(j%20)},
			[]string{"RPUSH", "tx:l:" + strconv.Itoa(j%10), k}, []string{"HSET", "tx:h:" + strconv.Itoa(j%7), k, k}, []string{"EXEC"})
	}
	return c
}

func ttlBatch(i int) [][]string {
	var c [][]string
	for j := 0; j < 100; j++ {
		k := strconv.Itoa(i*100 + j)
		if j%2 == 0 {
			c = append(c, []string{"SET", "short:" + k, "v", "PX", "200"})
		} else {
			c = append(c, []string{"SET", "long:" + k, "v", "EX", "3600"})
		}
		if j%10 == 0 {
			c = append(c, []string{"SET", "plain:" + k, "v"}, []string{"PEXPIRE", "long:" + strconv.Itoa(i*100+j-9), "150"})
		}
	}
	return c
}

func waitRewrite(t testing.TB, s *redistest.Server) {
	t.Helper()
	for _, f := range []string{"aof_rewrite_in_progress", "aof_rewrite_scheduled"} {
		if err := s.WaitInfo(f, "0", 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
}

// aofSwitched crashes a server whose appendonly setting was changed at
// runtime: switched on (killed while the first rewrite runs, or after it
// finished and more writes came), or switched off (killed after writes the
// AOF no longer records, or after a rewrite with AOF off, which leaves a
// manifest of only a base line).
func aofSwitched(t *testing.T, root, name string, on, finish bool) []Dir {
	conf := []string{"appendonly yes"}
	if on {
		conf = []string{"appendonly no"}
	}
	s := redistest.Start(t, redistest.Options{Config: conf})
	s.MustDo("DEBUG", "POPULATE", "1500", "k", "100")
	var desc string
	switch {
	case on && !finish:
		s.MustDo("SAVE")
		s.MustDo("CONFIG", "SET", "rdb-key-save-delay", "2000")
		s.MustDo("CONFIG", "SET", "appendonly", "yes")
		scenario.MustWaitFile(t, s.Dir, `^temp-rewriteaof-\d+\.aof$`, 10*time.Second)
		if err := s.Pipeline([][]string{{"SET", "during-first-rewrite", "1"}, {"INCR", "n"}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		desc = "AOF switched on at runtime (a dump.rdb saved before), SIGKILL during the first rewrite"
	case on && finish:
		s.MustDo("CONFIG", "SET", "appendonly", "yes")
		waitRewrite(t, s)
		if err := s.Pipeline(multiBatch(1)); err != nil {
			t.Fatal(err)
		}
		desc = "AOF switched on at runtime, first rewrite done, more writes, SIGKILL"
	case !on && !finish:
		if err := s.Pipeline(multiBatch(1)); err != nil {
			t.Fatal(err)
		}
		s.MustDo("CONFIG", "SET", "appendonly", "no")
		if err := s.Pipeline(multiBatch(2)); err != nil {
			t.Fatal(err)
		}
		s.MustDo("BGSAVE")
		if err := s.WaitInfo("rdb_bgsave_in_progress", "0", 30*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := s.Pipeline(multiBatch(3)); err != nil {
			t.Fatal(err)
		}
		desc = "AOF switched off at runtime, writes, a BGSAVE, more writes, SIGKILL"
	default:
		s.MustDo("CONFIG", "SET", "appendonly", "no")
		s.MustDo("BGREWRITEAOF")
		waitRewrite(t, s)
		if err := s.Pipeline(multiBatch(4)); err != nil {
			t.Fatal(err)
		}
		desc = "AOF switched off, then BGREWRITEAOF (manifest of a base only), writes, SIGKILL"
	}
	s.Kill()
	return []Dir{copyOut(t, s.Dir, root, name, desc)}
}

// damagedToo picks the directories whose damaged copies are made: those
// whose last incr holds many writes.
func damagedToo(name string) bool {
	for _, p := range []string{"bench-", "multi-blocks", "short-ttls", "rewrite-child-killed", "server-killed-mid-rewrite/restarted", "aof-on-at-runtime-done"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// damageCopies derives the damaged copies of a directory with an AOF set:
// torn tails at two random offsets of the last incr, a 4 KiB page zeroed in
// the middle of the largest incr, the manifest deleted, an incr deleted.
func damageCopies(t *testing.T, d Dir, root string) []Dir {
	set, err := damage.ReadSet(damage.SetDir{Dir: d.Dir, AppendDirName: d.AppendDirName, AppendFilename: d.AppendFilename})
	if err != nil || len(set.Incrs) == 0 {
		return nil
	}
	last := set.LastIncr()
	lastData, err := os.ReadFile(filepath.Join(d.Dir, last))
	if err != nil || len(lastData) < 64 {
		return nil
	}
	var out []Dir
	mk := func(kind, desc string, edit func(dir string)) {
		c := d
		c.Name = "damaged/" + strings.ReplaceAll(d.Name, "/", "-") + "/" + kind
		c.Description = desc + " (copy of " + d.Name + ")"
		c.From = d.Name
		c.Dir = filepath.Join(root, strings.ReplaceAll(c.Name, "/", "__"))
		fsguard.CopyTree(t, d.Dir, c.Dir)
		edit(c.Dir)
		out = append(out, c)
	}
	rng := rand.New(rand.NewSource(int64(len(d.Name)) * 7919))
	for i := 0; i < 2; i++ {
		at := len(lastData)/2 + rng.Intn(len(lastData)/2)
		mk(fmt.Sprintf("torn-%d", at), fmt.Sprintf("last incr cut at %d of %d bytes", at, len(lastData)), func(dir string) {
			if err := os.Truncate(filepath.Join(dir, last), int64(at)); err != nil {
				t.Fatal(err)
			}
		})
	}
	biggest, size := "", int64(0)
	for _, i := range set.Incrs {
		if fi, err := os.Stat(filepath.Join(d.Dir, i)); err == nil && fi.Size() > size {
			biggest, size = i, fi.Size()
		}
	}
	if size >= 3*4096 {
		page := size / 2 / 4096 * 4096
		mk("zeroed-page", fmt.Sprintf("4 KiB of %s zeroed at %d", filepath.Base(biggest), page), func(dir string) {
			f, err := os.OpenFile(filepath.Join(dir, biggest), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(make([]byte, 4096), page); err != nil {
				t.Fatal(err)
			}
		})
	}
	mk("no-manifest", "manifest deleted", func(dir string) { os.Remove(filepath.Join(dir, set.Manifest)) })
	gone := set.Incrs[0]
	mk("no-incr", "incr "+filepath.Base(gone)+" deleted", func(dir string) { os.Remove(filepath.Join(dir, gone)) })
	return out
}
