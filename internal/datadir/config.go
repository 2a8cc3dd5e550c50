package datadir

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/aoftool/aoftool/internal/ropen"
	"github.com/aoftool/aoftool/manifest"
)

// Defaults of redis.conf for the settings aoftool reads.
const (
	DefaultDBFilename     = "dump.rdb"
	DefaultAppendDirName  = manifest.DefaultAppendDirName
	DefaultAppendFilename = manifest.DefaultAppendFilename
	DefaultDatabases      = 16
)

// Origin says where a setting's value came from, so messages can say
// whether aoftool assumed, discovered or was told it.
type Origin string

const (
	OriginDefault    Origin = "default"
	OriginDiscovered Origin = "discovered"
	OriginFlag       Origin = "flag"
	// A config file origin is "<file>:<line>".
)

// Config is the part of a server's configuration that decides what it
// does with its data directory. The zero value is not useful; start from
// DefaultConfig or ReadConfigFile.
type Config struct {
	// Dir is redis.conf's dir; empty unless a config file sets it.
	Dir            string
	DBFilename     string
	AppendDirName  string
	AppendFilename string
	// AppendOnly is nil when nothing says it: the mode is then judged from
	// the directory (an appendonlydir with a manifest means yes).
	AppendOnly          *bool
	AOFLoadTruncated    bool
	AOFUseRDBPreamble   bool
	SanitizeDumpPayload string // no, yes or clients
	Databases           int
	// AOFLoadCorruptTailSize is Redis 8's aof-load-corrupt-tail-size: a
	// corrupt tail up to this many bytes is cut and loaded. 0 is off.
	AOFLoadCorruptTailSize int64
	// LoadModules are the loadmodule lines (path and arguments): a value of
	// a module that is not loaded stops a start.
	LoadModules [][]string
	// Origins maps a setting's redis.conf name to where its value came from.
	Origins map[string]Origin
}

// DefaultConfig is redis.conf with nothing set.
func DefaultConfig() Config {
	c := Config{
		DBFilename:          DefaultDBFilename,
		AppendDirName:       DefaultAppendDirName,
		AppendFilename:      DefaultAppendFilename,
		AOFLoadTruncated:    true,
		AOFUseRDBPreamble:   true,
		SanitizeDumpPayload: "no",
		Databases:           DefaultDatabases,
		Origins:             map[string]Origin{},
	}
	for _, n := range settingNames {
		c.Origins[n] = OriginDefault
	}
	return c
}

// settingNames are the redis.conf directives aoftool reads; every other
// directive is skipped.
var settingNames = []string{"dir", "dbfilename", "appenddirname", "appendfilename", "appendonly", "aof-load-truncated",
	"aof-use-rdb-preamble", "sanitize-dump-payload", "databases", "aof-load-corrupt-tail-size"}

// Settings lists the directives Config holds, for help texts.
func Settings() []string { return append([]string(nil), settingNames...) }

// Directives are the redis.conf lines of the settings that decide how a
// start loads the data: what a rehearsal starts a server with.
func (c Config) Directives(appendOnly bool) []string {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	q := strconv.Quote
	out := []string{
		"appendonly " + yn(appendOnly),
		"dbfilename " + q(c.DBFilename),
		"appenddirname " + q(c.AppendDirName),
		"appendfilename " + q(c.AppendFilename),
		"aof-load-truncated " + yn(c.AOFLoadTruncated),
		"aof-use-rdb-preamble " + yn(c.AOFUseRDBPreamble),
		"sanitize-dump-payload " + c.SanitizeDumpPayload,
		"databases " + strconv.Itoa(c.Databases),
	}
	for _, m := range c.LoadModules {
		line := "loadmodule"
		for _, a := range m {
			line += " " + q(a)
		}
		out = append(out, line)
	}
	return out
}

// Origin returns where a setting came from.
func (c Config) Origin(name string) Origin {
	if o, ok := c.Origins[name]; ok {
		return o
	}
	return OriginDefault
}

// Told reports whether the user said the value (a flag or a config file),
// as opposed to a default or a discovery.
func (c Config) Told(name string) bool {
	o := c.Origin(name)
	return o != OriginDefault && o != OriginDiscovered
}

// Set applies one directive as the server's config loader does; args are
// the values after the directive's name. Names the server would refuse
// ("can't be a path, just a filename") are refused here too.
func (c *Config) Set(name string, args []string, origin Origin) error {
	name = strings.ToLower(name)
	known := false
	for _, n := range settingNames {
		known = known || n == name
	}
	if !known {
		return nil
	}
	if len(args) != 1 {
		return fmt.Errorf("%s: wrong number of arguments", name)
	}
	v := args[0]
	yesno := func() (bool, error) {
		switch strings.ToLower(v) {
		case "yes":
			return true, nil
		case "no":
			return false, nil
		}
		return false, fmt.Errorf("%s %q: argument must be 'yes' or 'no'", name, v)
	}
	switch name {
	case "dir":
		c.Dir = v
	case "dbfilename", "appendfilename":
		if !plainName(v) {
			return fmt.Errorf("%s %q can't be a path, just a filename", name, v)
		}
		if name == "dbfilename" {
			c.DBFilename = v
		} else {
			c.AppendFilename = v
		}
	case "appenddirname":
		if !plainName(v) {
			return fmt.Errorf("appenddirname %q can't be a path, just a directory name", v)
		}
		c.AppendDirName = v
	case "appendonly":
		b, err := yesno()
		if err != nil {
			return err
		}
		c.AppendOnly = &b
	case "aof-load-truncated":
		b, err := yesno()
		if err != nil {
			return err
		}
		c.AOFLoadTruncated = b
	case "aof-use-rdb-preamble":
		b, err := yesno()
		if err != nil {
			return err
		}
		c.AOFUseRDBPreamble = b
	case "sanitize-dump-payload":
		switch l := strings.ToLower(v); l {
		case "no", "yes", "clients":
			c.SanitizeDumpPayload = l
		default:
			return fmt.Errorf("sanitize-dump-payload %q: argument must be one of no, yes, clients", v)
		}
	case "databases":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("databases %q: argument must be a number of at least 1", v)
		}
		c.Databases = n
	case "aof-load-corrupt-tail-size":
		n, err := parseMemory(v)
		if err != nil || n < 0 {
			return fmt.Errorf("aof-load-corrupt-tail-size %q: argument must be a size", v)
		}
		c.AOFLoadCorruptTailSize = n
	default:
		return nil
	}
	if c.Origins == nil {
		c.Origins = map[string]Origin{}
	}
	c.Origins[name] = origin
	return nil
}

// plainName is what redis.conf accepts for dbfilename, appendfilename and
// appenddirname: a name without a path.
func plainName(v string) bool {
	return v != "" && v != "." && v != ".." && !strings.ContainsAny(v, "/\\")
}

// parseMemory reads redis.conf memory units (memtoull): 1k = 1000,
// 1kb = 1024, and so on.
func parseMemory(v string) (int64, error) {
	l := strings.ToLower(v)
	units := []struct {
		suffix string
		mul    int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}}
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(l, u.suffix) {
			l, mul = strings.TrimSuffix(l, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(l, 10, 64)
	if err != nil {
		return 0, err
	}
	return n * mul, nil
}

// maxConfigBytes bounds what is read of one config file; a redis.conf is
// tens of kilobytes.
const maxConfigBytes = 8 << 20

// maxIncludeDepth stops include loops.
const maxIncludeDepth = 16

// ReadConfigFile reads a redis.conf the way loadServerConfig does: lines
// trimmed of " \t\r\n", '#' comments, sdssplitargs quoting, directive
// names case-insensitive, include (with glob patterns) processed where it
// stands, and the last value of a directive wins. A relative include or
// dir is taken relative to the directory the server would be in: the
// config file's own directory at first (the server's working directory is
// not known), then the last dir directive, since the server changes into
// it while reading. Directives aoftool does not model are skipped.
func ReadConfigFile(path string) (Config, error) {
	c := DefaultConfig()
	r := configReader{cwd: filepath.Dir(path)}
	if err := r.file(&c, path, 0); err != nil {
		return c, err
	}
	return c, nil
}

type configReader struct{ cwd string }

func (r *configReader) resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.cwd, p)
}

func (r *configReader) file(c *Config, path string, depth int) error {
	if depth > maxIncludeDepth {
		return fmt.Errorf("%s: includes nest deeper than %d (an include loop?)", path, maxIncludeDepth)
	}
	f, _, err := ropen.Open(path, true)
	if err != nil {
		if errors.Is(err, ropen.ErrNotRegular) {
			return fmt.Errorf("config file %s: not a regular file", path)
		}
		return fmt.Errorf("config file %s: %w", path, explain(path, err))
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxConfigBytes))
	sc.Buffer(make([]byte, 64<<10), maxConfigBytes)
	line := 0
	for sc.Scan() {
		line++
		text := strings.Trim(sc.Text(), " \t\r\n")
		if text == "" || text[0] == '#' {
			continue
		}
		argv, ok := manifest.SplitArgs(text)
		if !ok {
			return fmt.Errorf("%s:%d: Unbalanced quotes in configuration line", path, line)
		}
		if len(argv) == 0 {
			continue
		}
		name := strings.ToLower(argv[0])
		origin := Origin(fmt.Sprintf("%s:%d", path, line))
		switch {
		case name == "include" && len(argv) == 2:
			if err := r.include(c, r.resolve(argv[1]), depth); err != nil {
				return err
			}
		case name == "loadmodule" && len(argv) >= 2:
			c.LoadModules = append(c.LoadModules, append([]string(nil), argv[1:]...))
		case name == "dir" && len(argv) == 2:
			r.cwd = r.resolve(argv[1])
			if err := c.Set(name, []string{r.cwd}, origin); err != nil {
				return err
			}
		default:
			if err := c.Set(name, argv[1:], origin); err != nil {
				return fmt.Errorf("%s:%d: %w", path, line, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// include loads an included file, or every file a glob pattern matches in
// sorted order (glob(3) sorts); a pattern matching nothing is skipped, as
// the server does for an empty conf.d.
func (r *configReader) include(c *Config, pattern string, depth int) error {
	if !strings.ContainsAny(pattern, "*?[") {
		return r.file(c, pattern, depth+1)
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return fmt.Errorf("include %s: %w", pattern, err)
	}
	sort.Strings(matches)
	for _, m := range matches {
		if err := r.file(c, m, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// explain adds, to a permission error, the mode and owner of the path and
// who aoftool runs as, which is what a user needs to fix it.
func explain(path string, err error) error {
	if !errors.Is(err, os.ErrPermission) {
		return err
	}
	return fmt.Errorf("%w (%s)", err, permissionDetail(path))
}
