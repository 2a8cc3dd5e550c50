package keyspace

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"sort"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/wopen"
	"github.com/aoftool/aoftool/rdbinspect"
	"github.com/aoftool/aoftool/replay"
)

// Side is one side of a key-level diff: an RDB file, or a data directory
// (the keys its next start loads).
type Side struct {
	Path string
	File *datadir.File
	Dir  *datadir.Dir
	// Mode forces a directory's start mode (DirOptions.Mode).
	Mode string
}

// DiffOptions control Diff.
type DiffOptions struct {
	// At is the start time a data directory is judged at (Unix ms).
	At int64
	// Target is the server encodings are named for.
	Target *rdbinspect.Server
	// KeyName caps the bytes kept of a name (default 64 KiB); longer
	// names are told apart by their SHA-256.
	KeyName int
	// MemoryLimit bounds the bytes of key records held in memory (default
	// 64 MiB); past it the records are spilled to hash partitions in a
	// scratch directory that Scratch creates.
	MemoryLimit int64
	Scratch     func() (*wopen.Scratch, error)
}

// Change kinds.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// Change is one key that differs.
type Change struct {
	DB uint64
	// Name, NameLen and NameHash identify the key as rdbinspect.Key does.
	Name     []byte
	NameLen  uint64
	NameHash [32]byte
	Change   string
	// Type is the key's type on the new side (the old one when removed).
	Type string
	// ValueChanged: the value digests differ (DEBUG DIGEST-VALUE without
	// the expiry mark). TTLChanged: the expiries differ.
	ValueChanged bool
	TTLChanged   bool
	OldExpireAt  int64
	NewExpireAt  int64
	// Uncertain: the replay model cannot tell whether the key exists, or
	// (for changed) a side's value is known only through it (the incr
	// files wrote it), so the key may be unchanged.
	Uncertain bool
}

// DBDiff counts the changes of one database.
type DBDiff struct {
	DB        uint64 `json:"db"`
	Added     int64  `json:"added"`
	Removed   int64  `json:"removed"`
	Changed   int64  `json:"changed"`
	Unchanged int64  `json:"unchanged"`
}

// SideResult is what one side's walk found.
type SideResult struct {
	Path     string       `json:"path"`
	Keys     int64        `json:"keys"`
	Dir      *DirResult   `json:"dir,omitempty"`
	Findings finding.List `json:"findings"`
	// Report is an RDB side's verification.
	Report *rdbinspect.Report `json:"-"`
}

// DiffResult sums a diff.
type DiffResult struct {
	Old, New  SideResult `json:"-"`
	DBs       []DBDiff   `json:"dbs"`
	Added     int64      `json:"added"`
	Removed   int64      `json:"removed"`
	Changed   int64      `json:"changed"`
	Unchanged int64      `json:"unchanged"`
	// Spilled says the old side's records outgrew MemoryLimit and went
	// to SpillBytes of partition files.
	Spilled    bool  `json:"spilled"`
	SpillBytes int64 `json:"spill_bytes,omitempty"`
	// PeakRecords is the most key records held in memory at once.
	PeakRecords int64 `json:"peak_records"`
}

// record is what a diff keeps of one key: its identity and what decides
// a change.
type record struct {
	digest    [20]byte
	expire    int64
	typ       uint8
	hasDigest bool
	// maybe: the key may not exist (the replay model cannot tell).
	maybe bool
	seen  bool
}

// keyTypes names record.typ.
var keyTypes = []string{"", "string", "list", "set", "zset", "hash", "stream", "module", "unknown"}

func typeCode(t string) uint8 {
	for i, n := range keyTypes {
		if n == t {
			return uint8(i)
		}
	}
	return uint8(len(keyTypes) - 1)
}

// expireMark is SHA1("!!expire!!"), which DEBUG DIGEST-VALUE XORs into the
// digest of a key with a TTL; a diff takes it out to judge the value
// alone.
var expireMark = sha1.Sum([]byte("!!expire!!"))

// identity encodes a key's database and name: 8 bytes of database, a byte
// saying whether the name was cut, then the name, or for a cut name its
// length, its SHA-256 and the kept prefix.
func identity(b []byte, k *rdbinspect.Key) []byte {
	b = binary.BigEndian.AppendUint64(b, k.DB)
	if k.NameLen == uint64(len(k.Name)) {
		b = append(b, 0)
		return append(b, k.Name...)
	}
	b = append(b, 1)
	b = binary.BigEndian.AppendUint64(b, k.NameLen)
	b = append(b, k.NameHash[:]...)
	return append(b, k.Name...)
}

// decodeIdentity fills c's key fields from an identity.
func decodeIdentity(id []byte, c *Change) {
	c.DB = binary.BigEndian.Uint64(id)
	if id[8] == 0 {
		c.Name = id[9:]
		c.NameLen = uint64(len(c.Name))
		c.NameHash = [32]byte{}
		return
	}
	c.NameLen = binary.BigEndian.Uint64(id[9:])
	copy(c.NameHash[:], id[17:49])
	c.Name = id[49:]
}

func recordOf(e *Entry) record {
	r := record{expire: e.ExpireAt, typ: typeCode(e.Type), hasDigest: e.HasDigest, maybe: e.Exists == replay.Maybe}
	if e.HasDigest {
		r.digest = e.Digest
		if e.ExpireAt != rdbinspect.NoExpiry {
			for i := range r.digest {
				r.digest[i] ^= expireMark[i]
			}
		}
	}
	return r
}

// walkSide calls each for every key of a side.
func walkSide(ctx context.Context, s Side, opt DiffOptions, res *SideResult, each func(*Entry)) error {
	res.Path, res.Findings = s.Path, finding.List{}
	if s.Dir != nil {
		dr, err := ListDir(ctx, s.Dir, DirOptions{At: opt.At, Target: opt.Target, Digest: true, KeyName: opt.KeyName, Mode: s.Mode}, func(e *Entry) {
			res.Keys++
			each(e)
		})
		if err != nil {
			return err
		}
		res.Dir = dr
		res.Findings = append(res.Findings, dr.Findings...)
		res.Report = dr.BaseReport
		return nil
	}
	e := &Entry{}
	v := &rdbinspect.Visitor{Digest: true, KeyName: opt.KeyName, Key: func(k *rdbinspect.Key) {
		res.Keys++
		*e = Entry{Key: *k, Exists: replay.Present, ExpiryKnown: true, ElementsMax: k.Elements}
		each(e)
	}}
	rep := rdbinspect.Verify(ctx, s.File.ReaderAt(), s.File.Size, rdbinspect.Options{Path: s.Path, Visit: v, Target: opt.Target, AOFPreamble: false})
	if rep.Err != nil {
		return fmt.Errorf("%s: %w", s.Path, rep.Err)
	}
	res.Report = rep
	res.Findings = append(res.Findings, rep.Findings...)
	return ctx.Err()
}

// store holds the old side's records in memory until they outgrow the
// limit, then in partition files.
type store struct {
	limit int64
	used  int64
	index map[string]int32
	ids   [][]byte // identities in insertion order
	recs  []record

	parts   *partitions
	nParts  int
	scratch func() (*wopen.Scratch, error)
	sc      *wopen.Scratch
	peak    int64
}

const recordOverhead = 96 // map entry, slice entries, record

func (st *store) add(id []byte, r record) error {
	if st.parts != nil {
		return st.parts.write(0, id, r)
	}
	if _, dup := st.index[string(id)]; dup {
		return nil // the loader refuses a repeated key; the first is kept
	}
	st.index[string(id)] = int32(len(st.recs))
	st.ids = append(st.ids, append([]byte(nil), id...))
	st.recs = append(st.recs, r)
	st.used += int64(len(id))*2 + recordOverhead
	st.peak = max(st.peak, int64(len(st.recs)))
	if st.used > st.limit {
		return st.spill()
	}
	return nil
}

// spill moves every record to partition files; later records go there
// directly.
func (st *store) spill() error {
	sc, err := st.scratch()
	if err != nil {
		return err
	}
	st.sc = sc
	st.parts = newPartitions(sc, st.nParts)
	for i, id := range st.ids {
		if err := st.parts.write(0, id, st.recs[i]); err != nil {
			return err
		}
	}
	st.index, st.ids, st.recs = nil, nil, nil
	return nil
}

// Diff compares the keys of two sides and calls emit for every key that
// differs (the Change is reused). Without a spill, changes come in the new
// side's order and removals in the old side's order; after a spill, by
// hash partition.
func Diff(ctx context.Context, oldSide, newSide Side, opt DiffOptions, emit func(*Change)) (*DiffResult, error) {
	if opt.MemoryLimit <= 0 {
		opt.MemoryLimit = 64 << 20
	}
	res := &DiffResult{DBs: []DBDiff{}}
	st := &store{limit: opt.MemoryLimit, index: map[string]int32{}, scratch: opt.Scratch, nParts: partitionsFor(oldSide, opt.MemoryLimit)}
	if st.scratch == nil {
		st.scratch = func() (*wopen.Scratch, error) { return wopen.NewScratch("--spill-dir", "") }
	}
	defer func() {
		if st.parts != nil {
			st.parts.close()
		}
		if st.sc != nil {
			st.sc.Close()
		}
	}()
	var idBuf []byte
	var err error
	if e := walkSide(ctx, oldSide, opt, &res.Old, func(e *Entry) {
		if err != nil {
			return
		}
		idBuf = identity(idBuf[:0], &e.Key)
		err = st.add(idBuf, recordOf(e))
	}); e != nil {
		return nil, e
	}
	if err != nil {
		return nil, err
	}
	res.PeakRecords = st.peak
	dbs := map[uint64]*DBDiff{}
	count := func(db uint64) *DBDiff {
		d := dbs[db]
		if d == nil {
			d = &DBDiff{DB: db}
			dbs[db] = d
		}
		return d
	}
	c := &Change{}
	report := func(id []byte, kind string, o, n *record) {
		*c = Change{Change: kind, OldExpireAt: rdbinspect.NoExpiry, NewExpireAt: rdbinspect.NoExpiry}
		decodeIdentity(id, c)
		d := count(c.DB)
		switch kind {
		case Added:
			res.Added++
			d.Added++
			c.Type, c.NewExpireAt, c.Uncertain = keyTypes[n.typ], n.expire, n.maybe
		case Removed:
			res.Removed++
			d.Removed++
			c.Type, c.OldExpireAt, c.Uncertain = keyTypes[o.typ], o.expire, o.maybe
		default:
			res.Changed++
			d.Changed++
			c.Type, c.OldExpireAt, c.NewExpireAt = keyTypes[n.typ], o.expire, n.expire
			c.ValueChanged = o.typ != n.typ || o.hasDigest && n.hasDigest && o.digest != n.digest
			c.TTLChanged = o.expire != n.expire
			c.Uncertain = o.maybe || n.maybe || !o.hasDigest || !n.hasDigest
		}
		emit(c)
	}
	compare := func(id []byte, o, n *record) {
		same := o.typ == n.typ && o.expire == n.expire && o.hasDigest && n.hasDigest && o.digest == n.digest && !o.maybe && !n.maybe
		if same {
			res.Unchanged++
			count(binary.BigEndian.Uint64(id)).Unchanged++
			return
		}
		report(id, Changed, o, n)
	}
	if st.parts == nil {
		// The old side fits in memory: stream the new side against it.
		if e := walkSide(ctx, newSide, opt, &res.New, func(e *Entry) {
			idBuf = identity(idBuf[:0], &e.Key)
			n := recordOf(e)
			i, ok := st.index[string(idBuf)]
			if !ok {
				report(idBuf, Added, nil, &n)
				return
			}
			o := &st.recs[i]
			if o.seen {
				return
			}
			o.seen = true
			compare(idBuf, o, &n)
		}); e != nil {
			return nil, e
		}
		for i := range st.recs {
			if !st.recs[i].seen {
				report(st.ids[i], Removed, &st.recs[i], nil)
			}
		}
	} else {
		res.Spilled = true
		if e := walkSide(ctx, newSide, opt, &res.New, func(e *Entry) {
			if err != nil {
				return
			}
			idBuf = identity(idBuf[:0], &e.Key)
			err = st.parts.write(1, idBuf, recordOf(e))
		}); e != nil {
			return nil, e
		}
		if err != nil {
			return nil, err
		}
		if err := st.parts.flush(); err != nil {
			return nil, err
		}
		res.SpillBytes = st.parts.bytes
		if err := st.parts.join(ctx, &res.PeakRecords, report, compare); err != nil {
			return nil, err
		}
	}
	for _, d := range dbs {
		res.DBs = append(res.DBs, *d)
	}
	sort.Slice(res.DBs, func(i, j int) bool { return res.DBs[i].DB < res.DBs[j].DB })
	return res, nil
}

// partitionsFor sizes the spill so that one partition of the old side fits
// the memory limit: a record costs about 13 times the bytes a key takes at
// least in a file, so a file of size S holds at most 13·S bytes of records.
// Between 64 and 256 partitions (two files each); past 256·limit bytes of
// records a partition outgrows the limit.
func partitionsFor(s Side, limit int64) int {
	n := int64(64)
	if s.File != nil {
		n = max(n, 13*s.File.Size/max(limit, 1)+1)
	}
	return int(min(n, 256))
}

// partitions are the spill files: for each of n hash partitions one file
// per side.
type partitions struct {
	n     int
	sc    *wopen.Scratch
	seed  maphash.Seed
	files [2][]*os.File
	bufs  [2][]*bufio.Writer
	bytes int64
	enc   []byte
}

func newPartitions(sc *wopen.Scratch, n int) *partitions {
	return &partitions{n: n, sc: sc, seed: maphash.MakeSeed()}
}

func (p *partitions) write(side int, id []byte, r record) error {
	i := maphash.Bytes(p.seed, id) % uint64(p.n)
	if p.files[side] == nil {
		p.files[side] = make([]*os.File, p.n)
		p.bufs[side] = make([]*bufio.Writer, p.n)
	}
	if p.files[side][i] == nil {
		f, err := p.sc.Create(fmt.Sprintf("side%d-part%02d", side, i))
		if err != nil {
			return err
		}
		p.files[side][i] = f
		p.bufs[side][i] = bufio.NewWriterSize(f, 16<<10)
	}
	b := p.enc[:0]
	b = binary.AppendUvarint(b, uint64(len(id)))
	b = append(b, id...)
	b = binary.AppendVarint(b, r.expire)
	flags := byte(0)
	if r.hasDigest {
		flags |= 1
	}
	if r.maybe {
		flags |= 2
	}
	b = append(b, r.typ, flags)
	b = append(b, r.digest[:]...)
	p.enc = b
	p.bytes += int64(len(b))
	_, err := p.bufs[side][i].Write(b)
	return err
}

func (p *partitions) flush() error {
	for side := range p.bufs {
		for _, w := range p.bufs[side] {
			if w != nil {
				if err := w.Flush(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (p *partitions) close() {
	for side := range p.files {
		for _, f := range p.files[side] {
			if f != nil {
				f.Close()
			}
		}
	}
}

// readRecords calls each for every record of one partition file.
func readRecords(f *os.File, each func(id []byte, r record) error) error {
	if f == nil {
		return nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	var id []byte
	for {
		n, err := binary.ReadUvarint(br)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil || n > 1<<20 {
			return fmt.Errorf("spill file %s: bad record", f.Name())
		}
		if uint64(cap(id)) < n {
			id = make([]byte, n)
		}
		id = id[:n]
		if _, err := io.ReadFull(br, id); err != nil {
			return err
		}
		var r record
		if r.expire, err = binary.ReadVarint(br); err != nil {
			return err
		}
		var tf [2]byte
		if _, err := io.ReadFull(br, tf[:]); err != nil {
			return err
		}
		r.typ, r.hasDigest, r.maybe = tf[0], tf[1]&1 != 0, tf[1]&2 != 0
		if _, err := io.ReadFull(br, r.digest[:]); err != nil {
			return err
		}
		if err := each(id, r); err != nil {
			return err
		}
	}
}

// join compares the two sides one partition at a time: the old side's
// records of a partition in memory, the new side's streamed against them.
func (p *partitions) join(ctx context.Context, peak *int64, report func([]byte, string, *record, *record), compare func([]byte, *record, *record)) error {
	for i := 0; i < p.n; i++ {
		var oldF, newF *os.File
		if p.files[0] != nil {
			oldF = p.files[0][i]
		}
		if p.files[1] != nil {
			newF = p.files[1][i]
		}
		index := map[string]int32{}
		var ids [][]byte
		var recs []record
		if err := readRecords(oldF, func(id []byte, r record) error {
			if _, dup := index[string(id)]; dup {
				return nil
			}
			index[string(id)] = int32(len(recs))
			ids = append(ids, bytes.Clone(id))
			recs = append(recs, r)
			return nil
		}); err != nil {
			return err
		}
		*peak = max(*peak, int64(len(recs)))
		if err := readRecords(newF, func(id []byte, n record) error {
			j, ok := index[string(id)]
			if !ok {
				report(id, Added, nil, &n)
				return nil
			}
			o := &recs[j]
			if o.seen {
				return nil
			}
			o.seen = true
			compare(id, o, &n)
			return nil
		}); err != nil {
			return err
		}
		for j := range recs {
			if !recs[j].seen {
				report(ids[j], Removed, &recs[j], nil)
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}
