package check

import (
	"github.com/aoftool/aoftool/aofinspect"
	"github.com/aoftool/aoftool/replay"
)

// modelPipe runs the replay model on its own goroutine, fed by the scan:
// the scan (parsing, verifying) and the model (a hash lookup per key) each
// keep a core busy instead of taking turns on one. Commands travel in
// batches that copy their kept arguments, since the scanner reuses its
// buffers; batches are recycled, so memory stays a few of them.
type modelPipe struct {
	full  chan *cmdBatch
	free  chan *cmdBatch
	done  chan struct{}
	batch *cmdBatch
	// step is the model's call for one command (Touch or Apply); endFile
	// closes a file. Both run on the model's goroutine only.
	step    func(replay.Command, int64)
	endFile func(file int)
}

// cmdBatch holds commands with their arguments copied into one buffer.
type cmdBatch struct {
	data []byte
	args []batchArg
	cmds []batchCmd
	// last marks the last message; files is then the number of files of
	// the pass, each closed in turn.
	last  bool
	files int
}

type batchArg struct {
	off, n int
	full   uint64
}

type batchCmd struct {
	file        int
	first, n    int
	argc        int64
	offset, end int64
}

const (
	pipeBatchBytes = 256 << 10
	pipeBatchCmds  = 4096
	pipeBatches    = 4
)

func newModelPipe(step func(replay.Command, int64), endFile func(int)) *modelPipe {
	p := &modelPipe{full: make(chan *cmdBatch, pipeBatches), free: make(chan *cmdBatch, pipeBatches+1), done: make(chan struct{}), step: step, endFile: endFile}
	for i := 0; i < pipeBatches+1; i++ {
		p.free <- &cmdBatch{data: make([]byte, 0, pipeBatchBytes), args: make([]batchArg, 0, 4*pipeBatchCmds), cmds: make([]batchCmd, 0, pipeBatchCmds)}
	}
	go p.run()
	p.batch = <-p.free
	return p
}

// send queues one command of file.
func (p *modelPipe) send(file int, c *aofinspect.Command) {
	b := p.batch
	bc := batchCmd{file: file, first: len(b.args), n: len(c.Args), argc: c.Argc, offset: c.Offset, end: c.End}
	for _, a := range c.Args {
		b.args = append(b.args, batchArg{off: len(b.data), n: len(a.Data), full: a.Len})
		b.data = append(b.data, a.Data...)
	}
	b.cmds = append(b.cmds, bc)
	if len(b.data) >= pipeBatchBytes || len(b.cmds) >= pipeBatchCmds {
		p.full <- b
		p.batch = <-p.free
	}
}

// close ends the pass over files files and waits for the model.
func (p *modelPipe) close(files int) {
	p.batch.last, p.batch.files = true, files
	p.full <- p.batch
	<-p.done
}

func (p *modelPipe) run() {
	defer close(p.done)
	file := -1
	// advance closes the open file and those before to, which is then the
	// open one.
	advance := func(to int) {
		for ; file < to; file++ {
			if file >= 0 {
				p.endFile(file)
			}
		}
	}
	var args []aofinspect.Arg
	for b := range p.full {
		for _, c := range b.cmds {
			advance(c.file)
			args = args[:0]
			for _, a := range b.args[c.first : c.first+c.n] {
				args = append(args, aofinspect.Arg{Data: b.data[a.off : a.off+a.n : a.off+a.n], Len: a.full})
			}
			p.step(replay.Command{Args: args, Argc: c.argc, File: c.file, Offset: c.offset}, c.end)
		}
		if b.last {
			advance(max(b.files, file+1))
			return
		}
		b.data, b.args, b.cmds = b.data[:0], b.args[:0], b.cmds[:0]
		p.free <- b
	}
}
