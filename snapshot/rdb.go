package snapshot

import (
	"io"
	"strings"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/manifest"
	"github.com/aoftool/aoftool/rdbinspect"
)

// rdbHeader summarises an RDB's header through rdbinspect's bounded reader
// (at most rdbinspect.HeaderWindow bytes from the start plus the last 9).
func rdbHeader(ra io.ReaderAt, size int64) *RDBSummary {
	h, err := rdbinspect.ReadHeader(ra, size)
	s := &RDBSummary{}
	if err != nil {
		s.Error = err.Error()
	}
	if h == nil {
		return s
	}
	s.Magic = h.Magic
	if i := strings.IndexAny(s.Magic, "0123456789"); i > 0 {
		s.Magic = s.Magic[:i]
	}
	s.Version = h.Version
	switch {
	case h.ValkeyVer != "":
		s.Producer, s.ProducerVersion = "valkey", h.ValkeyVer
	case h.RedisVer != "":
		s.Producer, s.ProducerVersion = "redis", h.RedisVer
	case h.Producer != "unknown":
		s.Producer = h.Producer
	}
	// A corrupt ctime aux field can claim any year; JSON time stops at 9999.
	if !h.CTime.IsZero() && h.CTime.Year() >= 1970 && h.CTime.Year() <= 9999 {
		t := h.CTime.UTC()
		s.CTime = &t
	}
	s.ReplID = h.ReplID
	s.ReplOffset = h.ReplOffset
	if h.AOFBase != nil {
		v := 0
		if *h.AOFBase {
			v = 1
		}
		s.AOFBase = &v
	}
	if err == nil {
		lc := h.Tail.LooksComplete
		s.LooksComplete = &lc
	}
	if h.AuxEnd >= 0 {
		empty := h.EmptyDataset
		s.EmptyDataset = &empty
	}
	return s
}

// parseManifest parses a manifest exactly as the Redis loader reads it.
func parseManifest(r io.Reader, p string) (*Manifest, finding.List) {
	pm, fl := manifest.Parse(r, p)
	if pm == nil {
		return nil, fl
	}
	m := &Manifest{Path: p, Valid: pm.Fatal == nil, Files: []ManifestEntry{}, Parsed: pm}
	for _, e := range pm.Entries {
		m.Files = append(m.Files, ManifestEntry{File: e.Name, Seq: e.Seq, Type: string(e.Type)})
	}
	if len(fl) > 0 {
		m.Findings = fl
	}
	return m, fl
}
