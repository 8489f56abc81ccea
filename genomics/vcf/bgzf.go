package vcf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// bgzfBlock is one BGZF block travelling from the splitter through a worker
// to the consumer.
type bgzfBlock struct {
	raw  []byte // deflate payload
	crc  uint32
	size uint32
	data []byte // inflated bytes
	err  error
	done chan struct{}
}

// bgzfReader inflates BGZF blocks concurrently and hands them out in order.
// At most cap(order) blocks (64 KiB each) are in flight, so memory is bounded.
type bgzfReader struct {
	order  chan *bgzfBlock
	quit   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
	cur    *bgzfBlock
	off    int
	err    error
	pool   sync.Pool
	closed bool
}

const bgzfInFlight = 16

func newBGZFReader(src *bufio.Reader, workers int) *bgzfReader {
	z := &bgzfReader{
		order: make(chan *bgzfBlock, bgzfInFlight),
		quit:  make(chan struct{}),
	}
	z.pool.New = func() any { return &bgzfBlock{done: make(chan struct{}, 1)} }
	work := make(chan *bgzfBlock, bgzfInFlight)
	z.wg.Add(1 + workers)
	go z.split(src, work)
	for i := 0; i < workers; i++ {
		go z.inflate(work)
	}
	return z
}

// split reads raw blocks in file order.
func (z *bgzfReader) split(src *bufio.Reader, work chan<- *bgzfBlock) {
	defer z.wg.Done()
	defer close(work)
	defer close(z.order)
	var hdr [18]byte
	for {
		b := z.pool.Get().(*bgzfBlock)
		b.err = nil
		b.data = b.data[:0]
		n, err := io.ReadFull(src, hdr[:])
		if err == io.EOF && n == 0 {
			z.pool.Put(b)
			return
		}
		if err != nil || !isBGZFHeader(hdr[:]) {
			if err == nil {
				// A non-BGZF gzip member inside a BGZF file.
				b.err = errors.New("corrupt bgzf block header")
			} else {
				b.err = errors.New("truncated bgzf block")
			}
			b.done <- struct{}{}
			select {
			case z.order <- b:
			case <-z.quit:
			}
			return
		}
		bsize := int(binary.LittleEndian.Uint16(hdr[16:18])) + 1
		rest := bsize - 18
		if rest < 8 {
			b.err = errors.New("corrupt bgzf block size")
			b.done <- struct{}{}
			select {
			case z.order <- b:
			case <-z.quit:
			}
			return
		}
		if cap(b.raw) < rest {
			b.raw = make([]byte, rest)
		}
		b.raw = b.raw[:rest]
		if _, err := io.ReadFull(src, b.raw); err != nil {
			b.err = errors.New("truncated bgzf block")
			b.done <- struct{}{}
			select {
			case z.order <- b:
			case <-z.quit:
			}
			return
		}
		b.crc = binary.LittleEndian.Uint32(b.raw[rest-8:])
		b.size = binary.LittleEndian.Uint32(b.raw[rest-4:])
		b.raw = b.raw[:rest-8]
		select {
		case z.order <- b:
		case <-z.quit:
			return
		}
		select {
		case work <- b:
		case <-z.quit:
			return
		}
	}
}

// inflate decompresses blocks handed over by split.
func (z *bgzfReader) inflate(work <-chan *bgzfBlock) {
	defer z.wg.Done()
	fr := flate.NewReader(bytes.NewReader(nil))
	br := bytes.NewReader(nil)
	for b := range work {
		if b.size > 1<<16 {
			b.err = errors.New("corrupt bgzf block: inflated size above 64 KiB")
			b.done <- struct{}{}
			continue
		}
		br.Reset(b.raw)
		_ = fr.(flate.Resetter).Reset(br, nil)
		if cap(b.data) < int(b.size) {
			b.data = make([]byte, b.size, 1<<16)
		}
		b.data = b.data[:b.size]
		n, err := io.ReadFull(fr, b.data)
		if err != nil && !(err == io.ErrUnexpectedEOF && n == int(b.size)) && !(err == io.EOF && b.size == 0) {
			b.err = errors.New("corrupt bgzf block: " + err.Error())
		} else if crc32.ChecksumIEEE(b.data[:n]) != b.crc {
			b.err = errors.New("corrupt bgzf block: crc mismatch")
		}
		b.done <- struct{}{}
	}
}

// Read implements io.Reader.
func (z *bgzfReader) Read(p []byte) (int, error) {
	for {
		if z.err != nil {
			return 0, z.err
		}
		if z.cur != nil && z.off < len(z.cur.data) {
			n := copy(p, z.cur.data[z.off:])
			z.off += n
			return n, nil
		}
		if z.cur != nil {
			z.pool.Put(z.cur)
			z.cur = nil
		}
		b, ok := <-z.order
		if !ok {
			z.err = io.EOF
			return 0, io.EOF
		}
		<-b.done
		if b.err != nil {
			z.err = &ParseError{Reason: b.err.Error()}
			return 0, z.err
		}
		z.cur, z.off = b, 0
	}
}

// Close stops the goroutines. It is safe to call more than once.
func (z *bgzfReader) Close() error {
	z.once.Do(func() {
		close(z.quit)
		// Drain so that blocked senders finish.
		go func() {
			for range z.order {
			}
		}()
		z.wg.Wait()
	})
	return nil
}
