package graphql

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/rxlab/rxlab/store"
)

// Streamed imports are spooled to disk so they can be read twice (check,
// then store). The spool lives in one directory the API owns; files left by
// a crash are removed when the API starts, and the bytes of all spools at
// once are bounded by a quota (MaxSpoolBytes), reserved as they arrive.

// spoolPrefix names spool files, so stale ones are recognised at start.
const spoolPrefix = "rxlab-import-"

// quotaError is a spool that would pass MaxSpoolBytes (503, retry later).
type quotaError struct{ limit int64 }

func (e *quotaError) Error() string {
	return fmt.Sprintf("the server is spooling other uploads: all uploads at once may hold %d bytes (limit MaxSpoolBytes); retry later", e.limit)
}

// Code implements store.Coder.
func (e *quotaError) Code() string { return CodeSpoolQuota }

func (e *quotaError) ownCause() {}

// spooler owns the spool directory and the quota.
type spooler struct {
	dir   string
	quota int64
	mu    sync.Mutex
	used  int64
}

// newSpooler prepares dir and removes spool files a previous process left
// there. An empty dir means the system's temporary directory, where nothing
// is removed at start: other processes may be spooling there.
func newSpooler(dir string, quota int64) (*spooler, int, error) {
	if dir == "" {
		return &spooler{dir: os.TempDir(), quota: quota}, 0, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, 0, fmt.Errorf("graphql: spool dir: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("graphql: spool dir: %w", err)
	}
	removed := 0
	for _, e := range ents {
		if !e.IsDir() && strings.HasPrefix(e.Name(), spoolPrefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
				removed++
			}
		}
	}
	return &spooler{dir: dir, quota: quota}, removed, nil
}

func (s *spooler) reserve(n int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used+n > s.quota {
		return &quotaError{limit: s.quota}
	}
	s.used += n
	return nil
}

func (s *spooler) release(n int64) {
	s.mu.Lock()
	s.used -= n
	s.mu.Unlock()
}

// inUse returns the bytes spooled now.
func (s *spooler) inUse() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// spool is one spooled upload; close removes it and returns its quota.
type spool struct {
	s    *spooler
	path string
	size int64
}

func (sp *spool) close() {
	os.Remove(sp.path)
	sp.s.release(sp.size)
}

// spoolChunk is how much quota a spool reserves at a time.
const spoolChunk = 1 << 20

// write copies body into a new spool file, reserving quota as it goes.
// declared is the Content-Length (or -1): a body that declares more than
// the quota has left is refused before it is read.
func (s *spooler) write(body io.Reader, declared int64) (*spool, error) {
	if declared > 0 {
		if err := s.reserve(declared); err != nil {
			return nil, err
		}
		s.release(declared)
	}
	f, err := os.CreateTemp(s.dir, spoolPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("graphql: spool: %w", err)
	}
	sp := &spool{s: s, path: f.Name()}
	buf := make([]byte, 64<<10)
	var reserved int64
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			for sp.size+int64(n) > reserved {
				if err = s.reserve(spoolChunk); err != nil {
					break
				}
				reserved += spoolChunk
			}
			if err == nil {
				_, err = f.Write(buf[:n])
				sp.size += int64(n)
			}
		}
		if err == nil && rerr != nil && rerr != io.EOF {
			err = rerr
		}
		if err != nil || rerr != nil {
			break
		}
	}
	s.release(reserved - sp.size) // keep exactly the file's size reserved
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		sp.close()
		return nil, err
	}
	return sp, nil
}

// inflateError is a gzip upload over MaxDecompressedBytes or
// MaxDecompressionRatio (413).
type inflateError struct{ msg string }

func (e *inflateError) Error() string { return e.msg }

// Code implements store.Coder.
func (e *inflateError) Code() string { return CodeTooLarge }

// Unwrap lets the error count as invalid input too.
func (e *inflateError) Unwrap() error { return store.ErrInvalid }

// ratioFree is how much a gzip upload may inflate before the ratio counts.
const ratioFree = 1 << 20

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// guardedReader stops when the request's context ends (the client left or
// the deadline passed) and, for gzip, when the inflated bytes pass the
// absolute cap or the ratio to the compressed bytes read.
type guardedReader struct {
	ctx      context.Context
	r        io.Reader
	in       *countingReader // compressed bytes, nil when not gzip
	out      int64
	maxOut   int64
	maxRatio int64
}

func (g *guardedReader) Read(p []byte) (int, error) {
	if err := g.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := g.r.Read(p)
	g.out += int64(n)
	if g.in != nil {
		if g.out > g.maxOut {
			return n, &inflateError{fmt.Sprintf("the gzip upload inflates to more than %d bytes (limit MaxDecompressedBytes)", g.maxOut)}
		}
		// out/ratio > in rather than out > ratio·in: no overflow for any ratio.
		if g.out > ratioFree && g.out/g.maxRatio > g.in.n {
			return n, &inflateError{fmt.Sprintf("the gzip upload inflates more than %d times (limit MaxDecompressionRatio)", g.maxRatio)}
		}
	}
	return n, err
}

// guardedSource opens the spool for each pass of an import: gzip (and
// bgzip, a series of gzip members) is inflated here under the caps, and
// every read checks ctx, so work stops when the client leaves.
func guardedSource(ctx context.Context, path string, l Limits) inputSource {
	return func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		cr := &countingReader{r: f}
		br := bufio.NewReaderSize(cr, 64<<10)
		magic, _ := br.Peek(2)
		g := &guardedReader{ctx: ctx, r: br, maxOut: l.MaxDecompressedBytes, maxRatio: l.MaxDecompressionRatio}
		if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			zr, err := kgzip.NewReader(br)
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("upload: %w: bad gzip header", store.ErrInvalid)
			}
			g.r, g.in = zr, cr
		}
		return readCloser{g, f}, nil
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}
