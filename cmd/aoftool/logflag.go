package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/serverlog"
)

// serverLog is --log and --log-tz: the server's log, read beside the
// files (phase, check).
type serverLog struct {
	path string
	tz   string
}

func (l *serverLog) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&l.path, "log", "", "the server's log: a log file, or '-' for stdin (kubectl logs redis-0 | aoftool ... --log -)")
	f.StringVar(&l.tz, "log-tz", "UTC", "time zone of log timestamps that carry none (the server's local time; containers run in UTC): an IANA name or Local")
}

func (l *serverLog) validate() error {
	if l.path == "" {
		return nil
	}
	if _, err := time.LoadLocation(l.tz); err != nil {
		return usagef("--log-tz %q: %v", l.tz, err)
	}
	return nil
}

// read reads the log; nil when --log was not given.
func (l *serverLog) read(g *globalOptions) (*serverlog.Log, string, error) {
	if l.path == "" {
		return nil, "", nil
	}
	loc, err := time.LoadLocation(l.tz)
	if err != nil {
		return nil, "", usagef("--log-tz %q: %v", l.tz, err)
	}
	// Sixteen events of each kind are enough for a story's timeline.
	return datadir.ReadServerLog(l.path, g.stdin, serverlog.Options{Location: loc, KeepPerKind: 16})
}
