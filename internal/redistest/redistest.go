// Package redistest starts real redis-server processes for tests: on a
// temporary data directory, listening on 127.0.0.1 at a free port (and a unix
// socket), stopped by the pid it started. Real Redis is the oracle for every
// format rule aoftool implements, so integration tests must run in CI: when
// the CI environment variable is set a missing redis-server fails the test
// instead of skipping it.
package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary returns the path of redis-server, or fails/skips the test when it
// is missing (fails under CI).
func Binary(t testing.TB) string {
	t.Helper()
	return lookTool(t, "redis-server")
}

// CheckAOFBinary and CheckRDBBinary return redis-check-aof / redis-check-rdb
// with the same missing-tool policy as Binary.
func CheckAOFBinary(t testing.TB) string { t.Helper(); return lookTool(t, "redis-check-aof") }
func CheckRDBBinary(t testing.TB) string { t.Helper(); return lookTool(t, "redis-check-rdb") }

// SharedServers are the builds ../shared/servers may hold beside Debian's
// 7.0.15, by directory name.
var SharedServers = []string{"redis-6.2.16", "redis-7.2.6", "redis-7.4.1", "valkey-7.2.7", "valkey-8.0.1"}

// SharedServer returns the path of the server binary of one build in
// ../shared/servers (name as in SharedServers), looked up from the module
// root, or skips the test: a user's checkout has no ../shared, so these
// builds only add versions beside the 7.0.15 every test can count on.
func SharedServer(t testing.TB, name string) string {
	t.Helper()
	if p, ok := sharedServerPath(name); ok {
		return p
	}
	t.Skipf("%s not found in ../shared/servers; skipped (Debian's 7.0.15 stays the oracle)", name)
	return ""
}

// FindShared is SharedServer for callers that go on without the build:
// the path and true when ../shared/servers holds it.
func FindShared(name string) (string, bool) { return sharedServerPath(name) }

// versionOf is the server's --version line ("Redis server v=7.0.15 ...").
// Tests that start hundreds of servers ask each binary once.
func versionOf(bin string) string {
	versionsMu.Lock()
	defer versionsMu.Unlock()
	if v, ok := versions[bin]; ok {
		return v
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return ""
	}
	versions[bin] = string(out)
	return string(out)
}

var (
	versionsMu sync.Mutex
	versions   = map[string]string{}
)

func sharedServerPath(name string) (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "..", "shared", "servers", name, "server")
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				return p, true
			}
			return "", false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func lookTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found on PATH; CI must install it (apt-get install redis-server)", name)
	}
	t.Skipf("%s not found on PATH (install Debian's redis-server package); skipped outside CI", name)
	return ""
}

// Options configure a server. Config lines are passed as redis.conf
// directives ("appendonly yes", "rdb-key-save-delay 1000").
type Options struct {
	// Dir is the data directory; a new temporary one when empty.
	Dir string
	// Config holds extra redis.conf directives, one per entry.
	Config []string
	// StartTimeout bounds the wait for readiness (default 20s).
	StartTimeout time.Duration
	// ExpectExit waits for the server to exit instead of becoming ready; used
	// by tests asserting that Redis refuses a directory.
	ExpectExit bool
	// Binary is the server to run; redis-server from PATH when empty. Use
	// SharedServer for the other Redis and Valkey builds.
	Binary string
	// NoWait returns as soon as the process runs; the caller decides what
	// readiness means (Ping with its own deadline), as a test telling a
	// hung start from a slow one must.
	NoWait bool
}

// Server is a running (or exited) redis-server.
type Server struct {
	t       testing.TB
	Dir     string
	Port    int
	Socket  string
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

// Start runs redis-server on o.Dir and waits until it answers PING, or until
// it exits. A server that exits while a test expected it to run fails the
// test with its log.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := Launch(t, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Launch is Start returning the error instead of failing; on a start
// failure the error contains the server's log.
func Launch(t testing.TB, o Options) (*Server, error) {
	t.Helper()
	bin := o.Binary
	if bin == "" {
		bin = Binary(t)
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 20 * time.Second
	}
	// Config and log live outside the data dir so the data dir holds only
	// what Redis itself writes there.
	side, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(side) })
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{t: t, Dir: o.Dir, Port: port, Socket: filepath.Join(side, "redis.sock"), LogPath: filepath.Join(side, "redis.log"), done: make(chan struct{})}
	conf := []string{
		"bind 127.0.0.1",
		"port " + strconv.Itoa(port),
		"unixsocket " + s.Socket,
		"dir " + o.Dir,
		"logfile " + s.LogPath,
		"daemonize no",
		"save \"\"",
		"appendonly no",
		"protected-mode yes",
	}
	// DEBUG is always on before 7.0, which does not know the directive.
	if !strings.Contains(versionOf(bin), "v=6.") {
		conf = append(conf, "enable-debug-command yes")
	}
	conf = append(conf, o.Config...)
	confPath := filepath.Join(side, "redis.conf")
	if err := os.WriteFile(confPath, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, confPath)
	s.cmd.Dir = side
	// Own process group, so SIGSTOP/SIGCONT reach fork children too.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	go func() { s.waitErr = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	if o.NoWait {
		return s, nil
	}

	deadline := time.Now().Add(o.StartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			if o.ExpectExit {
				return s, nil
			}
			return s, fmt.Errorf("redis-server exited during start (%v); log:\n%s", s.waitErr, s.Log())
		default:
		}
		if !o.ExpectExit {
			if _, err := s.Do("PING"); err == nil {
				return s, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if o.ExpectExit {
		return s, fmt.Errorf("redis-server still running after %v; log:\n%s", o.StartTimeout, s.Log())
	}
	return s, fmt.Errorf("redis-server not ready after %v; log:\n%s", o.StartTimeout, s.Log())
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// ExitCode is the exit status once the server has exited, or -1.
func (s *Server) ExitCode() int {
	if !s.Exited() || s.cmd.ProcessState == nil {
		return -1
	}
	return s.cmd.ProcessState.ExitCode()
}

// ExitSignal names the signal that ended the server ("segmentation
// fault", "aborted"), or "" while it runs or when it exited on its own.
func (s *Server) ExitSignal() string {
	if !s.Exited() || s.cmd.ProcessState == nil {
		return ""
	}
	if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal().String()
	}
	return ""
}

// Wait blocks until the server exits or the timeout passes.
func (s *Server) Wait(timeout time.Duration) bool {
	select {
	case <-s.done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Log returns the server's log file.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.LogPath)
	return string(b)
}

// WaitLog waits until the log contains substr.
func (s *Server) WaitLog(substr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(s.Log(), substr) {
			return nil
		}
		if s.Exited() {
			return fmt.Errorf("server exited before logging %q; log:\n%s", substr, s.Log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("log never contained %q within %v; log:\n%s", substr, timeout, s.Log())
}

// Stop ends the server by the pid this package started: SIGTERM, then
// SIGKILL to the whole process group after 10 s. Safe to call twice.
func (s *Server) Stop() {
	if s.Exited() {
		return
	}
	_ = syscall.Kill(-s.Pid(), syscall.SIGCONT)
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	if s.Wait(10 * time.Second) {
		return
	}
	s.Kill()
}

// Kill ends the server and its children with SIGKILL, as a crash would.
func (s *Server) Kill() {
	if s.Exited() {
		return
	}
	_ = syscall.Kill(-s.Pid(), syscall.SIGKILL)
	s.Wait(10 * time.Second)
}

// Shutdown asks the server to exit with SHUTDOWN (NOSAVE by default) and
// waits for it.
func (s *Server) Shutdown(args ...string) {
	if len(args) == 0 {
		args = []string{"NOSAVE"}
	}
	_, _ = s.Do(append([]string{"SHUTDOWN"}, args...)...)
	if !s.Wait(10 * time.Second) {
		s.Kill()
	}
}

// Children lists the pids whose parent is the server (fork children).
func (s *Server) Children() []int {
	return childrenOf(s.Pid())
}

func childrenOf(ppid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command name is in parentheses and may contain spaces.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 2 {
			if p, _ := strconv.Atoi(f[1]); p == ppid {
				out = append(out, pid)
			}
		}
	}
	return out
}

// FreezeCopy stops the server and its children (SIGSTOP on the process
// group), copies the data dir to dst keeping modes and mtimes, and resumes
// them: a consistent picture of one moment, as an operator copying a volume
// of a stopped pod would get.
func (s *Server) FreezeCopy(dst string) error { return s.FreezeCopyWithLog(dst, "") }

// FreezeCopyWithLog is FreezeCopy that also copies the server's log to
// logDst (when not empty) while the server is stopped, so the log ends
// where the files stand.
func (s *Server) FreezeCopyWithLog(dst, logDst string) error {
	if err := syscall.Kill(-s.Pid(), syscall.SIGSTOP); err != nil {
		return err
	}
	defer syscall.Kill(-s.Pid(), syscall.SIGCONT)
	return s.copyOut(dst, logDst)
}

// CopyOut copies the data dir (cp -a) and the log of a server that is no
// longer running, as an operator copies a dead pod's volume.
func (s *Server) CopyOut(dst, logDst string) error { return s.copyOut(dst, logDst) }

func (s *Server) copyOut(dst, logDst string) error {
	out, err := exec.Command("cp", "-a", s.Dir+"/.", dst).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cp -a: %v: %s", err, out)
	}
	if logDst != "" {
		if out, err := exec.Command("cp", "-a", s.LogPath, logDst).CombinedOutput(); err != nil {
			return fmt.Errorf("cp -a: %v: %s", err, out)
		}
	}
	return nil
}

// KillServerOnly ends the server process alone with SIGKILL, as the OOM
// killer picking the parent does: its fork children run on until they
// notice (a BGSAVE or rewrite child exits at its next progress report to
// the parent).
func (s *Server) KillServerOnly() {
	if s.Exited() {
		return
	}
	_ = syscall.Kill(s.Pid(), syscall.SIGKILL)
	s.Wait(10 * time.Second)
}

// Do sends one command over the unix socket and returns the reply. Errors
// from Redis come back as errors whose text is the server's.
func (s *Server) Do(args ...string) (Reply, error) {
	conn, err := net.DialTimeout("unix", s.Socket, 2*time.Second)
	if err != nil {
		return Reply{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := conn.Write(EncodeCommand(args...)); err != nil {
		return Reply{}, err
	}
	return readReply(bufio.NewReader(conn))
}

// Ping sends PING and waits at most timeout for the answer: a server
// blocked in its start (reading a FIFO) accepts the connection but never
// answers, which Do would wait a minute for.
func (s *Server) Ping(timeout time.Duration) error {
	c, err := s.Dial(timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Do("PING")
	return err
}

// Conn is one connection to the server, for commands whose meaning depends
// on the connection (SELECT then SCAN).
type Conn struct {
	conn    net.Conn
	r       *bufio.Reader
	timeout time.Duration
}

// Dial connects over the unix socket; every command on the connection must
// be answered within timeout.
func (s *Server) Dial(timeout time.Duration) (*Conn, error) {
	conn, err := net.DialTimeout("unix", s.Socket, timeout)
	if err != nil {
		return nil, err
	}
	return &Conn{conn: conn, r: bufio.NewReader(conn), timeout: timeout}, nil
}

// Do sends one command and reads its reply; an error reply is an error
// whose text is the server's.
func (c *Conn) Do(args ...string) (Reply, error) {
	_ = c.conn.SetDeadline(time.Now().Add(c.timeout))
	if _, err := c.conn.Write(EncodeCommand(args...)); err != nil {
		return Reply{}, err
	}
	return readReply(c.r)
}

// Close closes the connection.
func (c *Conn) Close() error { return c.conn.Close() }

// MustDo is Do that fails the test on any error.
func (s *Server) MustDo(args ...string) Reply {
	s.t.Helper()
	r, err := s.Do(args...)
	if err != nil {
		s.t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	return r
}

// Pipeline sends many commands on one connection and reads all replies,
// which is how fixture scripts load thousands of keys quickly.
func (s *Server) Pipeline(cmds [][]string) error {
	conn, err := net.DialTimeout("unix", s.Socket, 2*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Minute))
	w := bufio.NewWriterSize(conn, 1<<16)
	errc := make(chan error, 1)
	go func() {
		r := bufio.NewReader(conn)
		for range cmds {
			if _, err := readReply(r); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for _, c := range cmds {
		if _, err := w.Write(EncodeCommand(c...)); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return <-errc
}

// EncodeCommand renders a command as a RESP array of bulk strings, the form
// Redis also writes to the AOF.
func EncodeCommand(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// Reply is a decoded RESP reply.
type Reply struct {
	Str   string
	Int   int64
	Nil   bool
	Array []Reply
}

// Info returns one field of INFO (e.g. "aof_rewrite_in_progress").
func (s *Server) Info(field string) string {
	r, err := s.Do("INFO", "all")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(r.Str, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == field {
			return v
		}
	}
	return ""
}

// WaitInfo polls INFO until field has the wanted value.
func (s *Server) WaitInfo(field, want string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if s.Info(field) == want {
			return nil
		}
		if s.Exited() {
			return fmt.Errorf("server exited while waiting for %s=%s; log:\n%s", field, want, s.Log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%s never became %q (last %q) within %v", field, want, s.Info(field), timeout)
}

var errProtocol = errors.New("redistest: bad reply")

func readReply(r *bufio.Reader) (Reply, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return Reply{}, err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return Reply{}, errProtocol
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return Reply{Str: body}, nil
	case '-':
		return Reply{}, errors.New(body)
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		return Reply{Int: n, Str: body}, err
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil {
			return Reply{}, err
		}
		if n < 0 {
			return Reply{Nil: true}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return Reply{}, err
		}
		return Reply{Str: string(buf[:n])}, nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return Reply{}, err
		}
		if n < 0 {
			return Reply{Nil: true}, nil
		}
		out := Reply{Array: make([]Reply, 0, n)}
		for i := 0; i < n; i++ {
			e, err := readReply(r)
			if err != nil {
				return Reply{}, err
			}
			out.Array = append(out.Array, e)
		}
		return out, nil
	}
	return Reply{}, fmt.Errorf("%w: %q", errProtocol, line)
}
