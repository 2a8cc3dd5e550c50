package ropen

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestOpenRefusesFIFOWithoutHanging(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "temp-123.rdb")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := Open(fifo, false); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Fatalf("Open(fifo) = %v, want ErrNotRegular", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Open blocked on a FIFO")
	}
}

func TestOpenSymlinkOnlyWhenAsked(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "dump.rdb")
	if err := os.WriteFile(target, []byte("REDIS0010"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.rdb")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(link, false); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("Open(symlink, false) = %v, want ErrNotRegular", err)
	}
	f, fi, err := Open(link, true)
	if err != nil {
		t.Fatalf("Open(symlink, true): %v", err)
	}
	defer f.Close()
	if fi.Size() != 9 {
		t.Fatalf("size %d", fi.Size())
	}
	buf := make([]byte, 9)
	if _, err := f.Read(buf); err != nil || string(buf) != "REDIS0010" {
		t.Fatalf("read %q %v", buf, err)
	}
}
