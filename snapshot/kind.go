package snapshot

import (
	"strconv"
	"strings"
	"time"
)

// Kind is the artifact a name denotes, as Redis 7.x names its files. The
// kind comes from the name alone; Entry.Content says what the bytes are
// (suffixes lie: a .base.aof may hold an RDB).
type Kind string

const (
	KindDump          Kind = "dump"            // <dbfilename>, dump.rdb by default
	KindTransferTemp  Kind = "transfer-temp"   // temp-<unixtime>.<pid>.rdb: a replica receiving a full sync to disk
	KindBgsaveTemp    Kind = "bgsave-temp"     // temp-<pid>.rdb: a BGSAVE child, or SAVE/shutdown in the server itself
	KindRewriteTemp   Kind = "rewrite-temp"    // temp-rewriteaof-<pid>.aof: an AOF rewrite child writing the new base
	KindRewriteBgTemp Kind = "rewrite-bg-temp" // temp-rewriteaof-bg-<pid>.aof: the finished base, not yet installed by the parent
	KindTempIncr      Kind = "temp-incr"       // temp-<af>.incr: writes during the first rewrite after AOF was switched on
	KindTempManifest  Kind = "temp-manifest"   // temp-<af>.manifest: a manifest write that did not finish
	KindBaseRDB       Kind = "base-rdb"        // <af>.<N>.base.rdb
	KindBaseAOF       Kind = "base-aof"        // <af>.<N>.base.aof (RESP by name; check Content)
	KindIncr          Kind = "incr"            // <af>.<N>.incr.aof
	KindManifest      Kind = "manifest"        // <af>.manifest
	KindLegacyAOF     Kind = "legacy-aof"      // <af> itself (appendonly.aof): Redis <= 6.2, or a base moved in by the 7.x upgrade
	KindAppendOnlyDir Kind = "appendonlydir"   // the <appenddirname> directory
	KindNodesConf     Kind = "nodes-conf"      // nodes.conf (cluster config)
	KindNodesConfTemp Kind = "nodes-conf-temp" // nodes.conf.tmp-<pid>-<ms>: a cluster config save in progress (7.2+)
	KindUnknown       Kind = "unknown"         // anything else
)

// AllKinds lists every kind, for documentation and exhaustive tests.
var AllKinds = []Kind{KindDump, KindTransferTemp, KindBgsaveTemp, KindRewriteTemp, KindRewriteBgTemp,
	KindTempIncr, KindTempManifest, KindBaseRDB, KindBaseAOF, KindIncr, KindManifest, KindLegacyAOF,
	KindAppendOnlyDir, KindNodesConf, KindNodesConfTemp, KindUnknown}

// IsTemp reports whether the kind is a temp file of a job (live or dead):
// what a steady directory does not hold.
func (k Kind) IsTemp() bool {
	switch k {
	case KindTransferTemp, KindBgsaveTemp, KindRewriteTemp, KindRewriteBgTemp, KindTempIncr, KindTempManifest, KindNodesConfTemp:
		return true
	}
	return false
}

// IsRDBLike reports whether files of this kind normally hold an RDB, so
// their header is worth reading.
func (k Kind) IsRDBLike() bool {
	switch k {
	case KindDump, KindTransferTemp, KindBgsaveTemp, KindRewriteTemp, KindRewriteBgTemp, KindBaseRDB, KindBaseAOF, KindLegacyAOF:
		return true
	}
	return false
}

// Describe is a short phrase for people.
func (k Kind) Describe() string {
	switch k {
	case KindDump:
		return "RDB snapshot"
	case KindTransferTemp:
		return "replica full-sync transfer file"
	case KindBgsaveTemp:
		return "BGSAVE/SAVE temp RDB"
	case KindRewriteTemp:
		return "AOF rewrite output being written"
	case KindRewriteBgTemp:
		return "finished AOF rewrite output awaiting install"
	case KindTempIncr:
		return "temp incr AOF (first rewrite after AOF was enabled)"
	case KindTempManifest:
		return "temp manifest"
	case KindBaseRDB:
		return "AOF base (RDB)"
	case KindBaseAOF:
		return "AOF base (RESP)"
	case KindIncr:
		return "AOF incr file"
	case KindManifest:
		return "AOF manifest"
	case KindLegacyAOF:
		return "single-file AOF (legacy)"
	case KindAppendOnlyDir:
		return "AOF directory"
	case KindNodesConf:
		return "cluster config"
	case KindNodesConfTemp:
		return "cluster config being saved"
	}
	return "not a Redis artifact"
}

// Names are the configured file names a directory is decoded with.
type Names struct {
	DBFilename     string // dbfilename, default dump.rdb
	AppendDirName  string // appenddirname, default appendonlydir
	AppendFilename string // appendfilename, default appendonly.aof
}

// DefaultNames are Redis's defaults.
func DefaultNames() Names {
	return Names{DBFilename: "dump.rdb", AppendDirName: "appendonlydir", AppendFilename: "appendonly.aof"}
}

func (n Names) withDefaults() Names {
	d := DefaultNames()
	if n.DBFilename == "" {
		n.DBFilename = d.DBFilename
	}
	if n.AppendDirName == "" {
		n.AppendDirName = d.AppendDirName
	}
	if n.AppendFilename == "" {
		n.AppendFilename = d.AppendFilename
	}
	return n
}

// NameInfo is what a name encodes.
type NameInfo struct {
	Kind           Kind
	PID            int
	Time           *time.Time
	Seq            int64
	AppendFilename string
}

var (
	reTransfer  = lazyRE(`^temp-(\d{1,19})\.(\d{1,19})\.rdb$`)
	reBgsave    = lazyRE(`^temp-(\d{1,19})\.rdb$`)
	reRewriteBg = lazyRE(`^temp-rewriteaof-bg-(\d{1,19})\.aof$`)
	reRewrite   = lazyRE(`^temp-rewriteaof-(\d{1,19})\.aof$`)
	reTempIncr  = lazyRE(`^temp-(.+)\.incr$`)
	reTempMan   = lazyRE(`^temp-(.+)\.manifest$`)
	rePart      = lazyRE(`^(.+)\.(\d{1,19})\.(base\.rdb|base\.aof|incr\.aof)$`)
	reManifest  = lazyRE(`^(.+)\.manifest$`)
	reNodesTmp  = lazyRE(`^(.+\.conf)\.tmp-(\d{1,19})-(\d{1,19})$`)
)

// DecodeName recognises a name. isDir is true for directories: only the
// root-level <appenddirname> directory is an artifact. inAppendDir is true
// for entries inside appenddirname; unknown when a listing has no
// directory headers, so multi-part names are recognised anywhere.
func DecodeName(name string, isDir, atRoot bool, n Names) NameInfo {
	n = n.withDefaults()
	if isDir {
		if name == n.AppendDirName && atRoot {
			return NameInfo{Kind: KindAppendOnlyDir}
		}
		return NameInfo{Kind: KindUnknown}
	}
	if name == n.DBFilename {
		return NameInfo{Kind: KindDump}
	}
	if m := reTransfer.FindStringSubmatch(name); m != nil {
		info := NameInfo{Kind: KindTransferTemp, PID: atoiPID(m[2])}
		if sec, err := strconv.ParseInt(m[1], 10, 64); err == nil && sec <= maxUnix {
			t := time.Unix(sec, 0).UTC()
			info.Time = &t
		}
		return info
	}
	if m := reBgsave.FindStringSubmatch(name); m != nil {
		return NameInfo{Kind: KindBgsaveTemp, PID: atoiPID(m[1])}
	}
	if m := reRewriteBg.FindStringSubmatch(name); m != nil {
		return NameInfo{Kind: KindRewriteBgTemp, PID: atoiPID(m[1])}
	}
	if m := reRewrite.FindStringSubmatch(name); m != nil {
		return NameInfo{Kind: KindRewriteTemp, PID: atoiPID(m[1])}
	}
	if m := reTempMan.FindStringSubmatch(name); m != nil {
		return NameInfo{Kind: KindTempManifest, AppendFilename: m[1]}
	}
	if m := reTempIncr.FindStringSubmatch(name); m != nil {
		return NameInfo{Kind: KindTempIncr, AppendFilename: m[1]}
	}
	if m := rePart.FindStringSubmatch(name); m != nil {
		seq, _ := strconv.ParseInt(m[2], 10, 64)
		k := KindIncr
		switch m[3] {
		case "base.rdb":
			k = KindBaseRDB
		case "base.aof":
			k = KindBaseAOF
		}
		return NameInfo{Kind: k, Seq: seq, AppendFilename: m[1]}
	}
	if m := reManifest.FindStringSubmatch(name); m != nil {
		return NameInfo{Kind: KindManifest, AppendFilename: m[1]}
	}
	if name == n.AppendFilename {
		return NameInfo{Kind: KindLegacyAOF, AppendFilename: name}
	}
	if m := reNodesTmp.FindStringSubmatch(name); m != nil {
		info := NameInfo{Kind: KindNodesConfTemp, PID: atoiPID(m[2])}
		if ms, err := strconv.ParseInt(m[3], 10, 64); err == nil && ms <= maxUnix*1000 {
			t := time.UnixMilli(ms).UTC()
			info.Time = &t
		}
		return info
	}
	if name == "nodes.conf" || (strings.HasPrefix(name, "nodes") && strings.HasSuffix(name, ".conf")) {
		return NameInfo{Kind: KindNodesConf}
	}
	return NameInfo{Kind: KindUnknown}
}

// maxUnix is 9999-12-31T23:59:59Z: times past it cannot be written as RFC
// 3339, so a name claiming one keeps its kind but no time.
const maxUnix = 253402300799

// atoiPID parses a pid; values beyond any kernel's pid range are kept as 0
// rather than overflowing.
func atoiPID(s string) int {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v > 1<<31 {
		return 0
	}
	return int(v)
}

// applyName fills an entry's name-derived fields.
func (e *Entry) applyName(atRoot bool, n Names) {
	// An appendonlydir symlinked to another volume is still the AOF
	// directory; whether it is followed is the capture's decision.
	isDir := e.Type == TypeDir || (e.Type == TypeSymlink && atRoot && e.Name == n.withDefaults().AppendDirName)
	info := DecodeName(e.Name, isDir, atRoot, n)
	e.Kind = info.Kind
	e.NamePID = info.PID
	e.NameTime = info.Time
	e.NameSeq = info.Seq
	e.AppendFilename = info.AppendFilename
}
