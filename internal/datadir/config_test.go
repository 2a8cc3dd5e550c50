package datadir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadConfigFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("conf.d/b.conf", "appendfilename b.aof\n")
	write("conf.d/a.conf", "appendfilename a.aof\ndatabases 32\n")
	write("inc.conf", "  DbFileName   \"with space.rdb\"\r\nappendonly yes\n")
	main := write("redis.conf", strings.Join([]string{
		"# comment",
		"   ",
		"dbfilename first.rdb",
		"include inc.conf",                  // relative to the config's directory
		"include " + dir + "/conf.d/*.conf", // sorted: a then b, b wins
		"appenddirname 'aof dir'",
		"aof-load-truncated no",
		"sanitize-dump-payload YES",
		"aof-load-corrupt-tail-size 4kb",
		"rename-command CONFIG \"\"", // not modelled: skipped
		"save \"\"",
	}, "\n")+"\n")
	c, err := ReadConfigFile(main)
	if err != nil {
		t.Fatal(err)
	}
	if c.DBFilename != "with space.rdb" || c.AppendFilename != "b.aof" || c.AppendDirName != "aof dir" || c.Databases != 32 ||
		c.AppendOnly == nil || !*c.AppendOnly || c.AOFLoadTruncated || c.SanitizeDumpPayload != "yes" || c.AOFLoadCorruptTailSize != 4096 {
		t.Errorf("config %+v", c)
	}
	if o := c.Origin("dbfilename"); !strings.HasSuffix(string(o), "inc.conf:1") || !c.Told("dbfilename") {
		t.Errorf("origin of dbfilename %q", o)
	}
	if c.Told("dir") || c.Origin("dir") != OriginDefault {
		t.Errorf("dir origin %q", c.Origin("dir"))
	}

	for name, text := range map[string]string{
		"quotes.conf": "dbfilename \"unterminated\n",
		"path.conf":   "dbfilename ../dump.rdb\n",
		"bool.conf":   "appendonly maybe\n",
		"loop.conf":   "include " + filepath.Join(dir, "loop.conf") + "\n",
		"nofile.conf": "include " + filepath.Join(dir, "nope.conf") + "\n",
	} {
		if _, err := ReadConfigFile(write(name, text)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A glob matching nothing is skipped, as the server skips an empty conf.d.
	if _, err := ReadConfigFile(write("empty-glob.conf", "include "+dir+"/none.d/*.conf\n")); err != nil {
		t.Errorf("empty glob: %v", err)
	}
	// dir changes where later relative includes are read, as the server chdirs.
	write("sub/after-dir.conf", "dbfilename moved.rdb\n")
	c, err = ReadConfigFile(write("dir.conf", "dir sub\ninclude after-dir.conf\n"))
	if err != nil || c.Dir != filepath.Join(dir, "sub") || c.DBFilename != "moved.rdb" {
		t.Errorf("dir then include: %v %+v", err, c)
	}
}

// TestDebianRedisConf reads the redis.conf the Debian package installs, the
// file most servers here start with.
func TestDebianRedisConf(t *testing.T) {
	const p = "/etc/redis/redis.conf"
	if _, err := os.Stat(p); err != nil {
		t.Skip("no " + p)
	}
	c, err := ReadConfigFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != "/var/lib/redis" || c.DBFilename != "dump.rdb" || c.AppendOnly == nil || *c.AppendOnly || c.AppendFilename != "appendonly.aof" || c.AppendDirName != "appendonlydir" {
		t.Errorf("Debian's redis.conf read as %+v", c)
	}
}
