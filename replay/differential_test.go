package replay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/aofinspect"
	"github.com/aoftool/aoftool/internal/redistest"
	"github.com/aoftool/aoftool/manifest"
	"github.com/hdt3213/rdb/core"
	"github.com/hdt3213/rdb/model"
)

// The differential test: a real redis-server 7.0.15 with appendonly yes
// takes a seeded random mix of writes; the model replays the files it
// wrote and must give the per-database key counts a restart of a real
// server on a copy of the directory shows (SCAN per database once loaded).
//
//	REPLAY_SEEDS=200 REPLAY_COMMANDS=2000 go test ./replay -run Differential -v
//
// REPLAY_SEED=n runs one seed.
func TestDifferential(t *testing.T) {
	redistest.Binary(t)
	seeds, cmds := envInt("REPLAY_SEEDS", 12), envInt("REPLAY_COMMANDS", 800)
	first := 0
	if s := os.Getenv("REPLAY_SEED"); s != "" {
		first, _ = strconv.Atoi(s)
		seeds = 1
	}
	var total diffStats
	for seed := first; seed < first+seeds; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			st := runDifferential(t, int64(seed), cmds)
			total.add(st)
		})
	}
	t.Logf("%d seeds, %d commands sent, %d AOF commands replayed, %d exact, %d ranges holding the truth, %d torn, %d rewrites (%d RESP bases)",
		total.seeds, total.sent, total.replayed, total.exact, total.ranges, total.torn, total.rewrites, total.respBases)
}

type diffStats struct {
	seeds, sent, replayed, exact, ranges, torn, rewrites, respBases int
}

func (d *diffStats) add(o diffStats) {
	d.seeds += o.seeds
	d.sent += o.sent
	d.replayed += o.replayed
	d.exact += o.exact
	d.ranges += o.ranges
	d.torn += o.torn
	d.rewrites += o.rewrites
	d.respBases += o.respBases
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// variant picks, per seed, how the server runs and ends.
type variant struct {
	rewrite  bool // BGREWRITEAOF halfway: a base with keys
	respBase bool // aof-use-rdb-preamble no: the base is RESP
	torn     bool // cut the last incr at a random offset
	lazyDel  bool // lazyfree-lazy-user-del yes: DEL written as UNLINK
	kill     bool // SIGKILL instead of SHUTDOWN
}

func runDifferential(t *testing.T, seed int64, n int) diffStats {
	rng := rand.New(rand.NewSource(seed))
	v := variant{rewrite: seed%3 != 0, respBase: seed%5 == 4, torn: seed%4 == 3, lazyDel: seed%2 == 1, kill: seed%7 == 6}
	st := diffStats{seeds: 1}
	cfg := []string{"appendonly yes", "appendfsync everysec", "hz 50", "databases 16",
		"aof-use-rdb-preamble " + yesno(!v.respBase), "aof-timestamp-enabled " + yesno(seed%2 == 0),
		"lazyfree-lazy-user-del " + yesno(v.lazyDel), "lazyfree-lazy-expire " + yesno(seed%3 == 1)}
	srv := redistest.Start(t, redistest.Options{Config: cfg})
	g := newGen(t, rng, srv)
	g.prepare()
	half := n / 2
	sent := g.send(half)
	if v.rewrite {
		st.rewrites++
		if v.respBase {
			st.respBases++
		}
		srv.MustDo("BGREWRITEAOF")
		waitRewrite(t, srv)
	}
	sent += g.send(n - half)
	st.sent = sent
	// Let the short TTLs (at most 300 ms) pass, so no key expires between
	// the model's start time and the count.
	time.Sleep(400 * time.Millisecond)
	if v.kill {
		srv.Kill()
	} else {
		srv.Shutdown()
	}

	dir := t.TempDir()
	if out, err := exec.Command("cp", "-a", srv.Dir+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	files := aofFiles(t, dir)
	if v.torn {
		last := files[len(files)-1]
		fi, _ := os.Stat(last.path)
		if fi.Size() > 40 {
			cut := fi.Size() - 1 - rng.Int63n(min(fi.Size()-20, 4000))
			if err := os.Truncate(last.path, cut); err != nil {
				t.Fatal(err)
			}
			st.torn++
		}
	}

	at := time.Now().UnixMilli()
	res, m, replayed := modelDir(t, files, Options{At: at}, false)
	st.replayed = replayed
	// The same files with facts withheld: few keys tracked, a base without
	// members, few members kept. The counts must still hold the truth.
	withheld := []struct {
		name    string
		opt     Options
		members bool
	}{
		{"max-keys-40", Options{At: at, MaxKeys: 40}, false},
		{"no-base-members", Options{At: at, MaxMembers: 2}, true},
	}
	var ranges []*Result
	for _, w := range withheld {
		r, _, _ := modelDir(t, files, w.opt, w.members)
		ranges = append(ranges, r)
	}

	truthSrv := redistest.Start(t, redistest.Options{Dir: dir, Config: []string{"appendonly yes", "aof-load-truncated yes", "databases 16"}})
	truth := countKeys(t, truthSrv)
	truthSrv.Shutdown()

	got := map[int]Count{}
	for _, d := range res.DBs {
		got[d.DB] = d.Count
	}
	exact := true
	ok := true
	for db := 0; db < 16; db++ {
		c, want := got[db], int64(len(truth[db]))
		if c.Min > want || c.Max >= 0 && c.Max < want {
			ok = false
		}
		if !c.Exact() {
			exact = false
		}
	}
	for i, r := range ranges {
		rc := map[int]Count{}
		for _, d := range r.DBs {
			rc[d.DB] = d.Count
		}
		for db := 0; db < 16; db++ {
			c, want := rc[db], int64(len(truth[db]))
			if c.Min > want || c.Max >= 0 && c.Max < want {
				t.Errorf("seed %d (%+v), %s: db %d count %s does not hold the truth %d; reasons %+v", seed, v, withheld[i].name, db, c, want, r.Reasons)
			}
		}
	}
	legit := true
	for _, r := range res.Reasons {
		// What the model does not compute: GEO distances, a lex range
		// over a skiplist, the order of SORT results, payloads it does
		// not decode.
		if r.Keys > 0 && r.Code != "geometry" && r.Code != "lex-order" && r.Code != "sort-contents" && r.Code != "restore-payload" {
			legit = false
		}
	}
	if !ok || !exact && !legit {
		t.Errorf("seed %d (%+v): model %s, truth %s; reasons %+v; unknown commands %v",
			seed, v, counts(res), truthCounts(truth), res.Reasons, res.UnknownCommands)
		reportDivergence(t, m, truth, files)
	}
	t.Logf("model %s, truth %s, %d commands replayed", counts(res), truthCounts(truth), replayed)
	for _, r := range res.Reasons {
		t.Logf("  reason %s: %d events, %d keys, first %s at file %d offset %d", r.Code, r.Events, r.Keys, r.Command, r.File, r.Offset)
	}
	if exact {
		st.exact++
	} else {
		st.ranges++
	}
	return st
}

func yesno(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func waitRewrite(t *testing.T, s *redistest.Server) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s.Info("aof_rewrite_in_progress") == "0" && s.Info("aof_rewrite_scheduled") == "0" && s.Info("aof_last_bgrewrite_status") == "ok" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("rewrite did not finish")
}

type aofFile struct {
	path string
	base bool
}

// aofFiles lists the files the server loads, in order, from the manifest.
func aofFiles(t *testing.T, dir string) []aofFile {
	t.Helper()
	ad := filepath.Join(dir, "appendonlydir")
	f, err := os.Open(filepath.Join(ad, "appendonly.aof.manifest"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	man, fl := manifest.Parse(f, "appendonly.aof.manifest")
	if man == nil || man.Fatal != nil {
		t.Fatalf("manifest: %v", fl)
	}
	var out []aofFile
	if b := man.Base(); b != nil {
		out = append(out, aofFile{path: filepath.Join(ad, b.Name), base: true})
	}
	for _, e := range man.Incrs() {
		out = append(out, aofFile{path: filepath.Join(ad, e.Name)})
	}
	return out
}

// modelDir runs the model over a directory's files: the RDB base decoded
// into a MemBase, a RESP base and the incr files replayed.
func modelDir(t testing.TB, files []aofFile, opt Options, noMembers bool) (*Result, *Model, int) {
	t.Helper()
	m := New(opt)
	base := NewMemBase()
	var replay []int
	for i, f := range files {
		b, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if f.base && bytes.HasPrefix(b, []byte("REDIS")) {
			decodeRDB(t, b, base, noMembers)
			continue
		}
		replay = append(replay, i)
	}
	scan := func(i int, each func(c Command), tail func(c Command)) {
		b, err := os.ReadFile(files[i].path)
		if err != nil {
			t.Fatal(err)
		}
		s := aofinspect.NewScanner(bytes.NewReader(b), aofinspect.Options{Size: int64(len(b)), Args: aofinspect.DefaultArgLimits})
		for s.Next() {
			if c := s.Command(); c.Kind == aofinspect.KindCommand {
				each(FromAOF(i, c))
			}
		}
		if err := s.Err(); err != nil {
			var ce *aofinspect.CorruptionError
			if !errors.As(err, &ce) || !errors.Is(err, aofinspect.ErrTruncated) {
				t.Fatalf("%s: %v", files[i].path, err)
			}
			if tail != nil {
				tail(Command{File: i, Offset: ce.Offset})
			}
		}
	}
	for _, i := range replay {
		scan(i, m.Touch, nil)
		m.EndFile()
	}
	m.SetBase(base)
	n := 0
	for _, i := range replay {
		scan(i, func(c Command) { n++; m.Apply(c) }, func(c Command) { m.Drop(c, LostTornTail) })
		m.EndFile()
	}
	return m.Result(), m, n
}

// decodeRDB reads an RDB base into a MemBase, with every member unless
// noMembers.
func decodeRDB(t testing.TB, b []byte, base *MemBase, noMembers bool) {
	t.Helper()
	dec := core.NewDecoder(bytes.NewReader(b))
	err := dec.Parse(func(o model.RedisObject) bool {
		info := KeyInfo{Len: -1, ExpireAt: NoExpiry}
		if e := o.GetExpiration(); e != nil {
			info.ExpireAt = e.UnixMilli()
		}
		switch x := o.(type) {
		case *model.StringObject:
			info.Type, info.Len = TypeString, int64(len(x.Value))
		case *model.ListObject:
			info.Type = TypeList
			for _, v := range x.Values {
				info.Members = append(info.Members, string(v))
			}
		case *model.SetObject:
			info.Type = TypeSet
			for _, v := range x.Members {
				info.Members = append(info.Members, string(v))
			}
		case *model.HashObject:
			info.Type = TypeHash
			for k := range x.Hash {
				info.Members = append(info.Members, k)
			}
		case *model.ZSetObject:
			info.Type = TypeZSet
			for _, e := range x.Entries {
				info.Members = append(info.Members, e.Member)
				info.Scores = append(info.Scores, e.Score)
			}
		case *model.StreamObject:
			info.Type, info.Len = TypeStream, int64(len(x.Entries))
		default:
			info.Type = TypeUnknown
		}
		if info.Members != nil {
			info.Len = int64(len(info.Members))
		}
		if noMembers {
			info.Members, info.Scores = nil, nil
		}
		base.Add(o.GetDBIndex(), o.GetKey(), info)
		return true
	})
	if err != nil {
		t.Fatalf("decode base: %v", err)
	}
}

// countKeys lists the keys a client sees in each database: SCAN skips (and
// deletes) expired keys.
func countKeys(t *testing.T, s *redistest.Server) map[int]map[string]bool {
	t.Helper()
	out := map[int]map[string]bool{}
	for db := 0; db < 16; db++ {
		c := dial(t, s)
		c.do("SELECT", strconv.Itoa(db))
		keys := map[string]bool{}
		cursor := "0"
		for {
			r := c.do("SCAN", cursor, "COUNT", "1000")
			cursor = r.arr[0].str
			for _, k := range r.arr[1].arr {
				keys[k.str] = true
			}
			if cursor == "0" {
				break
			}
		}
		if n := c.do("DBSIZE").num; n != int64(len(keys)) {
			t.Errorf("db %d: DBSIZE %d after SCAN found %d keys", db, n, len(keys))
		}
		c.close()
		if len(keys) > 0 {
			out[db] = keys
		}
	}
	return out
}

func truthCounts(truth map[int]map[string]bool) string {
	var dbs []int
	for db := range truth {
		dbs = append(dbs, db)
	}
	sort.Ints(dbs)
	var parts []string
	for _, db := range dbs {
		parts = append(parts, fmt.Sprintf("%d:%d", db, len(truth[db])))
	}
	return strings.Join(parts, " ")
}

// reportDivergence names the keys the model and the server disagree on,
// with the last command of the files that named each.
func reportDivergence(t *testing.T, m *Model, truth map[int]map[string]bool, files []aofFile) {
	t.Helper()
	model := m.keyStates()
	var diffs []string
	for db := 0; db < 16; db++ {
		for k := range truth[db] {
			if s := model[db][k]; s == "absent" {
				diffs = append(diffs, fmt.Sprintf("db %d %q: server has it, model %q", db, k, s))
			}
		}
		for k, s := range model[db] {
			if s == "present" && !truth[db][k] {
				diffs = append(diffs, fmt.Sprintf("db %d %q: model has it, server not", db, k))
			}
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 20 {
		diffs = diffs[:20]
	}
	last := lastCommands(files)
	for _, d := range diffs {
		key := d[strings.Index(d, "\"") : strings.LastIndex(d, "\"")+1]
		k, _ := strconv.Unquote(key)
		t.Logf("%s; last commands naming it:\n    %s", d, strings.Join(last[k], "\n    "))
	}
}

// lastCommands keeps, per key name, the last few commands naming it.
func lastCommands(files []aofFile) map[string][]string {
	out := map[string][]string{}
	for i, f := range files {
		b, err := os.ReadFile(f.path)
		if err != nil || bytes.HasPrefix(b, []byte("REDIS")) && f.base {
			continue
		}
		s := aofinspect.NewScanner(bytes.NewReader(b), aofinspect.Options{Size: int64(len(b)), Args: aofinspect.DefaultArgLimits})
		db := 0
		var kp []int
		for s.Next() {
			c := s.Command()
			if c.Kind != aofinspect.KindCommand {
				continue
			}
			cmd := FromAOF(i, c)
			a := lookup(&cmd)
			if a.name == "SELECT" {
				db, _ = strconv.Atoi(string(a.b(1)))
			}
			var words []string
			for _, x := range c.Args {
				words = append(words, printable(x.Data, x.Len))
			}
			line := fmt.Sprintf("file %d @%d db %d: %s", i, c.Offset, db, strings.Join(words, " "))
			kp = a.keyPositions(kp)
			seen := map[string]bool{}
			for _, p := range kp {
				k := string(a.b(p))
				if seen[k] {
					continue
				}
				seen[k] = true
				out[k] = append(out[k], line)
				if len(out[k]) > 6 {
					out[k] = out[k][1:]
				}
			}
		}
	}
	return out
}

// keyStates is the model's view of every tracked key, by database.
func (m *Model) keyStates() map[int]map[string]string {
	out := map[int]map[string]string{}
	dbOf := map[uint32]int{}
	for db, id := range m.slots {
		dbOf[id] = db
	}
	m.keys.each(func(k []byte, idx int32) bool {
		id := uint32(k[0])<<24 | uint32(k[1])<<16 | uint32(k[2])<<8 | uint32(k[3])
		db, ok := dbOf[id]
		s := m.stateAt(idx)
		if !ok || s.flags&flagMaterialized == 0 {
			return true
		}
		lo, hi := m.counts(s)
		v := "absent"
		switch {
		case lo == 1:
			v = "present"
		case hi == 1:
			v = "maybe"
		}
		if out[db] == nil {
			out[db] = map[string]string{}
		}
		out[db][string(k[4:])] = v
		return true
	})
	return out
}

// A minimal client that tolerates error replies.

type client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

type reply struct {
	str string
	num int64
	arr []reply
	err string
}

func dial(t testing.TB, s *redistest.Server) *client {
	conn, err := net.DialTimeout("unix", s.Socket, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	return &client{t: t, conn: conn, r: bufio.NewReader(conn), w: bufio.NewWriterSize(conn, 1<<16)}
}

func (c *client) close() { c.conn.Close() }

func (c *client) write(args ...string) {
	fmt.Fprintf(c.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
	}
}

func (c *client) do(args ...string) reply {
	c.write(args...)
	if err := c.w.Flush(); err != nil {
		c.t.Fatal(err)
	}
	return c.read()
}

func (c *client) read() reply {
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatal(err)
	}
	line = strings.TrimRight(line, "\r\n")
	body := line[1:]
	switch line[0] {
	case '+':
		return reply{str: body}
	case '-':
		return reply{err: body}
	case ':':
		n, _ := strconv.ParseInt(body, 10, 64)
		return reply{num: n, str: body}
	case '$':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return reply{}
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, b); err != nil {
			c.t.Fatal(err)
		}
		return reply{str: string(b[:n])}
	case '*':
		n, _ := strconv.Atoi(body)
		var out reply
		for i := 0; i < n; i++ {
			out.arr = append(out.arr, c.read())
		}
		return out
	}
	c.t.Fatalf("bad reply %q", line)
	return reply{}
}
