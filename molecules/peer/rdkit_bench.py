#!/usr/bin/env python3
"""Peer benchmark: RDKit 2022.09 (Debian python3-rdkit) doing what
molecules' Go benchmarks do, one core. Prints one JSON object.

usage: rdkit_bench.py e2e  <smiles-file> [reps]
       rdkit_bench.py scan <smiles-file> <n-fingerprints> [queries]

e2e: SMILES -> sanitized Mol -> canonical SMILES -> ECFP4 (2048 bits), and
the same without the canonical SMILES step.
scan: BulkTanimotoSimilarity of one query over n 2048-bit fingerprints.
The library is the file's ECFP4 fingerprints repeated to length n (list of
references: RDKit's working set stays small, which favours RDKit).
"""
import json
import sys
import time

from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import AllChem

RDLogger.DisableLog("rdApp.*")


def read_smiles(path):
    out = []
    with open(path) as fh:
        for line in fh:
            if line.startswith("#") or line.startswith("smiles\t"):
                continue
            s = line.split("\t")[0].split()[0] if line.strip() else ""
            if s:
                out.append(s)
    return out


def e2e(path, reps):
    smis = read_smiles(path)
    best_full = best_fp = 0.0
    for _ in range(reps):
        t = time.perf_counter()
        n = 0
        for s in smis:
            m = Chem.MolFromSmiles(s)
            if m is None:
                continue
            Chem.MolToSmiles(m)
            AllChem.GetMorganFingerprintAsBitVect(m, 2, nBits=2048)
            n += 1
        best_full = max(best_full, n / (time.perf_counter() - t))
        t = time.perf_counter()
        n = 0
        for s in smis:
            m = Chem.MolFromSmiles(s)
            if m is None:
                continue
            AllChem.GetMorganFingerprintAsBitVect(m, 2, nBits=2048)
            n += 1
        best_fp = max(best_fp, n / (time.perf_counter() - t))
    return {"e2e_canon_mol_per_s": best_full, "e2e_mol_per_s": best_fp, "molecules": len(smis)}


def scan(path, n, queries):
    fps = []
    for s in read_smiles(path):
        m = Chem.MolFromSmiles(s)
        if m is not None:
            fps.append(AllChem.GetMorganFingerprintAsBitVect(m, 2, nBits=2048))
    lib = [fps[i % len(fps)] for i in range(n)]
    best = 0.0
    for q in range(queries):
        t = time.perf_counter()
        DataStructs.BulkTanimotoSimilarity(fps[q], lib)
        best = max(best, n / (time.perf_counter() - t))
    return {"scan_cmp_per_s": best, "library": n}


def main():
    mode = sys.argv[1]
    if mode == "e2e":
        reps = int(sys.argv[3]) if len(sys.argv) > 3 else 2
        print(json.dumps(e2e(sys.argv[2], reps)))
    elif mode == "scan":
        q = int(sys.argv[4]) if len(sys.argv) > 4 else 3
        print(json.dumps(scan(sys.argv[2], int(sys.argv[3]), q)))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
