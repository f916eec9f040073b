#!/usr/bin/env python3
"""Summarizes bench/validate_bench.sh's runs: medians per side, the ratio pandas/sluice, peak
memory against the size of the parsed columns, whether both sides agree on every expectation,
and the in-memory throughput figures. Table on stdout, or one JSON document with --format json.
"""
import argparse
import glob
import json
import os
import statistics


def runs(folder):
    out = []
    for d in sorted(glob.glob(os.path.join(folder, "[0-9]*"))):
        with open(os.path.join(d, "rusage")) as f:
            # GNU time writes "Command exited with non-zero status 8" first when a check failed.
            wall, rss_kib, user, system = f.read().strip().splitlines()[-1].split()
        out.append({"wall": float(wall), "cpu": float(user) + float(system),
                    "rss_mib": int(rss_kib) / 1024})
    return out


def median(items, key):
    return statistics.median(r[key] for r in items)


def agree(sluice_json, pandas_json):
    """Expectations whose success, unexpected count or observed value differ."""
    with open(sluice_json) as f:
        ours = json.load(f)["results"]
    with open(pandas_json) as f:
        theirs = json.load(f)
    differences = []
    for i, (a, b) in enumerate(zip(ours, theirs)):
        name = a["expectation_config"]["expectation_type"]
        if a["success"] != b["success"]:
            differences.append(f"{i + 1} {name}: success {a['success']} vs {b['success']}")
        if "unexpected_count" in b and a["result"].get("unexpected_count") != b["unexpected_count"]:
            differences.append(f"{i + 1} {name}: unexpected_count "
                               f"{a['result'].get('unexpected_count')} vs {b['unexpected_count']}")
        observed = b.get("observed_value")
        mine = a["result"].get("observed_value")
        if isinstance(observed, float) and isinstance(mine, (int, float)):
            if abs(observed - mine) > 1e-9 * max(1.0, abs(observed)):
                differences.append(f"{i + 1} {name}: observed {mine} vs {observed}")
        elif observed is not None and not isinstance(observed, float) and mine != observed:
            differences.append(f"{i + 1} {name}: observed {mine} vs {observed}")
    if len(ours) != len(theirs):
        differences.append(f"{len(ours)} results vs {len(theirs)}")
    return differences


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--format", default="table")
    parser.add_argument("--data-bytes", type=int, required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--versions", default="")
    args = parser.parse_args()

    sluice = runs(os.path.join(args.results, "sluice"))
    pandas = runs(os.path.join(args.results, "pandas"))
    # Ten numeric columns of 8 bytes, plus one validity byte per row for c0 (the one with nulls).
    parsed_mib = args.rows * (10 * 8 + 1) / 2**20
    differences = agree(glob.glob(os.path.join(args.results, "sluice", "*", "out.json"))[0],
                        glob.glob(os.path.join(args.results, "pandas", "*", "out.json"))[0])
    throughput = {}
    path = os.path.join(args.results, "throughput.json")
    if os.path.exists(path):
        with open(path) as f:
            for b in json.load(f)["benchmarks"]:
                throughput[b["name"].split("/")[0]] = b["values"]
    summary = {
        "data_mb": args.data_bytes / 1e6,
        "rows": args.rows,
        "parsed_columns_mib": parsed_mib,
        "runs": len(sluice),
        "sluice": {"wall_s": median(sluice, "wall"), "cpu_s": median(sluice, "cpu"),
                   "peak_rss_mib": median(sluice, "rss_mib")},
        "pandas": {"wall_s": median(pandas, "wall"), "cpu_s": median(pandas, "cpu"),
                   "peak_rss_mib": median(pandas, "rss_mib")},
        "results_agree": not differences,
        "differences": differences,
        "in_memory_values_per_cpu_second": throughput,
        "versions": args.versions,
    }
    summary["speedup_wall"] = summary["pandas"]["wall_s"] / summary["sluice"]["wall_s"]
    summary["speedup_cpu"] = summary["pandas"]["cpu_s"] / summary["sluice"]["cpu_s"]
    summary["sluice_peak_over_parsed"] = summary["sluice"]["peak_rss_mib"] / parsed_mib
    summary["pandas_peak_over_parsed"] = summary["pandas"]["peak_rss_mib"] / parsed_mib
    if args.format == "json":
        print(json.dumps(summary, indent=2))
        return
    print(f"data: {summary['data_mb']:.0f} MB, {args.rows:,} rows x 10 numeric columns "
          f"(parsed columns {parsed_mib:.0f} MiB); 20 expectations; median of {len(sluice)} runs")
    print(f"{'':8} {'wall s':>9} {'cpu s':>9} {'peak RSS MiB':>13} {'peak/parsed':>12}")
    for name in ("sluice", "pandas"):
        s = summary[name]
        print(f"{name:8} {s['wall_s']:9.2f} {s['cpu_s']:9.2f} {s['peak_rss_mib']:13.0f} "
              f"{s['peak_rss_mib'] / parsed_mib:12.2f}")
    print(f"pandas / sluice: {summary['speedup_wall']:.1f}x wall, {summary['speedup_cpu']:.1f}x "
          f"CPU")
    print("results agree: " + ("yes" if not differences else "NO\n  " + "\n  ".join(differences)))
    for name, rate in throughput.items():
        print(f"in memory, one core: {name}: {rate / 1e9:.2f} G values per CPU-second")
    if args.versions:
        print(args.versions)


if __name__ == "__main__":
    main()
