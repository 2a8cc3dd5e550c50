// Package rehearse starts a redis-server on a scratch copy of a data
// directory, the way the next start would run, and reports what it did:
// whether it started, the keys it holds, what it changed on disk, the
// reason its log gives. It is check --rehearse: the prediction put side by
// side with the server's own answer, with the very binary that will start.
//
// The original directory is never touched: the copy is made first (a
// reflink where the file system supports it), into a scratch directory
// outside every inspected path, after a free-space check. The server
// listens on a unix socket only, no TCP port, writes no pid file and saves
// nothing; it is stopped with SHUTDOWN NOSAVE, or killed by the pid this
// package started.
package rehearse

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/aoftool/aoftool/internal/wopen"
)

// Options say what to start and on what.
type Options struct {
	// Binary is the redis-server to run; the one on PATH when empty.
	Binary string
	// Dir is the data directory to copy.
	Dir string
	// Directives are redis.conf lines for the start (appendonly, the file
	// names, aof-load-truncated, sanitize-dump-payload, databases,
	// loadmodule): only what decides how the data loads. A user's whole
	// config is never included: a replicaof line would make the rehearsal
	// full-sync from the production master.
	Directives []string
	// Timeout bounds the wait for the start (default 2 minutes): a server
	// that neither serves nor exits by then hangs.
	Timeout time.Duration
	// Scratch is where the copy goes; os.TempDir() when empty.
	Scratch string
	// Inspected are the paths the scratch directory must stay out of.
	Inspected []string
}

// Result is what the server did.
type Result struct {
	Binary  string `json:"binary"`
	Version string `json:"version"`
	// CopiedBy is "reflink" or "copy".
	CopiedBy string `json:"copied_by"`
	// Result is starts, refuses, crashes or hangs.
	Result   string `json:"result"`
	Started  bool   `json:"started"`
	ExitCode *int   `json:"exit_code,omitempty"`
	Signal   string `json:"signal,omitempty"`
	// Reason is the log's last warning lines for a start that did not
	// serve, its truncation and skipping lines for one that did.
	Reason string `json:"reason,omitempty"`
	// Keys per database, and their total, as a client sees them after the
	// start (expired keys deleted).
	Keys      map[int]int64 `json:"keys,omitempty"`
	TotalKeys int64         `json:"total_keys"`
	// Changes are the files the start changed in the copy.
	Changes []Change `json:"changes"`
	// Seconds is how long the start took to serve or stop.
	Seconds float64 `json:"seconds"`
}

// Change is one file the start changed.
type Change struct {
	Path string `json:"path"`
	// Action is created, deleted, truncated, grown or rewritten.
	Action   string `json:"action"`
	FromSize int64  `json:"from_size,omitempty"`
	ToSize   int64  `json:"to_size,omitempty"`
	// AppendedTo is set for a file cut and then appended to (the DELs of
	// keys that expired while loading): ToSize is then how many bytes of
	// the old content it still starts with, at least the cut (the appended
	// bytes may match a few more), and AppendedTo its size.
	AppendedTo int64 `json:"appended_to,omitempty"`
	// inPlace: the same file was written (not another renamed over it).
	inPlace bool
}

// ErrNoServer is returned when no redis-server can be found.
var ErrNoServer = errors.New("no redis-server on PATH; give one with --redis-server BIN")

// Run rehearses the start.
func Run(ctx context.Context, opt Options) (*Result, error) {
	bin := opt.Binary
	if bin == "" {
		p, err := exec.LookPath("redis-server")
		if err != nil {
			return nil, ErrNoServer
		}
		bin = p
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 2 * time.Minute
	}
	res := &Result{Binary: bin, Version: version(bin), Changes: []Change{}}
	scratch, err := makeScratch(opt)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	data := filepath.Join(scratch, "data")
	if res.CopiedBy, err = copyTree(opt.Dir, data, scratch); err != nil {
		return nil, err
	}
	before, err := listTree(data)
	if err != nil {
		return nil, err
	}
	sock, cleanup, err := socketPath(scratch)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	logPath := filepath.Join(scratch, "redis.log")
	conf := append([]string{
		"port 0",
		"unixsocket " + quote(sock),
		"unixsocketperm 700",
		"dir " + quote(data),
		"logfile " + quote(logPath),
		"daemonize no",
		"supervised no",
		`pidfile ""`,
		`save ""`,
		"protected-mode yes",
	}, opt.Directives...)
	confPath := filepath.Join(scratch, "redis.conf")
	if err := os.WriteFile(confPath, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, confPath)
	cmd.Dir = scratch
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	kill := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	served := false
	deadline := time.Now().Add(opt.Timeout)
wait:
	for {
		select {
		case err := <-exited:
			res.Result = "refuses"
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					res.Result, res.Signal = "crashes", ws.Signal().String()
				} else {
					code := ee.ExitCode()
					res.ExitCode = &code
				}
			} else {
				zero := 0
				res.ExitCode = &zero
			}
			break wait
		case <-ctx.Done():
			kill()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if reply, err := do(sock, "PING"); err == nil && reply == "PONG" {
			served = true
			break
		}
		if time.Now().After(deadline) {
			kill()
			res.Result = "hangs"
			break
		}
	}
	res.Seconds = time.Since(start).Seconds()
	if served {
		res.Started, res.Result = true, "starts"
		res.Keys, res.TotalKeys = keyspace(sock)
		_, _ = do(sock, "SHUTDOWN", "NOSAVE")
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			kill()
		}
	}
	logText := readTail(logPath, 64<<10)
	res.Reason = reason(logText, served)
	after, err := listTree(data)
	if err != nil {
		return nil, err
	}
	res.Changes = diffTrees(before, after)
	findCuts(res.Changes, opt.Dir, data)
	return res, nil
}

func quote(s string) string { return strconv.Quote(s) }

// version is the server's release as `redis-server --version` says it.
func version(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return ""
	}
	f := strings.Fields(string(out))
	if len(f) >= 3 {
		return strings.ToLower(f[0]) + "-" + strings.TrimPrefix(f[2], "v=")
	}
	return strings.TrimSpace(string(out))
}

// makeScratch makes the scratch directory, outside the inspected paths.
func makeScratch(opt Options) (string, error) {
	parent := opt.Scratch
	if parent == "" {
		parent = os.TempDir()
	}
	probe := filepath.Join(parent, "aoftool-rehearsal")
	if _, err := wopen.Plan("--rehearse (scratch copy)", probe, wopen.NewDir, opt.Inspected...); err != nil && errors.Is(err, wopen.ErrInside) {
		return "", fmt.Errorf("%w; set TMPDIR to a directory outside it", err)
	}
	return os.MkdirTemp(parent, "aoftool-rehearsal-")
}

// copyTree copies src into dst with modes and times kept: a reflink when
// the file system can, else a full copy after a free-space check.
func copyTree(src, dst, scratch string) (string, error) {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", err
	}
	if out, err := exec.Command("cp", "-a", "--reflink=always", src+"/.", dst).CombinedOutput(); err == nil {
		return "reflink", nil
	} else if len(out) > 0 {
		// A reflink is not possible here; clean what it may have started.
		_ = os.RemoveAll(dst)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return "", err
		}
	}
	need, err := treeBytes(src)
	if err != nil {
		return "", err
	}
	var st unix.Statfs_t
	if err := unix.Statfs(scratch, &st); err == nil {
		free := int64(st.Bavail) * int64(st.Bsize)
		if free < need+need/10+(64<<20) {
			return "", fmt.Errorf("--rehearse needs a copy of %d bytes, and %s has %d free; set TMPDIR to a larger file system", need, filepath.Dir(scratch), free)
		}
	}
	if out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput(); err != nil {
		return "", fmt.Errorf("copy %s: %v: %s", src, err, out)
	}
	return "copy", nil
}

func treeBytes(root string) (int64, error) {
	var n int64
	err := filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n, err
}

// entry is what a file looks like, to tell what a start did to it.
type entry struct {
	size  int64
	mtime time.Time
	inode uint64
	kind  fs.FileMode
}

func listTree(root string) (map[string]entry, error) {
	out := map[string]entry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		e := entry{size: fi.Size(), mtime: fi.ModTime(), kind: fi.Mode().Type()}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			e.inode = st.Ino
		}
		if fi.IsDir() {
			e.size = 0
		}
		out[filepath.ToSlash(rel)] = e
		return nil
	})
	return out, err
}

func diffTrees(before, after map[string]entry) []Change {
	var out []Change
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			out = append(out, Change{Path: p, Action: "deleted", FromSize: b.size})
		case a.kind != b.kind || a.inode != b.inode:
			out = append(out, Change{Path: p, Action: "rewritten", FromSize: b.size, ToSize: a.size})
		case a.size < b.size:
			out = append(out, Change{Path: p, Action: "truncated", FromSize: b.size, ToSize: a.size, inPlace: a.kind.IsRegular()})
		case a.size > b.size:
			out = append(out, Change{Path: p, Action: "grown", FromSize: b.size, ToSize: a.size, inPlace: a.kind.IsRegular()})
		case !a.mtime.Equal(b.mtime) && a.kind.IsRegular():
			out = append(out, Change{Path: p, Action: "rewritten", FromSize: b.size, ToSize: a.size, inPlace: true})
		}
	}
	for p, a := range after {
		if _, ok := before[p]; !ok {
			out = append(out, Change{Path: p, Action: "created", ToSize: a.size})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// keyspace reads the keys per database; expired keys a load kept are
// deleted first by walking each database that holds expiring keys.
func keyspace(sock string) (map[int]int64, int64) {
	info, err := do(sock, "INFO", "keyspace")
	if err != nil {
		return nil, 0
	}
	keys, expires := parseKeyspace(info)
	for db, e := range expires {
		if e == 0 || keys[db] > 10_000_000 {
			continue
		}
		cursor := "0"
		for {
			reply, err := doArray(sock, db, "SCAN", cursor, "COUNT", "1000")
			if err != nil || reply == "0" {
				break
			}
			cursor = reply
		}
	}
	if info, err = do(sock, "INFO", "keyspace"); err == nil {
		keys, _ = parseKeyspace(info)
	}
	var total int64
	for _, n := range keys {
		total += n
	}
	return keys, total
}

func parseKeyspace(info string) (keys, expires map[int]int64) {
	keys, expires = map[int]int64{}, map[int]int64{}
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		name, rest, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(name, "db") {
			continue
		}
		db, err := strconv.Atoi(name[2:])
		if err != nil {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "keys":
				keys[db] = n
			case "expires":
				expires[db] = n
			}
		}
	}
	return keys, expires
}

// reason picks the log lines that say why: the warnings of a start that
// did not serve, the truncation and skipping notes of one that did.
func reason(log string, served bool) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		_, msg, ok := strings.Cut(l, " # ")
		if !ok {
			continue
		}
		if served && !strings.Contains(msg, "Truncat") && !strings.Contains(msg, "skipping") && !strings.Contains(msg, "loaded anyway") {
			continue
		}
		out = append(out, strings.TrimSpace(msg))
	}
	if len(out) > 4 {
		out = out[len(out)-4:]
	}
	return strings.Join(out, " / ")
}

func readTail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		_, _ = f.Seek(fi.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(io.LimitReader(f, n))
	return string(b)
}

// do sends one command over the unix socket and returns a simple reply's
// text (a bulk string's content, an integer's digits).
func do(sock string, args ...string) (string, error) {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(encode(args)); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(c))
}

// doArray runs a command on one database and returns the first element of
// an array reply (SCAN's cursor).
func doArray(sock string, db int, args ...string) (string, error) {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(append(encode([]string{"SELECT", strconv.Itoa(db)}), encode(args)...)); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	if _, err := readReply(r); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "*") {
		return "", fmt.Errorf("unexpected reply %q", line)
	}
	cursor, err := readReply(r)
	if err != nil {
		return "", err
	}
	// The keys of the page are read and dropped.
	n, _ := readLen(r, '*')
	for range n {
		if _, err := readReply(r); err != nil {
			return "", err
		}
	}
	return cursor, nil
}

func encode(args []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return []byte(b.String())
}

func readLen(r *bufio.Reader, kind byte) (int, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 3 || line[0] != kind {
		return 0, fmt.Errorf("unexpected reply %q", line)
	}
	return strconv.Atoi(strings.TrimSpace(line[1:]))
}

func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", err
		}
		if n > 64<<20 {
			return "", fmt.Errorf("reply of %d bytes", n)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

// maxSocketPath is below sun_path's 108 bytes, the bound the server and the
// dialer both enforce.
const maxSocketPath = 100

// socketPath places the server's socket in the scratch directory, or in a
// private directory under /tmp when the scratch path is too long for a
// unix socket (a deep TMPDIR).
func socketPath(scratch string) (string, func(), error) {
	sock := filepath.Join(scratch, "redis.sock")
	if len(sock) <= maxSocketPath {
		return sock, func() {}, nil
	}
	dir, err := os.MkdirTemp("/tmp", "aoftool-sock-")
	if err != nil {
		return "", nil, fmt.Errorf("the scratch path %s is too long for a unix socket and /tmp is not usable: %w", scratch, err)
	}
	return filepath.Join(dir, "redis.sock"), func() { os.RemoveAll(dir) }, nil
}

// findCuts tells a file cut and then appended to from one only appended to
// or cut: how much of the original it still starts with. Only files
// written in place are compared: a new file renamed over an old one shares
// nothing with it but a header.
func findCuts(changes []Change, orig, copyDir string) {
	for i := range changes {
		c := &changes[i]
		if !c.inPlace {
			continue
		}
		kept, err := commonPrefix(filepath.Join(orig, filepath.FromSlash(c.Path)), filepath.Join(copyDir, filepath.FromSlash(c.Path)))
		if err != nil || kept >= c.FromSize || kept >= c.ToSize {
			// Only appended to, or only cut.
			continue
		}
		c.Action, c.AppendedTo, c.ToSize = "truncated", c.ToSize, kept
	}
}

// commonPrefix is how many bytes two files start with in common.
func commonPrefix(a, b string) (int64, error) {
	fa, err := os.Open(a)
	if err != nil {
		return 0, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return 0, err
	}
	defer fb.Close()
	ba, bb := make([]byte, 1<<16), make([]byte, 1<<16)
	var n int64
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		m := min(na, nb)
		for i := 0; i < m; i++ {
			if ba[i] != bb[i] {
				return n + int64(i), nil
			}
		}
		n += int64(m)
		if na != nb || ea != nil || eb != nil {
			return n, nil
		}
	}
}
