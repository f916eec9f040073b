#!/usr/bin/python3
"""Writes the binary-classification CSV that bench/train_bench.sh trains on, both sides alike.

    gen_data.py ROWS OUT.csv [--seed N]

The shape is a typical tabular churn/fraud table rather than a toy: 14 numeric columns (six with
missing values, as empty fields), 4 string categoricals (one with missing values) and a 0/1
label of about 30% positives. The label depends on thresholds, an interaction, missingness and
the categories, so trees have real work to do and the validation AUC lands near 0.80, far from
both chance and perfection, where a difference between the two sides would show.
Deterministic for a given seed and row count.
"""
import argparse
import os

import numpy as np
import pandas as pd


def generate(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = {}
    cols["age"] = rng.integers(18, 90, rows)
    cols["tenure_months"] = rng.integers(0, 120, rows)
    cols["num_logins"] = rng.poisson(12, rows)
    cols["balance"] = rng.lognormal(8, 1.2, rows)
    cols["income"] = rng.lognormal(10.5, 0.6, rows)
    for i in range(9):
        cols[f"x{i}"] = rng.normal(0, 1, rows)

    cats = {
        "plan": np.array(["basic", "plus", "premium"]),
        "channel": np.array(["web", "store", "phone", "partner", "app", "email", "referral"]),
        "region": np.array([f"region_{i:02d}" for i in range(12)]),
        "device": np.array([f"device_{i:02d}" for i in range(40)]),
    }
    # Skewed category frequencies, like real data: a few common values and a long tail.
    codes = {}
    for name, values in cats.items():
        p = rng.dirichlet(np.full(len(values), 0.7))
        codes[name] = rng.choice(len(values), rows, p=p)
        cols[name] = values[codes[name]]

    df = pd.DataFrame(cols)
    # Effects of the categories on the label, fixed per category value.
    effect = {name: rng.normal(0, 0.6, len(values)) for name, values in cats.items()}

    logit = (
        -1.6
        + 0.9 * (df["tenure_months"] < 12)
        - 0.012 * (df["age"] - 50)
        + 0.35 * np.log1p(df["num_logins"]) * (df["x0"] > 0)
        - 0.25 * (np.log(df["balance"]) - 8)
        + 0.8 * df["x1"]
        - 0.6 * df["x2"] * df["x3"]
        + 0.5 * np.sin(2 * df["x4"])
        + 0.4 * np.abs(df["x5"])
        + sum(effect[name][codes[name]] for name in cats)
    )
    # Missing values: some at random, some informative (missing income goes with churn).
    missing_income = rng.random(rows) < 0.12
    logit = logit + 0.7 * missing_income
    logit = logit + rng.logistic(0, 1, rows) * 0.35
    df["label"] = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)

    df.loc[missing_income, "income"] = np.nan
    for name, rate in [("balance", 0.05), ("x0", 0.08), ("x3", 0.10), ("x6", 0.15),
                       ("num_logins", 0.03)]:
        df.loc[rng.random(rows) < rate, name] = np.nan
    df.loc[rng.random(rows) < 0.05, "device"] = np.nan
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    df = generate(args.rows, args.seed)
    # Written to a temporary name and renamed, so an interrupted run never leaves a truncated
    # file that the cache would then trust.
    tmp = args.out + ".tmp"
    df.to_csv(tmp, index=False, float_format="%.6g")
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
