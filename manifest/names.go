package manifest

import (
	"strconv"
	"strings"
)

const (
	manifestSuffix = ".manifest"
	tempPrefix     = "temp-"
)

// AOF part kinds as ParseAOFName reports them.
const (
	KindBaseRDB = "base.rdb"
	KindBaseAOF = "base.aof"
	KindIncr    = "incr.aof"
)

// IsManifestName reports whether name is "<af>.manifest" for some non-empty
// appendfilename; temp-<af>.manifest, a leftover of an interrupted manifest
// write, is not a manifest.
func IsManifestName(name string) bool {
	_, ok := AppendFilenameOf(name)
	return ok
}

// AppendFilenameOf returns the appendfilename of a manifest file name.
func AppendFilenameOf(name string) (string, bool) {
	af, ok := strings.CutSuffix(name, manifestSuffix)
	if !ok || af == "" || strings.HasPrefix(name, tempPrefix) || strings.ContainsAny(name, "/\\") {
		return "", false
	}
	return af, true
}

// ManifestName is the manifest file name for appendfilename af.
func ManifestName(af string) string { return af + manifestSuffix }

// TempManifestName is the name Redis writes a new manifest under before
// renaming it.
func TempManifestName(af string) string { return tempPrefix + af + manifestSuffix }

// TempIncrName is the incr file a rewrite in AOF_WAIT_REWRITE writes to.
func TempIncrName(af string) string { return tempPrefix + af + ".incr" }

// ParseAOFName splits "<af>.<N>.base.rdb", "<af>.<N>.base.aof" or
// "<af>.<N>.incr.aof" into N and the kind (KindBaseRDB, KindBaseAOF,
// KindIncr). N is decimal digits as Redis's %lld writes a positive seq.
func ParseAOFName(af, name string) (seq int64, kind string, ok bool) {
	rest, ok := strings.CutPrefix(name, af+".")
	if !ok || af == "" {
		return 0, "", false
	}
	num, kind, ok := strings.Cut(rest, ".")
	if !ok || (kind != KindBaseRDB && kind != KindBaseAOF && kind != KindIncr) {
		return 0, "", false
	}
	if num == "" || num[0] == '+' || num[0] == '-' {
		return 0, "", false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, "", false
	}
	return n, kind, true
}

// BaseName and IncrName are the names Redis gives new parts.
func BaseName(af string, seq int64, rdb bool) string {
	if rdb {
		return af + "." + strconv.FormatInt(seq, 10) + ".base.rdb"
	}
	return af + "." + strconv.FormatInt(seq, 10) + ".base.aof"
}

// IncrName is the name of incr part seq.
func IncrName(af string, seq int64) string {
	return af + "." + strconv.FormatInt(seq, 10) + ".incr.aof"
}
