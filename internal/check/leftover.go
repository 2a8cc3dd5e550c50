package check

import (
	"fmt"
	"strings"

	"github.com/aoftool/aoftool/rdbinspect"
)

// leftoverVerdict words the verdict on a temp RDB whose job is dead: no
// one writes it any more, so "still being written" is not a reading.
func leftoverVerdict(rep *rdbinspect.Report) string {
	if strings.HasPrefix(rep.Verdict, "incomplete RDB") {
		return fmt.Sprintf("partial file of a dead job: %d bytes, never loaded", rep.Size)
	}
	return rep.Verdict + " (a dead job's file, never loaded)"
}
