package snapshot

import (
	"regexp"
	"sync"
)

// lazyRegexp is a pattern compiled on its first use: most runs never read
// a listing, and compiling every pattern at start cost each run of any
// command half a millisecond.
type lazyRegexp struct {
	re func() *regexp.Regexp
}

func lazyRE(expr string) *lazyRegexp {
	return &lazyRegexp{re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
}

func (l *lazyRegexp) MatchString(s string) bool { return l.re().MatchString(s) }

func (l *lazyRegexp) FindStringSubmatch(s string) []string { return l.re().FindStringSubmatch(s) }

func (l *lazyRegexp) ReplaceAllString(src, repl string) string {
	return l.re().ReplaceAllString(src, repl)
}
