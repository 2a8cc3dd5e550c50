package rdbinspect

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aoftool/aoftool/internal/rdbdamage"
)

// maxFuzzInput bounds the inputs the targets take. Go's minimizer tries
// every pair of cut points of an interesting input, so its cost grows with
// the square of the input: large inputs would spend the whole run being
// minimized. RDB records are small; these sizes cover every structure.
const maxFuzzInput = 1 << 10

// fuzzSeeds are the small real dumps in testdata, every record of the
// payload fixtures as a one-record dump, and built encodings that reach the
// rarer branches (LZF, 64-bit lengths, module values, streams).
func fuzzSeeds(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(fixtures, "*", "*"))
	for _, p := range paths {
		if filepath.Ext(p) == ".sh" || filepath.Ext(p) == ".md" {
			continue
		}
		if b, err := os.ReadFile(p); err == nil && len(b) <= maxFuzzInput {
			f.Add(b)
		}
	}
	payload, _ := filepath.Glob(filepath.Join("testdata", "payload", "*.rdb"))
	for _, p := range payload {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		file, err := rdbdamage.Parse(b)
		if err != nil {
			f.Fatalf("%s: %v", p, err)
		}
		for _, r := range file.Records {
			one := append([]byte(nil), b[:9]...)
			one = append(one, opSelectDB, 0)
			one = append(one, b[r.Start:r.End]...)
			one = append(one, opEOF)
			if len(one)+8 <= maxFuzzInput {
				f.Add(binary.LittleEndian.AppendUint64(one, CRC64Update(0, one)))
			}
		}
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "seeds", "*.rdb"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(newBuilder(10).raw(opSelectDB, 0, typeString, 1, 'k', 0xc3, 3, 6, 1, 'a', 'b', 0x20, 1).eof(true))
	f.Add(newBuilder(10).raw(opModuleAux).length(1 << 40).length(2).length(1).raw(5).str("x").raw(0).eof(true))
	f.Add(newBuilder(10).raw(opSelectDB, 0, typeModule2).str("m").length(77).raw(1, 5, 3, 1, 2, 3, 4, 0).eof(true))
	f.Add(newBuilder(12).raw(opSelectDB, 0, typeHashMeta).str("h").raw(0, 0, 0, 0, 0, 0, 0, 0).length(1).length(0).str("f").str("v").eof(true))
	f.Add(newBuilder(9).raw(opSelectDB, 0, opExpireTimeMS, 1, 2, 3, 4, 5, 6, 7, 8, typeZSet).str("z").length(1).str("m").raw(3, '1', '.', '5').eof(false))
	f.Add([]byte("VALKEY080\xfa\x0avalkey-ver\x058.1.0\xff\x00\x00\x00\x00\x00\x00\x00\x00"))
}

func FuzzHeader(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ReadHeader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			var ce *CorruptionError
			if !errors.As(err, &ce) {
				t.Fatalf("untyped error %v", err)
			}
			if ce.Offset < 0 || ce.Offset > int64(len(b)) {
				t.Fatalf("error offset %d outside %d bytes", ce.Offset, len(b))
			}
			if errors.Is(err, ErrNotRDB) && h.Version != 0 {
				t.Fatalf("bad magic with version %d", h.Version)
			}
			return
		}
		if h.AuxEnd > int64(len(b)) || h.AuxEnd < -1 {
			t.Fatalf("aux end %d outside %d bytes", h.AuxEnd, len(b))
		}
		prev := int64(-1)
		for _, a := range h.Aux {
			if a.Offset <= prev || a.Offset >= int64(len(b)) || b[a.Offset] != opAux {
				t.Fatalf("aux %q at %d (prev %d)", a.Key, a.Offset, prev)
			}
			prev = a.Offset
		}
		if h.EmptyDataset && (h.AuxEnd < 0 || b[h.AuxEnd] != opEOF) {
			t.Fatalf("empty dataset without EOF at aux end %d", h.AuxEnd)
		}
	})
}

func FuzzWalk(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzInput {
			t.Skip()
		}
		size := int64(len(b))
		rep := Verify(context.Background(), bytes.NewReader(b), size, Options{Keys: true, Top: 3})
		if rep.Err != nil {
			t.Fatalf("read error on an in-memory file: %v", rep.Err)
		}
		for _, fd := range rep.Findings {
			if fd.Offset != nil && (*fd.Offset < 0 || *fd.Offset > size) {
				t.Fatalf("finding %v outside %d bytes", fd, size)
			}
		}
		if rep.StoppedAt != nil && (*rep.StoppedAt < 0 || *rep.StoppedAt > size) {
			t.Fatalf("stopped at %d outside %d bytes", *rep.StoppedAt, size)
		}
		if rep.Complete {
			if rep.RDBEnd < 9 || rep.RDBEnd > size {
				t.Fatalf("complete with RDB end %d of %d", rep.RDBEnd, size)
			}
		} else if rep.RDBEnd != -1 {
			t.Fatalf("incomplete with RDB end %d", rep.RDBEnd)
		}
		if !rep.Complete && rep.StructureChecked && !rep.Findings.HasError() {
			t.Fatalf("incomplete RDB without an error: %v", rep.Findings)
		}
		var keys int64
		for _, d := range rep.Keys.DBs {
			keys += d.Keys
		}
		if keys != rep.Keys.Keys || rep.Keys.Expires > rep.Keys.Keys {
			t.Fatalf("key counts %d vs %d, expires %d", keys, rep.Keys.Keys, rep.Keys.Expires)
		}
		// A dump accepted as complete and intact must not stay so when cut.
		if rep.Complete && !rep.Findings.HasError() && rep.RDBEnd == size && size > 9 {
			cut := Verify(context.Background(), bytes.NewReader(b[:size-1]), size-1, Options{})
			if !cut.Findings.HasError() {
				t.Fatalf("a dump cut by one byte passes: %v", cut.Findings)
			}
		}
	})
}

// payloadSeeds are containers of every kind: valid ones as Redis encodes
// them, the containers of the payload fixtures, and damaged variants.
func payloadSeeds(f *testing.F) {
	add := func(kind int, b []byte) {
		if len(b) <= maxFuzzInput {
			f.Add(byte(kind), b, false)
			f.Add(byte(kind), b, true)
		}
	}
	add(kindZiplist, rdbdamage.Ziplist("a", "12", "-70000", "1099511627776", string(bytes.Repeat([]byte("x"), 70))))
	add(kindZiplistPairs, rdbdamage.Ziplist("f", "v", "1", "2"))
	add(kindZiplistPairs, rdbdamage.Ziplist("f", "v", "f", "w"))
	add(kindListpack, rdbdamage.Listpack("a", "127", "-4096", "32767", "-8388608", "2147483647", "-9223372036854775808", string(bytes.Repeat([]byte("y"), 70))))
	add(kindListpackPairs, rdbdamage.Listpack("f", "v", "g", "w"))
	add(kindListpackSet, rdbdamage.Listpack("a", "b", "a"))
	add(kindListpackTTL, rdbdamage.Listpack("g", "w", "1764000000000", "f", "v", "0"))
	add(kindStream, rdbdamage.Listpack("1", "0", "1", "f", "0", "2", "0", "0", "v", "4"))
	add(kindStream, rdbdamage.Listpack("2", "1", "1", "f", "0", "0", "5", "1", "2", "g", "h", "x", "y", "6", "3", "0", "1", "z", "4"))
	add(kindIntset, rdbdamage.Intset(1, 2, 70000))
	add(kindIntset, rdbdamage.Intset(5, 1))
	add(kindZipmap, rdbdamage.Zipmap("f1", "v1", "f2", string(bytes.Repeat([]byte("z"), 300))))
	payload, _ := filepath.Glob(filepath.Join("testdata", "payload", "*.rdb"))
	for _, p := range payload {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		file, err := rdbdamage.Parse(b)
		if err != nil {
			f.Fatalf("%s: %v", p, err)
		}
		for _, r := range file.Records {
			kind := -1
			switch r.Type {
			case typeListZiplist, typeListQuicklist:
				kind = kindZiplist
			case typeZSetZiplist, typeHashZiplist:
				kind = kindZiplistPairs
			case typeListQuicklist2:
				kind = kindListpack
			case typeHashListpack, typeZSetListpack:
				kind = kindListpackPairs
			case typeSetListpack:
				kind = kindListpackSet
			case typeHashLPEx:
				kind = kindListpackTTL
			case typeSetIntset:
				kind = kindIntset
			}
			if kind >= 0 {
				add(kind, r.Strings[0].Plain)
			}
			if r.Stream != nil && len(r.Stream.Nodes) > 1 {
				add(kindStream, r.Stream.Nodes[1].Plain)
			}
		}
	}
}

// FuzzPayload runs every container check on arbitrary bytes, stored plain
// or LZF-compressed, and compares it with the in-memory translation of the
// server's validator: the same verdict, and the same split between faults
// the server always catches and those only sanitization catches.
func FuzzPayload(f *testing.F) {
	payloadSeeds(f)
	f.Fuzz(func(t *testing.T, kindByte byte, blob []byte, lzf bool) {
		if len(blob) > maxFuzzInput {
			t.Skip()
		}
		kind := int(kindByte) % numKinds
		info, fault, good := checkBlob(kind, blob, lzf)
		if !good {
			t.Fatalf("the string holding the container failed to read")
		}
		lpSlowOnly = true
		sinfo, sfault, _ := checkBlob(kind, blob, lzf)
		lpSlowOnly = false
		if (fault == nil) != (sfault == nil) || (fault != nil && *fault != *sfault) || info != sinfo {
			t.Fatalf("kind %d: the whole-entry path gives %+v %+v, the piecewise path %+v %+v", kind, info, fault, sinfo, sfault)
		}
		refOK, refShallow := reference(kind, blob)
		if (fault == nil) != refOK {
			t.Fatalf("kind %d: streaming check says fault %+v, the server's validator ok=%v", kind, fault, refOK)
		}
		if fault != nil {
			if fault.shallow != refShallow {
				t.Fatalf("kind %d: fault %+v shallow=%v, the server's header check failing=%v", kind, fault, fault.shallow, refShallow)
			}
			if fault.at > uint64(len(blob)) {
				t.Fatalf("fault at %d past %d bytes", fault.at, len(blob))
			}
			return
		}
		if info.entries < 0 || info.entries > int64(len(blob)) {
			t.Fatalf("%d entries in %d bytes", info.entries, len(blob))
		}
	})
}

// FuzzVisit walks hostile files with a key visitor asking for everything
// (digests, members of every key) and checks that visiting changes
// nothing the walk reports, reports each walked key once, and keeps within
// its caps.
func FuzzVisit(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzInput {
			t.Skip()
		}
		size := int64(len(b))
		plain := Verify(context.Background(), bytes.NewReader(b), size, Options{})
		var n int64
		v := &Visitor{Digest: true, MaxMembers: 8, MaxMemberBytes: 64, KeyName: 16,
			Want: func(uint64, []byte, uint64) bool { return true },
			Key: func(k *Key) {
				n++
				if len(k.Name) > 16 || uint64(len(k.Name)) > k.NameLen {
					t.Fatalf("name of %d bytes kept, full %d", len(k.Name), k.NameLen)
				}
				if len(k.Members) > 8*3 {
					t.Fatalf("%d members kept past the cap", len(k.Members))
				}
				var total int
				for _, m := range k.Members {
					total += len(m)
				}
				if total > 64 {
					t.Fatalf("%d member bytes kept past the cap", total)
				}
				if k.Offset < 0 || k.Offset+k.Size > size {
					t.Fatalf("record at %d+%d outside %d bytes", k.Offset, k.Size, size)
				}
			}}
		rep := Verify(context.Background(), bytes.NewReader(b), size, Options{Visit: v})
		if n != rep.Keys.Keys {
			t.Fatalf("visited %d keys, walked %d", n, rep.Keys.Keys)
		}
		if len(rep.Findings) != len(plain.Findings) || rep.Verdict != plain.Verdict {
			t.Fatalf("a visitor changed the report: %v / %v", rep.Findings, plain.Findings)
		}
		for i := range rep.Findings {
			if rep.Findings[i].Code != plain.Findings[i].Code {
				t.Fatalf("a visitor changed finding %d: %v / %v", i, rep.Findings[i], plain.Findings[i])
			}
		}
	})
}
