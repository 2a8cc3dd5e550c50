package damage

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/redistest"
)

// SetDir is a data directory a real server wrote, with its file names.
type SetDir struct {
	Dir string
	// Names as configured; empty for Redis's defaults.
	DBFilename, AppendDirName, AppendFilename string
	// Base, Incrs and Manifest are paths relative to Dir, in manifest
	// order.
	Base     string
	Incrs    []string
	Manifest string
}

// LastIncr is the last incr file of the set.
func (s SetDir) LastIncr() string { return s.Incrs[len(s.Incrs)-1] }

// Sources are the directories real servers wrote, from which every case
// is derived. Directories of optional builds are empty when the build is
// missing.
type Sources struct {
	// Set7 is Redis 7.0.15 with every type, TTLs (some already expired in
	// the files), transactions and three databases: dump.rdb and an AOF of
	// an RDB-preamble base and two incr files (a rewrite child was killed,
	// so the first incr stays listed).
	Set7 SetDir
	// TS7 has aof-timestamp-enabled yes and aof-use-rdb-preamble no: a
	// RESP base and an incr file with #TS annotations.
	TS7 SetDir
	// Empty7 is the set of an empty server: an empty base and a 0-byte
	// incr.
	Empty7 SetDir
	// Custom7 uses dbfilename, appenddirname and appendfilename of its own.
	Custom7 SetDir
	// Quoted7 has an appendfilename with a blank, which the manifest
	// quotes.
	Quoted7 SetDir
	// Legacy62 is Redis 6.2.16's single appendonly.aof (RDB preamble and a
	// RESP tail) beside its dump.rdb (RDB 9, ziplist encodings).
	Legacy62 string
	// Dumps are dump.rdb files of other servers, by build name
	// ("redis-7.2.6").
	Dumps map[string][]byte
}

// BuildSources starts the servers and writes the source directories under
// root. Builds missing from ../shared/servers are left out.
func BuildSources(t *testing.T, root string) *Sources {
	t.Helper()
	src := &Sources{Dumps: map[string][]byte{}}
	src.Set7 = buildSet7(t, filepath.Join(root, "set7"))
	src.TS7 = buildTS7(t, filepath.Join(root, "ts7"))
	src.Empty7 = buildPlain(t, filepath.Join(root, "empty7"), nil, nil)
	src.Custom7 = buildPlain(t, filepath.Join(root, "custom7"), []string{"dbfilename db-6379.rdb", "appenddirname aof-6379", "appendfilename redis-6379.aof"},
		[][]string{{"SET", "a", "1"}, {"RPUSH", "l", "x", "y"}, {"SELECT", "2"}, {"SET", "b", "2"}})
	src.Custom7.DBFilename, src.Custom7.AppendDirName, src.Custom7.AppendFilename = "db-6379.rdb", "aof-6379", "redis-6379.aof"
	src.Quoted7 = buildPlain(t, filepath.Join(root, "quoted7"), []string{`appendfilename "my append.aof"`},
		[][]string{{"SET", "a", "1"}, {"HSET", "h", "f", "v"}})
	src.Quoted7.AppendFilename = "my append.aof"
	if bin, ok := redistest.FindShared("redis-6.2.16"); ok {
		src.Legacy62 = buildLegacy62(t, bin, filepath.Join(root, "legacy62"))
	} else {
		t.Logf("redis-6.2.16 not in ../shared/servers: the legacy 6.2 cases are left out")
	}
	for _, name := range []string{"redis-7.2.6", "redis-7.4.1", "valkey-8.0.1"} {
		if bin, ok := redistest.FindShared(name); ok {
			src.Dumps[name] = buildDump(t, bin, filepath.Join(root, "dump-"+name))
		} else {
			t.Logf("%s not in ../shared/servers: its dump case is left out", name)
		}
	}
	return src
}

func mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// richData writes every type in several encodings, TTLs and three
// databases; the sizes keep every file to a few tens of KB.
func richData(prefix string) [][]string {
	var c [][]string
	for i := 0; i < 20; i++ {
		k := strconv.Itoa(i)
		c = append(c, []string{"SET", prefix + "str:" + k, "value-" + k}, []string{"SET", prefix + "int:" + k, k})
	}
	long := strings.Repeat("abc", 400) // LZF-compressed in an RDB
	c = append(c, []string{"SET", prefix + "lzf", long})
	c = append(c, []string{"RPUSH", prefix + "list:small", "a", "b", "c", "1", "2"})
	for i := 0; i < 150; i++ {
		k := strconv.Itoa(i)
		c = append(c,
			[]string{"RPUSH", prefix + "list:big", "element-" + k + strings.Repeat("x", 60)},
			[]string{"ZADD", prefix + "zset:big", k, "member-" + k},
			[]string{"SADD", prefix + "set:big", "member-" + k})
	}
	for i := 0; i < 600; i++ {
		c = append(c, []string{"HSET", prefix + "hash:big", "f" + strconv.Itoa(i), "v"})
	}
	c = append(c,
		[]string{"SADD", prefix + "set:int", "1", "2", "3", "100000"},
		[]string{"SADD", prefix + "set:str", "a", "b", "c"},
		[]string{"ZADD", prefix + "zset:small", "1", "a", "2.5", "b"},
		[]string{"HSET", prefix + "hash:small", "f1", "v1", "f2", "2"},
	)
	for i := 0; i < 10; i++ {
		c = append(c, []string{"XADD", prefix + "stream", "*", "n", strconv.Itoa(i)})
	}
	c = append(c, []string{"XGROUP", "CREATE", prefix + "stream", "g1", "0"},
		[]string{"XREADGROUP", "GROUP", "g1", "c1", "COUNT", "3", "STREAMS", prefix + "stream", ">"})
	for i := 0; i < 5; i++ {
		c = append(c, []string{"SET", prefix + "ttl:" + strconv.Itoa(i), "v", "EX", "10000000"})
	}
	c = append(c, []string{"SELECT", "1"}, []string{"SET", prefix + "db1:a", "1"}, []string{"HSET", prefix + "db1:h", "f", "v"},
		[]string{"SELECT", "3"}, []string{"SET", prefix + "db3:a", "1"}, []string{"SELECT", "0"})
	return c
}

// incrWrites are writes after a rewrite: plain commands, transactions,
// deletes, expiries and other databases.
func incrWrites(tag string) [][]string {
	var c [][]string
	for i := 0; i < 10; i++ {
		k := strconv.Itoa(i)
		c = append(c, []string{"SET", tag + ":" + k, k})
		if i%3 == 0 {
			c = append(c, []string{"MULTI"}, []string{"INCR", tag + ":counter"}, []string{"LPUSH", tag + ":txlist", k}, []string{"EXEC"})
		}
	}
	c = append(c,
		[]string{"HSET", tag + ":hash", "a", "1", "b", "2"},
		[]string{"ZADD", tag + ":zset", "1", "x"},
		[]string{"SADD", tag + ":set", "m"},
		[]string{"XADD", tag + ":stream", "*", "f", "v"},
		[]string{"SET", tag + ":ttl", "v", "EX", "10000000"},
		[]string{"DEL", tag + ":1"},
		[]string{"SELECT", "1"}, []string{"SET", tag + ":db1", "v"},
		[]string{"SELECT", "5"}, []string{"INCRBY", tag + ":db5", "7"},
		[]string{"SELECT", "0"},
	)
	return c
}

func pipeline(t testing.TB, s *redistest.Server, cmds [][]string) {
	t.Helper()
	if err := s.Pipeline(cmds); err != nil {
		t.Fatalf("pipeline: %v", err)
	}
}

func waitRewrite(t testing.TB, s *redistest.Server) {
	t.Helper()
	if err := s.WaitInfo("aof_rewrite_in_progress", "0", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitInfo("aof_rewrite_scheduled", "0", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	waitNoTemp(t, s.Dir)
}

// waitNoTemp waits until no rewrite temp file is left in dir (the parent
// removes them a moment after the child ends).
func waitNoTemp(t testing.TB, dir string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ents, _ := os.ReadDir(dir)
		busy := false
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "temp-rewriteaof") {
				busy = true
			}
		}
		if !busy {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("rewrite temp files still in %s", dir)
}

var rewriteTemp = regexp.MustCompile(`^temp-rewriteaof-(\d+)\.aof$`)

// killRewrite starts a rewrite slowed per key and kills its child: the incr
// opened for it stays in the manifest.
func killRewrite(t testing.TB, s *redistest.Server) {
	t.Helper()
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", "100000")
	s.MustDo("BGREWRITEAOF")
	deadline := time.Now().Add(10 * time.Second)
	pid := 0
	for pid == 0 && time.Now().Before(deadline) {
		ents, _ := os.ReadDir(s.Dir)
		for _, e := range ents {
			if m := rewriteTemp.FindStringSubmatch(e.Name()); m != nil {
				pid, _ = strconv.Atoi(m[1])
			}
		}
		time.Sleep(time.Millisecond)
	}
	if pid == 0 {
		t.Fatal("no rewrite child appeared")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitLog("terminated by signal", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	s.MustDo("CONFIG", "SET", "rdb-key-save-delay", "0")
	waitNoTemp(t, s.Dir)
}

// readSet fills the file names of the set from its manifest.
func readSet(t testing.TB, sd SetDir) SetDir {
	t.Helper()
	sd, err := ReadSet(sd)
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

// ReadSet fills Base, Incrs and Manifest of a set from its manifest, as a
// server wrote it (names as in sd, Redis's defaults when empty).
func ReadSet(sd SetDir) (SetDir, error) {
	adir := sd.AppendDirName
	if adir == "" {
		adir = "appendonlydir"
	}
	af := sd.AppendFilename
	if af == "" {
		af = "appendonly.aof"
	}
	sd.Manifest = filepath.Join(adir, af+".manifest")
	sd.Base, sd.Incrs = "", nil
	f, err := os.Open(filepath.Join(sd.Dir, sd.Manifest))
	if err != nil {
		return sd, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, typ, err := manifestLine(sc.Text())
		if err != nil {
			return sd, fmt.Errorf("%s: %v", sd.Manifest, err)
		}
		switch typ {
		case "b":
			sd.Base = filepath.Join(adir, name)
		case "i":
			sd.Incrs = append(sd.Incrs, filepath.Join(adir, name))
		}
	}
	if sd.Base == "" && len(sd.Incrs) == 0 {
		return sd, fmt.Errorf("%s: no base and no incr in %s", sd.Dir, sd.Manifest)
	}
	return sd, sc.Err()
}

// manifestLine reads a line as the server writes it: file NAME seq N type
// T, the name possibly double-quoted with escapes.
func manifestLine(line string) (name, typ string, err error) {
	rest, ok := strings.CutPrefix(line, "file ")
	if !ok {
		return "", "", fmt.Errorf("unexpected line %q", line)
	}
	if strings.HasPrefix(rest, `"`) {
		end := strings.Index(rest[1:], `" seq `)
		if end < 0 {
			return "", "", fmt.Errorf("unexpected line %q", line)
		}
		name, err = strconv.Unquote(rest[:end+2])
		if err != nil {
			return "", "", err
		}
		rest = rest[end+2:]
	} else {
		name, rest, _ = strings.Cut(rest, " ")
		rest = " " + rest
	}
	f := strings.Fields(rest)
	if len(f) < 4 {
		return "", "", fmt.Errorf("unexpected line %q", line)
	}
	return name, f[3], nil
}

func buildSet7(t *testing.T, dir string) SetDir {
	t.Helper()
	mkdir(t, dir)
	s := redistest.Start(t, redistest.Options{Dir: dir, Config: []string{"appendonly yes", "auto-aof-rewrite-percentage 0"}})
	pipeline(t, s, richData(""))
	// Keys whose TTL passes before the files are loaded: active expiry is
	// off, so they stay in memory and are written to every file.
	s.MustDo("DEBUG", "SET-ACTIVE-EXPIRE", "0")
	s.MustDo("SET", "gone:base", "v", "PX", "50")
	time.Sleep(100 * time.Millisecond)
	s.MustDo("BGREWRITEAOF")
	waitRewrite(t, s)
	pipeline(t, s, incrWrites("incr2"))
	s.MustDo("SET", "gone:incr", "v", "PX", "50")
	killRewrite(t, s)
	pipeline(t, s, incrWrites("incr3"))
	s.MustDo("SAVE")
	s.Shutdown("NOSAVE")
	sd := readSet(t, SetDir{Dir: dir})
	if len(sd.Incrs) != 2 {
		t.Fatalf("set7: want two incr files, manifest lists %v", sd.Incrs)
	}
	return sd
}

func buildTS7(t *testing.T, dir string) SetDir {
	t.Helper()
	mkdir(t, dir)
	s := redistest.Start(t, redistest.Options{Dir: dir, Config: []string{"appendonly yes", "auto-aof-rewrite-percentage 0",
		"aof-timestamp-enabled yes", "aof-use-rdb-preamble no"}})
	pipeline(t, s, [][]string{{"SET", "a", "1"}, {"RPUSH", "l", "1", "2"}, {"SET", "t", "v", "EX", "10000000"}})
	s.MustDo("BGREWRITEAOF")
	waitRewrite(t, s)
	// An annotation is written when the second changes between writes.
	for i := 0; i < 3; i++ {
		time.Sleep(1100 * time.Millisecond)
		pipeline(t, s, [][]string{{"SET", "ts:" + strconv.Itoa(i), "v"}, {"MULTI"}, {"INCR", "n"}, {"EXEC"}})
	}
	s.Shutdown("NOSAVE")
	return readSet(t, SetDir{Dir: dir})
}

// buildPlain writes cmds into a server with AOF on and the given names,
// rewrites once and saves.
func buildPlain(t *testing.T, dir string, conf []string, cmds [][]string) SetDir {
	t.Helper()
	mkdir(t, dir)
	s := redistest.Start(t, redistest.Options{Dir: dir, Config: append([]string{"appendonly yes", "auto-aof-rewrite-percentage 0"}, conf...)})
	if len(cmds) > 0 {
		pipeline(t, s, cmds)
		s.MustDo("BGREWRITEAOF")
		waitRewrite(t, s)
		pipeline(t, s, [][]string{{"SET", "after-rewrite", "1"}, {"MULTI"}, {"INCR", "c"}, {"EXEC"}})
		s.MustDo("SAVE")
	}
	s.Shutdown("NOSAVE")
	sd := SetDir{Dir: dir}
	for _, c := range conf {
		k, v, _ := strings.Cut(c, " ")
		v = strings.Trim(v, `"`)
		switch k {
		case "dbfilename":
			sd.DBFilename = v
		case "appenddirname":
			sd.AppendDirName = v
		case "appendfilename":
			sd.AppendFilename = v
		}
	}
	return readSet(t, sd)
}

// buildLegacy62 writes a 6.2 appendonly.aof: an RDB preamble from a
// rewrite, then a RESP tail with transactions.
func buildLegacy62(t *testing.T, bin, dir string) string {
	t.Helper()
	mkdir(t, dir)
	s := redistest.Start(t, redistest.Options{Dir: dir, Binary: bin, Config: []string{"appendonly yes", "aof-use-rdb-preamble yes", "auto-aof-rewrite-percentage 0"}})
	pipeline(t, s, [][]string{{"SET", "a", "1"}, {"HSET", "h", "f1", "v1", "f2", "v2"}, {"ZADD", "z", "1", "a", "2", "b"},
		{"RPUSH", "l", "x", "y", "z"}, {"SADD", "s", "1", "2"}, {"SET", "t", "v", "EX", "10000000"}, {"SELECT", "2"}, {"SET", "db2", "v"}})
	s.MustDo("BGREWRITEAOF")
	waitRewrite(t, s)
	pipeline(t, s, [][]string{{"SET", "tail", "1"}, {"MULTI"}, {"INCR", "n"}, {"RPUSH", "l", "w"}, {"EXEC"}, {"HSET", "h", "f3", "v3"}})
	s.MustDo("SAVE")
	s.Shutdown("NOSAVE")
	return dir
}

// buildDump saves a small dataset with another server and returns its
// dump.rdb.
func buildDump(t *testing.T, bin, dir string) []byte {
	t.Helper()
	mkdir(t, dir)
	s := redistest.Start(t, redistest.Options{Dir: dir, Binary: bin})
	pipeline(t, s, [][]string{{"SET", "a", "1"}, {"HSET", "h", "f", "v"}, {"SADD", "s", "x", "y"}, {"ZADD", "z", "1", "m"}, {"RPUSH", "l", "1"}})
	s.MustDo("SAVE")
	s.Shutdown("NOSAVE")
	b, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
