package serverlog

// The generator of testdata/: it drives real servers through every phase
// and failure and records, at each moment, how many lines the server's log
// held and what the server was doing then. Run it with
//
//	go test ./serverlog -run TestMakeLogs -make-logs -timeout 30m
//
// It rewrites testdata/<server>/<scenario>/{*.log,moments.tsv}. Moments are
// taken with the server and its children stopped (SIGSTOP on the process
// group), so the log cannot move while it is read and the data directory
// is checked against the label.

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/redistest"
)

var makeLogs = flag.Bool("make-logs", false, "drive real servers and rewrite the captured logs in testdata/")

// moment is one row of moments.tsv: the first Line lines of Log are the log
// as it stood when the server was doing Label.
type moment struct {
	Log    string
	Line   int
	Phase  Phase
	Step   int
	Label  string
	Expect []string // key=value facts the state must also show
}

type capture struct {
	t       *testing.T
	dir     string
	servers map[string]*redistest.Server
	// logs overrides a server's log path (a restart appending to the log
	// of the server it replaces).
	logs map[string]string
	rows []moment
}

func (c *capture) logPath(name string, s *redistest.Server) string {
	if p, ok := c.logs[name]; ok {
		return p
	}
	return s.LogPath
}

func newCapture(t *testing.T, server, scenario string) *capture {
	return &capture{t: t, dir: filepath.Join("testdata", server, scenario), servers: map[string]*redistest.Server{}, logs: map[string]string{}}
}

// completeLines counts the newline-terminated lines of b.
func completeLines(b []byte) int { return bytes.Count(b, []byte("\n")) }

// freeze stops s and its children, reads its log, checks the data dir
// against want (a regexp over names in the dir or appendonlydir; "" for no
// check, "!re" for absence), resumes them, and records the moment.
func (c *capture) freeze(name string, s *redistest.Server, label string, phase Phase, step int, want string, expect ...string) {
	c.t.Helper()
	c.servers[name] = s
	stopped := !s.Exited() && syscall.Kill(-s.Pid(), syscall.SIGSTOP) == nil
	b, err := os.ReadFile(c.logPath(name, s))
	if err != nil {
		c.t.Fatal(err)
	}
	if want != "" {
		neg := strings.HasPrefix(want, "!")
		re := regexp.MustCompile(strings.TrimPrefix(want, "!"))
		found := false
		for _, d := range []string{s.Dir, filepath.Join(s.Dir, "appendonlydir")} {
			ents, _ := os.ReadDir(d)
			for _, e := range ents {
				if re.MatchString(e.Name()) {
					found = true
				}
			}
		}
		if found == neg {
			if stopped {
				syscall.Kill(-s.Pid(), syscall.SIGCONT)
			}
			c.t.Fatalf("%s/%s: data dir does not match %q at moment %q; log:\n%s", c.dir, name, want, label, b)
		}
	}
	if stopped {
		syscall.Kill(-s.Pid(), syscall.SIGCONT)
	}
	c.rows = append(c.rows, moment{Log: name + ".log", Line: completeLines(b), Phase: phase, Step: step, Label: label, Expect: expect})
}

// save writes each log cut after its last moment, and moments.tsv.
func (c *capture) save() {
	c.t.Helper()
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		c.t.Fatal(err)
	}
	last := map[string]int{}
	for _, m := range c.rows {
		if m.Line > last[m.Log] {
			last[m.Log] = m.Line
		}
	}
	for name, s := range c.servers {
		b, err := os.ReadFile(c.logPath(name, s))
		if err != nil {
			c.t.Fatal(err)
		}
		n := last[name+".log"]
		cut := 0
		for i := 0; i < n; i++ {
			k := bytes.IndexByte(b[cut:], '\n')
			cut += k + 1
		}
		if err := os.WriteFile(filepath.Join(c.dir, name+".log"), b[:cut], 0o644); err != nil {
			c.t.Fatal(err)
		}
	}
	var out strings.Builder
	out.WriteString("# log\tlines\tphase\tstep\tlabel\texpect\n")
	for _, m := range c.rows {
		fmt.Fprintf(&out, "%s\t%d\t%s\t%d\t%s\t%s\n", m.Log, m.Line, m.Phase, m.Step, m.Label, strings.Join(m.Expect, " "))
	}
	if err := os.WriteFile(filepath.Join(c.dir, "moments.tsv"), []byte(out.String()), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

func waitLog(t *testing.T, s *redistest.Server, substr string, timeout time.Duration) {
	t.Helper()
	if err := s.WaitLog(substr, timeout); err != nil {
		t.Fatal(err)
	}
}

// waitLogCount waits until substr occurs n times in the log.
func waitLogCount(t *testing.T, s *redistest.Server, substr string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Count(s.Log(), substr) >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("log never held %d × %q; log:\n%s", n, substr, s.Log())
}

var childPidRe = regexp.MustCompile(`started by pid (\d+)`)

// lastChild is the pid of the newest "started by pid N" line.
func lastChild(t *testing.T, s *redistest.Server) int {
	t.Helper()
	m := childPidRe.FindAllStringSubmatch(s.Log(), -1)
	if len(m) == 0 {
		t.Fatalf("no child in log:\n%s", s.Log())
	}
	pid, _ := strconv.Atoi(m[len(m)-1][1])
	return pid
}

// throttle forwards 127.0.0.1 connections to target, slowing the
// master-to-replica direction to about rate bytes per second, as a slow
// network would: the transfer of a full-sync payload then lasts seconds.
func throttle(t *testing.T, target int, rate int) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(target))
			if err != nil {
				in.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(out, in); out.Close() }()
			go func() {
				defer wg.Done()
				defer in.Close()
				chunk := rate / 20
				buf := make([]byte, chunk)
				for {
					n, err := out.Read(buf)
					if n > 0 {
						if _, werr := in.Write(buf[:n]); werr != nil {
							return
						}
						time.Sleep(50 * time.Millisecond)
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

type server struct {
	name string // directory name in testdata/
	bin  func(t *testing.T) string
}

var debianServer = server{"redis-7.0.15", func(t *testing.T) string { return "" }}

func sharedServer(name string) server {
	return server{name, func(t *testing.T) string { return redistest.SharedServer(t, name) }}
}

func start(t *testing.T, srv server, dir string, conf ...string) *redistest.Server {
	t.Helper()
	return redistest.Start(t, redistest.Options{Binary: srv.bin(t), Dir: dir, Config: conf})
}

// populate writes keys with incompressible values, so the RDB is as big as
// the data (DEBUG POPULATE values compress to almost nothing).
func populate(t *testing.T, s *redistest.Server, keys, size int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(keys), uint64(size)))
	val := make([]byte, size)
	cmds := make([][]string, 0, keys)
	for i := 0; i < keys; i++ {
		for j := range val {
			val[j] = byte('!' + rng.IntN(90))
		}
		cmds = append(cmds, []string{"SET", "key:" + strconv.Itoa(i), string(val)})
	}
	if err := s.Pipeline(cmds); err != nil {
		t.Fatal(err)
	}
}

// rewriteChildDone is the line a rewrite child writes once its base is
// complete and renamed to temp-rewriteaof-bg-<pid>.aof.
func rewriteChildDone(srv server) string {
	if strings.Contains(srv.name, "6.2") {
		return "SYNC append only file rewrite performed"
	}
	return "Successfully created the temporary AOF base file"
}

func TestMakeLogs(t *testing.T) {
	if !*makeLogs {
		t.Skip("run with -make-logs to drive real servers and rewrite testdata/")
	}
	all := []server{debianServer}
	for _, n := range redistest.SharedServers {
		all = append(all, sharedServer(n))
	}
	for _, srv := range all {
		t.Run(srv.name+"/replica-rebuild", func(t *testing.T) { genReplicaRebuild(t, srv) })
		t.Run(srv.name+"/bgrewriteaof", func(t *testing.T) { genRewrite(t, srv) })
	}
	srv := debianServer
	t.Run(srv.name+"/replica-rebuild-diskless", func(t *testing.T) { genDiskless(t, srv, false) })
	t.Run(srv.name+"/replica-diskless-load", func(t *testing.T) { genDiskless(t, srv, true) })
	t.Run(srv.name+"/bgsave", func(t *testing.T) { genBGSave(t, srv) })
	t.Run(srv.name+"/restart-aof", func(t *testing.T) { genRestart(t, srv) })
	t.Run(srv.name+"/load-errors", func(t *testing.T) { genLoadErrors(t, srv) })
	t.Run(srv.name+"/crash", func(t *testing.T) { genCrash(t, srv) })
	t.Run(srv.name+"/shutdown-refused", func(t *testing.T) { genShutdownRefused(t, srv) })
	t.Run(srv.name+"/sync-loop", func(t *testing.T) { genSyncLoop(t, srv) })
	t.Run(srv.name+"/replica-killed-mid-transfer", func(t *testing.T) { genReplicaKilled(t, srv) })
	t.Run(srv.name+"/replica-kills-rewrite", func(t *testing.T) { genReplicaKillsRewrite(t, srv) })
	t.Run(srv.name+"/transfer-timeout", func(t *testing.T) { genTransferTimeout(t, srv) })
	t.Run(srv.name+"/replica-of-newer-master", func(t *testing.T) { genNewerMaster(t, srv, sharedServer("redis-7.4.1")) })
}

// genReplicaRebuild: a replica with AOF on rebuilds from an empty volume
// over a slow link from a disk-based master: every step, with the master's
// BGSAVE for the sync on the master's log.
func genReplicaRebuild(t *testing.T, srv server) {
	c := newCapture(t, srv.name, "replica-rebuild")
	m := start(t, srv, "", "repl-diskless-sync no")
	populate(t, m, 2500, 1000)
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", "1000")
	link := throttle(t, m.Port, 1<<20)
	r := start(t, srv, "", "appendonly yes", "repl-diskless-load disabled", "replicaof 127.0.0.1 "+strconv.Itoa(link),
		"hz 1", "key-load-delay 1000", "rdb-key-save-delay 1000")
	waitLog(t, m, "Background saving started by pid", 20*time.Second)
	waitLog(t, r, "Full resync from", 20*time.Second)
	time.Sleep(300 * time.Millisecond)
	c.freeze("master", m, "master BGSAVE for the sync", BGSave, 0, `^temp-\d+\.rdb$`)
	c.freeze("replica", r, "transfer: master still saving, transfer file empty", SyncTransfer, 1, `^temp-\d+\.\d+\.rdb$`, "fullsyncs=1")
	waitLog(t, r, "bytes from ", 30*time.Second)
	time.Sleep(500 * time.Millisecond)
	c.freeze("replica", r, "transfer: payload flowing over a slow link", SyncTransfer, 1, `^temp-\d+\.\d+\.rdb$`, "payload>0")
	waitLog(t, m, "Background saving terminated with success", 30*time.Second)
	c.freeze("master", m, "master BGSAVE done, payload being sent", Steady, 0, `!^temp-\d+\.rdb$`)
	waitLog(t, r, "Loading DB in memory", 30*time.Second)
	time.Sleep(300 * time.Millisecond)
	c.freeze("replica", r, "load of the payload", SyncLoading, 2, "")
	waitLog(t, r, "Background append only file rewriting started", 60*time.Second)
	time.Sleep(500 * time.Millisecond)
	c.freeze("replica", r, "post-sync AOF rewrite child running", AOFRewrite, 3, `^temp-rewriteaof-\d+\.aof$`)
	waitLog(t, r, rewriteChildDone(srv), 60*time.Second)
	c.freeze("replica", r, "rewrite child done, parent not yet reaped it", AOFRewriteFinishing, 4, "")
	waitLog(t, r, "Background AOF rewrite finished successfully", 30*time.Second)
	c.freeze("replica", r, "rebuild done", Steady, 0, `!^temp-`)
	c.save()
}

// genRewrite: BGREWRITEAOF with AOF on, through its phases, then a rewrite
// child killed with SIGKILL (what the OOM killer does).
func genRewrite(t *testing.T, srv server) {
	c := newCapture(t, srv.name, "bgrewriteaof")
	s := start(t, srv, "", "appendonly yes", "auto-aof-rewrite-percentage 0", "hz 1")
	populate(t, s, 2500, 1000)
	s.MustDo("SET", "after-populate", "1")
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", "1000")
	c.freeze("server", s, "AOF on, idle", Steady, 0, "")
	s.MustDo("BGREWRITEAOF")
	waitLog(t, s, "Background append only file rewriting started", 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	c.freeze("server", s, "rewrite child running", AOFRewrite, 0, `^temp-rewriteaof-\d+\.aof$`)
	waitLog(t, s, rewriteChildDone(srv), 30*time.Second)
	c.freeze("server", s, "rewrite child done, install pending", AOFRewriteFinishing, 0, "")
	waitLog(t, s, "Background AOF rewrite finished successfully", 30*time.Second)
	c.freeze("server", s, "rewrite installed", Steady, 0, `!^temp-`)
	s.MustDo("BGREWRITEAOF")
	waitLogCount(t, s, "Background append only file rewriting started", 2, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	if err := syscall.Kill(lastChild(t, s), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitLog(t, s, "Background AOF rewrite terminated by signal 9", 10*time.Second)
	c.freeze("server", s, "rewrite child killed by SIGKILL", Steady, 0, "", "failure=aof-rewrite-killed")
	c.save()
}

// genDiskless: a diskless master streams the payload; the replica writes it
// to disk (sync-transfer) or, with repl-diskless-load swapdb, loads it from
// the socket (sync-loading), then rebuilds its AOF.
func genDiskless(t *testing.T, srv server, load bool) {
	name := "replica-rebuild-diskless"
	conf := []string{"appendonly yes", "repl-diskless-load disabled", "hz 1", "rdb-key-save-delay 1000"}
	if load {
		name = "replica-diskless-load"
		conf = []string{"appendonly yes", "repl-diskless-load swapdb", "hz 1", "key-load-delay 1000", "rdb-key-save-delay 1000"}
	}
	c := newCapture(t, srv.name, name)
	m := start(t, srv, "", "repl-diskless-sync yes", "repl-diskless-sync-delay 0")
	populate(t, m, 2500, 1000)
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", "1000")
	r := start(t, srv, "", append(conf, "replicaof 127.0.0.1 "+strconv.Itoa(m.Port))...)
	waitLog(t, r, "receiving streamed RDB from master with EOF", 20*time.Second)
	waitLog(t, m, "Background RDB transfer started by pid", 20*time.Second)
	time.Sleep(700 * time.Millisecond)
	c.freeze("master", m, "diskless transfer child streams to the replica", Steady, 0, `!^temp-`)
	if load {
		c.freeze("replica", r, "diskless load from the socket", SyncLoading, 2, `!^temp-\d+\.\d+\.rdb$`)
	} else {
		c.freeze("replica", r, "streamed transfer to disk", SyncTransfer, 1, `^temp-\d+\.\d+\.rdb$`)
	}
	waitLog(t, m, "Background RDB transfer terminated with success", 30*time.Second)
	c.freeze("master", m, "transfer child done", Steady, 0, "")
	waitLog(t, r, "Background append only file rewriting started", 60*time.Second)
	time.Sleep(300 * time.Millisecond)
	c.freeze("replica", r, "post-sync AOF rewrite", AOFRewrite, 3, `^temp-rewriteaof-\d+\.aof$`)
	waitLog(t, r, "Background AOF rewrite finished successfully", 60*time.Second)
	c.freeze("replica", r, "rebuild done", Steady, 0, "")
	c.save()
}

// genBGSave: BGSAVE through its phases, a BGSAVE child killed with SIGKILL,
// and a SAVE.
func genBGSave(t *testing.T, srv server) {
	c := newCapture(t, srv.name, "bgsave")
	s := start(t, srv, "", "hz 1")
	populate(t, s, 2500, 1000)
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", "1000")
	s.MustDo("BGSAVE")
	waitLog(t, s, "Background saving started by pid", 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	c.freeze("server", s, "BGSAVE child writing", BGSave, 0, `^temp-\d+\.rdb$`)
	waitLog(t, s, "DB saved on disk", 30*time.Second)
	c.freeze("server", s, "BGSAVE child done, parent not yet reaped it", BGSave, 0, "")
	waitLog(t, s, "Background saving terminated with success", 10*time.Second)
	c.freeze("server", s, "BGSAVE done", Steady, 0, `!^temp-`)
	s.MustDo("BGSAVE")
	waitLogCount(t, s, "Background saving started by pid", 2, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	if err := syscall.Kill(lastChild(t, s), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitLog(t, s, "Background saving terminated by signal 9", 10*time.Second)
	c.freeze("server", s, "BGSAVE child killed by SIGKILL", Steady, 0, "", "failure=bgsave-killed")
	c.save()
}

// genRestart: a server with AOF data restarts and loads it slowly; then
// shuts down on SIGTERM.
func genRestart(t *testing.T, srv server) {
	c := newCapture(t, srv.name, "restart-aof")
	dir := t.TempDir()
	conf := []string{"appendonly yes", "auto-aof-rewrite-percentage 0"}
	s := start(t, srv, dir, conf...)
	populate(t, s, 2500, 100)
	s.MustDo("BGREWRITEAOF")
	waitLog(t, s, "Background AOF rewrite finished successfully", 20*time.Second)
	s.MustDo("SET", "tail", "1")
	s.Stop()
	c.freeze("first", s, "stopped by SIGTERM", Steady, 0, "", "running=false")
	// The second server logs to its own file; its log is the restart.
	// ExpectExit only waits (briefly) for an exit: a PING would block until
	// the load ends, since a load this small never yields to the event loop.
	r, _ := redistest.Launch(t, redistest.Options{Binary: srv.bin(t), Dir: dir, Config: append(conf, "key-load-delay 2000"), ExpectExit: true, StartTimeout: 100 * time.Millisecond})
	if r == nil || r.Exited() {
		t.Fatal("the restart did not run")
	}
	waitLog(t, r, "Reading RDB base file on AOF loading", 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	c.freeze("restart", r, "loading the AOF at start", Steady, 0, "", "job=start-load")
	waitLog(t, r, "Ready to accept connections", 30*time.Second)
	c.freeze("restart", r, "AOF loaded, ready", Steady, 0, "", "lastload=start-load")
	c.save()
}

func truncateFile(t *testing.T, path string, cut int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()-cut); err != nil {
		t.Fatal(err)
	}
}

func lastIncr(t *testing.T, dir string) string {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(dir, "appendonlydir"))
	last := ""
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".incr.aof") {
			last = e.Name()
		}
	}
	if last == "" {
		t.Fatal("no incr file")
	}
	return filepath.Join(dir, "appendonlydir", last)
}

// genLoadErrors: starts that refuse or repair their data: a truncated AOF
// loaded with aof-load-truncated yes and refused with no, a bad AOF format,
// a broken manifest, an RDB with a wrong checksum, a cut RDB, and an RDB of
// an unknown version.
func genLoadErrors(t *testing.T, srv server) {
	c := newCapture(t, srv.name, "load-errors")
	dir := t.TempDir()
	conf := []string{"appendonly yes", "auto-aof-rewrite-percentage 0"}
	s := start(t, srv, dir, conf...)
	for i := 0; i < 50; i++ {
		s.MustDo("SET", "k"+strconv.Itoa(i), strings.Repeat("v", 100))
	}
	s.Shutdown("NOSAVE")
	incr := lastIncr(t, dir)
	truncateFile(t, incr, 30)

	launch := func(name string, extra ...string) *redistest.Server {
		r, _ := redistest.Launch(t, redistest.Options{Binary: srv.bin(t), Dir: dir, Config: append(append([]string{}, conf...), extra...), StartTimeout: 10 * time.Second})
		if r == nil {
			t.Fatalf("%s: server did not launch", name)
		}
		return r
	}
	refuse := func(name string, extra ...string) *redistest.Server {
		r, err := redistest.Launch(t, redistest.Options{Binary: srv.bin(t), Dir: dir, Config: append(append([]string{}, conf...), extra...), ExpectExit: true, StartTimeout: 10 * time.Second})
		if err != nil || r == nil || !r.Exited() {
			t.Fatalf("%s: expected the server to exit: %v", name, err)
		}
		return r
	}

	r := refuse("aof-truncated-refused", "aof-load-truncated no")
	c.freeze("aof-truncated-refused", r, "truncated AOF refused", Steady, 0, "", "running=false", "failure=aof-unexpected-eof")

	// A copy keeps the truncated set for the next case.
	r = launch("aof-truncated-loaded", "aof-load-truncated yes")
	c.freeze("aof-truncated-loaded", r, "truncated AOF loaded anyway", Steady, 0, "", "running=true", "truncations=1")
	r.Shutdown("NOSAVE")

	f, err := os.OpenFile(lastIncr(t, dir), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("this is not RESP\r\n")
	f.Close()
	r = refuse("aof-bad-format")
	c.freeze("aof-bad-format", r, "bad AOF format refused", Steady, 0, "", "running=false", "failure=aof-bad-format")

	man := filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest")
	good, err := os.ReadFile(man)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(man, append(append([]byte{}, good...), []byte("file x seq\n")...), 0o644)
	r = refuse("aof-manifest-error")
	c.freeze("aof-manifest-error", r, "broken manifest refused", Steady, 0, "", "running=false", "failure=aof-manifest-error")

	// RDB cases: AOF off, dump.rdb from a SAVE.
	rdbDir := t.TempDir()
	s2 := start(t, srv, rdbDir)
	populate(t, s2, 500, 100)
	s2.MustDo("SAVE")
	s2.Shutdown("NOSAVE")
	dump := filepath.Join(rdbDir, "dump.rdb")
	orig, _ := os.ReadFile(dump)
	rdbRefuse := func(name string, content []byte, kind string) {
		os.WriteFile(dump, content, 0o644)
		r, err := redistest.Launch(t, redistest.Options{Binary: srv.bin(t), Dir: rdbDir, ExpectExit: true, StartTimeout: 10 * time.Second})
		if err != nil || r == nil || !r.Exited() {
			t.Fatalf("%s: expected the server to exit: %v", name, err)
		}
		c.freeze(name, r, name+" refused", Steady, 0, "", "running=false", "failure="+kind)
	}
	flipped := append([]byte{}, orig...)
	flipped[len(flipped)-3] ^= 0xff
	rdbRefuse("rdb-bad-checksum", flipped, "rdb-bad-checksum")
	rdbRefuse("rdb-short-read", orig[:len(orig)/2], "rdb-short-read")
	newer := append([]byte{}, orig...)
	copy(newer[5:9], "0099")
	rdbRefuse("rdb-bad-version", newer, "rdb-bad-version")
	c.save()
}

// genCrash: DEBUG SEGFAULT writes a bug report; the restart is a new
// lifetime.
func genCrash(t *testing.T, srv server) {
	c := newCapture(t, srv.name, "crash")
	dir := t.TempDir()
	s := start(t, srv, dir)
	s.MustDo("SET", "a", "1")
	s.Do("DEBUG", "SEGFAULT")
	if !s.Wait(20 * time.Second) {
		t.Fatal("server did not crash")
	}
	c.freeze("server", s, "crashed on SIGSEGV", Steady, 0, "", "running=false", "crashes=1")
	c.save()
}

// genShutdownRefused: SIGTERM while the AOF is being turned on (the first
// rewrite after CONFIG SET appendonly yes) is refused: "Writing initial
// AOF, can't exit."
func genShutdownRefused(t *testing.T, srv server) {
	c := newCapture(t, srv.name, "shutdown-refused")
	s := start(t, srv, "", "hz 1")
	populate(t, s, 2500, 1000)
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", "1000")
	s.MustDo("CONFIG", "SET", "appendonly", "yes")
	waitLog(t, s, "Background append only file rewriting started", 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	c.freeze("server", s, "first rewrite after CONFIG SET appendonly yes", AOFRewrite, 0, `^temp-rewriteaof-\d+\.aof$`)
	syscall.Kill(s.Pid(), syscall.SIGTERM)
	waitLog(t, s, "Writing initial AOF, can't exit.", 10*time.Second)
	c.freeze("server", s, "SIGTERM refused during the initial rewrite", AOFRewrite, 0, "", "failure=shutdown-refused")
	c.save()
}

// genSyncLoop: the master drops its replica for overrunning the replica
// output buffer limit while it saves, again and again: a full-sync loop.
func genSyncLoop(t *testing.T, srv server) {
	c := newCapture(t, srv.name, "sync-loop")
	m := start(t, srv, "", "repl-diskless-sync no", "client-output-buffer-limit replica 64kb 32kb 1")
	populate(t, m, 200, 1000)
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", "5000")
	r := start(t, srv, "", "replicaof 127.0.0.1 "+strconv.Itoa(m.Port))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		val := strings.Repeat("x", 16<<10)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			m.Do("SET", "w"+strconv.Itoa(i%100), val)
			time.Sleep(2 * time.Millisecond)
		}
	}()
	waitLogCount(t, r, "Full resync from master", 3, 90*time.Second)
	close(stop)
	<-done
	waitLog(t, r, "sync: Finished with success", 60*time.Second)
	c.freeze("replica", r, "synced after three or more full syncs in a row", Steady, 0, "", "loop=true", "failure=repl-sync-failed")
	c.save()
}

// genReplicaKilled: a replica is SIGKILLed during the transfer and
// restarted on the same volume; both lifetimes are in one log.
func genReplicaKilled(t *testing.T, srv server) {
	c := newCapture(t, srv.name, "replica-killed-mid-transfer")
	m := start(t, srv, "", "repl-diskless-sync yes", "repl-diskless-sync-delay 0")
	populate(t, m, 2500, 1000)
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", "1000")
	dir := t.TempDir()
	conf := []string{"appendonly yes", "repl-diskless-load disabled", "replicaof 127.0.0.1 " + strconv.Itoa(m.Port)}
	r := start(t, srv, dir, conf...)
	waitLog(t, r, "receiving streamed RDB", 20*time.Second)
	time.Sleep(500 * time.Millisecond)
	r.Kill()
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", "0")
	time.Sleep(1100 * time.Millisecond)
	// The restart appends to the same log file, as a pod's log on a
	// persistent volume or `kubectl logs` across a container restart reads.
	r2, err := redistest.Launch(t, redistest.Options{Binary: srv.bin(t), Dir: dir, Config: append(conf, "logfile "+r.LogPath)})
	if err != nil {
		t.Fatal(err)
	}
	c.logs["replica"] = r.LogPath
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(r.Log(), "Background AOF rewrite finished successfully") {
		if time.Now().After(deadline) {
			t.Fatalf("restarted replica never finished its rebuild; log:\n%s", r.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.freeze("replica", r2, "restarted after SIGKILL mid-transfer, synced again", Steady, 0, "", "lifetimes=2", "failure=server-vanished")
	c.save()
}

// genReplicaKillsRewrite: a replica detached from its master runs a slow
// BGREWRITEAOF; re-attached after the master's backlog moved on, it must
// full-sync, and kills the rewrite child before loading the payload.
func genReplicaKillsRewrite(t *testing.T, srv server) {
	c := newCapture(t, srv.name, "replica-kills-rewrite")
	m := start(t, srv, "", "repl-diskless-sync no", "repl-backlog-size 16kb")
	populate(t, m, 2500, 1000)
	r := start(t, srv, "", "appendonly yes", "auto-aof-rewrite-percentage 0", "replicaof 127.0.0.1 "+strconv.Itoa(m.Port))
	waitLog(t, r, "Background AOF rewrite finished successfully", 60*time.Second)
	r.MustDo("REPLICAOF", "NO", "ONE")
	r.MustDo("CONFIG", "SET", "rdb-key-save-delay", "2000")
	r.MustDo("CONFIG", "SET", "key-load-delay", "2000")
	r.MustDo("BGREWRITEAOF")
	waitLogCount(t, r, "Background append only file rewriting started", 2, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	c.freeze("replica", r, "detached replica rewriting its AOF", AOFRewrite, 0, `^temp-rewriteaof-\d+\.aof$`)
	for i := 0; i < 200; i++ {
		m.MustDo("SET", "moved:"+strconv.Itoa(i), strings.Repeat("m", 1000))
	}
	r.MustDo("REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port))
	waitLog(t, r, "Killing running AOF rewrite child", 30*time.Second)
	waitLogCount(t, r, "Loading DB in memory", 2, 30*time.Second)
	time.Sleep(300 * time.Millisecond)
	c.freeze("replica", r, "loading the new payload after killing the rewrite child", SyncLoading, 2, "!^temp-rewriteaof-", "failure=aof-rewrite-kill")
	c.save()
}

// genNewerMaster: a replica cannot load the payload of a newer master (RDB
// format version 12 from Redis 7.4) and full-syncs again and again.
func genNewerMaster(t *testing.T, srv, newer server) {
	c := newCapture(t, srv.name, "replica-of-newer-master")
	m := start(t, newer, "", "repl-diskless-sync no")
	populate(t, m, 500, 100)
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", "4000")
	r := start(t, srv, "", "replicaof 127.0.0.1 "+strconv.Itoa(m.Port))
	waitLogCount(t, r, "Failed trying to load the MASTER synchronization DB", 3, 90*time.Second)
	waitLogCount(t, r, "Full resync from master", 4, 30*time.Second)
	time.Sleep(200 * time.Millisecond)
	c.freeze("replica", r, "fourth full sync after three failed loads", SyncTransfer, 1, "", "failure=repl-load-failed", "loop=true")
	c.save()
}

// genTransferTimeout: the master (and its transfer child) freeze in the
// middle of a streamed full sync, as a node stalled on I/O or a paused
// container would; the replica times out, and syncs again once the master
// resumes.
func genTransferTimeout(t *testing.T, srv server) {
	c := newCapture(t, srv.name, "transfer-timeout")
	m := start(t, srv, "", "repl-diskless-sync yes", "repl-diskless-sync-delay 0")
	populate(t, m, 2500, 1000)
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", "1000")
	r := start(t, srv, "", "repl-timeout 2", "replicaof 127.0.0.1 "+strconv.Itoa(m.Port))
	waitLog(t, r, "receiving streamed RDB", 20*time.Second)
	time.Sleep(300 * time.Millisecond)
	if err := syscall.Kill(-m.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			syscall.Kill(-m.Pid(), syscall.SIGCONT)
		}
	}()
	waitLog(t, r, "Timeout receiving bulk data", 20*time.Second)
	time.Sleep(200 * time.Millisecond)
	c.freeze("replica", r, "transfer timed out; master frozen", Steady, 0, "", "failure=repl-sync-failed")
	syscall.Kill(-m.Pid(), syscall.SIGCONT)
	resumed = true
	m.MustDo("CONFIG", "SET", "rdb-key-save-delay", "0")
	waitLog(t, r, "sync: Finished with success", 60*time.Second)
	c.freeze("replica", r, "synced again after the timeout", Steady, 0, "", "fullsyncs=2")
	time.Sleep(1500 * time.Millisecond)
	c.freeze("master", m, "master after its replica timed out", Steady, 0, "", "failure=rdb-transfer-killed", "failure=serve-sync-failed")
	c.save()
}
