package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes, fixed by the command-line contract.
const (
	exitOK       = 0 // ran; no finding of severity error
	exitFindings = 1 // ran; at least one error finding
	exitCannot   = 2 // could not run: usage, missing or unreadable path, unsupported input
)

// errFindings is returned by a command whose report holds an error finding.
// The report is already printed, so run prints nothing more and exits 1.
var errFindings = errors.New("error findings reported")

// usageError marks mistakes in arguments or flags; run prints the hint to
// see --help and exits 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// globalOptions are the persistent flags every command sees, and what run
// gives every command: stdin, stderr and the clock.
type globalOptions struct {
	json    bool
	noColor bool
	// width is --width: the columns human output fits in, 0 for no
	// wrapping; used only when widthSet (else the terminal's, $COLUMNS or
	// 100).
	width    int
	widthSet bool
	stdin    io.Reader
	stderr   io.Writer
	// now is the one clock: captures are stamped with it and ages measured
	// against it. Tests fix it.
	now func() time.Time
}

const exitStatusHelp = `
Exit status:
  0  ran; no finding of severity error
  1  ran; at least one finding of severity error (corruption, inconsistency, data at risk)
  2  could not run: bad usage, path missing or unreadable, unsupported input
Treat any other status as a failure.`

func newRootCmd(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "aoftool",
		Short: "Read-only forensics for Redis and Valkey persistence files",
		Long: `aoftool inspects what a Redis or Valkey server keeps on disk — the AOF manifest,
RDB and AOF files, temp files of running or dead jobs — and says what the server
is doing, what is corrupt, what is safe to delete and what Redis will do on start.
It never writes to, renames, truncates or locks anything it inspects.`,
		Example: `  aoftool phase /data
  aoftool manifest /data/appendonlydir
  aoftool rdb /data/dump.rdb
  aoftool check /mnt/copy --markdown`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		g.widthSet = cmd.Flags().Changed("width")
		if g.width < 0 {
			return usagef("--width %d: give a number of columns, or 0 for no wrapping", g.width)
		}
		return nil
	}
	root.PersistentFlags().BoolVar(&g.json, "json", false, "print one JSON document on stdout instead of tables")
	root.PersistentFlags().BoolVar(&g.noColor, "no-color", false, "never colour the output")
	root.PersistentFlags().IntVar(&g.width, "width", 0, "wrap human output to this many columns (default: the terminal's, else $COLUMNS, else 100; 0: never wrap)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newManifestCmd(g),
		newRDBCmd(g),
		newAOFCmd(g),
		newCheckCmd(g),
		newSnapshotCmd(g),
		newDiffCmd(g),
		newWatchCmd(g),
		newPhaseCmd(g),
		newKeysCmd(g),
		newKeydiffCmd(g),
		newServeCmd(g),
		newTimelineCmd(g),
		newVersionCmd(),
	)
	for _, c := range root.Commands() {
		if c.Name() == "version" {
			continue
		}
		c.Long = strings.TrimRight(c.Long, "\n") + "\n" + exitStatusHelp
	}
	wrapHelp(root)
	return root
}

// run is the whole program: it maps every outcome to an exit code in one
// place and turns a panic into exit 2 with a request to report it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runAt(args, stdin, stdout, stderr, time.Now)
}

// runAt is run with a given clock.
func runAt(args []string, stdin io.Reader, stdout, stderr io.Writer, now func() time.Time) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "aoftool: internal error: %v\n%s\nPlease report this with the command line and, if you can, the input file.\n", r, debug.Stack())
			code = exitCannot
		}
	}()
	g := &globalOptions{stdin: stdin, stderr: stderr, now: now}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, err := root.ExecuteContextC(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFindings):
		return exitFindings
	default:
		var ue usageError
		if errors.As(err, &ue) || isCobraUsageError(err) {
			printUsageError(stderr, cmd, err)
		} else {
			fmt.Fprintf(stderr, "aoftool: %v\n", err)
		}
		return exitCannot
	}
}

// printUsageError says what was wrong with the command line, then how the
// command is used (its usage line and examples) and where the full help is.
func printUsageError(w io.Writer, cmd *cobra.Command, err error) {
	fmt.Fprintf(w, "aoftool: %v\n", err)
	if cmd == nil || !cmd.HasParent() {
		fmt.Fprintln(w, "Run 'aoftool --help' for usage.")
		return
	}
	fmt.Fprintf(w, "\nUsage:\n  %s\n", cmd.UseLine())
	if cmd.Example != "" {
		fmt.Fprintf(w, "\nExamples:\n%s\n", cmd.Example)
	}
	fmt.Fprintf(w, "\nRun '%s --help' for every flag.\n", cmd.CommandPath())
}

// isCobraUsageError recognises the argument errors cobra builds itself
// (unknown command, wrong number of arguments), which carry no type.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "unknown flag", "unknown shorthand"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// version can be set at link time (-ldflags "-X main.version=v1.2.3"); the
// module version and VCS revision from the build info fill the rest.
var version = ""

func versionString() string {
	v, rev, dirty := version, "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	out := "aoftool " + v
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		out += " commit " + rev
		if dirty {
			out += "-dirty"
		}
	}
	return out
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of aoftool and the commit it was built from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), versionString())
			return err
		},
	}
}
