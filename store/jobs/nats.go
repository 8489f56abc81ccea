package jobs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rxlab/rxlab/store"
)

// NATSConfig configures a NATSQueue.
type NATSConfig struct {
	// URL of the NATS server(s), e.g. nats://127.0.0.1:4222; JetStream
	// must be enabled.
	URL string
	// Stream names the JetStream stream; default RXLAB_JOBS. Its subjects
	// are <subject prefix>.run and <subject prefix>.shard.
	Stream string
	// AckWait is how long a job or shard may go without a heartbeat before
	// it is delivered to another runner; default 30 s. Runners beat every
	// AckWait/4.
	AckWait time.Duration
	// Name names this connection in the server's monitoring (a node or
	// worker).
	Name string
}

// NATSQueue is a Queue on a NATS JetStream work-queue stream: a message is
// taken by one runner; one that is not acknowledged within AckWait (the
// runner died) is delivered again, so the job resumes from its checkpoint
// and a shard is simply run again.
type NATSQueue struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	jobs    jetstream.Consumer
	shards  jetstream.Consumer
	subject string
	ackWait time.Duration
}

// NewNATSQueue connects, creates the stream and its two durable consumers
// when missing, and returns the queue. Close it when done.
func NewNATSQueue(ctx context.Context, cfg NATSConfig) (*NATSQueue, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("jobs: %w: NATS URL is empty", store.ErrInvalid)
	}
	if cfg.Stream == "" {
		cfg.Stream = "RXLAB_JOBS"
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 30 * time.Second
	}
	if cfg.AckWait < 500*time.Millisecond || cfg.AckWait > time.Hour {
		return nil, fmt.Errorf("jobs: %w: NATS ack wait %s out of range 500ms..1h", store.ErrInvalid, cfg.AckWait)
	}
	nc, err := nats.Connect(cfg.URL, nats.Name(cfg.Name), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("jobs: connect to NATS: %w", err)
	}
	q, err := setupStream(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return q, nil
}

func setupStream(ctx context.Context, nc *nats.Conn, cfg NATSConfig) (*NATSQueue, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jobs: JetStream: %w", err)
	}
	subject := "rxlab." + strings.ToLower(cfg.Stream)
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: cfg.Stream, Subjects: []string{subject + ".>"},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: JetStream stream %s: %w", cfg.Stream, err)
	}
	q := &NATSQueue{nc: nc, js: js, subject: subject, ackWait: cfg.AckWait}
	for _, c := range []struct {
		name string
		dst  *jetstream.Consumer
	}{{"run", &q.jobs}, {"shard", &q.shards}} {
		*c.dst, err = st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable: "rxlab-" + c.name, FilterSubject: subject + "." + c.name,
			AckPolicy: jetstream.AckExplicitPolicy, AckWait: cfg.AckWait,
			MaxAckPending: 10000,
		})
		if err != nil {
			return nil, fmt.Errorf("jobs: JetStream consumer %s: %w", c.name, err)
		}
	}
	return q, nil
}

// Close drains nothing: unacknowledged deliveries are redelivered to others.
func (q *NATSQueue) Close() { q.nc.Close() }

// Conn is the NATS connection (for status).
func (q *NATSQueue) Conn() *nats.Conn { return q.nc }

// AckWait is the configured ack wait.
func (q *NATSQueue) AckWait() time.Duration { return q.ackWait }

// Durable is true: the stream outlives every runner.
func (q *NATSQueue) Durable() bool { return true }

// Submit publishes job id; the message id makes a second submit within two
// minutes a no-op.
func (q *NATSQueue) Submit(ctx context.Context, id string) error {
	_, err := q.js.Publish(ctx, q.subject+".run", []byte(id), jetstream.WithMsgID("run/"+id))
	if err != nil {
		return fmt.Errorf("jobs: queue job %s on NATS: %w", id, err)
	}
	return nil
}

// SubmitShard publishes shard index of job id.
func (q *NATSQueue) SubmitShard(ctx context.Context, id string, index int) error {
	body := id + "/" + strconv.Itoa(index)
	_, err := q.js.Publish(ctx, q.subject+".shard", []byte(body), jetstream.WithMsgID("shard/"+body))
	if err != nil {
		return fmt.Errorf("jobs: queue shard %d of job %s on NATS: %w", index, id, err)
	}
	return nil
}

// NextJob fetches one job message.
func (q *NATSQueue) NextJob(ctx context.Context, wait time.Duration) (Delivery, error) {
	return q.next(ctx, q.jobs, wait)
}

// NextShard fetches one shard message.
func (q *NATSQueue) NextShard(ctx context.Context, wait time.Duration) (Delivery, error) {
	return q.next(ctx, q.shards, wait)
}

func (q *NATSQueue) next(ctx context.Context, c jetstream.Consumer, wait time.Duration) (Delivery, error) {
	if wait < 100*time.Millisecond {
		wait = 100 * time.Millisecond
	}
	batch, err := c.Fetch(1, jetstream.FetchMaxWait(wait))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("jobs: NATS fetch: %w", err)
	}
	for m := range batch.Messages() {
		return parseDelivery(m)
	}
	if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("jobs: NATS fetch: %w", err)
	}
	return nil, nil
}

// natsDelivery is a fetched message.
type natsDelivery struct {
	m       jetstream.Msg
	id      string
	shard   int
	attempt int
}

func parseDelivery(m jetstream.Msg) (Delivery, error) {
	d := &natsDelivery{m: m, attempt: 1}
	if md, err := m.Metadata(); err == nil {
		d.attempt = int(md.NumDelivered)
	}
	var err error
	d.id, d.shard, err = parseBody(strings.HasSuffix(m.Subject(), ".shard"), string(m.Data()))
	if err != nil {
		m.Term()
		return nil, err
	}
	return d, nil
}

// parseBody reads a queue message: a job id ("J12"), or for a shard the job
// id, a slash and the shard index ("J12/3"); shard is -1 for a job.
func parseBody(isShard bool, body string) (id string, shard int, err error) {
	shard = -1
	if isShard {
		i := strings.LastIndexByte(body, '/')
		if i <= 0 {
			return "", 0, fmt.Errorf("jobs: %w: malformed shard message", store.ErrInvalid)
		}
		n, err := strconv.Atoi(body[i+1:])
		if err != nil || n < 0 || n >= MaxShards {
			return "", 0, fmt.Errorf("jobs: %w: malformed shard message", store.ErrInvalid)
		}
		body, shard = body[:i], n
	}
	if body == "" || len(body) > 64 || strings.ContainsAny(body, "/\x00") {
		return "", 0, fmt.Errorf("jobs: %w: malformed job message", store.ErrInvalid)
	}
	return body, shard, nil
}

func (d *natsDelivery) JobID() string     { return d.id }
func (d *natsDelivery) Shard() int        { return d.shard }
func (d *natsDelivery) Attempt() int      { return d.attempt }
func (d *natsDelivery) InProgress() error { return d.m.InProgress() }
func (d *natsDelivery) Ack() error        { return d.m.Ack() }
func (d *natsDelivery) Nak() error        { return d.m.Nak() }
func (d *natsDelivery) Term() error       { return d.m.Term() }
