package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/rdbinspect"
)

type rdbOptions struct {
	keys           bool
	top            int
	followSymlinks bool
	now            time.Time
	server         serverFlag
	target         *rdbinspect.Server
}

func newRDBCmd(g *globalOptions) *cobra.Command {
	var o rdbOptions
	cmd := &cobra.Command{
		Use:   "rdb FILE...",
		Short: "Check RDB files: header, aux fields, checksum, where damage starts",
		Long: `rdb reads each FILE once, in constant memory, and reports what Redis would see:
the signature and RDB version (and which releases write it), the producer and every
AUX field (redis-ver or valkey-ver, ctime, used-mem, repl-id, repl-offset, aof-base ...),
whether the dump is complete (EOF opcode and 8-byte trailer present), and whether the
stored CRC-64 matches one computed over the file (a zero CRC means rdbchecksum no, which
Redis accepts). A structural walk checks every record, length, string, LZF block and
container header against the bytes that remain, and names the offset and key where a
damaged or cut file stops making sense.

FILE may be a dump.rdb, a temp-*.rdb of a running BGSAVE or replica sync (a cut end is then
reported as incomplete, a warning, not as corruption), an appendonly.aof.N.base.rdb, or a
legacy appendonly.aof that starts with an RDB preamble (the RESP tail after the RDB is
noted and left to 'aoftool aof').

--keys adds keys per database, per type and encoding, and the biggest keys by serialized
size (--top N). Nothing is written, renamed or locked; each file is read up to the size it
had when reading started.`,
		Example: `  # one dump
  aoftool rdb /var/lib/redis/dump.rdb

  # a running BGSAVE's temp file, a base of the multi-part AOF
  aoftool rdb /data/temp-4242.rdb /data/appendonlydir/appendonly.aof.3.base.rdb

  # key statistics and the 20 biggest keys
  aoftool rdb --keys --top 20 dump.rdb

  # for scripts: exit 1 on corruption, one JSON document on stdout
  aoftool rdb --json dump.rdb | jq '.checksum.status, .complete'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(cmd); err != nil {
				return err
			}
			return runRDB(cmd.Context(), g, o, args, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.keys, "keys", false, "add key statistics: keys per database, type and encoding, and the biggest keys")
	f.IntVar(&o.top, "top", 10, "with --keys, how many of the biggest keys to list")
	f.BoolVar(&o.followSymlinks, "follow-symlinks", false, "read files through symbolic links (by default a symlink is reported, not followed)")
	o.server.declare(cmd)
	return cmd
}

func (o *rdbOptions) validate(cmd *cobra.Command) error {
	if o.top < 1 || o.top > 10000 {
		return usagef("--top %d: give a number from 1 to 10000", o.top)
	}
	if cmd.Flags().Changed("top") && !o.keys {
		o.keys = true
	}
	t, err := o.server.target()
	o.target = t
	return err
}

// tempRDB matches the names of RDB files a live job is still writing:
// temp-<pid>.rdb (BGSAVE) and temp-<unixtime>.<pid>.rdb (replica sync).
var tempRDB = regexp.MustCompile(`^temp-[0-9]+(\.[0-9]+)?\.rdb$`)

// rdbMemoryLimit is the Go heap's soft limit for rdb, which runs with the
// proportional collector off: a walk allocates its key hashes (8 bytes a
// key, at most 32 MiB) and little garbage, so collections at twice a small
// live heap cost CPU time and free nothing. GOGC or GOMEMLIMIT override it.
const rdbMemoryLimit = 48 << 20

func runRDB(ctx context.Context, g *globalOptions, o rdbOptions, files []string, out io.Writer) error {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(rdbMemoryLimit))
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
	}
	o.now = g.now()
	// Every argument is looked at before any is read: a wrong kind of
	// input is a usage mistake, found at once.
	for _, path := range files {
		in, err := datadir.Identify(path, o.followSymlinks)
		if err != nil {
			return err
		}
		switch in.Kind {
		case datadir.InputAOF, datadir.InputManifest, datadir.InputDataDir, datadir.InputSnapshot:
			return datadir.WrongKind(in, "an RDB file")
		}
	}
	reports := make([]*rdbinspect.Report, 0, len(files))
	for _, path := range files {
		rep, err := inspectRDB(ctx, g, o, path)
		if err != nil {
			return err
		}
		reports = append(reports, rep)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	var all finding.List
	for _, r := range reports {
		r.Findings.Sort()
		all = append(all, r.Findings...)
	}
	if g.json {
		if err := emitJSON(out, reports); err != nil {
			return err
		}
	} else {
		colour := g.useColour(out)
		out := g.screenFor(out)
		for i, r := range reports {
			if len(reports) > 1 {
				if i > 0 {
					fmt.Fprintln(out)
				}
				fmt.Fprintf(out, "== %s\n", r.Path)
			}
			if err := printRDBReport(out, r, o, colour); err != nil {
				return err
			}
		}
	}
	return exitFor(all)
}

// inspectRDB verifies one file opened through the data-dir layer; a file
// that cannot be read is an error (exit 2), never a finding.
func inspectRDB(ctx context.Context, g *globalOptions, o rdbOptions, path string) (*rdbinspect.Report, error) {
	f, err := datadir.OpenLone(path, datadir.Options{FollowSymlinks: o.followSymlinks, Now: o.now})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := f.Size
	opt := rdbinspect.Options{
		Path:        path,
		Keys:        o.keys,
		Top:         o.top,
		InProgress:  tempRDB.MatchString(filepath.Base(path)),
		AOFPreamble: strings.HasSuffix(path, ".aof"),
		Target:      o.target,
	}
	bar := g.progress(filepath.Base(path), size)
	opt.Progress = bar.addFunc()
	rep := rdbinspect.Verify(ctx, f.ReaderAt(), size, opt)
	bar.finish()
	if rep.Err != nil {
		// An I/O error, not corruption: nothing can be said of the file.
		return nil, fmt.Errorf("%s: %w", path, rep.Err)
	}
	// A live file keeps growing; only the bytes present at the start were
	// judged, which the report says.
	rep.Findings = append(rep.Findings, f.Settle().Findings(path, size)...)
	return rep, nil
}

func printRDBReport(w io.Writer, r *rdbinspect.Report, o rdbOptions, colour bool) error {
	now := o.now
	rows := [][2]string{{"File", r.Path}}
	if r.Header != nil || r.Size > 0 {
		rows = append(rows, [2]string{"Size", bytesCell(r.Size)})
	}
	if h := r.Header; h != nil {
		ver := strconv.Itoa(h.Version)
		if h.Releases != "" {
			ver += " (" + h.Releases + ")"
		}
		rows = append(rows,
			[2]string{"Signature", strconv.Quote(h.Magic)},
			[2]string{"RDB version", ver},
			[2]string{"Producer", h.Producer},
			[2]string{"Envelope", h.Envelope},
		)
	}
	if err := keyValueTable(w, rows); err != nil {
		return err
	}
	if len(r.Aux) > 0 {
		fmt.Fprintln(w, "\nAux fields:")
		t := newTable(w, "Offset", "Field", "Value")
		for _, a := range r.Aux {
			if err := t.Append([]string{strconv.FormatInt(a.Offset, 10), a.Key, auxCell(a, now)}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if r.Header != nil && r.Header.Envelope == "" && r.Checksum.Status != rdbinspect.ChecksumNotRead {
		fmt.Fprintln(w)
		rows := [][2]string{
			{"Complete", yesNo(r.Complete)},
			{"Checksum", checksumCell(r.Checksum)},
		}
		if r.RDBEnd >= 0 {
			rows = append(rows, [2]string{"RDB ends at", strconv.FormatInt(r.RDBEnd, 10)})
		}
		if r.StoppedAt != nil {
			s := strconv.FormatInt(*r.StoppedAt, 10)
			if r.StoppedKey != "" {
				s += fmt.Sprintf(" (reading %s key %s)", r.StoppedIn, displayKey(r.StoppedKey))
			}
			rows = append(rows, [2]string{"Stopped at", s})
		}
		if r.StructureChecked {
			k := r.Keys
			rows = append(rows, [2]string{"Keys", fmt.Sprintf("%d in %d database(s), %d with TTL", k.Keys, len(k.DBs), k.Expires)})
			if k.Functions > 0 || k.ModuleAux > 0 {
				rows = append(rows, [2]string{"Other", fmt.Sprintf("%d function libraries, %d module aux records", k.Functions, k.ModuleAux)})
			}
		}
		if err := keyValueTable(w, rows); err != nil {
			return err
		}
	}
	if o.keys && r.StructureChecked && r.Checksum.Status != rdbinspect.ChecksumNotRead {
		if err := printKeyStats(w, r.Keys); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	if err := printFindings(w, r.Findings, colour); err != nil {
		return err
	}
	verdictLine(w, r.Findings, r.Verdict)
	return nil
}

func printKeyStats(w io.Writer, k rdbinspect.KeyStats) error {
	if len(k.DBs) > 0 {
		fmt.Fprintln(w, "\nKeys per database:")
		t := newTable(w, "DB", "Keys", "With TTL", "Serialized")
		for _, d := range k.DBs {
			if err := t.Append([]string{strconv.FormatUint(d.DB, 10), strconv.FormatInt(d.Keys, 10), strconv.FormatInt(d.Expires, 10), bytesCell(d.Bytes)}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if len(k.Types) > 0 {
		fmt.Fprintln(w, "\nKeys per type and encoding:")
		t := newTable(w, "Type", "Encoding", "Keys", "Serialized")
		for _, ts := range k.Types {
			if err := t.Append([]string{ts.Type, ts.Encoding, strconv.FormatInt(ts.Keys, 10), bytesCell(ts.Bytes)}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	if len(k.Biggest) > 0 {
		fmt.Fprintf(w, "\nBiggest keys (serialized size, top %d):\n", len(k.Biggest))
		t := newTable(w, "Key", "DB", "Type", "Encoding", "Size", "Elements", "TTL", "Offset")
		for _, b := range k.Biggest {
			elems := "-"
			if b.Elements != nil {
				elems = strconv.FormatInt(*b.Elements, 10)
			}
			if err := t.Append([]string{displayKey(b.Key), strconv.FormatUint(b.DB, 10), b.Type, b.Encoding, bytesCell(b.Bytes), elems, yesNo(b.Expires), strconv.FormatInt(b.Offset, 10)}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// auxCell shows an aux value typed: times as times, memory humanized,
// flags as yes/no, anything else quoted only when it needs to be.
func auxCell(a rdbinspect.AuxField, now time.Time) string {
	n, err := strconv.ParseInt(a.Value, 10, 64)
	isNum := err == nil
	switch a.Key {
	case "ctime":
		if isNum {
			return fmt.Sprintf("%d = %s", n, timeCell(time.Unix(n, 0), now))
		}
	case "used-mem":
		if isNum && n >= 0 {
			return fmt.Sprintf("%s (%d)", humanize.IBytes(uint64(n)), n)
		}
	case "aof-base", "aof-preamble":
		if isNum {
			return fmt.Sprintf("%d (%s)", n, yesNo(n != 0))
		}
	}
	v := a.Value
	if len(v) > 200 {
		v = v[:200] + fmt.Sprintf("…(%d bytes)", len(a.Value))
	}
	return displayName(v)
}

func checksumCell(c rdbinspect.Checksum) string {
	switch c.Status {
	case rdbinspect.ChecksumOK:
		return "OK (CRC-64 " + c.Stored + ")"
	case rdbinspect.ChecksumMismatch:
		return "MISMATCH: stored " + c.Stored + ", computed " + c.Computed
	case rdbinspect.ChecksumDisabled:
		return "disabled (stored 0: saved with rdbchecksum no)"
	case rdbinspect.ChecksumAbsent:
		return "absent (no trailer)"
	}
	return c.Status
}
