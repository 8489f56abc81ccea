#!/usr/bin/env python3
"""Regenerate testdata/moleculenet_rdkit2022.09.tsv: RDKit 2022.09 answers for
a fixed sample of MoleculeNet SMILES (MIT-licensed chemprop copies; no ESOL
processed file). Same columns as nci5k_rdkit2022.09.tsv.

usage: make_golden.py /work/shared/data/moleculenet out.tsv [n]
"""
import csv
import os
import random
import sys

from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem, Descriptors, Crippen, rdMolDescriptors

RDLogger.DisableLog("rdApp.*")

FILES = ["bbbp.csv", "bace.csv", "clintox.csv", "sider.csv", "tox21.csv", "lipo.csv", "freesolv.csv"]


def bits(m, r):
    fp = AllChem.GetMorganFingerprintAsBitVect(m, r, nBits=2048)
    return ",".join(str(b) for b in fp.GetOnBits())


def main():
    base, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
    smis = []
    if base.endswith(".csv") or base.endswith(".smi"):
        # a plain list: first field of each line (WEHI csv is quoted)
        with open(base) as fh:
            for line in fh:
                s = line.strip().split(",")[0].split()[0].strip('"') if line.strip() else ""
                if s and s.lower() != "smiles":
                    smis.append(s)
        write(out, smis[:n])
        return
    for f in FILES:
        with open(os.path.join(base, f)) as fh:
            rd = csv.reader(fh)
            hdr = next(rd)
            col = [i for i, h in enumerate(hdr) if h.lower() in ("smiles", "mol")][0]
            for row in rd:
                if len(row) > col and row[col] and len(row[col]) < 250:
                    smis.append(row[col])
    smis = sorted(set(smis))
    random.seed(20220903)
    stereo = [s for s in smis if "@" in s or "/" in s or "\\" in s]
    other = [s for s in smis if s not in set(stereo)]
    if n <= 0:
        pick = smis
    else:
        pick = random.sample(stereo, min(len(stereo), n // 2)) + random.sample(other, n - min(len(stereo), n // 2))
    write(out, pick)


def write(out, pick):
    with open(out, "w") as fh:
        fh.write("# RDKit 2022.09.3 on a sample of MoleculeNet SMILES (chemprop, MIT); same columns as nci5k_rdkit2022.09.tsv\n")
        fh.write("smiles\tvalid\tcanonical\theavy_atoms\tmolwt\texactmass\tlogp\tmr\ttpsa\thbd\thba\trotb\trings\taromatic_rings\tfraction_csp3\tecfp4_2048\tecfp6_2048\n")
        for s in pick:
            m = Chem.MolFromSmiles(s)
            if m is None:
                fh.write(s + "\t0" + "\t" * 15 + "\n")
                continue
            row = [s, "1", Chem.MolToSmiles(m), str(m.GetNumHeavyAtoms()),
                   "%.4f" % Descriptors.MolWt(m), "%.4f" % Descriptors.ExactMolWt(m),
                   "%.4f" % Crippen.MolLogP(m), "%.4f" % Crippen.MolMR(m),
                   "%.2f" % rdMolDescriptors.CalcTPSA(m),
                   str(rdMolDescriptors.CalcNumHBD(m)), str(rdMolDescriptors.CalcNumHBA(m)),
                   str(rdMolDescriptors.CalcNumRotatableBonds(m)),
                   str(rdMolDescriptors.CalcNumRings(m)), str(rdMolDescriptors.CalcNumAromaticRings(m)),
                   "%.4f" % rdMolDescriptors.CalcFractionCSP3(m), bits(m, 2), bits(m, 3)]
            fh.write("\t".join(row) + "\n")


if __name__ == "__main__":
    main()
