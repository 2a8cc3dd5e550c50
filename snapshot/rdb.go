package snapshot

import (
	"io"
	"strconv"
)

// rdbHeader summarises an RDB's header. Until the full header reader is
// wired in, the magic and version come from the first bytes already read.
func rdbHeader(_ io.ReaderAt, _ int64, first []byte) *RDBSummary {
	s := &RDBSummary{}
	switch {
	case hasPrefix(first, "REDIS"):
		s.Magic = "REDIS"
	case hasPrefix(first, "VALKEY"):
		s.Magic = "VALKEY"
	}
	digits := first[len(s.Magic):]
	if len(digits) > 4 {
		digits = digits[:4]
	}
	end := 0
	for end < len(digits) && digits[end] >= '0' && digits[end] <= '9' {
		end++
	}
	if v, err := strconv.Atoi(string(digits[:end])); err == nil {
		s.Version = v
	}
	return s
}

// parseManifest parses a manifest; nil until the manifest parser is wired in.
func parseManifest(_ io.Reader, _ string) *Manifest { return nil }
