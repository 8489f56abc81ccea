#!/usr/bin/python3
"""PyTorch CPU peer for rxlab's training-core benchmark (go run ./bench -peers).

Reads one JSON request per line on stdin and answers one JSON line on stdout:
  {"cmd": "info"}                                   -> versions, BLAS, threads
  {"cmd": "ppo", "sizes": [...], "batch": B, "seconds": s}
                                                    -> {"per_s": PPO update steps/s}
  {"cmd": "act", "sizes": [...], "seconds": s}     -> {"per_s": batch-1 forward passes/s}
  {"cmd": "sgemm", "n": N, "seconds": s}           -> {"gflops": single-thread SGEMM rate}
The network, loss and optimizer mirror rl/nn: MLP with tanh hidden layers and
an identity output of K logits + 1 value, the PPO loss (clipped surrogate,
value MSE with coefficient 0.5, entropy bonus 0.01, clip 0.2), Adam lr 1e-3.
"""
import json
import os
import sys
import time

import torch

torch.manual_seed(1)
THREADS = int(os.environ.get("RXLAB_PEER_THREADS", "1"))
# Like the Go side, time with process CPU time unless told to use the wall
# clock, so other jobs on a shared machine do not skew the rates.
CLOCK = time.process_time if os.environ.get("RXLAB_PEER_CPU_CLOCK", "true") == "true" else time.perf_counter
torch.set_num_threads(THREADS)


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def ppo_loss(out, actions, old_logp, adv, ret, k, clip=0.2, vcoef=0.5, ecoef=0.01):
    logits, value = out[:, :k], out[:, k]
    logp_all = torch.log_softmax(logits, dim=1)
    logp = logp_all.gather(1, actions.unsqueeze(1)).squeeze(1)
    ratio = torch.exp(logp - old_logp)
    s1 = ratio * adv
    s2 = torch.clamp(ratio, 1 - clip, 1 + clip) * adv
    pol = -torch.min(s1, s2).mean()
    val = ((value - ret) ** 2).mean()
    ent = -(logp_all.exp() * logp_all).sum(1).mean()
    return pol + vcoef * val - ecoef * ent


def timed(fn, seconds):
    fn()  # warm-up
    n, t0, w0 = 0, CLOCK(), time.perf_counter()
    while True:
        fn()
        n += 1
        dt = CLOCK() - t0
        if dt >= seconds or time.perf_counter() - w0 > 20 * seconds:
            return n / max(dt, 1e-9)


def ppo(req):
    sizes, b = req["sizes"], req["batch"]
    k = sizes[-1] - 1
    net = mlp(sizes)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(b, sizes[0])
    with torch.no_grad():
        lp = torch.log_softmax(net(x)[:, :k], dim=1)
    actions = torch.randint(0, k, (b,))
    old = lp.gather(1, actions.unsqueeze(1)).squeeze(1) + 0.3 * torch.randn(b)
    adv, ret = torch.randn(b), torch.randn(b)

    def step():
        opt.zero_grad(set_to_none=False)
        loss = ppo_loss(net(x), actions, old, adv, ret, k)
        loss.backward()
        opt.step()

    return {"per_s": timed(step, req.get("seconds", 0.5))}


def act(req):
    sizes = req["sizes"]
    net = mlp(sizes)
    x = torch.randn(1, sizes[0])

    def fwd():
        with torch.no_grad():
            net(x)

    return {"per_s": timed(fwd, req.get("seconds", 0.5))}


def sgemm(req):
    n = req.get("n", 1024)
    a, b = torch.randn(n, n), torch.randn(n, n)
    c = torch.empty(n, n)
    rate = timed(lambda: torch.mm(a, b, out=c), req.get("seconds", 1.0))
    return {"gflops": rate * 2 * n ** 3 / 1e9}


def blas_libs():
    torch.mm(torch.randn(64, 64), torch.randn(64, 64))
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                base = os.path.basename(p)
                if "blas" in base or "lapack" in base or "mkl" in base:
                    libs.add(os.path.realpath(p))
    except OSError:
        pass
    return sorted(libs)


def info(_):
    cfg = torch.__config__.show()
    blas = [l.strip() for l in cfg.splitlines() if "BLAS" in l or "LAPACK" in l]
    return {"torch": torch.__version__, "threads": torch.get_num_threads(),
            "blas_config": blas, "blas_loaded": blas_libs(), "config": cfg}


HANDLERS = {"info": info, "ppo": ppo, "act": act, "sgemm": sgemm}

for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    try:
        req = json.loads(line)
        resp = HANDLERS[req["cmd"]](req)
    except Exception as e:  # report, keep serving
        resp = {"error": repr(e)}
    sys.stdout.write(json.dumps(resp) + "\n")
    sys.stdout.flush()
