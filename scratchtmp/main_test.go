package scr

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/aoftool/aoftool/serverlog"
)

func TestDump(t *testing.T) {
	f, _ := os.Open(os.Getenv("LOGF"))
	lg, _ := serverlog.Read(f, serverlog.Options{})
	b, _ := json.MarshalIndent(lg.State, "", " ")
	os.Stdout.Write(b)
}
