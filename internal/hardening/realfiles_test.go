package hardening

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/redistest"
)

// realDir is a data directory written by a real redis-server: dump.rdb with
// every common encoding and TTLs, and an appendonlydir whose base is an RDB
// preamble and whose incr holds plain commands and transactions.
type realDir struct {
	dir      string
	dump     string
	base     string
	incr     string
	manifest string
}

var (
	realOnce sync.Once
	real     realDir
	realErr  error
)

func realFiles(t testing.TB) realDir {
	t.Helper()
	redistest.Binary(t)
	realOnce.Do(func() { real, realErr = makeRealFiles(t) })
	if realErr != nil {
		t.Fatal(realErr)
	}
	return real
}

// makeRealFiles runs the server in a directory outside any test's TempDir,
// because the files are shared by every test of the package.
func makeRealFiles(t testing.TB) (realDir, error) {
	dir, err := os.MkdirTemp("", "aoftool-hardening-data-")
	if err != nil {
		return realDir{}, err
	}
	s, err := redistest.Launch(t, redistest.Options{Dir: dir, Config: []string{"appendonly yes", "auto-aof-rewrite-percentage 0"}})
	if err != nil {
		return realDir{}, err
	}
	var cmds [][]string
	for i := 0; i < 300; i++ {
		k := strconv.Itoa(i)
		cmds = append(cmds,
			[]string{"SET", "str:" + k, "value-" + k},
			[]string{"SET", "int:" + k, k},
			[]string{"RPUSH", "list:" + strconv.Itoa(i%10), "item-" + k},
			[]string{"SADD", "intset:" + strconv.Itoa(i%5), k},
			[]string{"SADD", "set:" + strconv.Itoa(i%5), "m-" + k},
			[]string{"ZADD", "zset:" + strconv.Itoa(i%7), k, "z-" + k},
			[]string{"HSET", "hash:" + strconv.Itoa(i%9), "f-" + k, "v-" + k},
			[]string{"XADD", "stream:1", "*", "n", k},
		)
		if i%20 == 0 {
			cmds = append(cmds, []string{"SET", "ttl:" + k, "v", "EX", "100000"})
		}
	}
	// A long compressible value is stored LZF-compressed in the RDB.
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'a' + byte(i%3)
	}
	cmds = append(cmds, []string{"SET", "lzf", string(long)}, []string{"SELECT", "3"}, []string{"SET", "db3", "x"}, []string{"SELECT", "0"})
	// 200 elements make a quicklist, a hashtable set and a skiplist zset.
	for i := 0; i < 200; i++ {
		k := strconv.Itoa(i)
		cmds = append(cmds, []string{"RPUSH", "biglist", "element-" + k + string(long[:80])}, []string{"SADD", "bigset", "member-" + k}, []string{"ZADD", "bigzset", k, "member-" + k})
	}
	if err := s.Pipeline(cmds); err != nil {
		return realDir{}, err
	}
	if _, err := s.Do("BGREWRITEAOF"); err != nil {
		return realDir{}, err
	}
	if err := s.WaitInfo("aof_rewrite_in_progress", "0", 30*time.Second); err != nil {
		return realDir{}, err
	}
	time.Sleep(200 * time.Millisecond)
	// Writes after the rewrite go to the new incr: single commands and
	// transactions.
	var after [][]string
	for i := 0; i < 100; i++ {
		k := strconv.Itoa(i)
		after = append(after, []string{"SET", "after:" + k, k})
		if i%10 == 0 {
			after = append(after, []string{"MULTI"}, []string{"INCR", "counter"}, []string{"LPUSH", "txlist", k}, []string{"EXEC"})
		}
	}
	if err := s.Pipeline(after); err != nil {
		return realDir{}, err
	}
	if _, err := s.Do("SAVE"); err != nil {
		return realDir{}, err
	}
	s.Shutdown("NOSAVE")
	aofdir := filepath.Join(dir, "appendonlydir")
	rd := realDir{dir: dir, dump: filepath.Join(dir, "dump.rdb"), manifest: filepath.Join(aofdir, "appendonly.aof.manifest")}
	ents, err := os.ReadDir(aofdir)
	if err != nil {
		return realDir{}, err
	}
	for _, e := range ents {
		switch filepath.Ext(e.Name()) {
		case ".rdb":
			rd.base = filepath.Join(aofdir, e.Name())
		case ".aof":
			rd.incr = filepath.Join(aofdir, e.Name())
		}
	}
	if rd.base == "" || rd.incr == "" {
		return realDir{}, fmt.Errorf("unexpected appendonlydir contents: %v", ents)
	}
	return rd, nil
}
