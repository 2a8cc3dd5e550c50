package main

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/keyspace"
	"github.com/aoftool/aoftool/rdbinspect"
	"github.com/aoftool/aoftool/replay"
)

type keysOptions struct {
	dbs          []uint
	types        []string
	match        string
	minMemory    string
	minMem       int64
	expiring     bool
	persistent   bool
	expiredAt    string
	expiredAtMs  int64
	top          int
	by           string
	prefixReport bool
	sep          string
	depth        int
	prefixes     int
	capacity     int
	format       string
	values       bool
	valuesMax    string
	valuesMaxN   int64
	at           string
	atMs         int64
	server       serverFlag
	target       *rdbinspect.Server
	serverConfig
}

func newKeysCmd(g *globalOptions) *cobra.Command {
	var o keysOptions
	cmd := &cobra.Command{
		Use:   "keys FILE|DIR",
		Short: "Every key of a dump or a directory's next start: TTL, memory",
		Long: `keys lists every key of an RDB file as the server that loads it would hold it: database,
type and encoding (as TYPE and OBJECT ENCODING say on that server: a ziplist hash loads as a
listpack on 7.0, a small set of strings as a listpack on 7.2), absolute expiry, element count
(list items, set and sorted set members, hash fields, stream entries, a string's bytes),
serialized size in the file, and the memory MEMORY USAGE key SAMPLES 0 would report (the
structures the loader builds, sized as jemalloc sizes them). The file is read once, in
constant memory, and checked as it is read: a damaged file is a finding and exit 1, and
the keys listed are those before the damage.

DIR is a data directory: the keys its next start loads. With appendonly yes (the config, or a
manifest in the directory) that is the manifest's base, then the keyspace effect of the incr
files: keys they delete are left out, keys they write are listed with what the replay model
knows of them (type, element count, expiry; encoding, size and memory unknown, "written").
With appendonly no it is the dbfilename. Keys whose expiry has passed at --at are not
loaded and not listed.

Filters: --db, --type, --match GLOB (the rules of KEYS and SCAN MATCH), --min-memory,
--expiring or --persistent, --expired-at TIME (keys whose expiry is at or before TIME).
--top N --by memory|size|elements keeps the N biggest. --prefix-report aggregates keys by
name prefix (the name up to the 1st, 2nd, ... --depth separator --sep) in bounded memory:
--prefix-capacity prefixes at most; past that the least heavy are replaced (Space-Saving)
and counts become upper bounds, said in the report.

--format table (default), csv or ndjson (one object per key: db, key or key_b64, type,
encoding, expires_at_ms, elements, size, memory). --values adds each key's value (ndjson and
--json only, RDB files only): the file is first verified whole, then decoded with
hdt3213/rdb; values above --values-max bytes are left out.`,
		Example: `  # every key, one JSON object per line
  aoftool keys --format ndjson /var/lib/redis/dump.rdb

  # the 20 keys taking the most memory, and the heaviest prefixes
  aoftool keys --top 20 --by memory dump.rdb
  aoftool keys --prefix-report --sep : --depth 2 dump.rdb

  # keys of db 0 matching user:* that the next start of this directory loads
  aoftool keys --db 0 --match 'user:*' /var/lib/redis

  # keys that will have expired by tomorrow morning
  aoftool keys --expired-at 2025-12-01T08:00:00Z --format csv dump.rdb`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(g); err != nil {
				return err
			}
			return runKeys(cmd.Context(), g, o, args[0], cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.UintSliceVar(&o.dbs, "db", nil, "only these databases (repeat or comma-separate)")
	f.StringSliceVar(&o.types, "type", nil, "only these types: string, list, set, zset, hash, stream, module")
	f.StringVar(&o.match, "match", "", "only keys whose name matches this glob (KEYS/SCAN MATCH rules)")
	f.StringVar(&o.minMemory, "min-memory", "", "only keys estimated at least this large in memory (e.g. 1MB, 64KiB)")
	f.BoolVar(&o.expiring, "expiring", false, "only keys with a TTL")
	f.BoolVar(&o.persistent, "persistent", false, "only keys without a TTL")
	f.StringVar(&o.expiredAt, "expired-at", "", "only keys whose expiry is at or before TIME (RFC 3339, Unix seconds, or now)")
	f.IntVar(&o.top, "top", 0, "keep only the N biggest keys (see --by)")
	f.StringVar(&o.by, "by", "memory", "what --top ranks by: memory, size or elements")
	f.BoolVar(&o.prefixReport, "prefix-report", false, "aggregate keys by name prefix instead of listing them")
	f.StringVar(&o.sep, "sep", ":", "with --prefix-report, the separator of name segments")
	f.IntVar(&o.depth, "depth", 2, "with --prefix-report, how many segments deep prefixes go")
	f.IntVar(&o.prefixes, "prefixes", 30, "with --prefix-report, how many prefixes to print (0: all kept)")
	f.IntVar(&o.capacity, "prefix-capacity", 65536, "with --prefix-report, the most prefixes kept in memory; beyond it counts become upper bounds")
	f.StringVar(&o.format, "format", "table", "table, csv or ndjson")
	f.BoolVar(&o.values, "values", false, "add each key's value (ndjson or --json; RDB files only; verifies the file first)")
	f.StringVar(&o.valuesMax, "values-max", "1MiB", "with --values, leave out values whose serialized size is above this")
	f.StringVar(&o.at, "at", "", "for a data directory, the start time keys' expiries are judged at (default now)")
	o.server.declare(cmd)
	o.serverConfig.flags(cmd, true, false)
	return cmd
}

var keyTypeNames = map[string]bool{"string": true, "list": true, "set": true, "zset": true, "hash": true, "stream": true, "module": true}

func (o *keysOptions) validate(g *globalOptions) error {
	for _, t := range o.types {
		if !keyTypeNames[t] {
			return usagef("--type %q: give string, list, set, zset, hash, stream or module", t)
		}
	}
	if o.expiring && o.persistent {
		return usagef("--expiring and --persistent exclude each other")
	}
	if o.minMemory != "" {
		n, err := humanize.ParseBytes(o.minMemory)
		if err != nil {
			return usagef("--min-memory %q: %v", o.minMemory, err)
		}
		o.minMem = int64(min(n, 1<<62))
	}
	o.expiredAtMs = -1
	if o.expiredAt != "" {
		ms, err := parseTimeMs(o.expiredAt, g.now())
		if err != nil {
			return usagef("--expired-at: %v", err)
		}
		o.expiredAtMs = ms
	}
	o.atMs = g.now().UnixMilli()
	if o.at != "" {
		ms, err := parseTimeMs(o.at, g.now())
		if err != nil {
			return usagef("--at: %v", err)
		}
		o.atMs = ms
	}
	if o.top < 0 || o.top > 1_000_000 {
		return usagef("--top %d: give a number from 1 to 1000000", o.top)
	}
	switch o.by {
	case "memory", "size", "elements":
	default:
		return usagef("--by %q: give memory, size or elements", o.by)
	}
	switch o.format {
	case "table", "csv", "ndjson":
	default:
		return usagef("--format %q: give table, csv or ndjson", o.format)
	}
	if g.json && o.format != "table" {
		return usagef("--json prints one document; it excludes --format %s", o.format)
	}
	if o.values && o.format != "ndjson" && !g.json {
		return usagef("--values needs --format ndjson or --json")
	}
	if o.values && (o.top > 0 || o.prefixReport) {
		return usagef("--values lists keys one by one; it excludes --top and --prefix-report")
	}
	n, err := humanize.ParseBytes(o.valuesMax)
	if err != nil {
		return usagef("--values-max %q: %v", o.valuesMax, err)
	}
	o.valuesMaxN = int64(min(n, 1<<62))
	if o.depth < 1 || o.depth > 64 {
		return usagef("--depth %d: give 1 to 64", o.depth)
	}
	if o.capacity < 16 || o.capacity > 1<<24 {
		return usagef("--prefix-capacity %d: give 16 to %d", o.capacity, 1<<24)
	}
	if o.prefixReport && o.sep == "" {
		return usagef("--sep: give a non-empty separator")
	}
	t, err := o.server.target()
	o.target = t
	return err
}

// parseTimeMs reads RFC 3339, Unix seconds (or milliseconds past 1e12), or
// "now".
func parseTimeMs(s string, now time.Time) (int64, error) {
	if s == "now" {
		return now.UnixMilli(), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > 1e12 || n < -1e12 {
			return n, nil
		}
		return n * 1000, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("%q: give RFC 3339 (2025-12-01T08:00:00Z), Unix seconds, or now", s)
	}
	return t.UnixMilli(), nil
}

// keyFilter says whether a key is listed.
func (o *keysOptions) keep(e *keyspace.Entry) bool {
	k := &e.Key
	if len(o.dbs) > 0 {
		ok := false
		for _, d := range o.dbs {
			if uint64(d) == k.DB {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if len(o.types) > 0 {
		ok := false
		for _, t := range o.types {
			if t == k.Type {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if o.expiring && k.ExpireAt == rdbinspect.NoExpiry || o.persistent && k.ExpireAt != rdbinspect.NoExpiry {
		return false
	}
	if o.expiredAtMs >= 0 && (k.ExpireAt == rdbinspect.NoExpiry || k.ExpireAt > o.expiredAtMs) {
		return false
	}
	if o.minMem > 0 && k.Memory < o.minMem {
		return false
	}
	if o.match != "" && (k.NameLen != uint64(len(k.Name)) || !keyspace.Match([]byte(o.match), k.Name)) {
		return false
	}
	return true
}

// keyRow is one key in the ndjson and --json shape of the contract, which
// appendKeyJSON writes field by field; the table is rendered from it.
type keyRow struct {
	DB            uint64          `json:"db"`
	Key           *string         `json:"key,omitempty"`
	KeyB64        *string         `json:"key_b64,omitempty"`
	Type          string          `json:"type"`
	Encoding      *string         `json:"encoding"`
	ExpiresAtMs   *int64          `json:"expires_at_ms"`
	Elements      *int64          `json:"elements"`
	Size          *int64          `json:"size"`
	Memory        *int64          `json:"memory"`
	Offset        *int64          `json:"offset,omitempty"`
	KeyLen        *uint64         `json:"key_len,omitempty"`
	KeySHA256     string          `json:"key_sha256,omitempty"`
	Written       bool            `json:"written,omitempty"`
	Exists        string          `json:"exists,omitempty"`
	ElementsMax   *int64          `json:"elements_max,omitempty"`
	ExpiryUnknown bool            `json:"expiry_unknown,omitempty"`
	LoaderSkips   bool            `json:"loader_skips,omitempty"`
	Value         json.RawMessage `json:"value,omitempty"`
	ValueOmitted  string          `json:"value_omitted,omitempty"`
}

func i64p(v int64) *int64 { return &v }

// nameFields fills key or key_b64, and key_len with key_sha256 for a
// name that was cut.
func nameFields(name []byte, n uint64, sha [32]byte) (key, b64 *string, keyLen *uint64, hash string) {
	if utf8.Valid(name) {
		s := string(name)
		key = &s
	} else {
		s := base64.StdEncoding.EncodeToString(name)
		b64 = &s
	}
	if n != uint64(len(name)) {
		keyLen = &n
		hash = hex.EncodeToString(sha[:])
	}
	return
}

func rowOf(e *keyspace.Entry) keyRow {
	k := &e.Key
	r := keyRow{DB: k.DB, Type: k.Type}
	r.Key, r.KeyB64, r.KeyLen, r.KeySHA256 = nameFields(k.Name, k.NameLen, k.NameHash)
	if k.Encoding != "" {
		enc := k.Encoding
		r.Encoding = &enc
	}
	if k.ExpireAt != rdbinspect.NoExpiry {
		r.ExpiresAtMs = i64p(k.ExpireAt)
	}
	if k.Elements >= 0 && (!e.Written || e.ElementsMax == k.Elements) {
		r.Elements = i64p(k.Elements)
	}
	if k.Size >= 0 {
		r.Size = i64p(k.Size)
		r.Offset = i64p(k.Offset)
	}
	if k.Memory >= 0 {
		r.Memory = i64p(k.Memory)
	}
	if e.Written {
		r.Written = true
		if e.ElementsMax != k.Elements {
			r.Elements = nil
			if e.ElementsMax >= 0 {
				r.ElementsMax = i64p(e.ElementsMax)
			}
		}
		r.ExpiryUnknown = !e.ExpiryKnown
	}
	if e.Exists == replay.Maybe {
		r.Exists = "maybe"
	}
	r.LoaderSkips = k.Skipped
	return r
}

// keysSummary is what the listed keys add up to.
type keysSummary struct {
	Walked  int64             `json:"walked"`
	Matched int64             `json:"matched"`
	Memory  int64             `json:"memory"`
	Size    int64             `json:"size"`
	DBs     []summaryDB       `json:"dbs"`
	Types   []summaryType     `json:"types"`
	dbIdx   map[uint64]int    `json:"-"`
	typeIdx map[[2]string]int `json:"-"`
}

type summaryDB struct {
	DB      uint64 `json:"db"`
	Keys    int64  `json:"keys"`
	Expires int64  `json:"expires"`
	Memory  int64  `json:"memory"`
	Size    int64  `json:"size"`
}

type summaryType struct {
	Type     string `json:"type"`
	Encoding string `json:"encoding"`
	Keys     int64  `json:"keys"`
	Memory   int64  `json:"memory"`
	Size     int64  `json:"size"`
}

func (s *keysSummary) add(k *rdbinspect.Key) {
	if s.dbIdx == nil {
		s.dbIdx, s.typeIdx = map[uint64]int{}, map[[2]string]int{}
	}
	s.Matched++
	mem, size := max(k.Memory, 0), max(k.Size, 0)
	s.Memory += mem
	s.Size += size
	i, ok := s.dbIdx[k.DB]
	if !ok {
		s.DBs = append(s.DBs, summaryDB{DB: k.DB})
		i = len(s.DBs) - 1
		s.dbIdx[k.DB] = i
	}
	d := &s.DBs[i]
	d.Keys++
	d.Memory += mem
	d.Size += size
	if k.ExpireAt != rdbinspect.NoExpiry {
		d.Expires++
	}
	te := [2]string{k.Type, k.Encoding}
	j, ok := s.typeIdx[te]
	if !ok {
		s.Types = append(s.Types, summaryType{Type: k.Type, Encoding: k.Encoding})
		j = len(s.Types) - 1
		s.typeIdx[te] = j
	}
	t := &s.Types[j]
	t.Keys++
	t.Memory += mem
	t.Size += size
}

func (s *keysSummary) finish() {
	if s.DBs == nil {
		s.DBs = []summaryDB{}
	}
	if s.Types == nil {
		s.Types = []summaryType{}
	}
	sort.Slice(s.DBs, func(i, j int) bool { return s.DBs[i].DB < s.DBs[j].DB })
	sort.Slice(s.Types, func(i, j int) bool {
		if s.Types[i].Memory != s.Types[j].Memory {
			return s.Types[i].Memory > s.Types[j].Memory
		}
		return s.Types[i].Type+s.Types[i].Encoding < s.Types[j].Type+s.Types[j].Encoding
	})
}

// keysResult is the --json document.
type keysResult struct {
	Schema   int                 `json:"schema"`
	Path     string              `json:"path"`
	Input    string              `json:"input"`
	Target   *rdbinspect.Server  `json:"target,omitempty"`
	Dir      *keyspace.DirResult `json:"dir,omitempty"`
	Prefixes *prefixResult       `json:"prefixes,omitempty"`
	Summary  *keysSummary        `json:"summary"`
	Findings finding.List        `json:"findings"`
	Verdict  string              `json:"verdict"`
}

type prefixResult struct {
	Sep      string                `json:"sep"`
	Depth    int                   `json:"depth"`
	Capacity int                   `json:"capacity"`
	Exact    bool                  `json:"exact"`
	Evicted  int64                 `json:"evicted"`
	Top      []keyspace.PrefixStat `json:"top"`
}

// topHeap keeps the N biggest keys.
type topHeap struct {
	by   string
	rows []topEntry
}

type topEntry struct {
	e    keyspace.Entry
	rank int64
}

func (h *topHeap) Len() int           { return len(h.rows) }
func (h *topHeap) Less(i, j int) bool { return h.rows[i].rank < h.rows[j].rank }
func (h *topHeap) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *topHeap) Push(x any)         { h.rows = append(h.rows, x.(topEntry)) }
func (h *topHeap) Pop() any {
	x := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return x
}

func rankOf(e *keyspace.Entry, by string) int64 {
	switch by {
	case "size":
		return e.Size
	case "elements":
		return e.Elements
	}
	return e.Memory
}

// keysSink receives the matching keys and renders them.
type keysSink struct {
	o       keysOptions
	g       *globalOptions
	out     *bufio.Writer
	rows    int64
	top     *topHeap
	pre     *keyspace.Prefixes
	sum     keysSummary
	first   bool
	err     error
	values  func(e *keyspace.Entry) (json.RawMessage, string)
	tableHd bool
	buf     []byte
	// width is what a listing line may take (0: no limit): a key name
	// that does not fit goes on lines of its own below its row.
	width int
}

func (s *keysSink) listing() bool { return s.o.top == 0 && !s.o.prefixReport }

func (s *keysSink) take(e *keyspace.Entry) {
	s.sum.Walked++
	if !s.o.keep(e) {
		return
	}
	s.sum.add(&e.Key)
	if s.pre != nil {
		s.pre.Add(e.Name, e.Memory, e.Size)
	}
	if s.top != nil {
		r := rankOf(e, s.o.by)
		if s.top.Len() < s.o.top || r > s.top.rows[0].rank {
			c := *e
			c.Name = append([]byte(nil), e.Name...)
			c.Members, c.Scores = nil, nil
			if s.top.Len() < s.o.top {
				heap.Push(s.top, topEntry{e: c, rank: r})
			} else {
				s.top.rows[0] = topEntry{e: c, rank: r}
				heap.Fix(s.top, 0)
			}
		}
	}
	if s.listing() {
		s.row(e)
	}
}

// row renders one key in the chosen format.
func (s *keysSink) row(e *keyspace.Entry) {
	if s.err != nil {
		return
	}
	s.rows++
	switch {
	case s.g.json || s.o.format == "ndjson":
		var value json.RawMessage
		var omitted string
		if s.values != nil {
			value, omitted = s.values(e)
		}
		if s.g.json {
			if !s.first {
				s.out.WriteString(",\n    ")
			}
			s.first = false
		}
		s.buf = appendKeyJSON(s.buf[:0], e, value, omitted)
		if !s.g.json {
			s.buf = append(s.buf, '\n')
		}
		s.out.Write(s.buf)
	case s.o.format == "csv":
		if s.rows == 1 {
			s.out.WriteString(csvHeader)
		}
		s.buf = appendKeyCSV(s.buf[:0], e)
		s.out.Write(s.buf)
	default:
		if !s.tableHd {
			s.tableHd = true
			fmt.Fprintf(s.out, keysRowFormat+"%s\n", "DB", "TYPE", "ENCODING", "ELEMENTS", "SIZE", "MEMORY", "EXPIRES", "KEY")
		}
		r := rowOf(e)
		exp := "-"
		if r.ExpiresAtMs != nil {
			exp = time.UnixMilli(*r.ExpiresAtMs).UTC().Format("2006-01-02T15:04:05Z")
		}
		if r.ExpiryUnknown {
			exp = "?"
		}
		name := displayName(string(e.Name))
		if e.NameLen != uint64(len(e.Name)) {
			name += fmt.Sprintf("…(%d bytes)", e.NameLen)
		}
		if r.Written {
			name += " (written by the AOF)"
		}
		if r.Exists == "maybe" {
			name += " (may not exist)"
		}
		row := fmt.Sprintf(keysRowFormat, strconv.FormatUint(r.DB, 10), r.Type, orDash(deref(r.Encoding)), num(r.Elements), num(r.Size), num(r.Memory), exp)
		if s.width == 0 || textWidth(row)+textWidth(name) <= s.width {
			s.out.WriteString(row + name + "\n")
			return
		}
		s.out.WriteString(strings.TrimRight(row, " ") + "\n")
		writeWrapped(&screen{Writer: s.out, width: s.width}, "    ", name)
	}
}

// keysRowFormat lays out a listing row up to its key name: 66 columns, so
// a short name fits in 80.
const keysRowFormat = "%-2s %-6s %-10s %8s %8s %8s %-20s "

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func num(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runKeys(ctx context.Context, g *globalOptions, o keysOptions, arg string, out io.Writer) error {
	in, err := datadir.Identify(arg, o.followSymlinks)
	if err != nil {
		return err
	}
	var d *datadir.Dir
	var file *datadir.File
	switch in.Kind {
	case datadir.InputDataDir, datadir.InputManifest:
		if o.values {
			return usagef("--values reads RDB files only; give the dump or base file")
		}
		if d, err = o.serverConfig.open(g, arg, false); err != nil {
			return err
		}
	case datadir.InputAOF, datadir.InputSnapshot, datadir.InputAppendDir:
		return datadir.WrongKind(in, "an RDB file or a data directory")
	default:
		// Anything else is read as an RDB, as aoftool rdb reads it: a file
		// that is not one is a finding, not a usage mistake.
		if file, err = datadir.OpenLone(arg, datadir.Options{FollowSymlinks: o.followSymlinks, Now: g.now()}); err != nil {
			return err
		}
		defer file.Close()
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	s := &keysSink{o: o, g: g, out: bw, first: true, width: g.screenFor(out).width}
	if o.top > 0 {
		s.top = &topHeap{by: o.by}
	}
	if o.prefixReport {
		s.pre = keyspace.NewPrefixes(o.sep, o.depth, o.capacity)
	}
	res := keysResult{Schema: 1, Path: arg, Input: "rdb", Findings: finding.List{}, Summary: &s.sum}
	if g.json {
		fmt.Fprintf(bw, "{\n  \"schema\": 1,\n  \"path\": %s,\n  \"keys\": [\n    ", jsonString(arg))
	}
	var verdict string
	if d != nil {
		res.Input = "data-dir"
		dr, err := keyspace.ListDir(ctx, d, keyspace.DirOptions{At: o.atMs, Target: o.target}, s.take)
		if err != nil {
			return err
		}
		res.Dir = dr
		res.Findings = append(res.Findings, d.Notes...)
		res.Findings = append(res.Findings, dr.Findings...)
		if dr.BaseReport != nil {
			res.Target = dr.BaseReport.Target
		}
		verdict = dirVerdict(dr)
	} else {
		var rep *rdbinspect.Report
		if o.values {
			rep, err = keysWithValues(ctx, file, arg, o, s)
		} else {
			e := &keyspace.Entry{}
			v := &rdbinspect.Visitor{Key: func(k *rdbinspect.Key) {
				*e = keyspace.Entry{Key: *k, Exists: replay.Present, ExpiryKnown: true, ElementsMax: k.Elements}
				s.take(e)
			}}
			rep = rdbinspect.Verify(ctx, file.ReaderAt(), file.Size, rdbinspect.Options{Path: arg, Visit: v, Target: o.target,
				InProgress: tempRDB.MatchString(filepath.Base(arg)), AOFPreamble: strings.HasSuffix(arg, ".aof")})
		}
		if err != nil {
			return err
		}
		if rep.Err != nil {
			return fmt.Errorf("%s: %w", arg, rep.Err)
		}
		res.Target = rep.Target
		res.Findings = append(res.Findings, rep.Findings...)
		res.Findings = append(res.Findings, file.Settle().Findings(arg, file.Size)...)
		verdict = rep.Verdict
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if s.err != nil {
		return s.err
	}
	s.sum.finish()
	res.Findings.Sort()
	res.Verdict = verdict
	var topRows []keyspace.Entry
	if s.top != nil {
		sort.Slice(s.top.rows, func(i, j int) bool { return s.top.rows[i].rank > s.top.rows[j].rank })
		for _, t := range s.top.rows {
			topRows = append(topRows, t.e)
		}
	}
	if s.pre != nil {
		res.Prefixes = &prefixResult{Sep: o.sep, Depth: o.depth, Capacity: o.capacity, Exact: s.pre.Exact(), Evicted: s.pre.Evicted(), Top: s.pre.Top(o.prefixes)}
	}
	switch {
	case g.json:
		for i := range topRows {
			s.row(&topRows[i])
		}
		bw.WriteString("\n  ],\n")
		rest, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		// The rest of the document: the result's fields after "path".
		body := strings.TrimPrefix(string(rest), "{\n")
		i := strings.Index(body, "\"input\"")
		bw.WriteString("  " + body[i:] + "\n")
	case o.format == "table":
		for i := range topRows {
			s.row(&topRows[i])
		}
		if err := printKeysTable(g.bufferedScreen(bw, out), &res, o, g.useColour(out)); err != nil {
			return err
		}
	default:
		for i := range topRows {
			s.row(&topRows[i])
		}
		if s.pre != nil {
			writePrefixes(g.bufferedScreen(bw, out), o.format, res.Prefixes)
		}
		// Rows go to stdout; findings and the verdict to stderr.
		if len(res.Findings) > 0 || res.Findings.HasError() {
			printFindingsBrief(g.stderr, res.Findings)
		}
	}
	if s.err != nil {
		return s.err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return exitFor(res.Findings)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func dirVerdict(dr *keyspace.DirResult) string {
	switch {
	case dr.Findings.HasError():
		return fmt.Sprintf("the next start is refused or loads damaged files (see the findings); %d keys listed from what the files hold", dr.Listed)
	case dr.BaseFormat == "none" && len(dr.Incr) == 0:
		return "the next start loads no data: an empty dataset"
	case dr.Mode == keyspace.ModeAOFOn:
		return fmt.Sprintf("the next start (appendonly yes, from the %s) loads %s and %d incr file(s): %d keys listed", dr.ModeFrom, orDash(dr.Base), len(dr.Incr), dr.Listed)
	}
	return fmt.Sprintf("the next start (appendonly no, from the %s) loads %s: %d keys listed", dr.ModeFrom, dr.Base, dr.Listed)
}

// printFindingsBrief writes findings one per line (stderr beside machine
// output).
func printFindingsBrief(w io.Writer, l finding.List) {
	for _, f := range l {
		at := ""
		if f.Offset != nil {
			at = fmt.Sprintf(" at offset %d", *f.Offset)
		}
		fmt.Fprintf(w, "aoftool: %s %s: %s%s: %s\n", f.Severity, f.Code, f.Path, at, f.Message)
	}
}

func writePrefixes(w io.Writer, format string, p *prefixResult) {
	if format == "ndjson" {
		for _, st := range p.Top {
			b, _ := json.Marshal(st)
			w.Write(b)
			io.WriteString(w, "\n")
		}
		return
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"depth", "prefix", "keys", "memory", "size", "keys_error", "memory_error", "size_error"})
	for _, st := range p.Top {
		cw.Write([]string{strconv.Itoa(st.Depth), st.Prefix, strconv.FormatInt(st.Keys, 10), strconv.FormatInt(st.Memory, 10), strconv.FormatInt(st.Size, 10),
			strconv.FormatInt(st.KeysErr, 10), strconv.FormatInt(st.MemoryErr, 10), strconv.FormatInt(st.SizeErr, 10)})
	}
	cw.Flush()
}

func printKeysTable(w io.Writer, r *keysResult, o keysOptions, colour bool) error {
	if r.Dir != nil {
		dr := r.Dir
		fmt.Fprintln(w)
		rows := [][2]string{
			{"Start", fmt.Sprintf("appendonly %s (from the %s), at %s", map[bool]string{true: "yes", false: "no"}[dr.Mode == keyspace.ModeAOFOn], dr.ModeFrom, time.UnixMilli(dr.AtMs).UTC().Format(time.RFC3339))},
			{"Base", fmt.Sprintf("%s (%s, %d keys)", orDash(dr.Base), dr.BaseFormat, dr.BaseKeys)},
		}
		if len(dr.Incr) > 0 {
			rows = append(rows, [2]string{"Incr files", strings.Join(dr.Incr, ", ")},
				[2]string{"AOF effect", fmt.Sprintf("%d added, %d removed, %d rewritten, %d may or may not exist", dr.Added, dr.Removed, dr.Written, dr.Uncertain)})
		}
		rows = append(rows, [2]string{"Expired at start", strconv.FormatInt(dr.Expired, 10)})
		if len(dr.Unbounded) > 0 {
			rows = append(rows, [2]string{"Incomplete", fmt.Sprintf("commands the model does not know may have changed more keys in db %v", dr.Unbounded)})
		}
		if err := keyValueTable(w, rows); err != nil {
			return err
		}
	}
	sum := r.Summary
	if r.Prefixes != nil {
		p := r.Prefixes
		state := "exact"
		if !p.Exact {
			state = fmt.Sprintf("approximate: %d distinct prefixes exceeded --prefix-capacity %d (%d replacements); counts are upper bounds, the error columns bound the overcount", p.Capacity+int(p.Evicted), p.Capacity, p.Evicted)
		}
		fmt.Fprintf(w, "\nKeys by prefix (separator %q, depth %d; %s):\n", p.Sep, p.Depth, state)
		t := newTable(w, "Prefix", "Depth", "Keys", "Memory", "Serialized", "Share of memory")
		for _, st := range p.Top {
			pre := displayName(st.Prefix) + "*"
			if st.Depth == 0 {
				pre = "(no separator)"
			}
			share := "-"
			if sum.Memory > 0 {
				share = fmt.Sprintf("%.1f%%", 100*float64(st.Memory)/float64(sum.Memory))
			}
			keys := strconv.FormatInt(st.Keys, 10)
			if st.KeysErr > 0 {
				keys += fmt.Sprintf(" (±%d)", st.KeysErr)
			}
			if err := t.Append([]string{pre, strconv.Itoa(st.Depth), keys, bytesCell(st.Memory), bytesCell(st.Size), share}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	writeWrapped(w, "", fmt.Sprintf("%d of %d keys listed: %s estimated in memory, %s serialized", sum.Matched, sum.Walked, bytesCell(sum.Memory), bytesCell(sum.Size)))
	if len(sum.Types) > 0 {
		t := newTable(w, "Type", "Encoding", "Keys", "Memory", "Serialized")
		for _, ts := range sum.Types {
			if err := t.Append([]string{ts.Type, orDash(ts.Encoding), strconv.FormatInt(ts.Keys, 10), bytesCell(ts.Memory), bytesCell(ts.Size)}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
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
