package datadir

import (
	"io"

	"github.com/aoftool/aoftool/serverlog"
)

// ReadServerLog reads a server's log given on the command line: a file
// (through OpenText, read-only, never a FIFO) or, for "-", stdin. It
// returns the log and the name to show for it.
func ReadServerLog(arg string, stdin io.Reader, opts serverlog.Options) (*serverlog.Log, string, error) {
	r, name := stdin, "stdin"
	if arg != "-" {
		f, err := OpenText(arg)
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		r, name = f, arg
	}
	lg, err := serverlog.Read(r, opts)
	if err != nil {
		return nil, "", &PathError{Path: name, Err: err}
	}
	return lg, name, nil
}
