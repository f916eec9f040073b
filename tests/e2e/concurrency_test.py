#!/usr/bin/python3
"""8 client processes log to one `sluice server` at once; afterwards every item is present.

    /usr/bin/python3 tests/e2e/concurrency_test.py --sluice build/apps/sluice/sluice

Each process (multiprocessing, its own requests.Session) creates RUNS_PER_PROC runs in a
shared experiment and logs BATCHES log-batch calls of METRICS_PER_BATCH metrics each, plus
params and tags, some with single log-metric calls. Every call must answer 200; then the counts
are checked exactly: runs in the experiment, metric history points per run and key, latest
values, params and tags.
"""
import multiprocessing
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sluice_e2e import API, Client, Server, TempWorkspace, ok, parse_sluice_arg  # noqa: E402

PROCS = 8
RUNS_PER_PROC = 3
BATCHES = 6
METRICS_PER_BATCH = 200
SINGLE_METRICS = 10
PARAMS = 20
TAGS = 5
DEADLINE = 90.0


def worker(args):
    url, exp_id, proc = args
    c = Client(url)
    t0 = int(time.time() * 1000)
    runs = []
    for r in range(RUNS_PER_PROC):
        run = ok(c.post(f"{API}/runs/create", {"experiment_id": exp_id, "run_name": f"p{proc}-r{r}",
                                               "start_time": t0}))["run"]
        rid = run["info"]["run_id"]
        runs.append(rid)
        for b in range(BATCHES):
            metrics = [{"key": f"m{i % 4}", "value": b * 1000 + i, "timestamp": t0 + b * 1000 + i,
                        "step": b * METRICS_PER_BATCH + i} for i in range(METRICS_PER_BATCH)]
            body = {"run_id": rid, "metrics": metrics}
            if b == 0:
                body["params"] = [{"key": f"p{i}", "value": f"{proc}-{r}-{i}"} for i in range(PARAMS)]
            if b == 1:
                body["tags"] = [{"key": f"t{i}", "value": str(i)} for i in range(TAGS)]
            ok(c.post(f"{API}/runs/log-batch", body))
        for i in range(SINGLE_METRICS):
            ok(c.post(f"{API}/runs/log-metric", {"run_id": rid, "key": "single", "value": str(i),
                                                 "timestamp": str(t0 + i), "step": i}))
        ok(c.post(f"{API}/runs/update", {"run_id": rid, "status": "FINISHED", "end_time": t0 + 1}))
    return proc, runs


def history_count(c, rid, key):
    n, token = 0, None
    for _ in range(100):
        params = {"run_id": rid, "metric_key": key, "max_results": 25000}
        if token:
            params["page_token"] = token
        out = ok(c.get(f"{API}/metrics/get-history", params))
        n += len(out.get("metrics", []))
        token = out.get("next_page_token")
        if not token:
            return n
    raise AssertionError("get-history paging does not end")


class Concurrency(unittest.TestCase):
    def test_eight_processes(self):
        ws = TempWorkspace(SLUICE)
        server = Server(SLUICE, ws.path)
        try:
            c = Client(server.url)
            exp_id = ok(c.post(f"{API}/experiments/create", {"name": "concurrency"}))["experiment_id"]
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(PROCS) as pool:
                res = pool.map_async(worker, [(server.url, exp_id, p) for p in range(PROCS)])
                results = res.get(timeout=DEADLINE)
            all_runs = {rid for _, runs in results for rid in runs}
            self.assertEqual(len(all_runs), PROCS * RUNS_PER_PROC)
            found, token = [], None
            for _ in range(100):
                body = {"experiment_ids": [exp_id], "max_results": 7}
                if token:
                    body["page_token"] = token
                out = ok(c.post(f"{API}/runs/search", body))
                found += [r["info"]["run_id"] for r in out.get("runs", [])]
                token = out.get("next_page_token")
                if not token:
                    break
            self.assertEqual(sorted(found), sorted(all_runs))
            per_key = BATCHES * METRICS_PER_BATCH // 4
            for proc, runs in results:
                for r, rid in enumerate(runs):
                    run = ok(c.get(f"{API}/runs/get", {"run_id": rid}))["run"]
                    self.assertEqual(run["info"]["status"], "FINISHED")
                    params = {p["key"]: p["value"] for p in run["data"].get("params", [])}
                    self.assertEqual(params, {f"p{i}": f"{proc}-{r}-{i}" for i in range(PARAMS)})
                    tags = {t["key"] for t in run["data"].get("tags", [])}
                    self.assertEqual(tags, {f"t{i}" for i in range(TAGS)} | {"mlflow.runName"})
                    latest = {m["key"]: m for m in run["data"].get("metrics", [])}
                    self.assertEqual(set(latest), {"m0", "m1", "m2", "m3", "single"})
                    self.assertEqual(latest["m3"]["step"], BATCHES * METRICS_PER_BATCH - 1)
                    self.assertEqual(latest["single"]["value"], SINGLE_METRICS - 1)
                    for k in range(4):
                        self.assertEqual(history_count(c, rid, f"m{k}"), per_key, (rid, k))
                    self.assertEqual(history_count(c, rid, "single"), SINGLE_METRICS)
            self.assertEqual([s for s in c.statuses if s[2] >= 500], [])
        finally:
            server.stop()
            server.cleanup_logs()
            ws.remove()


if __name__ == "__main__":
    SLUICE = parse_sluice_arg()
    unittest.main(verbosity=2)
