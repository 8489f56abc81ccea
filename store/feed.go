package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The change feed of the SQL backend.
//
// Every write transaction (Update, a Stage's commit) bumps the counter row
// rx_feed and appends one row to rx_changes with the new sequence number,
// the writing process's origin, the key prefixes it changed (each key up to
// its second '/', e.g. "idx/b/") and, up to maxChangeKeys, the keys
// themselves. The counter is read and written inside the SERIALIZABLE
// transaction, so sequence numbers are dense and follow commit order: a
// reader that sees change n has every change before it visible too. After
// the row, pg_notify('rxlab_changes') wakes the other nodes on PostgreSQL;
// where the database has no NOTIFY (CockroachDB) they poll the counter.
// Rows are pruned after changeRetention changes or a day; a node that
// falls further behind gets ErrFeedGap and reloads what it follows from a
// snapshot (View with Txn.FeedSeq) instead.

// maxChangeKeys bounds the keys one change row lists; a bigger write lists
// only its prefixes and says Truncated.
const maxChangeKeys = 1 << 16

// changeRetention is how many changes the feed keeps at least (a day's
// worth at most).
const changeRetention = 100000

// ErrFeedGap is wrapped by Changes when the changes after since were
// pruned: the caller must reload from a snapshot.
var ErrFeedGap = errors.New("store: the change feed no longer holds the changes after this sequence number; reload from a snapshot")

// ErrClosed is wrapped by WaitChanges once the database is closed.
var ErrClosed = errors.New("the database is closed")

// Change is one committed write seen in the change feed.
type Change struct {
	// Seq is the write's position in the feed (1, 2, ... in commit order).
	Seq uint64
	// Origin is the id of the process that wrote it (DB.Origin).
	Origin string
	// Prefixes lists the distinct key prefixes written (up to the second
	// '/'), sorted.
	Prefixes []string
	// Keys lists the keys written, unless Truncated.
	Keys [][]byte
	// Truncated says the write set more than maxChangeKeys keys, and Keys
	// is empty.
	Truncated bool
}

// Touches reports whether the change wrote a key with prefix (for a
// truncated change, a prefix it may have written).
func (c Change) Touches(prefix string) bool {
	for _, p := range c.Prefixes {
		switch {
		case strings.HasPrefix(p, prefix):
			return true
		case strings.HasPrefix(prefix, p) && c.Truncated:
			return true
		case strings.HasPrefix(prefix, p):
			for _, k := range c.Keys {
				if bytes.HasPrefix(k, []byte(prefix)) {
					return true
				}
			}
		}
	}
	return false
}

// changeSet collects the keys of one write.
type changeSet struct {
	keys      [][]byte
	seen      map[string]bool
	prefixes  map[string]bool
	truncated bool
}

func newChangeSet() *changeSet {
	return &changeSet{seen: map[string]bool{}, prefixes: map[string]bool{}}
}

// keyPrefix is key up to and including its second '/' (or all of it),
// at most 64 bytes.
func keyPrefix(key []byte) string {
	n := 0
	for i, b := range key {
		if b == '/' {
			if n++; n == 2 {
				key = key[:i+1]
				break
			}
		}
	}
	return string(key[:min(len(key), 64)])
}

func (c *changeSet) add(key []byte) {
	c.prefixes[keyPrefix(key)] = true
	if c.truncated || c.seen[string(key)] {
		return
	}
	if len(c.keys) >= maxChangeKeys {
		c.truncated, c.keys, c.seen = true, nil, nil
		return
	}
	c.seen[string(key)] = true
	c.keys = append(c.keys, bytes.Clone(key))
}

func (c *changeSet) merge(o *changeSet) {
	for p := range o.prefixes {
		c.prefixes[p] = true
	}
	if o.truncated {
		c.truncated, c.keys, c.seen = true, nil, nil
	}
	for _, k := range o.keys {
		c.add(k)
	}
}

func (c *changeSet) sortedPrefixes() []string {
	out := make([]string, 0, len(c.prefixes))
	for p := range c.prefixes {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func encodeKeys(keys [][]byte) []byte {
	var out []byte
	for _, k := range keys {
		out = binary.AppendUvarint(out, uint64(len(k)))
		out = append(out, k...)
	}
	return out
}

func decodeKeys(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		n, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < n {
			return nil, fmt.Errorf("store: change feed: %w: bad key list", ErrInvalid)
		}
		out = append(out, bytes.Clone(b[w:w+int(n)]))
		b = b[w+int(n):]
	}
	return out, nil
}

// recordChange appends the transaction's change row, when it wrote
// anything. It is the last statement before the commit, so the counter
// row is held as briefly as possible.
func (q *sqlTxn) recordChange() error {
	c := q.chg
	if len(c.prefixes) == 0 {
		return nil
	}
	var seq int64
	if err := q.tx.QueryRow(q.ctx, `UPDATE rx_feed SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&seq); err != nil {
		return fmt.Errorf("store: change feed: %w", err)
	}
	var keys []byte
	if !c.truncated {
		keys = encodeKeys(c.keys)
	}
	_, err := q.tx.Exec(q.ctx, `INSERT INTO rx_changes (seq, origin, at, prefixes, keys, truncated) VALUES ($1, $2, now(), $3, $4, $5)`,
		seq, q.s.origin, strings.Join(c.sortedPrefixes(), "\n"), keys, c.truncated)
	if err != nil {
		return fmt.Errorf("store: change feed: %w", err)
	}
	if q.s.notify {
		if _, err := q.tx.Exec(q.ctx, `SELECT pg_notify('rxlab_changes', $1)`, strconv.FormatInt(seq, 10)); err != nil {
			return fmt.Errorf("store: change feed: %w", err)
		}
	}
	return nil
}

// Shared reports whether the database is shared with other processes (the
// SQL backend); only then does the change feed carry anything.
func (db *DB) Shared() bool { return db.sql != nil }

// Origin returns this process's id in the change feed ("" on Badger).
func (db *DB) Origin() string {
	if db.sql == nil {
		return ""
	}
	return db.sql.origin
}

// FeedSeq returns the change-feed sequence number this transaction's
// snapshot reflects: a reader that loads state in a View and then follows
// Changes(FeedSeq) misses nothing. It is zero on Badger.
func (tx *Txn) FeedSeq() (uint64, error) {
	if tx.q == nil {
		return 0, nil
	}
	var seq int64
	if err := tx.q.tx.QueryRow(tx.q.ctx, `SELECT seq FROM rx_feed WHERE id = 1`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("store: change feed: %w", err)
	}
	return uint64(seq), nil
}

// Changes returns up to limit changes after since, oldest first (none on
// Badger). When the feed was pruned past since the error wraps ErrFeedGap.
func (db *DB) Changes(ctx context.Context, since uint64, limit int) ([]Change, error) {
	if db.sql == nil {
		return nil, ctx.Err()
	}
	if limit <= 0 || limit > 10000 {
		return nil, fmt.Errorf("store: changes: %w: limit %d outside 1..10000", ErrInvalid, limit)
	}
	rows, err := db.sql.pool.Query(ctx, `SELECT seq, origin, prefixes, keys, truncated FROM rx_changes WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(since), limit)
	if err != nil {
		return nil, fmt.Errorf("store: changes: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var seq int64
		var c Change
		var prefixes string
		var keys []byte
		if err := rows.Scan(&seq, &c.Origin, &prefixes, &keys, &c.Truncated); err != nil {
			return nil, fmt.Errorf("store: changes: %w", err)
		}
		c.Seq = uint64(seq)
		if prefixes != "" {
			c.Prefixes = strings.Split(prefixes, "\n")
		}
		if c.Keys, err = decodeKeys(keys); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: changes: %w", err)
	}
	if len(out) > 0 && out[0].Seq != since+1 {
		return nil, fmt.Errorf("%w (asked after %d, oldest kept %d)", ErrFeedGap, since, out[0].Seq)
	}
	if len(out) == 0 {
		head, err := db.FeedHead(ctx)
		if err != nil {
			return nil, err
		}
		if head > since {
			return nil, fmt.Errorf("%w (asked after %d, head %d)", ErrFeedGap, since, head)
		}
	}
	return out, nil
}

// FeedHead returns the newest change's sequence number (0 on Badger).
func (db *DB) FeedHead(ctx context.Context) (uint64, error) {
	if db.sql == nil {
		return 0, ctx.Err()
	}
	var seq int64
	if err := db.sql.pool.QueryRow(ctx, `SELECT seq FROM rx_feed WHERE id = 1`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("store: change feed: %w", err)
	}
	return uint64(seq), nil
}

// WaitChanges blocks until the feed's head passes since and returns the
// head, or returns ctx's error. Other nodes' commits wake it through
// LISTEN/NOTIFY where the database has it, within pollEvery otherwise. On
// Badger (no other writers) it waits for ctx.
func (db *DB) WaitChanges(ctx context.Context, since uint64) (uint64, error) {
	if db.sql == nil {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	w := db.sql.feed
	w.start()
	for {
		head, ch := w.current()
		if head > since {
			return head, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-w.quit:
			return 0, fmt.Errorf("store: changes: %w: %w", ErrConflict, ErrClosed)
		}
	}
}

// pollEvery is how often the feed's head is read without NOTIFY (and as a
// safety net with it, since a notification can be lost on a reconnect).
const pollEvery = 100 * time.Millisecond

// feedWatch follows the head of the feed for WaitChanges.
type feedWatch struct {
	s    *sqlStore
	once sync.Once
	mu   sync.Mutex
	head uint64
	ch   chan struct{} // closed and replaced when head advances
	quit chan struct{}
	done chan struct{}
}

func newFeedWatch(s *sqlStore) *feedWatch {
	return &feedWatch{s: s, ch: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{})}
}

func (w *feedWatch) current() (uint64, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.head, w.ch
}

func (w *feedWatch) advance(head uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if head > w.head {
		w.head = head
		close(w.ch)
		w.ch = make(chan struct{})
	}
}

func (w *feedWatch) start() { w.once.Do(func() { go w.loop() }) }

// stop ends the watcher (if it ever started).
func (w *feedWatch) stop() {
	close(w.quit)
	started := true
	w.once.Do(func() { started = false })
	if started {
		<-w.done
	}
}

func (w *feedWatch) loop() {
	defer close(w.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-w.quit
		cancel()
	}()
	var conn *pgxConn
	for ctx.Err() == nil {
		if w.s.notify && conn == nil {
			conn = w.s.listen(ctx)
		}
		var head int64
		if err := w.s.pool.QueryRow(ctx, `SELECT seq FROM rx_feed WHERE id = 1`).Scan(&head); err == nil {
			w.advance(uint64(head))
		}
		if conn != nil {
			wctx, wcancel := context.WithTimeout(ctx, 10*pollEvery)
			_, err := conn.c.Conn().WaitForNotification(wctx)
			wcancel()
			if err != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
				conn.c.Conn().Close(context.Background())
				conn.c.Release()
				conn = nil
			}
			continue
		}
		select {
		case <-time.After(pollEvery):
		case <-ctx.Done():
		}
	}
	if conn != nil {
		conn.c.Conn().Close(context.Background())
		conn.c.Release()
	}
}

// pruneChanges drops changes older than the retention.
func (s *sqlStore) pruneChanges(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM rx_changes WHERE seq <= (SELECT seq FROM rx_feed WHERE id = 1) - $1 OR at < now() - INTERVAL '24 hours'`, changeRetention)
	return err
}

// pgxConn is the connection a watcher LISTENs on; it is closed, never
// returned to the pool, since it keeps listening.
type pgxConn struct{ c *pgxpool.Conn }

func (s *sqlStore) listen(ctx context.Context) *pgxConn {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil
	}
	if _, err := c.Exec(ctx, `LISTEN rxlab_changes`); err != nil {
		c.Conn().Close(context.Background())
		c.Release()
		return nil
	}
	return &pgxConn{c}
}

// Guard makes the stage's commit fail with an error wrapping ErrConflict
// when another process committed a write touching one of prefixes after
// feed position since: a node whose in-memory state was current at since
// cannot overwrite what it has not seen. The check runs inside the
// commit's SERIALIZABLE transaction, which writes the feed's counter row
// like every other write, so no such write can slip in between. On Badger
// (one process) it does nothing.
func (s *Stage) Guard(since uint64, prefixes ...string) {
	s.guard = &stageGuard{since: since, prefixes: prefixes}
}

type stageGuard struct {
	since    uint64
	prefixes []string
}

// check runs the guard in the commit transaction.
func (g *stageGuard) check(q *sqlTxn) error {
	var head int64
	if err := q.tx.QueryRow(q.ctx, `SELECT seq FROM rx_feed WHERE id = 1`).Scan(&head); err != nil {
		return fmt.Errorf("store: stage guard: %w", err)
	}
	if uint64(head) <= g.since {
		return nil
	}
	rows, err := q.tx.Query(q.ctx, `SELECT origin, prefixes, truncated, keys FROM rx_changes WHERE seq > $1`, int64(g.since))
	if err != nil {
		return fmt.Errorf("store: stage guard: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		var c Change
		var prefixes string
		var keys []byte
		if err := rows.Scan(&c.Origin, &prefixes, &c.Truncated, &keys); err != nil {
			return fmt.Errorf("store: stage guard: %w", err)
		}
		if c.Origin == q.s.origin {
			continue
		}
		c.Prefixes = strings.Split(prefixes, "\n")
		var err error
		if c.Keys, err = decodeKeys(keys); err != nil {
			c.Truncated = true // an unreadable key list may touch anything under its prefixes
		}
		for _, p := range g.prefixes {
			if c.Touches(p) {
				return fmt.Errorf("store: %w: another node changed %s since this node last caught up; run the write again", ErrConflict, p)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: stage guard: %w", err)
	}
	if uint64(n) < uint64(head)-g.since {
		return fmt.Errorf("store: %w: the change feed no longer covers this node's position; restart it to reload", ErrConflict)
	}
	return nil
}
