package finding

import "sort"

// CodeInfo documents a code: the severity it normally carries and what it
// means. The README's table of codes is generated from Registry.
type CodeInfo struct {
	Code     Code
	Severity Severity
	Meaning  string
}

var registry = map[Code]CodeInfo{}

// define registers a code once, at package initialisation. Each area keeps
// its codes in its own codes_*.go file.
func define(code string, sev Severity, meaning string) Code {
	c := Code(code)
	if _, dup := registry[c]; dup {
		panic("finding: code defined twice: " + code)
	}
	registry[c] = CodeInfo{Code: c, Severity: sev, Meaning: meaning}
	return c
}

// DefaultSeverity is the severity a code is documented with; unknown codes
// are errors so a typo can never hide a problem.
func DefaultSeverity(c Code) Severity {
	if info, ok := registry[c]; ok {
		return info.Severity
	}
	return Error
}

// Registry lists every defined code, sorted by code.
func Registry() []CodeInfo {
	out := make([]CodeInfo, 0, len(registry))
	for _, info := range registry {
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Codes shared by every command.
var (
	InputUnreadable     = define("input-unreadable", Error, "a file or directory that should be inspected could not be opened or read")
	InputChanged        = define("input-changed-while-reading", Warning, "a file grew or shrank while it was read (a live server appends to it); only the bytes present when reading started were judged")
	InputNotRegular     = define("input-not-regular-file", Warning, "a FIFO, device or socket carries an artifact's name; it is never opened")
	InputSymlink        = define("input-symlink", Warning, "an artifact is a symbolic link; it is reported and followed only when asked")
	InternalDecoderFail = define("decoder-failed", Error, "the value decoder stopped on a file the structural pass accepted")
)
