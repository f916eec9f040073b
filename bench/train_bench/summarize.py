#!/usr/bin/python3
"""Turns the run folders bench/train_bench.sh leaves into its table or JSON document.

    summarize.py RESULTS --format table|json --sluice-version V --python-versions V --nthread N

RESULTS/<rows>/<tool>/<i>/ holds launch and end (epoch seconds), rusage (GNU time's peak RSS in
KiB, user and system CPU seconds),
out.json (the tool's stdout) and either show.json (`sluice runs show --json`) or timings.json
(python_baseline.py's phase boundaries). RESULTS/<rows>/load_before and load_after hold
/proc/loadavg. Each reported number is the median over the repeats of that number alone.
"""
import argparse
import json
import os
import platform
import statistics

TOOLS = ("sluice", "python")
RATIOS = ("wall_s", "cpu_s", "peak_rss_mb", "load_s", "train_s", "train_ms_per_round",
          "evaluate_save_s")


def read(path):
    with open(path) as f:
        return f.read().strip()


def one_run(tool, d):
    launch, end = float(read(os.path.join(d, "launch"))), float(read(os.path.join(d, "end")))
    out = json.loads(read(os.path.join(d, "out.json")))
    run = {"wall_s": end - launch, "cpu_s": None, "peak_rss_mb": None}
    if os.path.exists(os.path.join(d, "rusage")):
        rss_kib, user_s, system_s = read(os.path.join(d, "rusage")).split()
        run.update(cpu_s=float(user_s) + float(system_s), peak_rss_mb=int(rss_kib) / 1024)
    # Phases, both sides cut at the same points: "load" ends once the data is read and split,
    # "train" once the last boosting round is done, "evaluate_save" at process exit.
    if tool == "sluice":
        info = json.loads(read(os.path.join(d, "show.json")))["run"]
        start = info["info"]["start_time"] / 1000
        # The latest point of the per-round metric is the last boosting round (its step).
        last = next(m for m in info["data"]["metrics"] if m["key"] == "validation-logloss")
        trained = last["timestamp"] / 1000
        run.update(load_s=start - launch, train_s=trained - start, evaluate_save_s=end - trained,
                   imports_s=None, rounds_trained=last["step"] + 1,
                   best_round=out["best_round"], validation_auc=out["metrics"]["validation_auc"],
                   test_auc=out["metrics"]["test_auc"])
    else:
        t = json.loads(read(os.path.join(d, "timings.json")))
        run.update(load_s=t["split"] - launch, train_s=t["trained"] - t["split"],
                   evaluate_save_s=end - t["trained"], imports_s=t["imported"] - launch,
                   rounds_trained=out["rounds_trained"], best_round=out["best_round"],
                   validation_auc=out["validation_auc"], test_auc=out["test_auc"])
    # Early stopping can stop the two sides at different rounds (their splits draw different
    # rows), so the training time per round is the fair comparison of the learner's speed.
    run["train_ms_per_round"] = 1000 * run["train_s"] / run["rounds_trained"]
    return run


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def rounded(value):
    # Milliseconds are the resolution of Sluice's time stamps; more digits would be noise.
    return round(value, 3) if isinstance(value, float) else value


def summarize(results):
    sizes = []
    for rows in sorted(os.listdir(results), key=int):
        base = os.path.join(results, rows)
        entry = {"rows": int(rows), "load_average_before": read(os.path.join(base, "load_before")),
                 "load_average_after": read(os.path.join(base, "load_after"))}
        for tool in TOOLS:
            runs = [one_run(tool, os.path.join(base, tool, i))
                    for i in sorted(os.listdir(os.path.join(base, tool)), key=int)]
            entry[tool] = {key: rounded(median([r[key] for r in runs])) for key in runs[0]}
            entry[tool]["wall_s_runs"] = [rounded(r["wall_s"]) for r in runs]
        s, p = entry["sluice"], entry["python"]
        entry["ratio_python_over_sluice"] = {
            key: rounded(p[key] / s[key]) if p[key] and s[key] else None for key in RATIOS}
        sizes.append(entry)
    return sizes


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def print_table(doc):
    print("Training a tracked XGBoost model: sluice train vs pandas + xgboost + scikit-learn")
    print(f"  {doc['machine']}; {doc['sluice']}; {doc['python']}")
    print(f"  xgboost hist, max_depth 6, eta 0.1, 200 rounds, early stopping 20 on validation "
          f"logloss, nthread {doc['nthread']}; split 0.7/0.2/0.1 stratified; "
          f"OMP_WAIT_POLICY=passive; median of {doc['repeats']} runs")
    columns = [("tool", "<7"), ("rows", ">8"), ("wall s", ">7"), ("cpu s", ">7"),
               ("load s", ">7"),
               ("train s", ">7"), ("eval+save s", ">11"), ("peak RSS MB", ">11"),
               ("val AUC", ">7"), ("test AUC", ">8"), ("rounds (best)", ">13")]
    header = " ".join(format(name, spec) for name, spec in columns)
    for size in doc["sizes"]:
        print()
        print(f"load average {size['load_average_before']} before, "
              f"{size['load_average_after']} after")
        print(header)
        for tool in TOOLS:
            r = size[tool]
            rounds = f"{r['rounds_trained']:.0f} ({r['best_round']:.0f})"
            cells = [tool, size["rows"], fmt(r["wall_s"], ".2f"), fmt(r["cpu_s"], ".2f"),
                     fmt(r["load_s"], ".2f"),
                     fmt(r["train_s"], ".2f"), fmt(r["evaluate_save_s"], ".2f"),
                     fmt(r["peak_rss_mb"], ".0f"), fmt(r["validation_auc"], ".4f"),
                     fmt(r["test_auc"], ".4f"), rounds]
            print(" ".join(format(cell, spec) for cell, (_, spec) in zip(cells, columns)))
        q = size["ratio_python_over_sluice"]
        print(f"python/sluice: wall {fmt(q['wall_s'], '.2f')}x, cpu {fmt(q['cpu_s'], '.2f')}x, "
              f"peak RSS {fmt(q['peak_rss_mb'], '.2f')}x; load {fmt(q['load_s'], '.2f')}x, train "
              f"{fmt(q['train_s'], '.2f')}x ({fmt(q['train_ms_per_round'], '.2f')}x per round), "
              f"eval+save {fmt(q['evaluate_save_s'], '.2f')}x")
        print(f"  wall per run: sluice {size['sluice']['wall_s_runs']}, "
              f"python {size['python']['wall_s_runs']}; python's load includes "
              f"{fmt(size['python']['imports_s'], '.2f')} s of interpreter start and imports")
    print()
    print("load: start to data read and split; train: encoding, DMatrix and boosting, to the last "
          "round; eval+save: 9 metrics on train/validation/test, model and record saved, exit.")
    print("Python records params, metrics and model as JSON files (MLflow is not packaged by "
          "Debian and PyPI is out of reach); Sluice also hashes the whole CSV, writes the run to "
          "SQLite and the model bundle to its blob store.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--format", choices=("table", "json"), default="table")
    ap.add_argument("--sluice-version", required=True)
    ap.add_argument("--python-versions", required=True)
    ap.add_argument("--nthread", type=int, required=True)
    args = ap.parse_args()
    sizes = summarize(args.results)
    first = os.path.join(args.results, str(sizes[0]["rows"]), "sluice")
    doc = {"benchmark": "train", "machine": f"{os.cpu_count()} cores, {platform.machine()}",
           "sluice": f"sluice {args.sluice_version}", "python": args.python_versions,
           "nthread": args.nthread, "repeats": len(os.listdir(first)), "sizes": sizes}
    if args.format == "json":
        print(json.dumps(doc, indent=2))
    else:
        print_table(doc)


if __name__ == "__main__":
    main()
