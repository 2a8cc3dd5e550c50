package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/snapshot"
)

// serverNames are the redis.conf settings that name a server's files inside
// its data dir. Every command that reads a data dir takes them the same way.
type serverNames struct {
	dbFilename     string
	appendDirName  string
	appendFilename string
	// withDB and discover record how the flags were declared, for validate.
	withDB   bool
	discover bool
}

// flags declares --appenddirname and --appendfilename, and --dbfilename
// when the command reads dump.rdb. With discover, --appendfilename defaults
// to the name of the *.manifest file found, as a server sharing the
// directory would have it.
func (n *serverNames) flags(cmd *cobra.Command, withDB, discover bool) {
	n.withDB, n.discover = withDB, discover
	f := cmd.Flags()
	if withDB {
		f.StringVar(&n.dbFilename, "dbfilename", "dump.rdb", "dbfilename of the server")
	}
	f.StringVar(&n.appendDirName, "appenddirname", "appendonlydir", "appenddirname of the server (the AOF directory inside dir)")
	if discover {
		f.StringVar(&n.appendFilename, "appendfilename", "", "appendfilename of the server (default: taken from the *.manifest file, else appendonly.aof)")
	} else {
		f.StringVar(&n.appendFilename, "appendfilename", "appendonly.aof", "appendfilename of the server")
	}
}

// validate refuses names Redis would refuse, or that would lead outside the
// data dir, before anything is opened.
func (n serverNames) validate() error {
	plain := func(v string) bool { return v != "" && v != "." && v != ".." && !strings.ContainsAny(v, "/\\") }
	if n.withDB && !plain(n.dbFilename) {
		return usagef("--dbfilename %q must be a plain file name, as in redis.conf", n.dbFilename)
	}
	if !plain(n.appendDirName) {
		return usagef("--appenddirname %q must be a plain directory name, as in redis.conf", n.appendDirName)
	}
	if !(n.discover && n.appendFilename == "") && !plain(n.appendFilename) {
		return usagef("--appendfilename %q must be a file name without a path, as in redis.conf", n.appendFilename)
	}
	return nil
}

// snapshotNames are the names as the snapshot package takes them.
func (n serverNames) snapshotNames() snapshot.Names {
	return snapshot.Names{DBFilename: n.dbFilename, AppendDirName: n.appendDirName, AppendFilename: n.appendFilename}
}
