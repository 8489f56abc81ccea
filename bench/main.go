package main

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/rxlab/rxlab/rl/dosing"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rxlab/rxlab/rl/nn"
	"github.com/rxlab/rxlab/rl/nn/kernels"
)

//go:embed peer/torch_peer.py
var peerScript []byte

const installHint = "apt-get install -y python3-torch libopenblas0-pthread"

func log(x float64) float64 { return math.Log(x) }
func exp(x float64) float64 { return math.Exp(x) }

// result is one JSON row.
type result struct {
	Workload     string   `json:"workload"`
	Unit         string   `json:"unit"`
	OursPerS     *float64 `json:"ours_per_s"`
	PeerPerS     *float64 `json:"peer_per_s"`
	Ratio        *float64 `json:"ratio"`
	AllocsPerOp  *float64 `json:"allocs_per_op"`
	GorgoniaPerS *float64 `json:"gorgonia_per_s,omitempty"`
	VsGorgonia   *float64 `json:"ratio_vs_gorgonia,omitempty"`
	SamplesPerS  *float64 `json:"samples_per_s,omitempty"`
	PctPeak      *float64 `json:"pct_of_sgemm_peak,omitempty"`
	Note         string   `json:"note,omitempty"`
	// noPeer marks workloads the PyTorch script has no counterpart for.
	noPeer bool
	Owner  string `json:"owner,omitempty"`
}

func ptr(v float64) *float64 { return &v }

func main() {
	peers := flag.Bool("peers", false, "also run the PyTorch CPU peer (interleaved, same run)")
	jsonOut := flag.String("json", "", "write results as a JSON array to this file")
	rounds := flag.Int("rounds", 7, "interleaved rounds; the table shows medians")
	per := flag.Duration("time", 250*time.Millisecond, "time per measurement per round")
	python := flag.String("python", "/usr/bin/python3", "Python with torch for -peers")
	threads := flag.Int("peer-threads", 1, "torch.set_num_threads for the peer (ours is single-threaded)")
	wall := flag.Bool("wall", false, "rate per wall-clock second instead of per process CPU-second")
	lc := registerLoadFlags(flag.CommandLine)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if lc.on {
		if err := runLoad(ctx, os.Stdout, lc, *jsonOut); err != nil {
			fmt.Fprintln(os.Stderr, "bench -load:", err)
			os.Exit(1)
		}
		return
	}
	clk := clock{cpu: !*wall, t0: time.Now()}
	if err := run(ctx, os.Stdout, clk, *peers, *jsonOut, *rounds, *per, *python, *threads); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

const peakN = 128

// peakMeter times our SGEMM kernel on a cache-resident peakN³ product.
type peakMeter struct {
	a, b, c []float32
	// scale converts our kernel's rate into the machine peak when OpenBLAS
	// measured higher (1 otherwise).
	scale float64
}

func newPeakMeter() *peakMeter {
	n := peakN * peakN
	p := &peakMeter{a: make([]float32, n), b: make([]float32, n), c: make([]float32, n), scale: 1}
	for i := range p.a {
		p.a[i], p.b[i] = float32(i%7)*0.1, float32(i%5)*0.1
	}
	return p
}

// measure returns GFLOP/s over about d.
func (p *peakMeter) measure(ctx context.Context, clk clock, d time.Duration) (float64, error) {
	m, err := timeLoop(ctx, clk, d, func() error {
		kernels.GemmNN(peakN, peakN, peakN, p.a, peakN, p.b, peakN, p.c, peakN, false)
		return nil
	})
	return m.perS * 2 * peakN * peakN * peakN / 1e9, err
}

func maxOf(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func run(ctx context.Context, w io.Writer, clk clock, withPeers bool, jsonPath string, rounds int, per time.Duration, python string, threads int) error {
	if rounds < 1 {
		return errors.New("-rounds must be at least 1")
	}
	fmt.Fprintf(w, "rxlab training-core bench: %d rounds × %v, medians, rates %s; assembly kernels: %v; load average: %s\n", rounds, per, clk, kernels.Accelerated(), loadAvg())
	defer func() {
		fmt.Fprintf(w, "load average at end: %s\n", loadAvg())
	}()
	var peer *peerProc
	if withPeers {
		p, err := startPeer(ctx, clk, python, threads)
		if err != nil {
			fmt.Fprintf(w, "PyTorch peer unavailable (%v).\n  Install it with: %s\n  (the peer runs %s on bench/peer/torch_peer.py)\n", err, installHint, python)
		} else {
			peer = p
			defer peer.close()
			fmt.Fprintf(w, "peer: PyTorch %s, %d thread(s); BLAS loaded: %s\n", peer.info.Torch, peer.info.Threads, strings.Join(peer.info.BlasLoaded, ", "))
			for _, l := range peer.info.BlasConfig {
				if len(l) > 160 {
					l = l[:160] + "…"
				}
				fmt.Fprintf(w, "  torch.__config__: %s\n", l)
			}
		}
	}

	// SGEMM peak: the best rate of our kernel on a cache-resident 128³
	// product and, with the peer, of OpenBLAS (1 thread) on 1024³. A peak
	// is a maximum, so take the best round. Each workload round measures
	// our kernel again, so its "% of peak" compares rates taken under the
	// same machine load.
	pm := newPeakMeter()
	var oursPeak, blasPeak []float64
	for r := 0; r < rounds; r++ {
		g, err := pm.measure(ctx, clk, per/2)
		if err != nil {
			return err
		}
		oursPeak = append(oursPeak, g)
		if peer != nil {
			g, err := peer.sgemm(1024, per/2)
			if err != nil {
				return err
			}
			blasPeak = append(blasPeak, g)
		}
	}
	peak, peakSrc := maxOf(oursPeak), fmt.Sprintf("our AVX2 kernel, %d³", peakN)
	if len(blasPeak) > 0 && maxOf(blasPeak) > peak {
		pm.scale = maxOf(blasPeak) / peak
		peak, peakSrc = maxOf(blasPeak), "OpenBLAS via torch, 1 thread, 1024³"
	}
	fmt.Fprintf(w, "SGEMM peak: %.1f GFLOP/s (%s); ours %d³: %.1f GFLOP/s", peak, peakSrc, peakN, maxOf(oursPeak))
	if len(blasPeak) > 0 {
		fmt.Fprintf(w, "; OpenBLAS 1024³: %.1f GFLOP/s", maxOf(blasPeak))
	}
	fmt.Fprintln(w)

	var results []result
	ppos := []ppoWorkload{{[]int{16, 64, 64, 8}, 64}, {[]int{16, 64, 64, 8}, 256}, {[]int{16, 256, 256, 8}, 256}}
	for _, wl := range ppos {
		res, err := benchPPO(ctx, clk, wl, rounds, per, peer, pm)
		if err != nil {
			return fmt.Errorf("%s: %w", wl.name(), err)
		}
		results = append(results, res)
	}
	for _, sizes := range [][]int{{16, 64, 64, 8}, {16, 256, 256, 8}} {
		res, err := benchAct(ctx, clk, sizes, rounds, per, peer)
		if err != nil {
			return fmt.Errorf("act %v: %w", sizes, err)
		}
		results = append(results, res)
	}
	for _, model := range []string{dosing.WarfarinHamberg, dosing.DocetaxelFriberg} {
		res, err := benchEnv(ctx, clk, model, 256, rounds, per)
		if err != nil {
			return fmt.Errorf("env %s: %w", model, err)
		}
		results = append(results, res)
	}
	for _, model := range []string{dosing.WarfarinHamberg, dosing.DocetaxelFriberg} {
		res, err := benchPPOEndToEnd(ctx, clk, model, rounds, 2*per)
		if err != nil {
			return fmt.Errorf("ppo %s: %w", model, err)
		}
		results = append(results, res)
	}
	res, err := benchResponseTraining(ctx, clk, min(rounds, 3))
	if err != nil {
		return fmt.Errorf("response training: %w", err)
	}
	results = append(results, res)
	printTable(w, results, peer != nil)
	if jsonPath != "" {
		data, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonPath, append(data, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s\n", jsonPath)
	}
	return nil
}

func benchPPO(ctx context.Context, clk clock, wl ppoWorkload, rounds int, per time.Duration, peer *peerProc, pm *peakMeter) (result, error) {
	m, err := newNet(wl.sizes)
	if err != nil {
		return result{}, err
	}
	x, aux, err := ppoBatch(m, wl.batch)
	if err != nil {
		return result{}, err
	}
	tr, err := nn.NewTrainer(m, ppoLoss)
	if err != nil {
		return result{}, err
	}
	plain, err := nn.NewPlainTrainer(m, ppoLoss, wl.batch)
	if err != nil {
		return result{}, err
	}
	defer plain.Close()
	var ours, gorg, pr, allocs, pct []float64
	for r := 0; r < rounds; r++ {
		mo, err := timeLoop(ctx, clk, per, func() error { _, err := tr.Step(x, aux); return err })
		if err != nil {
			return result{}, err
		}
		ours, allocs = append(ours, mo.perS), append(allocs, mo.allocs)
		pk, err := pm.measure(ctx, clk, per/4)
		if err != nil {
			return result{}, err
		}
		pct = append(pct, 100*mo.perS*flopsPerStep(wl.sizes, wl.batch)/1e9/(pk*pm.scale))
		mg, err := timeLoop(ctx, clk, per/2, func() error { _, err := plain.Step(x, aux); return err })
		if err != nil {
			return result{}, err
		}
		gorg = append(gorg, mg.perS)
		if peer != nil {
			v, err := peer.rate(map[string]any{"cmd": "ppo", "sizes": wl.sizes, "batch": wl.batch, "seconds": per.Seconds()})
			if err != nil {
				return result{}, err
			}
			pr = append(pr, v)
		}
	}
	res := result{Workload: wl.name(), Unit: "steps/s", OursPerS: ptr(median(ours)), AllocsPerOp: ptr(median(allocs)),
		GorgoniaPerS: ptr(median(gorg))}
	res.VsGorgonia = ptr(*res.OursPerS / *res.GorgoniaPerS)
	res.SamplesPerS = ptr(*res.OursPerS * float64(wl.batch))
	res.PctPeak = ptr(median(pct))
	if len(pr) > 0 {
		res.PeerPerS = ptr(median(pr))
		res.Ratio = ptr(*res.OursPerS / *res.PeerPerS)
	}
	return res, nil
}

func benchAct(ctx context.Context, clk clock, sizes []int, rounds int, per time.Duration, peer *peerProc) (result, error) {
	m, err := newNet(sizes)
	if err != nil {
		return result{}, err
	}
	x := make([]float32, sizes[0])
	for i := range x {
		x[i] = float32(i%5) * 0.3
	}
	out := make([]float32, m.OutputWidth())
	plain, err := nn.NewPlainForward(m, 1)
	if err != nil {
		return result{}, err
	}
	defer plain.Close()
	var ours, gorg, pr, allocs []float64
	for r := 0; r < rounds; r++ {
		mo, err := timeLoop(ctx, clk, per, func() error { return m.Forward(x, 1, out) })
		if err != nil {
			return result{}, err
		}
		ours, allocs = append(ours, mo.perS), append(allocs, mo.allocs)
		mg, err := timeLoop(ctx, clk, per/2, func() error { return plain.Forward(x, out) })
		if err != nil {
			return result{}, err
		}
		gorg = append(gorg, mg.perS)
		if peer != nil {
			v, err := peer.rate(map[string]any{"cmd": "act", "sizes": sizes, "seconds": per.Seconds()})
			if err != nil {
				return result{}, err
			}
			pr = append(pr, v)
		}
	}
	res := result{Workload: "act b1 " + sizesName(sizes), Unit: "acts/s", OursPerS: ptr(median(ours)), AllocsPerOp: ptr(median(allocs)),
		GorgoniaPerS: ptr(median(gorg))}
	res.VsGorgonia = ptr(*res.OursPerS / *res.GorgoniaPerS)
	if len(pr) > 0 {
		res.PeerPerS = ptr(median(pr))
		res.Ratio = ptr(*res.OursPerS / *res.PeerPerS)
	}
	return res, nil
}

func printTable(w io.Writer, rs []result, withPeer bool) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "workload\tunit\tours\tµs/op\tsamples/s\tallocs/op\t% SGEMM peak\tgorgonia\t×gorgonia\tpytorch\t×pytorch\t")
	f := func(p *float64, format string) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf(format, *p)
	}
	var pending []result
	for _, r := range rs {
		if r.OursPerS == nil {
			pending = append(pending, r)
			continue
		}
		peer := "–"
		if r.PeerPerS != nil {
			peer = fmt.Sprintf("%.0f", *r.PeerPerS)
		} else if withPeer && !r.noPeer {
			peer = "error"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Workload, r.Unit, *r.OursPerS, 1e6 / *r.OursPerS,
			f(r.SamplesPerS, "%.0f"), f(r.AllocsPerOp, "%.1f"), f(r.PctPeak, "%.1f"),
			f(r.GorgoniaPerS, "%.0f"), f(r.VsGorgonia, "%.1f×"), peer, f(r.Ratio, "%.2f×"))
	}
	for _, r := range pending {
		fmt.Fprintf(tw, "%s\t%s\t%s\t\t\t\t\t\t\t\t\t\n", r.Workload, r.Unit, "n/a")
	}
	tw.Flush()
	for _, r := range pending {
		fmt.Fprintf(w, "  %s: %s (owner %s)\n", r.Workload, r.Note, r.Owner)
	}
}

// peerProc is a running torch_peer.py answering JSON-line requests.
type peerProc struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	dir  string
	info struct {
		Torch      string   `json:"torch"`
		Threads    int      `json:"threads"`
		BlasConfig []string `json:"blas_config"`
		BlasLoaded []string `json:"blas_loaded"`
		Error      string   `json:"error"`
	}
}

func startPeer(ctx context.Context, clk clock, python string, threads int) (*peerProc, error) {
	if _, err := exec.LookPath(python); err != nil {
		return nil, fmt.Errorf("%s not found", python)
	}
	if out, err := exec.CommandContext(ctx, python, "-c", "import torch").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s cannot import torch: %s", python, strings.TrimSpace(lastLine(string(out))))
	}
	dir, err := os.MkdirTemp("", "rxlab-peer-")
	if err != nil {
		return nil, err
	}
	script := dir + "/torch_peer.py"
	if err := os.WriteFile(script, peerScript, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p := &peerProc{dir: dir, cmd: exec.CommandContext(ctx, python, script)}
	p.cmd.Env = append(os.Environ(), fmt.Sprintf("RXLAB_PEER_CPU_CLOCK=%v", clk.cpu), fmt.Sprintf("RXLAB_PEER_THREADS=%d", threads), fmt.Sprintf("OMP_NUM_THREADS=%d", threads), fmt.Sprintf("OPENBLAS_NUM_THREADS=%d", threads))
	p.cmd.Stderr = os.Stderr
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.out = bufio.NewScanner(stdout)
	p.out.Buffer(make([]byte, 1<<20), 1<<24)
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := p.call(map[string]any{"cmd": "info"}, &p.info); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// loadAvg returns the 1/5/15-minute load averages, or "unknown".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func (p *peerProc) call(req map[string]any, resp any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("peer: %w", err)
	}
	if !p.out.Scan() {
		return fmt.Errorf("peer exited: %v", p.out.Err())
	}
	var e struct {
		Error string `json:"error"`
	}
	line := p.out.Bytes()
	if err := json.Unmarshal(line, &e); err == nil && e.Error != "" {
		return fmt.Errorf("peer: %s", e.Error)
	}
	return json.Unmarshal(line, resp)
}

func (p *peerProc) rate(req map[string]any) (float64, error) {
	var r struct {
		PerS float64 `json:"per_s"`
	}
	err := p.call(req, &r)
	return r.PerS, err
}

func (p *peerProc) sgemm(n int, d time.Duration) (float64, error) {
	var r struct {
		GFlops float64 `json:"gflops"`
	}
	err := p.call(map[string]any{"cmd": "sgemm", "n": n, "seconds": d.Seconds()}, &r)
	return r.GFlops, err
}

func (p *peerProc) close() {
	p.in.Close()
	p.cmd.Wait()
	os.RemoveAll(p.dir)
}
