package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/rdbinspect"
	"github.com/aoftool/aoftool/snapshot"
)

// serverConfig is how every command that reads a data directory learns the
// server's configuration: --config redis.conf, then the name flags, which
// override it; without either, the defaults, and then what the directory
// shows (datadir discovers names it was not told).
type serverConfig struct {
	configFile     string
	dbFilename     string
	appendDirName  string
	appendFilename string
	appendOnly     string
	followSymlinks bool
	serverStopped  bool
	withDB         bool
	withStopped    bool
	cmd            *cobra.Command
}

// flags declares --config, the name flags (--dbfilename only where the
// command reads dump.rdb), --follow-symlinks, and --server-stopped where
// the command judges liveness.
func (s *serverConfig) flags(cmd *cobra.Command, withDB, withStopped bool) {
	s.cmd, s.withDB, s.withStopped = cmd, withDB, withStopped
	f := cmd.Flags()
	f.StringVar(&s.configFile, "config", "", "the server's redis.conf: dir, file names, appendonly, aof-load-truncated, sanitize-dump-payload, databases (include is followed)")
	if withDB {
		f.StringVar(&s.dbFilename, "dbfilename", datadir.DefaultDBFilename, "dbfilename of the server (overrides --config)")
	}
	f.StringVar(&s.appendDirName, "appenddirname", datadir.DefaultAppendDirName, "appenddirname of the server: the AOF directory inside dir (overrides --config)")
	f.StringVar(&s.appendFilename, "appendfilename", datadir.DefaultAppendFilename, "appendfilename of the server (overrides --config; default: taken from the *.manifest found)")
	f.StringVar(&s.appendOnly, "appendonly", "", "appendonly of the server, yes or no (overrides --config; default: what the directory shows, an AOF manifest meaning yes)")
	f.BoolVar(&s.followSymlinks, "follow-symlinks", false, "read files through symbolic links, as Redis does (by default a link is reported, never followed)")
	if withStopped {
		f.BoolVar(&s.serverStopped, "server-stopped", false, "no server is running on the directory (a copy, or a dead server): no file is being written, every temp file is a leftover")
	}
}

// build reads --config and applies the flags given on the command line
// over it. Mistakes are usage errors naming the flag or the config line.
func (s *serverConfig) build() (datadir.Config, error) {
	cfg := datadir.DefaultConfig()
	if s.configFile != "" {
		var err error
		if cfg, err = datadir.ReadConfigFile(s.configFile); err != nil {
			return cfg, usagef("--config: %v", err)
		}
	}
	if s.cmd == nil {
		return cfg, nil
	}
	f := s.cmd.Flags()
	for _, fl := range []struct{ flag, name, value string }{
		{"dbfilename", "dbfilename", s.dbFilename},
		{"appenddirname", "appenddirname", s.appendDirName},
		{"appendfilename", "appendfilename", s.appendFilename},
		{"appendonly", "appendonly", s.appendOnly},
	} {
		if f.Lookup(fl.flag) == nil || !f.Changed(fl.flag) {
			continue
		}
		if err := cfg.Set(fl.name, []string{fl.value}, datadir.OriginFlag); err != nil {
			return cfg, usagef("--%s: %v", fl.flag, strings.TrimPrefix(err.Error(), fl.name+" "))
		}
	}
	return cfg, nil
}

// open reads the data directory arg (or the config's dir when arg is
// empty) as the configured server would.
func (s *serverConfig) open(g *globalOptions, arg string, metadataOnly bool) (*datadir.Dir, error) {
	cfg, err := s.build()
	if err != nil {
		return nil, err
	}
	if arg == "" && cfg.Dir == "" {
		return nil, usagef("give a data directory, or --config with a dir directive")
	}
	return datadir.Open(arg, cfg, s.options(g, metadataOnly))
}

// resolve looks at arg first: a data dir, an AOF directory or a manifest
// is opened as a data directory (d is set); a file is returned as what it
// is, for the command to take or to refuse with datadir.WrongKind.
func (s *serverConfig) resolve(g *globalOptions, arg string) (*datadir.Input, *datadir.Dir, error) {
	in, err := datadir.Identify(arg, s.followSymlinks)
	if err != nil {
		return nil, nil, err
	}
	if in.Kind != datadir.InputDataDir && in.Kind != datadir.InputManifest {
		return in, nil, nil
	}
	d, err := s.open(g, arg, false)
	return in, d, err
}

func (s *serverConfig) options(g *globalOptions, metadataOnly bool) datadir.Options {
	return datadir.Options{FollowSymlinks: s.followSymlinks, ServerStopped: s.serverStopped, Now: g.now(), MetadataOnly: metadataOnly}
}

// dirArg is the optional DIR argument of a command that can take the
// directory from --config instead.
func dirArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// serverFlag is --server: the release a prediction is for.
type serverFlag struct{ v string }

func (f *serverFlag) declare(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.v, "server", "", "the server release the prediction is for, as redis-7.0.15, valkey-8.0.1 or 7.2.6 (default: the release that wrote each file, from its redis-ver or valkey-ver)")
}

// target parses --server; nil when not given.
func (f *serverFlag) target() (*rdbinspect.Server, error) {
	if f.v == "" {
		return nil, nil
	}
	name, ver, ok := strings.Cut(f.v, "-")
	if !ok {
		name, ver = "redis", f.v
	}
	name = strings.ToLower(name)
	if name != "redis" && name != "valkey" || ver == "" || strings.Trim(ver, "0123456789.") != "" {
		return nil, usagef("--server %q: give redis-X.Y.Z or valkey-X.Y.Z", f.v)
	}
	return &rdbinspect.Server{Name: name, Version: ver}, nil
}

// listingNames are the configured names a pasted listing is decoded with.
func (s *serverConfig) listingNames() (snapshot.Names, error) {
	cfg, err := s.build()
	return snapshot.Names{DBFilename: cfg.DBFilename, AppendDirName: cfg.AppendDirName, AppendFilename: cfg.AppendFilename}, err
}
