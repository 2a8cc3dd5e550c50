package snapshot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// ErrSchemaUnsupported is returned by Load for a snapshot written by a newer
// aoftool with a schema this version does not know.
var ErrSchemaUnsupported = errors.New("snapshot: schema not supported")

// ErrNotSnapshot is returned by Load for JSON that is not a snapshot.
var ErrNotSnapshot = errors.New("snapshot: not a snapshot document")

// maxSnapshotBytes bounds what Load reads: far more than any data dir needs.
const maxSnapshotBytes = 256 << 20

// Save writes s as indented JSON.
func (s *Snapshot) Save(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(s)
}

// Load reads a snapshot written by Save. A newer schema is refused with
// ErrSchemaUnsupported rather than half understood; a document without
// schema or entries is ErrNotSnapshot. Loaded entries are re-validated:
// paths are cleaned and kept relative, and Dir/Name are derived from Path.
func Load(r io.Reader) (*Snapshot, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSnapshotBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSnapshotBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrNotSnapshot, maxSnapshotBytes)
	}
	var probe struct {
		Schema  *int            `json:"schema"`
		Entries json.RawMessage `json:"entries"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSnapshot, err)
	}
	if probe.Schema == nil || probe.Entries == nil {
		return nil, fmt.Errorf("%w: no schema or entries field", ErrNotSnapshot)
	}
	if *probe.Schema > SchemaVersion || *probe.Schema < 1 {
		return nil, fmt.Errorf("%w: schema %d, this aoftool reads schema %d (upgrade aoftool)", ErrSchemaUnsupported, *probe.Schema, SchemaVersion)
	}
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSnapshot, err)
	}
	if s.Source == "" {
		s.Source = SourceFile
	}
	n := Names{DBFilename: s.DBFilename, AppendDirName: s.AppendDirName, AppendFilename: s.AppendFilename}.withDefaults()
	s.DBFilename, s.AppendDirName, s.AppendFilename = n.DBFilename, n.AppendDirName, n.AppendFilename
	kept := s.Entries[:0]
	seen := map[string]bool{}
	for _, e := range s.Entries {
		p := path.Clean("/" + strings.ReplaceAll(e.Path, "\\", "/"))[1:]
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		e.Path = p
		dir, name := path.Split(p)
		e.Dir, e.Name = strings.TrimSuffix(dir, "/"), name
		if e.Kind == "" {
			e.applyName(e.Dir == "", n)
		}
		if e.Content == "" {
			e.Content = ContentUnread
		}
		kept = append(kept, e)
	}
	s.Entries = kept
	sort.Slice(s.Entries, func(i, j int) bool { return s.Entries[i].Path < s.Entries[j].Path })
	if s.Entries == nil {
		s.Entries = []Entry{}
	}
	finishSnapshot(&s)
	return &s, nil
}
