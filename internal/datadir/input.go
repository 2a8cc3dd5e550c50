package datadir

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/aoftool/aoftool/internal/ropen"
	"github.com/aoftool/aoftool/manifest"
	"github.com/aoftool/aoftool/rdbinspect"
)

// InputKind is what a path given on the command line is.
type InputKind string

const (
	InputDataDir   InputKind = "data-dir"
	InputAppendDir InputKind = "append-dir" // an AOF directory (appendonlydir)
	InputManifest  InputKind = "manifest"
	InputRDB       InputKind = "rdb"      // an RDB file: a dump, a temp RDB, an RDB base
	InputAOF       InputKind = "aof"      // an AOF of RESP commands
	InputEmpty     InputKind = "empty"    // a 0-byte file
	InputUnknown   InputKind = "unknown"  // a file of neither kind
	InputSnapshot  InputKind = "snapshot" // a JSON snapshot saved by aoftool snapshot -o
)

// Input is a command-line path and what it turned out to be.
type Input struct {
	Path string
	Kind InputKind
	Info fs.FileInfo
	// Head is the first bytes of a file input.
	Head []byte
}

// Describe says in a few words what the input is, for "this is an X: use
// aoftool Y" messages.
func (in *Input) Describe() string {
	switch in.Kind {
	case InputDataDir:
		return "a directory"
	case InputAppendDir:
		return "an AOF directory"
	case InputManifest:
		return "an AOF manifest"
	case InputRDB:
		return "an RDB file"
	case InputAOF:
		return "an AOF file of RESP commands"
	case InputEmpty:
		return "an empty file"
	case InputSnapshot:
		return "a JSON snapshot"
	}
	return "a file that is neither RDB, AOF nor a manifest"
}

// PathError is an input aoftool cannot read as asked: a missing path, a
// permission it lacks, a symbolic link it was not told to follow, a FIFO.
// Commands exit 2 on it; it is never turned into "absent" or "corrupt".
type PathError struct {
	Path string
	Err  error
	Hint string
}

func (e *PathError) Error() string {
	s := e.Path + ": " + e.Err.Error()
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

func (e *PathError) Unwrap() error { return e.Err }

// UnreadableError lists every path aoftool needed and could not read.
type UnreadableError struct {
	Paths []*PathError
}

func (e *UnreadableError) Error() string {
	var b strings.Builder
	if len(e.Paths) == 1 {
		return "cannot read " + e.Paths[0].Error() + "; nothing was judged, since an unread file is neither absent nor corrupt"
	}
	fmt.Fprintf(&b, "cannot read %d paths; nothing was judged, since an unread file is neither absent nor corrupt:", len(e.Paths))
	for _, p := range e.Paths {
		b.WriteString("\n  " + p.Error())
	}
	return b.String()
}

// Identify says what path is, reading at most its first bytes through
// ropen. A symbolic link is looked through only with follow.
func Identify(path string, follow bool) (*Input, error) {
	li, err := os.Lstat(path)
	if err != nil {
		return nil, &PathError{Path: path, Err: explain(path, unwrapPath(err))}
	}
	fi := li
	if li.Mode()&fs.ModeSymlink != 0 {
		if !follow {
			return nil, &PathError{Path: path, Err: errors.New("is a symbolic link"), Hint: "pass --follow-symlinks to read its target, as Redis would"}
		}
		if fi, err = os.Stat(path); err != nil {
			return nil, &PathError{Path: path, Err: fmt.Errorf("symbolic link to a missing or looping target: %w", unwrapPath(err))}
		}
	}
	in := &Input{Path: path, Info: fi}
	if fi.IsDir() {
		in.Kind = InputDataDir
		if err := canList(path); err != nil {
			return nil, err
		}
		return in, nil
	}
	if !fi.Mode().IsRegular() {
		return nil, &PathError{Path: path, Err: fmt.Errorf("is a %s, not a file or directory; aoftool never opens one", manifest.ModeWord(fi.Mode()))}
	}
	f, _, err := ropen.Open(path, follow)
	if err != nil {
		return nil, &PathError{Path: path, Err: explain(path, unwrapPath(err))}
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, &PathError{Path: path, Err: explain(path, err)}
	}
	in.Head = head[:n]
	switch rdbinspect.Sniff(in.Head) {
	case rdbinspect.ContentEmpty:
		in.Kind = InputEmpty
	case rdbinspect.ContentRDB:
		in.Kind = InputRDB
	case rdbinspect.ContentRESP:
		in.Kind = InputAOF
	default:
		switch {
		case manifest.IsManifestName(filepath.Base(path)) || looksLikeManifest(in.Head):
			in.Kind = InputManifest
		case bytes.HasPrefix(bytes.TrimSpace(in.Head), []byte("{")):
			in.Kind = InputSnapshot
		default:
			in.Kind = InputUnknown
		}
	}
	return in, nil
}

// looksLikeManifest is true when the first line that is not a comment
// starts with "file", as redis-check-aof decides.
func looksLikeManifest(head []byte) bool {
	for _, l := range bytes.Split(head, []byte("\n")) {
		l = bytes.TrimLeft(l, " \t")
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		return bytes.HasPrefix(bytes.ToLower(l), []byte("file"))
	}
	return false
}

// canList checks that a directory can be listed and entered.
func canList(path string) error {
	f, err := os.Open(path)
	if err == nil {
		_, err = f.Readdirnames(1)
		f.Close()
		if err == io.EOF {
			err = nil
		}
	}
	if err != nil {
		return &PathError{Path: path, Err: explain(path, unwrapPath(err))}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// permissionDetail is "mode drwx------, owner redis (uid 999), aoftool runs
// as uid 65534".
func permissionDetail(path string) string {
	li, err := os.Lstat(path)
	if err != nil {
		return fmt.Sprintf("aoftool runs as uid %d", os.Geteuid())
	}
	s := "mode " + li.Mode().String()
	if st, ok := li.Sys().(*syscall.Stat_t); ok {
		owner := "uid " + strconv.Itoa(int(st.Uid))
		if u, err := user.LookupId(strconv.Itoa(int(st.Uid))); err == nil {
			owner = u.Username + " (" + owner + ")"
		}
		s += ", owner " + owner
	}
	return s + fmt.Sprintf(", aoftool runs as uid %d", os.Geteuid())
}

// OpenText opens a text input given on the command line (a pasted listing,
// a saved snapshot) read-only; a FIFO or device is refused, so use '-' to
// read a pipe.
func OpenText(path string) (io.ReadCloser, error) {
	f, _, err := ropen.Open(path, true)
	if err != nil {
		if errors.Is(err, ropen.ErrNotRegular) {
			return nil, &PathError{Path: path, Err: errors.New("is not a regular file"), Hint: "use - to read a pipe"}
		}
		return nil, &PathError{Path: path, Err: explain(path, unwrapPath(err))}
	}
	return f, nil
}
