// Command bench measures rxlab's training core and prints one table:
// PPO-update steps/s and samples/s for the MLPs the RL agent trains
// (16-64-64-8 at batch 64 and 256, 16-256-256-8 at batch 256), allocations
// per step, batch-1 action latency, each beside stock gorgonia and, with
// -peers, beside PyTorch on CPU run in the same process tree and interleaved
// round by round (script: peer/torch_peer.py, embedded). It also measures
// the machine's single-thread SGEMM peak and says what fraction of it each
// workload reaches. Rows for workloads other packages own (environment
// stepping, end-to-end PPO, response-model training) print "n/a (not yet
// built)" until their runners are wired into workloads.go.
//
// Rates are per CPU-second of the measuring process (getrusage on our side,
// time.process_time in the peer), not per wall-clock second: the machines
// are 2-core boxes shared with other jobs, and CPU time keeps both sides'
// rates comparable under that load. On an idle machine the two agree for
// single-threaded work; -wall switches to wall-clock rates. Every rate is
// the median of interleaved rounds; "% SGEMM peak" compares each round's
// FLOP rate with our SGEMM kernel's rate measured right after it (scaled up
// to OpenBLAS's when OpenBLAS is faster).
//
// Usage:
//
//	go run ./bench                 # ours and plain gorgonia
//	go run ./bench -peers          # plus PyTorch (Debian python3-torch, /usr/bin/python3)
//	go run ./bench -peers -json out.json -rounds 7 -time 250ms
//	go run ./bench -wall           # wall-clock rates
package main
