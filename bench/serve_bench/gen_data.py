#!/usr/bin/python3
"""Writes the HIGGS-like CSV that bench/serve_bench.sh trains its two models on.

    gen_data.py ROWS OUT.csv [--seed N]

28 float features (f0..f27: 21 "low-level" kinematics-like columns and 7 derived "invariant
mass"-like ones, 0.5% missing in f3) and a 0/1 label from a nonlinear latent score with logistic
noise (about half positive), as in ../shared/reference/serving-techniques.md. Deterministic for a
given seed and row count.
"""
import argparse

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=20240501)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    n = args.rows
    low = rng.normal(0, 1, (n, 21)).astype(np.float32)
    low[:, 0::3] = np.abs(low[:, 0::3]) * 1.5  # transverse momenta: positive, skewed
    derived = np.empty((n, 7), dtype=np.float32)
    for k in range(7):
        a, b = low[:, (3 * k) % 21], low[:, (3 * k + 1) % 21]
        derived[:, k] = np.sqrt(np.abs(a * b + 0.5 * a * a)) + 0.1 * rng.normal(0, 1, n)
    x = np.hstack([low, derived])
    score = (np.sin(x[:, 0] * x[:, 1]) + x[:, 2] * x[:, 4] - 0.5 * x[:, 21] + np.cos(x[:, 5])
             + 0.3 * x[:, 24] * x[:, 3] - 0.2 * x[:, 27])
    label = (score + rng.logistic(0, 1, n) > np.median(score)).astype(np.int64)
    x[rng.random(n) < 0.005, 3] = np.nan
    with open(args.out, "w") as f:
        f.write(",".join(f"f{i}" for i in range(28)) + ",label\n")
        for row, y in zip(x, label):
            f.write(",".join("" if np.isnan(v) else f"{v:.6g}" for v in row) + f",{y}\n")


if __name__ == "__main__":
    main()
