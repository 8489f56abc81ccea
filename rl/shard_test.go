package rl

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/rxlab/rxlab/rl/dosing"
	"github.com/rxlab/rxlab/store"
	"github.com/rxlab/rxlab/store/jobs"
)

// shardNode is one runner (and its rl service) over a shared store.
type shardNode struct {
	runner *jobs.Runner
	svc    *Service
}

func newShardNode(t *testing.T, db *store.DB, cfg jobs.Config, serve jobs.ServeConfig) *shardNode {
	t.Helper()
	cfg.DB = db
	r, err := jobs.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(Config{DB: db, Jobs: r})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	if cfg.Queue != nil {
		go func() { defer close(done); r.Serve(ctx, serve) }()
	} else {
		close(done)
	}
	t.Cleanup(func() {
		r.Shutdown(context.Background())
		cancel()
		<-done
	})
	return &shardNode{runner: r, svc: svc}
}

func waitJob(t *testing.T, r *jobs.Runner, id string) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		j, err := r.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State.Final() {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", id)
	return jobs.Job{}
}

// TestShardedEvaluationMatchesOneProcess runs evaluations of 2,100–2,300
// virtual patients (three shards, the last one short) as jobs split into
// shards — in one process with two shard goroutines, and on an in-process
// queue served by two runners over one store — and compares them with
// Evaluate in one piece: every arm and subgroup number is equal to the bit.
func TestShardedEvaluationMatchesOneProcess(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		in   EvaluationInput
	}{
		{"warfarin", EvaluationInput{Model: dosing.WarfarinHamberg, Baselines: []string{dosing.MethodFixed, dosing.MethodAurora},
			Population: PopulationInput{Size: 2300, Seed: 7}, Days: 7}},
		{"docetaxel", EvaluationInput{Model: dosing.DocetaxelFriberg, Baselines: []string{dosing.MethodReduceGrade4},
			Population: PopulationInput{Size: 2100, Seed: 9}, Days: 8, Monitoring: string(dosing.MonitoringDaily)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !shardable(tc.in) {
				t.Fatal("the case does not split into shards")
			}
			db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			local := newShardNode(t, db, jobs.Config{ShardConcurrency: 2}, jobs.ServeConfig{})
			want, err := local.svc.Evaluate(ctx, tc.in, nil)
			if err != nil {
				t.Fatal(err)
			}
			q := jobs.NewMemQueue()
			node := newShardNode(t, db, jobs.Config{Queue: q}, jobs.ServeConfig{Jobs: 1})
			newShardNode(t, db, jobs.Config{Queue: q}, jobs.ServeConfig{Shards: 1})
			newShardNode(t, db, jobs.Config{Queue: q}, jobs.ServeConfig{Shards: 1})
			for _, n := range []*shardNode{local, node} {
				ev, err := n.svc.EvaluatePolicy(ctx, "tester", tc.in)
				if err != nil {
					t.Fatal(err)
				}
				if j := waitJob(t, n.runner, ev.Job); j.State != jobs.Succeeded || j.Message != "succeeded: made evaluation "+ev.ID {
					t.Fatalf("job %s %s %s", j.State, j.Error, j.Message)
				}
				got, err := n.svc.Evaluation(ctx, ev.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Arms, want.Arms) {
					t.Errorf("arms differ from one process:\n got %+v\nwant %+v", got.Arms, want.Arms)
				}
				if !reflect.DeepEqual(got.Subgroups, want.Subgroups) {
					t.Error("subgroups differ from one process")
				}
			}
		})
	}
}

func TestShardCodec(t *testing.T) {
	recs := [][]armPatient{
		{{out: dosing.Outcome{TimeInRange: 0.5, TimeAbove: 0.25, TimeBelow: 0.25, MeanDailyDose: 5.1}, severe: 0.01, visits: 7},
			{out: dosing.Outcome{TimeInRange: 1}, visits: 3, ep: &dosing.Endpoints{NadirANC: 420.5, NadirDay: 8, Grade4: true, RelativeDoseIntensity: 0.9}}},
		{{visits: 1}, {severe: 1e-300}},
	}
	b := encodeShard(recs)
	got, err := decodeShard(b, 2, 2)
	if err != nil || !reflect.DeepEqual(got, recs) {
		t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, got, recs)
	}
	for _, bad := range []struct {
		b     []byte
		arms  int
		n     int
		label string
	}{{b[:len(b)-1], 2, 2, "short"}, {b, 3, 2, "wrong arms"}, {nil, 1, 1, "empty"}} {
		if _, err := decodeShard(bad.b, bad.arms, bad.n); err == nil {
			t.Errorf("%s: decoded", bad.label)
		}
	}
}

// FuzzDecodeShard: any bytes and shape decode or give an error wrapping
// ErrInvalid, never a panic; what decodes encodes back to the same bytes.
func FuzzDecodeShard(f *testing.F) {
	f.Add(encodeShard([][]armPatient{{{visits: 2, ep: &dosing.Endpoints{Grade3: true}}}}), 1, 1)
	f.Add([]byte{}, 0, 0)
	f.Add(make([]byte, 96*3), 3, 1)
	f.Fuzz(func(t *testing.T, b []byte, arms, n int) {
		if arms < 0 || n < 0 || arms > 64 || n > 4096 {
			return
		}
		recs, err := decodeShard(b, arms, n)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatal(err)
			}
			return
		}
		if len(recs) != arms {
			t.Fatalf("%d arms, want %d", len(recs), arms)
		}
		_ = encodeShard(recs)
	})
}

// TestShardedPopulationSimMatchesOneProcess runs population simulations of
// 10,500–11,000 patients (three shards, the last short) as jobs split into
// shards on an in-process queue served by two runners over one store, and
// compares every band and distribution with the one-piece simulation.
func TestShardedPopulationSimMatchesOneProcess(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		req  PopulationSimRequest
	}{
		{"warfarin, outpatient", PopulationSimRequest{Model: dosing.WarfarinHamberg, Population: PopulationInput{Size: 11000, Seed: 3}, Days: 5,
			Arms: []PopulationSimArm{{Name: "fixed", Method: dosing.MethodFixed}, {Name: "aurora", Method: dosing.MethodAurora}}, Monitoring: "OUTPATIENT", Variability: true}},
		{"docetaxel, protocol", PopulationSimRequest{Model: dosing.DocetaxelFriberg, Population: PopulationInput{Size: 10500, Seed: 4}, Days: 2,
			Arms: []PopulationSimArm{{Name: "grade4", Method: dosing.MethodReduceGrade4}}, Variability: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.req.Model == dosing.DocetaxelFriberg {
				t.Skip("docetaxel steps hourly: about 15 s on 2 busy cores; runs without -short")
			}
			db, err := store.Open(store.Config{Dir: t.TempDir(), GCInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			q := jobs.NewMemQueue()
			node := newShardNode(t, db, jobs.Config{Queue: q}, jobs.ServeConfig{Jobs: 1})
			newShardNode(t, db, jobs.Config{Queue: q}, jobs.ServeConfig{Shards: 1})
			newShardNode(t, db, jobs.Config{Queue: q}, jobs.ServeConfig{Shards: 1})
			in, err := node.svc.resolvePopulationSim(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if !popSimShardable(in) {
				t.Fatal("the case does not split into shards")
			}
			want, err := runPopulationSim(ctx, in, nil)
			if err != nil {
				t.Fatal(err)
			}
			ps, err := node.svc.StartPopulationSimulation(ctx, "tester", tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if j := waitJob(t, node.runner, ps.Job); j.State != jobs.Succeeded {
				t.Fatalf("job %s %s", j.State, j.Error)
			}
			got, err := node.svc.PopulationSimulation(ctx, ps.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Arms, want) {
				t.Errorf("arms differ from one process:\n got %+v\nwant %+v", got.Arms, want)
			}
		})
	}
}

// FuzzDecodePopSimShard: any bytes and shape decode or give an error
// wrapping ErrInvalid, never a panic.
func FuzzDecodePopSimShard(f *testing.F) {
	sims := [][]*dosing.Simulation{{{Points: []dosing.SimPoint{{Hour: 0, Observable: 1}, {Hour: 24, Observable: 2}}, TimeInRange: 0.5,
		Observations: make([]dosing.Observation, 2), Endpoints: &dosing.Endpoints{Grade4: true}}}}
	b, err := encodePopSimShard(sims, []dosing.Monitoring{dosing.MonitoringDaily}, 1)
	if err != nil {
		f.Fatal(err)
	}
	got, mons, err := decodePopSimShard(b, 1, 1, 1)
	if err != nil || mons[0] != dosing.MonitoringDaily || got[0][0].TimeInRange != 0.5 || len(got[0][0].Observations) != 2 || !got[0][0].Endpoints.Grade4 {
		f.Fatalf("round trip: %v %v %+v", err, mons, got)
	}
	f.Add(b, 1, 1, 1)
	f.Add([]byte{3, 'a', 'b'}, 2, 1, 0)
	f.Fuzz(func(t *testing.T, b []byte, arms, n, days int) {
		if arms < 0 || n < 0 || days < 0 || arms > 8 || n > 64 || days > 64 {
			return
		}
		if _, _, err := decodePopSimShard(b, arms, n, days); err != nil && !errors.Is(err, store.ErrInvalid) {
			t.Fatal(err)
		}
	})
}

// BenchmarkShardedEvaluation measures an evaluation job of 10,000 virtual
// patients (warfarin, 2 arms, 7 days) with its shards computed by 1 and 2
// goroutines of one runner (no queue): the scaling the split allows before
// any network or store is involved.
func BenchmarkShardedEvaluation(b *testing.B) {
	for _, conc := range []int{1, 2} {
		b.Run(fmt.Sprintf("shards=%d", conc), func(b *testing.B) {
			ctx := context.Background()
			db, err := store.Open(store.Config{Dir: b.TempDir(), GCInterval: -1})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			r, err := jobs.New(jobs.Config{DB: db, ShardConcurrency: conc})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Shutdown(ctx)
			svc, err := New(Config{DB: db, Jobs: r})
			if err != nil {
				b.Fatal(err)
			}
			in := EvaluationInput{Model: dosing.WarfarinHamberg, Baselines: []string{dosing.MethodFixed, dosing.MethodAurora},
				Population: PopulationInput{Size: 10000}, Days: 7}
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				in.Population.Seed = int64(i + 1)
				ev, err := svc.EvaluatePolicy(ctx, "bench", in)
				if err != nil {
					b.Fatal(err)
				}
				for {
					j, err := r.Get(ctx, ev.Job)
					if err != nil {
						b.Fatal(err)
					}
					if j.State.Final() {
						if j.State != jobs.Succeeded {
							b.Fatalf("%s %s", j.State, j.Error)
						}
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			b.ReportMetric(float64(in.Population.Size*b.N)/time.Since(start).Seconds(), "patients/s")
		})
	}
}
