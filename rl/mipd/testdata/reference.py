#!/usr/bin/env python3
"""Independent reference for rl/mipd's MAP estimation (issue 26).

Implements the Hamberg 2007 warfarin and Onoue/Friberg docetaxel models from
their equations (ODEs integrated with scipy's solve_ivp, not the Go
simulators' propagators), the same OFV

    OFV = sum ((ln y - ln f)/sigma)^2 - 2 sum_cens ln Phi((ln LOQ - ln f)/sigma) + sum (eta/omega)^2

and minimizes it with scipy.optimize.minimize (BFGS with central-difference gradients, run twice)
for a few fixed cases. Writes JSON (cases, MAP eta by name, OFV) to the path
given as the only argument (default: reference.json beside this script);
with --eval it prints the reference OFV at the eta vectors given on stdin.
"""
import json
import math
import os
import sys

import numpy as np
from scipy.integrate import odeint
from scipy.optimize import minimize
from scipy.special import log_ndtr

# --- Hamberg 2007 warfarin (values as in the dosing notes) ---------------
W_CL11, W_AGE, W_V1, W_V2, W_Q, W_KA, W_F, W_SFRAC = 0.314, 0.0091, 13.8, 6.59, 0.131, 2.0, 0.9, 0.5
W_GAMMA, W_EMAX, W_MTT1, W_MTT2, W_LAMBDA, W_INRMAX, W_BASE = 0.424, 1.0, 11.6, 120.0, 3.61, 20.0, 1.0
W_CLFRAC = {"*1/*1": 0, "*1/*2": 0.315, "*1/*3": 0.453, "*2/*2": 0.722, "*2/*3": 0.690, "*3/*3": 0.852}
W_EC50 = {"G/G": 4.61, "G/A": 3.02, "A/A": 2.20}
W_NAMES = ["CL", "V1", "V2", "MTT1", "MTT2", "EC50"]
W_OMEGA = [math.sqrt(v) for v in (0.310, 0.262, 0.991, 0.141, 1.020, 0.409)]  # omega read as variances
W_SIGMA = 0.0325

# --- Docetaxel: Onoue 2016 PK, Friberg 2002 Emax myelosuppression --------
D_TYP = {"CL": 32.6, "Q": 5.34, "V1": 5.77, "V2": 11.0, "Circ0": 5050.0, "MTT": 89.3,
         "Gamma": 0.163, "Emax": 83.9, "EC50": 7.17 * 0.808}
D_NAMES = ["CL", "Q", "V1", "V2", "Circ0", "MTT", "Gamma", "Emax", "EC50"]
D_OMEGA = [0.295, 0.551, 0.1, 0.598, 0.42, 0.16, 0.039, 0.33, 0.50]
D_SIGMA = 0.2
D_LOQ = 100.0
D_INFUSION = 1.0

RTOL, ATOL = 1e-10, 1e-12


def warfarin_rhs(p):
    k10, k12, k21 = p["CL"] / p["V1"], W_Q / p["V1"], W_Q / p["V2"]
    k1, k2 = 6.0 / p["MTT1"], 1.0 / p["MTT2"]
    ec = p["EC50"] ** W_GAMMA

    def f(t, y):
        g, c, per = y[0], y[1], y[2]
        conc = max(c / p["V1"], 0.0)
        cg = conc ** W_GAMMA
        inh = 1.0 - W_EMAX * cg / (ec + cg)
        dy = np.empty(10)
        dy[0] = -W_KA * g
        dy[1] = W_KA * g - (k10 + k12) * c + k21 * per
        dy[2] = k12 * c - k21 * per
        dy[3] = k1 * (inh - y[3])
        for j in range(4, 9):
            dy[j] = k1 * (y[j - 1] - y[j])
        dy[9] = k2 * (inh - y[9])
        return dy
    return f


def warfarin_predict(cov, eta, doses, obs_hours):
    age_f = max(0.05, 1 - W_AGE * (cov["age"] - 71))
    typ = {"CL": W_CL11 * (1 - W_CLFRAC[cov["CYP2C9"]]) * age_f, "V1": W_V1, "V2": W_V2,
           "MTT1": W_MTT1, "MTT2": W_MTT2, "EC50": W_EC50[cov["VKORC1"]]}
    p = {n: typ[n] * math.exp(e) for n, e in zip(W_NAMES, eta)}
    rhs = warfarin_rhs(p)
    y = np.array([0, 0, 0] + [1.0] * 7, dtype=float)

    def inr(y):
        d = 1 - y[8] * y[9]
        return W_BASE if d <= 0 else W_BASE + W_INRMAX * d ** W_LAMBDA

    def dose(y, mg):
        y = y.copy()
        y[0] += W_F * W_SFRAC * mg
        return y
    return simulate(rhs, y, doses, obs_hours, inr, dose)


def docetaxel_predict(eta, doses, obs_hours):
    p = {n: D_TYP[n] * math.exp(e) for n, e in zip(D_NAMES, eta)}
    k10, k12, k21 = p["CL"] / p["V1"], p["Q"] / p["V1"], p["Q"] / p["V2"]
    ktr = 4.0 / p["MTT"]
    # State: central, peripheral, infusion rate, Prol, T1, T2, T3, Circ.
    def rhs(t, y):
        conc = max(y[0] / p["V1"], 0.0)
        e = p["Emax"] * conc / (p["EC50"] + conc)
        fb = (p["Circ0"] / y[7]) ** p["Gamma"]
        return np.array([y[2] - (k10 + k12) * y[0] + k21 * y[1], k12 * y[0] - k21 * y[1], 0.0,
                         ktr * y[3] * ((1 - e) * fb - 1), ktr * (y[3] - y[4]), ktr * (y[4] - y[5]),
                         ktr * (y[5] - y[6]), ktr * (y[6] - y[7])])
    c0 = p["Circ0"]
    y = np.array([0, 0, 0, c0, c0, c0, c0, c0], dtype=float)
    # An infusion is a start event (rate on) and a stop event (rate off).
    events = []
    for h, mg in doses:
        events.append((h, "on", mg / D_INFUSION))
        events.append((h + D_INFUSION, "off", 0.0))

    def set_rate(y, rate):
        y = y.copy()
        y[2] = rate
        return y
    return simulate_events(rhs, y, events, obs_hours, lambda y: y[7], set_rate)


def simulate(rhs, y, doses, obs_hours, value, dose):
    events = [(h, "dose", mg) for h, mg in doses]
    return simulate_events(rhs, y, events, obs_hours, value, dose)


def simulate_events(rhs, y, events, obs_hours, value, apply):
    """Integrates between events; observations at an event's hour are read
    before it (pre-dose trough)."""
    t = min(h for h, _, _ in events)
    ev = sorted(events, key=lambda e: e[0])
    obs = sorted((h, i) for i, h in enumerate(obs_hours))
    out = [None] * len(obs_hours)
    k = 0
    for h, _, amt in ev + [(math.inf, "end", 0)]:
        while k < len(obs) and obs[k][0] <= h and not (obs[k][0] == h and h != math.inf and False):
            th, i = obs[k]
            if th == h:
                break  # read after integrating to h, before the event
            y = advance(rhs, y, t, th)
            t = th
            out[i] = value(y)
            k += 1
        if h == math.inf:
            break
        y = advance(rhs, y, t, h)
        t = h
        while k < len(obs) and obs[k][0] == h:
            out[obs[k][1]] = value(y)
            k += 1
        y = apply(y, amt)
    return out


def advance(rhs, y, t0, t1):
    if t1 <= t0:
        return y
    sol = odeint(rhs, y, [t0, t1], rtol=RTOL, atol=ATOL, tfirst=True, mxstep=100000)
    return sol[-1]


def ofv(case, eta):
    if case["model"] == "warfarin-hamberg":
        pred = warfarin_predict(case["patient"], eta, case["doses"], [o[0] for o in case["observations"]])
        omega, sigma, loq = W_OMEGA, W_SIGMA, 0
    else:
        pred = docetaxel_predict(eta, case["doses"], [o[0] for o in case["observations"]])
        omega, sigma, loq = D_OMEGA, D_SIGMA, D_LOQ
    s = sum((e / w) ** 2 for e, w in zip(eta, omega))
    for (h, v), f in zip(case["observations"], pred):
        if f <= 0:
            return 1e10
        if loq and v < loq:
            s -= 2 * log_ndtr((math.log(loq) - math.log(f)) / sigma)
        else:
            s += ((math.log(v) - math.log(f)) / sigma) ** 2
    return s


def fit(case):
    omega = W_OMEGA if case["model"] == "warfarin-hamberg" else D_OMEGA
    names = W_NAMES if case["model"] == "warfarin-hamberg" else D_NAMES
    f = lambda z: ofv(case, [zi * w for zi, w in zip(z, omega)])
    # Central-difference gradients (jac="3-point", step 1e-4) keep BFGS
    # going where forward differences of an ODE solution stall; a second
    # run from the answer refreshes the Hessian approximation.
    opts = {"gtol": 1e-6, "finite_diff_rel_step": 1e-4}
    r = minimize(f, np.zeros(len(omega)), method="BFGS", jac="3-point", options=opts)
    r2 = minimize(f, r.x, method="BFGS", jac="3-point", options=opts)
    z = r2.x if r2.fun <= r.fun else r.x
    return {"eta": {n: float(zi * w) for n, zi, w in zip(names, z, omega)}, "objective": float(min(r.fun, r2.fun)),
            "scipy": {"success": bool(r2.success), "nfev": int(r.nfev + r2.nfev)}}


def cases():
    daily = lambda mg, days: [[24.0 * d, mg] for d in range(days)]
    return [
        {"name": "warfarin-rich", "model": "warfarin-hamberg",
         "patient": {"age": 64, "CYP2C9": "*1/*3", "VKORC1": "G/A"},
         "doses": daily(5.0, 14) + [[24.0 * d, 4.0] for d in range(14, 21)],
         "observations": [[72, 1.31], [120, 1.62], [168, 2.05], [240, 2.61], [336, 2.94], [408, 2.71], [504, 2.48]]},
        {"name": "warfarin-one-observation", "model": "warfarin-hamberg",
         "patient": {"age": 78, "CYP2C9": "*1/*1", "VKORC1": "A/A"},
         "doses": daily(3.0, 5),
         "observations": [[120, 1.74]]},
        {"name": "docetaxel-censored", "model": "docetaxel-friberg",
         "patient": {},
         "doses": [[0.0, 140.0]],
         "observations": [[0, 4800], [168, 1100], [216, 60], [336, 3900], [504, 6100]]},
    ]


def evaluate():
    """--eval: reads {"name": [eta...]} on stdin, prints {"name": OFV} for
    the named cases: the reference objective at another optimizer's mode."""
    want = json.load(sys.stdin)
    out = {c["name"]: ofv(c, want[c["name"]]) for c in cases() if c["name"] in want}
    json.dump(out, sys.stdout)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--eval":
        evaluate()
        return
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    out = []
    for c in cases():
        c = dict(c)
        c.update(fit(c))
        out.append(c)
    with open(path, "w") as fh:
        json.dump({"cases": out}, fh, indent=1, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main()
