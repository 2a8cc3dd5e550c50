package snapshot

import (
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/manifest"
)

// SchemaVersion is the JSON schema this version writes and the newest it
// reads. Adding fields keeps the number; renaming or removing one bumps it.
const SchemaVersion = 1

// Source says where a snapshot's facts come from, which decides what it can
// know: a listing has no content, ctime or (without ls -i) inode.
type Source string

const (
	SourceDir     Source = "dir"  // Capture of a directory
	SourceListing Source = "ls"   // FromListing of pasted ls output
	SourceFile    Source = "file" // Load of a saved snapshot whose origin is not recorded
)

// Snapshot is a data directory at one moment.
type Snapshot struct {
	Schema  int       `json:"schema"`
	TakenAt time.Time `json:"taken_at"`
	// Root is the data directory (Redis "dir") as given or as a listing's
	// first directory header; entry paths are relative to it.
	Root   string `json:"root"`
	Source Source `json:"source"`
	// DBFilename, AppendDirName and AppendFilename are the names the
	// snapshot was decoded with (Redis dbfilename, appenddirname,
	// appendfilename). AppendFilenames lists every <af> found through
	// <af>.manifest or multi-part names; several servers may share a dir.
	DBFilename      string   `json:"db_filename"`
	AppendDirName   string   `json:"append_dir_name"`
	AppendFilename  string   `json:"append_filename"`
	AppendFilenames []string `json:"append_filenames,omitempty"`
	// Volume is the file system holding Root; nil when unknown (listings).
	Volume *Volume `json:"volume,omitempty"`
	// Entries are sorted by Path. The root itself is not an entry; the
	// appendonlydir is (Kind KindAppendOnlyDir).
	Entries []Entry `json:"entries"`
	// RootDir is the data directory itself, Path ".": its mtime is the
	// last time the server created, renamed or removed a file in it (a
	// transfer file created, dump.rdb renamed into place, a rewrite output
	// moved into the AOF directory). nil when unknown: a listing without
	// its "." line.
	RootDir *Entry `json:"root_dir,omitempty"`
	// Manifests are the parsed <af>.manifest files, one per <af>.
	Manifests []Manifest `json:"manifests,omitempty"`
	// BytesRead is how many bytes of file content the capture read
	// (headers, tails, manifests): the proof it never reads whole files.
	BytesRead int64 `json:"bytes_read"`
	// Findings are problems met while taking the snapshot (vanished files,
	// garbage listing lines, unreadable headers).
	Findings finding.List `json:"findings"`
}

// Volume is the statfs view of the file system holding the data dir.
type Volume struct {
	FreeBytes  int64 `json:"free_bytes"`  // available to unprivileged users (f_bavail)
	TotalBytes int64 `json:"total_bytes"` // f_blocks * f_bsize
}

// FileType is the type of a directory entry, from lstat or a listing's mode
// column.
type FileType string

const (
	TypeFile    FileType = "file"
	TypeDir     FileType = "dir"
	TypeSymlink FileType = "symlink"
	TypeFIFO    FileType = "fifo"
	TypeSocket  FileType = "socket"
	TypeDevice  FileType = "device"
	TypeOther   FileType = "other"
	// TypeBroken and TypeLoop are a symbolic link's TargetType when the
	// target is missing, or a loop of links: the server reads the first as
	// an absent file and fails on the second.
	TypeBroken FileType = "broken"
	TypeLoop   FileType = "loop"
)

// ContentKind is what an artifact's first bytes are.
type ContentKind string

const (
	ContentRDB     ContentKind = "rdb"     // starts with REDIS or VALKEY
	ContentRESP    ContentKind = "resp"    // starts with '*' (a command) or '#' (a #TS annotation)
	ContentEmpty   ContentKind = "empty"   // 0 bytes
	ContentUnknown ContentKind = "unknown" // read, none of the above
	ContentUnread  ContentKind = "unread"  // not read: a listing, a non-regular file, a directory, or an error
)

// Entry is one directory entry. Zero values mean "not known" where the
// field documents it; Known says explicitly what the source could observe.
type Entry struct {
	// Path is relative to Snapshot.Root, slash-separated ("dump.rdb",
	// "appendonlydir/appendonly.aof.1.base.rdb"). Dir is Path's directory
	// ("" for the root itself), Name its last element.
	Path string   `json:"path"`
	Dir  string   `json:"dir"`
	Name string   `json:"name"`
	Type FileType `json:"type"`

	// Size in bytes. When SizeExact is false (ls -h) the true size lies in
	// [SizeMin, SizeMax] and Size is the value as printed.
	Size      int64 `json:"size"`
	SizeExact bool  `json:"size_exact"`
	SizeMin   int64 `json:"size_min"`
	SizeMax   int64 `json:"size_max"`

	// Mode is the ls-style mode string ("-rw-r--r--"); Perm its permission bits.
	Mode string `json:"mode"`
	Perm uint32 `json:"perm"`

	// Inode and Device identify the file across renames (Redis renames keep
	// the inode); 0 when unknown. Links is the hard link count, 0 when unknown.
	Inode  uint64 `json:"inode,omitempty"`
	Device uint64 `json:"device,omitempty"`
	Links  uint64 `json:"links,omitempty"`

	// MTime is the last write. A listing prints it at a resolution of
	// MTimeResolution seconds (60 for "Nov 20 18:14", 86400 for "Nov 20
	// 2023", 1 for --time-style=long-iso with seconds); 0 means exact to
	// the nanosecond. CTime (inode change: a rename sets it) is nil when
	// unknown.
	MTime           time.Time  `json:"mtime"`
	MTimeResolution int64      `json:"mtime_resolution_s"`
	CTime           *time.Time `json:"ctime,omitempty"`

	// LinkTarget is a symbolic link's target as read (or as listed);
	// TargetType is the type of what it points to (TypeBroken when missing,
	// TypeLoop for a loop of links), empty when unknown (a listing).
	LinkTarget string   `json:"link_target,omitempty"`
	TargetType FileType `json:"target_type,omitempty"`

	// Kind is the artifact recognised from the name (see kind.go); Name*
	// fields hold what the name encodes.
	Kind Kind `json:"kind"`
	// NamePID is the pid in temp-<pid>.rdb, temp-<unixtime>.<pid>.rdb,
	// temp-rewriteaof[-bg]-<pid>.aof and nodes.conf.tmp-<pid>-<ms>.
	NamePID int `json:"name_pid,omitempty"`
	// NameTime is the replica's clock in temp-<unixtime>.<pid>.rdb, or the
	// millisecond time in nodes.conf.tmp-<pid>-<ms>.
	NameTime *time.Time `json:"name_time,omitempty"`
	// NameSeq is <N> in <af>.<N>.base.* and <af>.<N>.incr.aof.
	NameSeq int64 `json:"name_seq,omitempty"`
	// AppendFilename is the <af> a multi-part AOF name belongs to.
	AppendFilename string `json:"append_filename,omitempty"`

	// Content is what the first bytes are; ContentUnread when not read.
	Content ContentKind `json:"content"`
	// RDB summarises the header of an RDB (dump, temp RDB, RDB base);
	// nil when the content is not an RDB or was not read.
	RDB *RDBSummary `json:"rdb,omitempty"`

	// ManifestRole is the type the manifest gives this file: "b" base,
	// "h" history, "i" incr; empty when no manifest lists it.
	// ManifestSeq is the seq on that manifest line.
	ManifestRole string `json:"manifest_role,omitempty"`
	ManifestSeq  int64  `json:"manifest_seq,omitempty"`

	// Known says which facts the source could observe.
	Known Known `json:"known"`
}

// Known lists the facts a snapshot's source could observe for an entry. A
// directory capture knows everything; a listing knows names, types, modes,
// link counts, mtimes (at a resolution) and sizes (exact unless -h).
type Known struct {
	Inode   bool `json:"inode"`
	CTime   bool `json:"ctime"`
	Content bool `json:"content"`
	Size    bool `json:"size"` // exact size
}

// RDBSummary is the part of an RDB header phase evidence uses.
type RDBSummary struct {
	// Magic is "REDIS" or "VALKEY"; Version the RDB format version.
	Magic   string `json:"magic"`
	Version int    `json:"version"`
	// Producer is "redis" or "valkey" (from the redis-ver / valkey-ver aux
	// field), ProducerVersion its value.
	Producer        string `json:"producer,omitempty"`
	ProducerVersion string `json:"producer_version,omitempty"`
	// CTime is the writer's clock at save start (aux "ctime").
	CTime *time.Time `json:"ctime,omitempty"`
	// ReplID and ReplOffset are present in sync payloads and on replicas.
	ReplID     string `json:"repl_id,omitempty"`
	ReplOffset *int64 `json:"repl_offset,omitempty"`
	// AOFBase is the aof-base aux field: 1 in an AOF base, 0 in dump.rdb
	// and transfers; nil when absent (Redis <= 6.2 writes aof-preamble).
	AOFBase *int `json:"aof_base,omitempty"`
	// LooksComplete is the tail heuristic: the file ends with an EOF opcode
	// and a checksum. nil when it could not be decided.
	LooksComplete *bool `json:"looks_complete,omitempty"`
	// EmptyDataset is true when nothing but auxiliary fields precedes the
	// EOF opcode (no keys, functions or module data); nil when the header
	// could not say.
	EmptyDataset *bool `json:"empty_dataset,omitempty"`
	// Error is why the header could not be read fully.
	Error string `json:"error,omitempty"`
}

// Manifest is a parsed <af>.manifest.
type Manifest struct {
	Path           string          `json:"path"`
	AppendFilename string          `json:"append_filename"`
	Size           int64           `json:"size"`
	Files          []ManifestEntry `json:"files"`
	// Valid is false when the Redis loader would refuse the manifest.
	Valid    bool         `json:"valid"`
	Findings finding.List `json:"findings,omitempty"`
	// Parsed is the manifest as the loader read it, for the manifest
	// inspector; a loaded snapshot does not carry it.
	Parsed *manifest.Manifest `json:"-"`
}

// ManifestEntry is one "file <name> seq <n> type <c>" line.
type ManifestEntry struct {
	File string `json:"file"`
	Seq  int64  `json:"seq"`
	Type string `json:"type"` // "b", "h" or "i"
	// Exists says whether the named file is in the snapshot.
	Exists bool `json:"exists"`
}

// Effective is the type of what the name reaches: a symbolic link's
// target type when it is known, the entry's own type otherwise. The server
// follows links, so this is the type it meets.
func (e *Entry) Effective() FileType {
	if e.Type == TypeSymlink && e.TargetType != "" {
		return e.TargetType
	}
	return e.Type
}

// Entry returns the entry with the given relative path, or nil.
func (s *Snapshot) Entry(path string) *Entry {
	for i := range s.Entries {
		if s.Entries[i].Path == path {
			return &s.Entries[i]
		}
	}
	return nil
}

// ByKind returns the entries of the given kinds, in path order.
func (s *Snapshot) ByKind(kinds ...Kind) []*Entry {
	var out []*Entry
	for i := range s.Entries {
		for _, k := range kinds {
			if s.Entries[i].Kind == k {
				out = append(out, &s.Entries[i])
				break
			}
		}
	}
	return out
}
