package phase

import (
	"path"

	"github.com/aoftool/aoftool/finding"
)

// ExplainRunningRewrite words the manifest inspector's multiple-incr
// finding with what the classifier knows. While a BGREWRITEAOF runs with
// AOF on, the manifest lists the incr file it opened beside the previous
// one: that is no failed rewrite. When the running rewrite explains every
// extra incr file the finding becomes information and says so; when more
// are listed it stays a warning and names the one the running rewrite
// opened. r is the classifier's answer for the same directory; without a
// running rewrite l is returned as it is.
func ExplainRunningRewrite(l finding.List, r *Result) finding.List {
	if r == nil || r.RewriteIncr == "" {
		return l
	}
	name := path.Base(r.RewriteIncr)
	out := make(finding.List, 0, len(l))
	for _, f := range l {
		if f.Code == finding.ManifestMultipleIncr {
			if r.Findings.Has(finding.ManifestMultipleIncr) {
				f.Message += "; the last, " + name + ", was opened by the AOF rewrite running now"
			} else {
				f = f.As(finding.Info)
				f.Message = "the manifest lists a second incr file, " + name + ", opened by the AOF rewrite running now (BGREWRITEAOF with AOF on): it becomes the only incr when the rewrite is installed; no rewrite failed"
				f.Hint = "nothing to do; were the rewrite to fail, the incr would stay listed and this would be a warning"
			}
		}
		out = append(out, f)
	}
	return out
}
