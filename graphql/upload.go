package graphql

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// Request bodies are read under two bounds: a size (MaxBytesReader; a
// declared Content-Length over it is refused with 413 before any byte is
// read) and a minimum rate. The rate is enforced with the connection's read
// deadline, moved forward each time the client has sent a window's worth of
// bytes (MinUploadRate × UploadRateWindow), so a client that trickles a byte
// every few seconds — or sends nothing — is cut when the window runs out
// instead of holding a connection and a goroutine forever.

// errSlowUpload is returned by a rateReader whose client sends too slowly.
type errSlowUpload struct {
	rate   int64
	window time.Duration
}

func (e *errSlowUpload) Error() string {
	return fmt.Sprintf("the request body arrived slower than %d bytes/s over %s (limit MinUploadRate)", e.rate, e.window)
}

// Code implements store.Coder.
func (e *errSlowUpload) Code() string { return CodeTimeout }

func (e *errSlowUpload) ownCause() {}

// rateReader reads a request body at no less than a minimum rate.
type rateReader struct {
	r        io.ReadCloser
	rc       *http.ResponseController
	need     int64 // bytes per window
	rate     int64
	window   time.Duration
	winStart time.Time
	winBytes int64
}

// newRateReader starts the first window now.
func newRateReader(w http.ResponseWriter, body io.ReadCloser, l Limits) *rateReader {
	rr := &rateReader{
		r: body, rc: http.NewResponseController(w), rate: l.MinUploadRate, window: l.UploadRateWindow,
		need: int64(float64(l.MinUploadRate) * l.UploadRateWindow.Seconds()),
	}
	rr.restart(time.Now())
	return rr
}

func (rr *rateReader) restart(now time.Time) {
	rr.winStart, rr.winBytes = now, 0
	// Not every ResponseWriter supports deadlines (HTTP/2 does, httptest's
	// recorder does not); the elapsed-time check in Read still applies.
	_ = rr.rc.SetReadDeadline(now.Add(rr.window))
}

// Read implements io.Reader.
func (rr *rateReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	rr.winBytes += int64(n)
	now := time.Now()
	switch {
	case rr.winBytes >= rr.need:
		rr.restart(now)
	case now.Sub(rr.winStart) > rr.window:
		return n, &errSlowUpload{rate: rr.rate, window: rr.window}
	}
	var ne net.Error
	if err != nil && (errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())) {
		return n, &errSlowUpload{rate: rr.rate, window: rr.window}
	}
	return n, err
}

// Close closes the body.
func (rr *rateReader) Close() error { return rr.r.Close() }

// done ends the body's reading. Read whole, the read deadline is lifted: a
// deadline left on the connection would fire while the handler works and
// net/http would take it for a client that went away. Cut short, the
// connection is closed after the answer (net/http would otherwise try to
// read the rest of the body first) and reads fail at once.
func (rr *rateReader) done(w http.ResponseWriter, err error) {
	if err == nil {
		_ = rr.rc.SetReadDeadline(time.Time{})
		return
	}
	w.Header().Set("Connection", "close")
	_ = rr.rc.SetReadDeadline(time.Now())
}

// tooLarge is a body over its limit (413).
type tooLarge struct {
	size  int64 // declared size, or -1 when it became too large while read
	limit int64
	field string
}

func (e *tooLarge) Error() string {
	if e.size >= 0 {
		return fmt.Sprintf("the request body declares %d bytes, which exceeds %d (limit %s); nothing was read", e.size, e.limit, e.field)
	}
	return fmt.Sprintf("the request body exceeds %d bytes (limit %s)", e.limit, e.field)
}

// Code implements store.Coder.
func (e *tooLarge) Code() string { return CodeTooLarge }

func (e *tooLarge) ownCause() {}

// declaredTooLarge refuses a body whose Content-Length is over limit before
// a byte of it is read.
func declaredTooLarge(w http.ResponseWriter, r *http.Request, limit int64, field string) error {
	if r.ContentLength > limit {
		w.Header().Set("Connection", "close")
		return &tooLarge{size: r.ContentLength, limit: limit, field: field}
	}
	return nil
}

// readLimited reads all of r's body: at most limit bytes, at the minimum rate.
func readLimited(w http.ResponseWriter, r *http.Request, limit int64, field string, l Limits) ([]byte, error) {
	if err := declaredTooLarge(w, r, limit, field); err != nil {
		return nil, err
	}
	rr := newRateReader(w, r.Body, l)
	b, err := io.ReadAll(http.MaxBytesReader(w, rr, limit))
	rr.done(w, err)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, &tooLarge{size: -1, limit: limit, field: field}
	}
	return b, err
}

// statusOf is the HTTP status of a body-reading error.
func statusOf(err error) int {
	var tl *tooLarge
	var slow *errSlowUpload
	var q *quotaError
	switch {
	case errors.As(err, &tl):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &slow):
		return http.StatusRequestTimeout
	case errors.As(err, &q):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// closeUnread marks the connection to close after an answer given without
// reading the request's body. net/http would otherwise read the rest of
// the body (up to 256 KB) before sending the answer, waiting on a client
// that never sends it.
func closeUnread(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
}
