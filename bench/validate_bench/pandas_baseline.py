#!/usr/bin/env python3
"""The checks of bench/validate_bench/suite.yaml written with pandas, as a data engineer would
write them without Great Expectations installed: read_csv, then each check with GE's semantics
(nulls left out of row checks, mostly, unexpected counts, sample stdev, nearest quantiles).

    pandas_baseline.py DATA.csv [--timings timings.json] > results.json

Prints one JSON list, one entry per expectation in suite order: expectation_type, success and
unexpected_count (row checks) or observed_value (aggregates), for bench/validate_bench.sh to
compare with `sluice validate run --json`.
"""
import argparse
import json
import time

import pandas as pd


def row_check(kind, column, unexpected, considered, mostly=1.0):
    success = considered == 0 or (considered - unexpected) / considered >= mostly
    return {"expectation_type": kind, "column": column, "success": bool(success),
            "unexpected_count": int(unexpected)}


def aggregate(kind, column, observed, low=None, high=None, strict_low=False):
    ok = observed == observed  # NaN fails
    if low is not None:
        ok = ok and (observed > low if strict_low else observed >= low)
    if high is not None:
        ok = ok and observed <= high
    if hasattr(observed, "item"):
        observed = observed.item()
    return {"expectation_type": kind, "column": column, "success": bool(ok),
            "observed_value": observed}


def between(df, column, low, high, strict_low=False, mostly=1.0):
    s = df[column].dropna()
    ok = (s > low) if strict_low else (s >= low)
    ok &= s <= high
    return row_check("expect_column_values_to_be_between", column, (~ok).sum(), len(s), mostly)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--timings")
    args = parser.parse_args()

    start = time.perf_counter()
    df = pd.read_csv(args.data)
    read_seconds = time.perf_counter() - start
    rows = len(df)
    out = []
    out.append(aggregate("expect_table_row_count_to_be_between", None, rows, low=1))
    expected = ["id", "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"]
    out.append({"expectation_type": "expect_table_columns_to_match_ordered_list", "column": None,
                "success": list(df.columns) == expected, "observed_value": list(df.columns)})
    out.append(row_check("expect_column_values_to_not_be_null", "id", df["id"].isna().sum(), rows))

    ids = df["id"].dropna()
    out.append(row_check("expect_column_values_to_be_unique", "id",
                         ids.duplicated(keep=False).sum(), len(ids)))
    diff = ids.diff()
    diff[diff.isna()] = 1  # GE: the first value passes
    out.append(row_check("expect_column_values_to_be_increasing", "id", (~(diff >= 0)).sum(),
                         len(ids)))
    out.append(row_check("expect_column_values_to_not_be_null", "c0", df["c0"].isna().sum(), rows,
                         mostly=0.95))
    out.append(between(df, "c0", 0, 100))
    out.append(between(df, "c1", -10, 10))
    out.append(between(df, "c2", 0, 1e6, strict_low=True))
    out.append(aggregate("expect_column_mean_to_be_between", "c1", df["c1"].mean(), -0.1, 0.1))
    out.append(aggregate("expect_column_stdev_to_be_between", "c1", df["c1"].std(), 0.9, 1.1))
    out.append(aggregate("expect_column_min_to_be_between", "c3", df["c3"].min(), low=0))
    out.append(aggregate("expect_column_max_to_be_between", "c3", df["c3"].max(), high=1000))
    out.append(aggregate("expect_column_sum_to_be_between", "c4", df["c4"].sum(), low=0))
    out.append(aggregate("expect_column_median_to_be_between", "c5", df["c5"].median(), 40, 60))

    quantiles = [0.05, 0.5, 0.95]
    ranges = [(30, 40), (45, 55), (60, 70)]
    values = df["c6"].dropna().quantile(quantiles, interpolation="nearest").tolist()
    details = [lo <= v <= hi for v, (lo, hi) in zip(values, ranges)]
    out.append({"expectation_type": "expect_column_quantile_values_to_be_between", "column": "c6",
                "success": all(details),
                "observed_value": {"quantiles": quantiles, "values": values}})

    c8 = df["c8"].dropna()
    out.append(row_check("expect_column_values_to_be_in_set", "c8",
                         (~c8.isin([1, 2, 3, 4, 5])).sum(), len(c8)))
    distinct = c8.nunique()
    out.append(aggregate("expect_column_unique_value_count_to_be_between", "c8", distinct, 1, 10))

    pair = df[["c3", "c0"]]
    both_missing = pair.isna().all(axis=1)
    kept = pair[~both_missing]
    unexpected = (~(kept["c3"] > kept["c0"])).sum()  # a comparison with NaN is False
    out.append(row_check("expect_column_pair_values_a_to_be_greater_than_b", "c3", unexpected,
                         len(kept), mostly=0.98))

    counts = c8.value_counts()
    modes = sorted(counts[counts == counts.max()].index.tolist())
    out.append({"expectation_type": "expect_column_most_common_value_to_be_in_set",
                "column": "c8", "success": any(m in {1, 2, 3, 4, 5} for m in modes),
                "observed_value": modes})

    total = time.perf_counter() - start
    if args.timings:
        with open(args.timings, "w") as f:
            json.dump({"read_seconds": read_seconds, "check_seconds": total - read_seconds,
                       "rows": rows}, f)
    json.dump(out, default=lambda o: o.item() if hasattr(o, "item") else str(o),
              fp=__import__("sys").stdout)
    print()


if __name__ == "__main__":
    main()
