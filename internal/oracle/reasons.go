package oracle

import (
	"regexp"
	"strings"
)

// reasonPatterns pick the log lines that say what the loader did or why the
// start stopped. Each match is kept as the line's message (the pid, role
// and time prefix removed); the order is the log's.
var reasonPatterns = []*regexp.Regexp{
	regexp.MustCompile(`FATAL AOF MANIFEST FILE ERROR`),
	regexp.MustCompile(`^>>> '`),
	regexp.MustCompile(`Reading the manifest file, at line`),
	regexp.MustCompile(`(?i)manifest`),
	regexp.MustCompile(`File can't be a path|Found duplicate base file|non-monotonic sequence|Unknown AOF file type`),
	regexp.MustCompile(`Bad file format reading the append only file`),
	regexp.MustCompile(`Unknown command '.*' reading the append only file`),
	regexp.MustCompile(`Unexpected end of file reading the append only file`),
	regexp.MustCompile(`Unrecoverable error reading the append only file`),
	regexp.MustCompile(`short read while loading the AOF file`),
	regexp.MustCompile(`Truncating the AOF .* at offset`),
	regexp.MustCompile(`loaded anyway because aof-load-truncated is enabled`),
	regexp.MustCompile(`Revert incomplete MULTI/EXEC transaction`),
	regexp.MustCompile(`the truncated file is not the last file`),
	regexp.MustCompile(`Error reading the RDB`),
	regexp.MustCompile(`Short read or OOM loading DB`),
	regexp.MustCompile(`Can't handle RDB format version`),
	regexp.MustCompile(`Wrong RDB checksum`),
	regexp.MustCompile(`Wrong signature trying to load DB`),
	regexp.MustCompile(`Internal error in RDB reading`),
	regexp.MustCompile(`integrity check failed`),
	regexp.MustCompile(`skipping empty key`),
	regexp.MustCompile(`module data I can't load`),
	regexp.MustCompile(`Data file was created with a Redis server configured to handle more than`),
	regexp.MustCompile(`Fatal error loading the DB`),
	regexp.MustCompile(`Fatal error`),
	regexp.MustCompile(`Unable to obtain the AOF file`),
	regexp.MustCompile(`Can't open or create append-only dir`),
	regexp.MustCompile(`The append log file .* doesn't exist`),
	regexp.MustCompile(`Creating AOF (base|incr) file .* on server start`),
	regexp.MustCompile(`Successfully migrated an old-style AOF`),
	regexp.MustCompile(`Removing the history file`),
	regexp.MustCompile(`Error moving temp DB file`),
	regexp.MustCompile(`Failed opening the temp RDB file`),
	regexp.MustCompile(`Duplicated key`),
	regexp.MustCompile(`ASSERTION FAILED`),
	regexp.MustCompile(`==> .* is not true`),
	regexp.MustCompile(`crashed by signal`),
	regexp.MustCompile(`Guru Meditation`),
	regexp.MustCompile(`Terminating server after rdb file reading failure`),
	regexp.MustCompile(`Done loading RDB, keys loaded`),
	regexp.MustCompile(`RDB file was saved with checksum disabled`),
}

// noise are warning-level lines every start prints.
var noise = []string{
	"Memory overcommit must be enabled",
	"Configuration loaded",
	"Server initialized",
	"User requested shutdown",
	"is now ready to exit",
	"oO0OoO0OoO0Oo",
	"Redis version=",
	"WARNING",
}

// logLine is one server log line: "pid:R dd Mon yyyy hh:mm:ss.mmm L msg".
var logLine = regexp.MustCompile(`^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [.\-*#] (.*)$`)

// reasons returns the messages of the log lines matching reasonPatterns.
func reasons(log string) []string {
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		msg := strings.TrimSpace(line)
		if m := logLine.FindStringSubmatch(msg); m != nil {
			msg = m[1]
		}
		if msg == "" || isNoise(msg) {
			continue
		}
		for _, re := range reasonPatterns {
			if re.MatchString(msg) {
				if !seen[msg] {
					seen[msg] = true
					out = append(out, msg)
				}
				break
			}
		}
	}
	return out
}

func isNoise(msg string) bool {
	for _, n := range noise {
		if strings.Contains(msg, n) {
			return true
		}
	}
	return false
}

// crashMarked reports whether the log holds a crash report: an assertion
// or a bug report ends the process by abort, but a test wants it named.
func crashMarked(log string) bool {
	return strings.Contains(log, "REDIS BUG REPORT START") || strings.Contains(log, "ASSERTION FAILED") || strings.Contains(log, "crashed by signal")
}

// Reason is the most telling reason of a run: the first line about a
// refusal, a cut or a skipped key, else the first reason.
func (r *Run) Reason() string {
	keys := []string{"Guru Meditation", "crashed by signal", "FATAL", "Bad file format", "Unknown command", "Unexpected end of file",
		"not the last file", "Short read", "Can't handle", "Wrong RDB", "Wrong signature", "Internal error", "integrity", "module data",
		"more than", "Unable to obtain", "Can't open", "Unrecoverable", "Error trying", "Duplicated", "ASSERTION", "==>",
		"Truncating", "Revert incomplete", "skipping empty key", "Error moving", "Fatal error"}
	if r.State == Started {
		keys = append(keys, "Creating AOF base", "migrated")
	}
	for _, key := range keys {
		for _, m := range r.Reasons {
			if strings.Contains(m, key) {
				if key == "FATAL" && strings.Contains(m, "MANIFEST") {
					return manifestMessage(r.Reasons)
				}
				return m
			}
		}
	}
	if r.State == Started {
		return ""
	}
	// A start that did not happen: its last warning says why.
	for i := len(r.Reasons) - 1; i >= 0; i-- {
		if !strings.HasPrefix(r.Reasons[i], "Done loading") {
			return r.Reasons[i]
		}
	}
	return ""
}

// manifestMessage is the line after the quoted manifest line: the loader's
// message.
func manifestMessage(rs []string) string {
	for i, m := range rs {
		if strings.HasPrefix(m, ">>> '") && i+1 < len(rs) {
			return "manifest: " + rs[i+1]
		}
	}
	for _, m := range rs {
		if !strings.Contains(m, "FATAL") && !strings.HasPrefix(m, "Reading the manifest") {
			return "manifest: " + m
		}
	}
	return "manifest refused"
}
