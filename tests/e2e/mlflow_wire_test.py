#!/usr/bin/python3
"""End-to-end MLflow wire-protocol tests against a real `sluice server`.

    /usr/bin/python3 tests/e2e/mlflow_wire_test.py --sluice build/apps/sluice/sluice [-v] [-k name]

Starts `sluice init <tmp>` and `sluice server --workspace <tmp> --port 0 --json` once for the
module (a second server with --max-body-mb 1 for the 413 test), then drives every endpoint the
way the MLflow Python client (2.x and 3.x) does: GET with query strings and repeated keys for
lists, other methods with JSON bodies, int64 as numbers or strings, NaN/Infinity as strings.
Checks the answers, every error shape, that no caller mistake gets a 5xx and that a refused
request writes nothing. The servers are stopped by PID with SIGTERM at the end.
"""
import hashlib
import json
import math
import os
import re
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sluice_e2e import (API, ARTIFACTS, Client, ServedWorkspace, Server, check_error_body,
                        error, now_ms, ok, parse_sluice_arg)

SLUICE = None
WS = None
SERVER = None
C = None


ENV = None


def setUpModule():
    global ENV, WS, SERVER, C
    ENV = ServedWorkspace(SLUICE)
    WS, SERVER, C = ENV.ws, ENV.server, ENV.client


def tearDownModule():
    if ENV is not None:
        ENV.close()


def uniq(prefix="x"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_experiment(name=None, **extra):
    body = {"name": name or uniq("exp")}
    body.update(extra)
    return ok(C.post(f"{API}/experiments/create", body))["experiment_id"]


def new_run(exp_id, **extra):
    body = {"experiment_id": exp_id, "start_time": now_ms()}
    body.update(extra)
    return ok(C.post(f"{API}/runs/create", body))["run"]


def get_run(run_id):
    return ok(C.get(f"{API}/runs/get", {"run_id": run_id}))["run"]


def tags_of(obj):
    return {t["key"]: t["value"] for t in obj.get("tags", [])}


def metrics_of(run):
    return {m["key"]: m for m in run["data"].get("metrics", [])}


def params_of(run):
    return {p["key"]: p["value"] for p in run["data"].get("params", [])}


def history(run_id, key, max_results=25000):
    """get_metric_history as the client does it: max_results=25000, follow next_page_token."""
    points, token, calls = [], None, 0
    while True:
        params = {"run_id": run_id, "metric_key": key}
        if max_results is not None:
            params["max_results"] = max_results
        if token:
            params["page_token"] = token
        out = ok(C.get(f"{API}/metrics/get-history", params))
        points += out.get("metrics", [])
        token = out.get("next_page_token")
        calls += 1
        assert calls < 1000, "get-history paging does not end"
        if not token:
            return points


def search_runs_all(body, page_size=None):
    runs, token, calls = [], None, 0
    while True:
        b = dict(body)
        if page_size:
            b["max_results"] = page_size
        if token:
            b["page_token"] = token
        out = ok(C.post(f"{API}/runs/search", b))
        runs += out.get("runs", [])
        token = out.get("next_page_token")
        calls += 1
        assert calls < 500, "runs/search paging does not end"
        if not token:
            return runs


class HealthAndVersion(unittest.TestCase):
    def test_health(self):
        r = C.get("/health")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.text.strip(), "OK")

    def test_version(self):
        r = C.get("/version")
        self.assertEqual(r.status_code, 200)
        self.assertRegex(r.text.strip(), r"^2\.\d+\.\d+$")


class Experiments(unittest.TestCase):
    def test_create_get_get_by_name(self):
        name = uniq("exp")
        before = now_ms()
        exp_id = new_experiment(name, tags=[{"key": "team", "value": "a"}])
        self.assertIsInstance(exp_id, str)
        self.assertRegex(exp_id, r"^\d+$")
        e = ok(C.get(f"{API}/experiments/get", {"experiment_id": exp_id}))["experiment"]
        self.assertEqual(e["experiment_id"], exp_id)
        self.assertEqual(e["name"], name)
        self.assertEqual(e["lifecycle_stage"], "active")
        self.assertEqual(e["artifact_location"], f"mlflow-artifacts:/{exp_id}")
        self.assertIsInstance(e["creation_time"], int)
        self.assertGreaterEqual(e["creation_time"], before - 5000)
        self.assertIsInstance(e["last_update_time"], int)
        self.assertEqual(tags_of(e), {"team": "a"})
        e2 = ok(C.get(f"{API}/experiments/get-by-name", {"experiment_name": name}))["experiment"]
        self.assertEqual(e2, e)

    def test_default_experiment_exists(self):
        e = ok(C.get(f"{API}/experiments/get", {"experiment_id": "0"}))["experiment"]
        self.assertEqual(e["name"], "Default")

    def test_create_errors(self):
        name = uniq("dup")
        exp_id = new_experiment(name)
        error(C.post(f"{API}/experiments/create", {"name": name}), 400, "RESOURCE_ALREADY_EXISTS",
              name)
        error(C.post(f"{API}/experiments/create", {}), 400, "INVALID_PARAMETER_VALUE", "name")
        error(C.post(f"{API}/experiments/create", {"name": ""}), 400, "INVALID_PARAMETER_VALUE",
              "name")
        error(C.post(f"{API}/experiments/create", {"name": 12}), 400, "INVALID_PARAMETER_VALUE",
              "name")
        error(C.post(f"{API}/experiments/create", {"name": uniq(), "tags": "x"}), 400,
              "INVALID_PARAMETER_VALUE", "tags")
        # A deleted experiment's name is still taken.
        ok(C.post(f"{API}/experiments/delete", {"experiment_id": exp_id}))
        error(C.post(f"{API}/experiments/create", {"name": name}), 400, "RESOURCE_ALREADY_EXISTS")

    def test_unknown_ids(self):
        for params in ({"experiment_id": "987654321"}, {"experiment_id": "abc"}):
            error(C.get(f"{API}/experiments/get", params), 404, "RESOURCE_DOES_NOT_EXIST")
        error(C.get(f"{API}/experiments/get", {}), 400, "INVALID_PARAMETER_VALUE", "experiment_id")
        error(C.get(f"{API}/experiments/get-by-name", {"experiment_name": uniq("nope")}), 404,
              "RESOURCE_DOES_NOT_EXIST")
        for ep in ("delete", "restore"):
            error(C.post(f"{API}/experiments/{ep}", {"experiment_id": "987654321"}), 404,
                  "RESOURCE_DOES_NOT_EXIST")
        error(C.post(f"{API}/experiments/update", {"experiment_id": "987654321", "new_name": uniq()}),
              404, "RESOURCE_DOES_NOT_EXIST")

    def test_update_rename(self):
        a, b = uniq("ren"), uniq("ren")
        exp_id = new_experiment(a)
        new_experiment(b)
        ok(C.post(f"{API}/experiments/update", {"experiment_id": exp_id, "new_name": a + "-2"}))
        e = ok(C.get(f"{API}/experiments/get", {"experiment_id": exp_id}))["experiment"]
        self.assertEqual(e["name"], a + "-2")
        error(C.get(f"{API}/experiments/get-by-name", {"experiment_name": a}), 404)
        r = C.post(f"{API}/experiments/update", {"experiment_id": exp_id, "new_name": b})
        error(r, 400)
        self.assertIn(r.json()["error_code"], ("RESOURCE_ALREADY_EXISTS", "BAD_REQUEST",
                                               "INVALID_PARAMETER_VALUE"))
        error(C.post(f"{API}/experiments/update", {"experiment_id": exp_id}), 400,
              "INVALID_PARAMETER_VALUE", "new_name")
        e2 = ok(C.get(f"{API}/experiments/get", {"experiment_id": exp_id}))["experiment"]
        self.assertEqual(e2["name"], a + "-2")

    def test_delete_restore_cascades_to_runs(self):
        exp_id = new_experiment()
        run = new_run(exp_id)
        rid = run["info"]["run_id"]
        ok(C.post(f"{API}/experiments/delete", {"experiment_id": exp_id}))
        e = ok(C.get(f"{API}/experiments/get", {"experiment_id": exp_id}))["experiment"]
        self.assertEqual(e["lifecycle_stage"], "deleted")
        self.assertEqual(get_run(rid)["info"]["lifecycle_stage"], "deleted")
        ok(C.post(f"{API}/experiments/restore", {"experiment_id": exp_id}))
        e = ok(C.get(f"{API}/experiments/get", {"experiment_id": exp_id}))["experiment"]
        self.assertEqual(e["lifecycle_stage"], "active")
        self.assertEqual(get_run(rid)["info"]["lifecycle_stage"], "active")

    def test_restore_active_experiment_is_404(self):
        exp_id = new_experiment()
        error(C.post(f"{API}/experiments/restore", {"experiment_id": exp_id}), 404,
              "RESOURCE_DOES_NOT_EXIST")

    def test_experiment_tags(self):
        exp_id = new_experiment()
        ok(C.post(f"{API}/experiments/set-experiment-tag",
                  {"experiment_id": exp_id, "key": "k", "value": "v1"}))
        ok(C.post(f"{API}/experiments/set-experiment-tag",
                  {"experiment_id": exp_id, "key": "k", "value": "v2"}))
        ok(C.post(f"{API}/experiments/set-experiment-tag",
                  {"experiment_id": exp_id, "key": "other", "value": "o"}))
        e = ok(C.get(f"{API}/experiments/get", {"experiment_id": exp_id}))["experiment"]
        self.assertEqual(tags_of(e), {"k": "v2", "other": "o"})
        ok(C.post(f"{API}/experiments/delete-experiment-tag", {"experiment_id": exp_id, "key": "k"}))
        e = ok(C.get(f"{API}/experiments/get", {"experiment_id": exp_id}))["experiment"]
        self.assertEqual(tags_of(e), {"other": "o"})
        error(C.post(f"{API}/experiments/set-experiment-tag",
                     {"experiment_id": exp_id, "key": "../bad", "value": "x"}), 400,
              "INVALID_PARAMETER_VALUE")
        error(C.post(f"{API}/experiments/set-experiment-tag",
                     {"experiment_id": exp_id, "key": "k" * 251, "value": "x"}), 400,
              "INVALID_PARAMETER_VALUE")
        error(C.post(f"{API}/experiments/set-experiment-tag",
                     {"experiment_id": "987654321", "key": "k", "value": "x"}), 404,
              "RESOURCE_DOES_NOT_EXIST")
        e = ok(C.get(f"{API}/experiments/get", {"experiment_id": exp_id}))["experiment"]
        self.assertEqual(tags_of(e), {"other": "o"})

    def test_search(self):
        prefix = uniq("srch")
        ids = []
        for i in range(7):
            ids.append(new_experiment(f"{prefix}-{i}",
                                      tags=[{"key": "parity", "value": "even" if i % 2 == 0 else "odd"}]))
        flt = f"name LIKE '{prefix}-%'"

        def names(exps):
            return [e["name"] for e in exps]

        out = ok(C.post(f"{API}/experiments/search",
                        {"filter": flt, "order_by": ["name ASC"], "max_results": 1000}))
        self.assertEqual(names(out["experiments"]), [f"{prefix}-{i}" for i in range(7)])
        self.assertFalse(out.get("next_page_token"))
        # Default order: creation_time DESC, experiment_id ASC.
        out = ok(C.post(f"{API}/experiments/search", {"filter": flt}))
        got = [e["experiment_id"] for e in out["experiments"]]
        expect = sorted(ids, key=lambda i: (-int(next(e["creation_time"] for e in out["experiments"]
                                                           if e["experiment_id"] == i)), int(i)))
        self.assertEqual(got, expect)
        # GET with repeated order_by keys, as `requests` encodes a list.
        out = ok(C.get(f"{API}/experiments/search",
                       [("filter", flt), ("order_by", "name DESC"), ("order_by", "experiment_id"),
                        ("max_results", "100")]))
        self.assertEqual(names(out["experiments"]), [f"{prefix}-{i}" for i in reversed(range(7))])
        # Paging until the token is empty equals the unpaged answer.
        for order in (["name ASC"], ["creation_time DESC"], []):
            full = ok(C.post(f"{API}/experiments/search", {"filter": flt, "order_by": order}))
            pages, token, calls = [], None, 0
            while True:
                body = {"filter": flt, "order_by": order, "max_results": 2}
                if token:
                    body["page_token"] = token
                page = ok(C.post(f"{API}/experiments/search", body))
                self.assertLessEqual(len(page.get("experiments", [])), 2)
                pages += page.get("experiments", [])
                token = page.get("next_page_token")
                calls += 1
                self.assertLess(calls, 20)
                if not token:
                    break
            self.assertEqual(names(pages), names(full["experiments"]))
        # Tag filter.
        out = ok(C.post(f"{API}/experiments/search",
                        {"filter": f"{flt} and tags.parity = 'odd'", "order_by": ["name"]}))
        self.assertEqual(names(out["experiments"]), [f"{prefix}-{i}" for i in (1, 3, 5)])
        # view_type.
        ok(C.post(f"{API}/experiments/delete", {"experiment_id": ids[0]}))
        act = ok(C.post(f"{API}/experiments/search", {"filter": flt, "view_type": "ACTIVE_ONLY"}))
        self.assertEqual(len(act["experiments"]), 6)
        dele = ok(C.post(f"{API}/experiments/search", {"filter": flt, "view_type": "DELETED_ONLY"}))
        self.assertEqual([e["experiment_id"] for e in dele["experiments"]], [ids[0]])
        allv = ok(C.post(f"{API}/experiments/search", {"filter": flt, "view_type": "ALL"}))
        self.assertEqual(len(allv["experiments"]), 7)
        # Nothing matches: {} (no experiments key, no token).
        none = ok(C.post(f"{API}/experiments/search", {"filter": f"name = '{uniq('none')}'"}))
        self.assertEqual(none.get("experiments", []), [])
        self.assertFalse(none.get("next_page_token"))

    def test_search_errors(self):
        cases = [
            {"max_results": 50001},
            {"max_results": "lots"},
            {"filter": "name ==== 'x'"},
            {"filter": "bogus.key = 'x'"},
            {"filter": "name = 'a' OR name = 'b'"},
            {"order_by": ["name SIDEWAYS"]},
            {"order_by": ["nonexistent_column"]},
            {"page_token": "not-a-token!!"},
            {"view_type": "SOMETIMES"},
        ]
        for body in cases:
            with self.subTest(body=body):
                error(C.post(f"{API}/experiments/search", body), 400, "INVALID_PARAMETER_VALUE")
        error(C.get(f"{API}/experiments/search", {"max_results": "50001"}), 400,
              "INVALID_PARAMETER_VALUE", "max_results")


class Runs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.exp_id = new_experiment()

    def test_create_get(self):
        start = now_ms()
        run = new_run(self.exp_id, start_time=str(start), run_name="my-run", user_id="alice",
                      tags=[{"key": "t1", "value": "v1"}])
        info = run["info"]
        self.assertRegex(info["run_id"], r"^[0-9a-f]{32}$")
        self.assertEqual(info["run_uuid"], info["run_id"])
        self.assertEqual(info["experiment_id"], self.exp_id)
        self.assertEqual(info["run_name"], "my-run")
        self.assertEqual(info["user_id"], "alice")
        self.assertEqual(info["status"], "RUNNING")
        self.assertEqual(info["lifecycle_stage"], "active")
        self.assertEqual(info["start_time"], start)
        self.assertIsInstance(info["start_time"], int)
        self.assertEqual(info["artifact_uri"],
                         f"mlflow-artifacts:/{self.exp_id}/{info['run_id']}/artifacts")
        self.assertEqual(tags_of(run["data"]), {"t1": "v1", "mlflow.runName": "my-run"})
        self.assertEqual(get_run(info["run_id"]), run)
        by_uuid = ok(C.get(f"{API}/runs/get", {"run_uuid": info["run_id"]}))["run"]
        self.assertEqual(by_uuid, run)
        # A generated name when none is given.
        run2 = new_run(self.exp_id)
        self.assertTrue(run2["info"]["run_name"])
        self.assertEqual(tags_of(run2["data"])["mlflow.runName"], run2["info"]["run_name"])

    def test_create_errors(self):
        error(C.post(f"{API}/runs/create", {"experiment_id": "987654321"}), 404,
              "RESOURCE_DOES_NOT_EXIST")
        error(C.post(f"{API}/runs/create", {"experiment_id": self.exp_id, "start_time": "soon"}), 400,
              "INVALID_PARAMETER_VALUE", "start_time")
        error(C.post(f"{API}/runs/create", {"experiment_id": self.exp_id, "tags": [{"value": "x"}]}),
              400, "INVALID_PARAMETER_VALUE", "key")
        error(C.post(f"{API}/runs/create",
                     {"experiment_id": self.exp_id, "tags": [{"key": "../up", "value": "x"}]}),
              400, "INVALID_PARAMETER_VALUE")
        error(C.get(f"{API}/runs/get", {"run_id": "0" * 32}), 404, "RESOURCE_DOES_NOT_EXIST")
        error(C.get(f"{API}/runs/get", {}), 400, "INVALID_PARAMETER_VALUE", "run_id")

    def test_update(self):
        rid = new_run(self.exp_id, run_name="before")["info"]["run_id"]
        end = now_ms()
        info = ok(C.post(f"{API}/runs/update", {"run_id": rid, "run_uuid": rid, "status": "FINISHED",
                                                "end_time": str(end), "run_name": "after"}))["run_info"]
        self.assertEqual(info["status"], "FINISHED")
        self.assertEqual(info["end_time"], end)
        self.assertEqual(info["run_name"], "after")
        run = get_run(rid)
        self.assertEqual(run["info"]["status"], "FINISHED")
        self.assertEqual(tags_of(run["data"])["mlflow.runName"], "after")
        error(C.post(f"{API}/runs/update", {"run_id": rid, "status": "EXPLODED"}), 400,
              "INVALID_PARAMETER_VALUE", "status")
        error(C.post(f"{API}/runs/update", {"run_id": "0" * 32, "status": "FINISHED"}), 404,
              "RESOURCE_DOES_NOT_EXIST")
        self.assertEqual(get_run(rid)["info"]["status"], "FINISHED")

    def test_log_metric_values_and_latest(self):
        rid = new_run(self.exp_id)["info"]["run_id"]
        t = now_ms()
        for body in ({"key": "m", "value": 1.5, "timestamp": t, "step": 0},
                     {"key": "m", "value": "2.5", "timestamp": str(t + 1), "step": "3"},
                     {"key": "m", "value": 0.5, "timestamp": t + 2, "step": 1},
                     {"key": "n", "value": "NaN", "timestamp": t},
                     {"key": "pinf", "value": "Infinity", "timestamp": t},
                     {"key": "ninf", "value": "-Infinity", "timestamp": t},
                     {"key": "big", "value": 1e300, "timestamp": 9007199254740993, "step": 2 ** 40}):
            ok(C.post(f"{API}/runs/log-metric", {"run_id": rid, "run_uuid": rid, **body}))
        m = metrics_of(get_run(rid))
        # Latest = highest step, then timestamp.
        self.assertEqual(m["m"]["value"], 2.5)
        self.assertEqual(m["m"]["step"], 3)
        self.assertEqual(m["n"]["value"], "NaN")
        self.assertEqual(m["pinf"]["value"], "Infinity")
        self.assertEqual(m["ninf"]["value"], "-Infinity")
        self.assertEqual(m["big"]["timestamp"], 9007199254740993)
        self.assertEqual(m["big"]["step"], 2 ** 40)
        self.assertEqual(m["n"]["step"], 0)
        hist = history(rid, "m")
        self.assertEqual(sorted((p["step"], p["value"]) for p in hist), [(0, 1.5), (1, 0.5), (3, 2.5)])

    def test_log_metric_errors_write_nothing(self):
        rid = new_run(self.exp_id)["info"]["run_id"]
        t = now_ms()
        bad = [
            ({"key": "m", "timestamp": t}, "value"),
            ({"key": "m", "value": "abc", "timestamp": t}, "value"),
            ({"key": "m", "value": {"x": 1}, "timestamp": t}, "value"),
            ({"key": "m", "value": 1}, "timestamp"),
            ({"key": "m", "value": 1, "timestamp": "yesterday"}, "timestamp"),
            ({"key": "m", "value": 1, "timestamp": t, "step": 1.5}, "step"),
            ({"value": 1, "timestamp": t}, "key"),
            ({"key": "../m", "value": 1, "timestamp": t}, None),
            ({"key": "/abs", "value": 1, "timestamp": t}, None),
            ({"key": "a/../../b", "value": 1, "timestamp": t}, None),
            ({"key": "k" * 251, "value": 1, "timestamp": t}, None),
            ({"key": "bad!char", "value": 1, "timestamp": t}, None),
        ]
        for body, field in bad:
            with self.subTest(body=str(body)[:80]):
                error(C.post(f"{API}/runs/log-metric", {"run_id": rid, **body}), 400,
                      "INVALID_PARAMETER_VALUE", field)
        ok(C.post(f"{API}/runs/log-metric", {"run_id": rid, "key": "k" * 250, "value": 1, "timestamp": t}))
        self.assertEqual(list(metrics_of(get_run(rid))), ["k" * 250])
        error(C.post(f"{API}/runs/log-metric", {"run_id": "0" * 32, "key": "m", "value": 1,
                                                "timestamp": t}), 404, "RESOURCE_DOES_NOT_EXIST")
        error(C.post(f"{API}/runs/log-metric", {"key": "m", "value": 1, "timestamp": t}), 400,
              "INVALID_PARAMETER_VALUE", "run_id")

    def test_one_element_list_is_not_a_string(self):
        """A JSON body field that must be a string refuses a one-element list, as MLflow's proto
        parser does (query strings cannot tell the two apart, so GET requests may repeat keys)."""
        rid = new_run(self.exp_id)["info"]["run_id"]
        r = C.post(f"{API}/runs/log-metric", {"run_id": rid, "key": ["m"], "value": 1, "timestamp": now_ms()})
        error(r, 400, "INVALID_PARAMETER_VALUE", "key")
        self.assertEqual(get_run(rid)["data"].get("metrics", []), [])

    def test_params(self):
        rid = new_run(self.exp_id)["info"]["run_id"]
        ok(C.post(f"{API}/runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.1"}))
        ok(C.post(f"{API}/runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.1"}))
        error(C.post(f"{API}/runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.2"}), 400,
              "INVALID_PARAMETER_VALUE", "lr")
        error(C.post(f"{API}/runs/log-parameter", {"run_id": rid, "key": "big", "value": "v" * 6001}),
              400, "INVALID_PARAMETER_VALUE")
        error(C.post(f"{API}/runs/log-parameter", {"run_id": rid, "key": "nov"}), 400,
              "INVALID_PARAMETER_VALUE", "value")
        error(C.post(f"{API}/runs/log-parameter", {"run_id": rid, "key": "..", "value": "x"}), 400,
              "INVALID_PARAMETER_VALUE")
        ok(C.post(f"{API}/runs/log-parameter", {"run_id": rid, "key": "max", "value": "v" * 6000}))
        ok(C.post(f"{API}/runs/log-parameter", {"run_id": rid, "key": "empty", "value": ""}))
        self.assertEqual(params_of(get_run(rid)), {"lr": "0.1", "max": "v" * 6000, "empty": ""})

    def test_tags(self):
        rid = new_run(self.exp_id)["info"]["run_id"]
        ok(C.post(f"{API}/runs/set-tag", {"run_id": rid, "key": "a", "value": "1"}))
        ok(C.post(f"{API}/runs/set-tag", {"run_id": rid, "key": "a", "value": "2"}))
        ok(C.post(f"{API}/runs/set-tag", {"run_uuid": rid, "key": "b", "value": "x" * 5000}))
        error(C.post(f"{API}/runs/set-tag", {"run_id": rid, "key": "c", "value": "x" * 8001}), 400,
              "INVALID_PARAMETER_VALUE")
        error(C.post(f"{API}/runs/set-tag", {"run_id": rid, "value": "x"}), 400,
              "INVALID_PARAMETER_VALUE", "key")
        ok(C.post(f"{API}/runs/delete-tag", {"run_id": rid, "key": "b"}))
        error(C.post(f"{API}/runs/delete-tag", {"run_id": rid, "key": "never"}), 404,
              "RESOURCE_DOES_NOT_EXIST")
        t = tags_of(get_run(rid)["data"])
        t.pop("mlflow.runName")
        self.assertEqual(t, {"a": "2"})

    def test_log_batch(self):
        rid = new_run(self.exp_id)["info"]["run_id"]
        t = now_ms()
        metrics = [{"key": f"m{i % 5}", "value": i * 0.5, "timestamp": t + i, "step": i} for i in range(1000)]
        metrics[7]["value"] = "NaN"
        params = [{"key": f"p{i}", "value": str(i)} for i in range(100)]
        tags = [{"key": f"t{i}", "value": str(i)} for i in range(10)]
        ok(C.post(f"{API}/runs/log-batch", {"run_id": rid, "metrics": metrics}))
        ok(C.post(f"{API}/runs/log-batch", {"run_id": rid, "params": params, "tags": tags}))
        run = get_run(rid)
        self.assertEqual(len(params_of(run)), 100)
        self.assertEqual(len(tags_of(run["data"])), 11)
        m = metrics_of(run)
        self.assertEqual(sorted(m), [f"m{i}" for i in range(5)])
        self.assertEqual(m["m4"]["step"], 999)
        self.assertEqual(len(history(rid, "m2")), 200)
        nan_points = [p for p in history(rid, "m2") if p["value"] == "NaN"]
        self.assertEqual(len(nan_points), 1)
        # Logging the same param value again inside a batch is fine.
        ok(C.post(f"{API}/runs/log-batch", {"run_id": rid, "params": params[:3]}))

    def test_log_batch_errors_are_atomic(self):
        rid = new_run(self.exp_id)["info"]["run_id"]
        t = now_ms()
        ok(C.post(f"{API}/runs/log-parameter", {"run_id": rid, "key": "fixed", "value": "1"}))
        good_m = [{"key": "gm", "value": 1, "timestamp": t}]
        cases = [
            ({"metrics": [{"key": "m", "value": 1, "timestamp": t}] * 1001}, "1000"),
            ({"params": [{"key": f"p{i}", "value": "v"} for i in range(101)]}, "100"),
            ({"tags": [{"key": f"t{i}", "value": "v"} for i in range(101)]}, "100"),
            ({"metrics": good_m, "params": [{"key": "fixed", "value": "2"}]}, "fixed"),
            ({"metrics": good_m, "params": [{"key": "dup", "value": "a"}, {"key": "dup", "value": "b"}]}, None),
            ({"metrics": good_m + [{"key": "bad", "value": "x", "timestamp": t}]}, "value"),
            ({"metrics": good_m + [{"key": "../bad", "value": 1, "timestamp": t}]}, None),
            ({"metrics": good_m, "tags": [{"key": "t", "value": "v" * 8001}]}, None),
            ({"metrics": {"key": "m"}}, "metrics"),
            ({"metrics": good_m, "params": [{"key": "nov"}]}, "value"),
            ({"metrics": [1, 2]}, "metrics"),
        ]
        for body, mention in cases:
            with self.subTest(body=json.dumps(body)[:100]):
                error(C.post(f"{API}/runs/log-batch", {"run_id": rid, **body}), 400,
                      "INVALID_PARAMETER_VALUE", mention)
        run = get_run(rid)
        self.assertEqual(run["data"].get("metrics", []), [])
        self.assertEqual(params_of(run), {"fixed": "1"})
        self.assertEqual(set(tags_of(run["data"])), {"mlflow.runName"})
        self.assertEqual(history(rid, "gm"), [])

    def test_deleted_run_refuses_writes(self):
        rid = new_run(self.exp_id)["info"]["run_id"]
        t = now_ms()
        ok(C.post(f"{API}/runs/delete", {"run_id": rid}))
        ok(C.post(f"{API}/runs/delete", {"run_id": rid}))  # twice is fine
        self.assertEqual(get_run(rid)["info"]["lifecycle_stage"], "deleted")
        writes = [
            ("runs/log-metric", {"key": "m", "value": 1, "timestamp": t}),
            ("runs/log-parameter", {"key": "p", "value": "v"}),
            ("runs/set-tag", {"key": "t", "value": "v"}),
            ("runs/log-batch", {"metrics": [{"key": "m", "value": 1, "timestamp": t}]}),
            ("runs/log-inputs", {"datasets": [{"dataset": {"name": "d", "digest": "x", "source_type": "local",
                                                           "source": "{}"}}]}),
        ]
        for ep, body in writes:
            with self.subTest(ep=ep):
                error(C.post(f"{API}/{ep}", {"run_id": rid, **body}), 400, "INVALID_PARAMETER_VALUE")
        run = get_run(rid)
        self.assertEqual(run["data"].get("metrics", []), [])
        self.assertEqual(run["data"].get("params", []), [])
        self.assertEqual(run["inputs"].get("dataset_inputs", []), [])
        ok(C.post(f"{API}/runs/restore", {"run_id": rid}))
        self.assertEqual(get_run(rid)["info"]["lifecycle_stage"], "active")
        ok(C.post(f"{API}/runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": t}))
        error(C.post(f"{API}/runs/delete", {"run_id": "0" * 32}), 404, "RESOURCE_DOES_NOT_EXIST")
        error(C.post(f"{API}/runs/restore", {"run_id": "0" * 32}), 404, "RESOURCE_DOES_NOT_EXIST")

    def test_log_inputs(self):
        rid = new_run(self.exp_id)["info"]["run_id"]
        ds = {"name": "train", "digest": "abc123", "source_type": "local", "source": '{"uri": "/x"}',
              "schema": '{"mlflow_colspec": []}', "profile": '{"num_rows": 3}'}
        ok(C.post(f"{API}/runs/log-inputs", {"run_id": rid, "datasets": [
            {"tags": [{"key": "mlflow.data.context", "value": "training"}], "dataset": ds}]}))
        inputs = get_run(rid)["inputs"]["dataset_inputs"]
        self.assertEqual(len(inputs), 1)
        self.assertEqual(inputs[0]["dataset"], ds)
        self.assertEqual(tags_of(inputs[0]), {"mlflow.data.context": "training"})
        for bad, mention in (({"tags": []}, "dataset"),
                             ({"dataset": {**ds, "digest": "d" * 65}}, None),
                             ({"dataset": {k: v for k, v in ds.items() if k != "name"}}, "name")):
            with self.subTest(bad=str(bad)[:60]):
                error(C.post(f"{API}/runs/log-inputs", {"run_id": rid, "datasets": [bad]}), 400,
                      "INVALID_PARAMETER_VALUE", mention)
        self.assertEqual(len(get_run(rid)["inputs"]["dataset_inputs"]), 1)

    def test_log_model_history_tag(self):
        rid = new_run(self.exp_id)["info"]["run_id"]
        m1 = {"run_id": rid, "artifact_path": "model", "flavors": {"python_function": {}},
              "utc_time_created": "2024-01-01 00:00:00.000000"}
        m2 = dict(m1, artifact_path="model2")
        ok(C.post(f"{API}/runs/log-model", {"run_id": rid, "model_json": json.dumps(m1)}))
        ok(C.post(f"{API}/runs/log-model", {"run_id": rid, "model_json": json.dumps(m2)}))
        hist = json.loads(tags_of(get_run(rid)["data"])["mlflow.log-model.history"])
        self.assertEqual([h["artifact_path"] for h in hist], ["model", "model2"])
        error(C.post(f"{API}/runs/log-model", {"run_id": rid}), 400, "INVALID_PARAMETER_VALUE",
              "model_json")

    def test_metric_history_paging(self):
        rid = new_run(self.exp_id)["info"]["run_id"]
        t = now_ms()
        n = 26000
        for start in range(0, n, 1000):
            ok(C.post(f"{API}/runs/log-batch", {"run_id": rid, "metrics": [
                {"key": "loss", "value": float(i), "timestamp": t + i, "step": i}
                for i in range(start, start + 1000)]}))
        # The client: max_results=25000, follow the token.
        first = ok(C.get(f"{API}/metrics/get-history",
                         {"run_id": rid, "metric_key": "loss", "max_results": 25000}))
        self.assertLessEqual(len(first["metrics"]), 25000)
        pts = history(rid, "loss")
        self.assertEqual(len(pts), n)
        self.assertEqual(sorted(p["step"] for p in pts), list(range(n)))
        small = history(rid, "loss", max_results=7000)
        self.assertEqual(small, pts)
        # A client that sends no max_results and follows tokens still gets every point.
        self.assertEqual(len(history(rid, "loss", max_results=None)), n)
        self.assertEqual(history(rid, "never-logged"), [])
        error(C.get(f"{API}/metrics/get-history", {"run_id": "0" * 32, "metric_key": "loss"}), 404,
              "RESOURCE_DOES_NOT_EXIST")
        error(C.get(f"{API}/metrics/get-history", {"run_id": rid}), 400, "INVALID_PARAMETER_VALUE",
              "metric_key")
        error(C.get(f"{API}/metrics/get-history", {"run_id": rid, "metric_key": "loss",
                                                     "page_token": "garbage!"}), 400,
              "INVALID_PARAMETER_VALUE")


class SearchRuns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.exp_id = new_experiment()
        cls.other_exp = new_experiment()
        base = now_ms() - 100000
        cls.runs = {}
        # (name, metric m or None or nan, param p, tag grp, status, dataset)
        spec = [
            ("r00", 0.9, "a", "g1", "FINISHED", "ds1"),
            ("r01", 0.1, "b", "g2", "RUNNING", None),
            ("r02", None, "a", "g1", "FAILED", "ds2"),
            ("r03", 0.5, None, "g2", "FINISHED", None),
            ("r04", float("nan"), "A", None, "FINISHED", "ds1"),
            ("r05", 0.3, "c", "g1", "RUNNING", None),
            ("r06", 0.7, "a", "g3", "KILLED", None),
            ("r07", None, None, None, "RUNNING", None),
            ("r08", 0.2, "b", "g1", "FINISHED", None),
            ("r09", 1.5, "a", "g2", "FINISHED", "ds2"),
            ("r10", 0.4, "c", None, "RUNNING", None),
            ("r11", -1.0, "b", "g3", "FINISHED", None),
        ]
        cls.spec = {}
        for i, (name, m, p, grp, status, ds) in enumerate(spec):
            run = new_run(cls.exp_id, run_name=name, start_time=base + i * 1000)
            rid = run["info"]["run_id"]
            body = {"run_id": rid, "metrics": [], "params": [], "tags": []}
            if m is not None:
                body["metrics"].append({"key": "m", "value": "NaN" if m != m else m,
                                        "timestamp": base, "step": 0})
            if p is not None:
                body["params"].append({"key": "p", "value": p})
            if grp is not None:
                body["tags"].append({"key": "grp", "value": grp})
            ok(C.post(f"{API}/runs/log-batch", body))
            if status != "RUNNING":
                ok(C.post(f"{API}/runs/update", {"run_id": rid, "status": status}))
            if ds:
                ok(C.post(f"{API}/runs/log-inputs", {"run_id": rid, "datasets": [{
                    "tags": [{"key": "mlflow.data.context", "value": "train"}],
                    "dataset": {"name": ds, "digest": ds + "dg", "source_type": "local", "source": "{}"}}]}))
            cls.runs[name] = rid
            cls.spec[name] = {"m": m, "p": p, "grp": grp, "status": status, "ds": ds,
                              "start": base + i * 1000}
        new_run(cls.other_exp, run_name="elsewhere")
        # One deleted run.
        cls.deleted = new_run(cls.exp_id, run_name="gone", start_time=base - 5000)["info"]["run_id"]
        ok(C.post(f"{API}/runs/delete", {"run_id": cls.deleted}))

    def names(self, body, page_size=None):
        b = {"experiment_ids": [self.exp_id]}
        b.update(body)
        return [r["info"]["run_name"] for r in search_runs_all(b, page_size)]

    def expect(self, pred):
        return {n for n, s in self.spec.items() if pred(s)}

    def test_filters(self):
        S = self.spec
        num = lambda v: v is not None and v == v
        cases = {
            "metrics.m < 0.5": self.expect(lambda s: num(s["m"]) and s["m"] < 0.5),
            "metrics.m >= 0.5": self.expect(lambda s: num(s["m"]) and s["m"] >= 0.5),
            "metric.m = 0.9": {"r00"},
            "metrics.m != 0.9": self.expect(lambda s: s["m"] is not None and s["m"] != 0.9),
            "params.p = 'a'": self.expect(lambda s: s["p"] == "a"),
            "params.p != 'a'": self.expect(lambda s: s["p"] is not None and s["p"] != "a"),
            "param.p LIKE 'a'": self.expect(lambda s: s["p"] == "a"),
            "params.p ILIKE 'a'": self.expect(lambda s: s["p"] in ("a", "A")),
            "tags.grp != 'g1'": self.expect(lambda s: s["grp"] is not None and s["grp"] != "g1"),
            "tags.grp LIKE 'g%' and params.p = 'b'": self.expect(lambda s: s["grp"] and s["p"] == "b"),
            "params.p = 'a' AND tags.grp = 'g1'": {"r00", "r02"},
            "attributes.status = 'FINISHED'": self.expect(lambda s: s["status"] == "FINISHED"),
            "attributes.run_name LIKE 'r0%'": {n for n in S if n.startswith("r0")},
            "attribute.run_name = 'r05'": {"r05"},
            "run.status IN ('FAILED', 'KILLED')": {"r02", "r06"},
            "attributes.status NOT IN ('RUNNING')": self.expect(lambda s: s["status"] != "RUNNING"),
            f"attributes.run_id = '{self.runs['r03']}'": {"r03"},
            f"attributes.run_id IN ('{self.runs['r03']}', '{self.runs['r09']}')": {"r03", "r09"},
            f"attributes.start_time > {S['r09']['start']}": {"r10", "r11"},
            f"attributes.start_time <= {S['r01']['start']}": {"r00", "r01"},
            "tags.`mlflow.runName` = 'r07'": {"r07"},
            'tags."grp" = \'g3\'': {"r06", "r11"},
            "datasets.name = 'ds1'": self.expect(lambda s: s["ds"] == "ds1"),
            "datasets.digest = 'ds2dg'": self.expect(lambda s: s["ds"] == "ds2"),
            "datasets.name IN ('ds1', 'ds2')": self.expect(lambda s: s["ds"] is not None),
            "datasets.context = 'train'": self.expect(lambda s: s["ds"] is not None),
            "metrics.m > 100": set(),
        }
        for flt, expected in cases.items():
            with self.subTest(filter=flt):
                self.assertEqual(set(self.names({"filter": flt})), expected)

    def test_order_by_missing_last(self):
        S = self.spec
        nums = [n for n in S if S[n]["m"] is not None and S[n]["m"] == S[n]["m"]]
        nans = [n for n in S if S[n]["m"] is not None and S[n]["m"] != S[n]["m"]]
        missing = [n for n in S if S[n]["m"] is None]
        asc = self.names({"order_by": ["metrics.m ASC"]})
        self.assertEqual(asc[:len(nums)], sorted(nums, key=lambda n: S[n]["m"]))
        self.assertEqual(asc[len(nums):len(nums) + len(nans)], nans)
        self.assertEqual(set(asc[len(nums) + len(nans):]), set(missing))
        desc = self.names({"order_by": ["metrics.m DESC"]})
        self.assertEqual(desc[:len(nums)], sorted(nums, key=lambda n: -S[n]["m"]))
        self.assertEqual(set(desc[-len(missing):]), set(missing), f"missing values must sort last: {desc}")
        for direction in ("ASC", "DESC"):
            with self.subTest(direction=direction):
                out = self.names({"order_by": [f"params.p {direction}"]})
                have = [n for n in out if S[n]["p"] is not None]
                self.assertEqual(out[:len(have)], have)
                self.assertEqual(set(out[len(have):]), {n for n in S if S[n]["p"] is None})
                vals = [S[n]["p"] for n in have]
                self.assertEqual(vals, sorted(vals, reverse=direction == "DESC"))
                out = self.names({"order_by": [f"tags.grp {direction}"]})
                self.assertEqual(set(out[-3:]), {"r04", "r07", "r10"})

    def test_order_by_attributes_and_default(self):
        S = self.spec
        by_start_desc = sorted(S, key=lambda n: -S[n]["start"])
        self.assertEqual(self.names({}), by_start_desc)
        self.assertEqual(self.names({"order_by": ["attributes.start_time ASC"]}), list(reversed(by_start_desc)))
        self.assertEqual(self.names({"order_by": ["attributes.run_name DESC"]}), sorted(S, reverse=True))
        self.assertEqual(self.names({"order_by": ["run_name"]}), sorted(S))
        out = self.names({"order_by": ["attributes.status", "attributes.run_name DESC"]})
        self.assertEqual(out, sorted(S, key=lambda n: (S[n]["status"], [-ord(c) for c in n])))

    def test_paging_equals_unpaged(self):
        for body in ({}, {"order_by": ["metrics.m DESC"]}, {"order_by": ["params.p", "run_name"]},
                     {"filter": "attributes.status != 'RUNNING'", "order_by": ["tags.grp ASC"]}):
            for size in (1, 3, 5):
                with self.subTest(body=body, size=size):
                    self.assertEqual(self.names(body, page_size=size), self.names(body))

    def test_view_types_and_experiments(self):
        active = set(self.names({}))
        self.assertNotIn("gone", active)
        self.assertEqual(self.names({"run_view_type": "DELETED_ONLY"}), ["gone"])
        self.assertEqual(set(self.names({"run_view_type": "ALL"})), active | {"gone"})
        both = search_runs_all({"experiment_ids": [self.exp_id, self.other_exp]})
        self.assertEqual({r["info"]["run_name"] for r in both}, active | {"elsewhere"})
        empty = ok(C.post(f"{API}/runs/search", {}))
        self.assertEqual(empty.get("runs", []), [])
        # GET form with repeated experiment_ids and order_by keys.
        out = ok(C.get(f"{API}/runs/search", [("experiment_ids", self.exp_id),
                                               ("experiment_ids", self.other_exp),
                                               ("order_by", "attributes.run_name ASC"),
                                               ("max_results", "3")]))
        self.assertEqual([r["info"]["run_name"] for r in out["runs"]], ["elsewhere", "r00", "r01"])
        self.assertTrue(out.get("next_page_token"))
        # Runs in a search have the full shape.
        r = next(r for r in search_runs_all({"experiment_ids": [self.exp_id],
                                             "filter": "attributes.run_name = 'r00'"}))
        self.assertEqual(r, get_run(self.runs["r00"]))

    def test_search_errors(self):
        bad = [
            {"filter": "metrics.m <<< 1"},
            {"filter": "metrics.m < 'abc'"},
            {"filter": "params.p < 'a'"},
            {"filter": "unknown.x = 'a'"},
            {"filter": "params.p = 'a' OR params.p = 'b'"},
            {"filter": "(params.p = 'a')"},
            {"filter": "params.p = 'unterminated"},
            {"filter": "attributes.nope = 'x'"},
            {"order_by": ["metrics.m SIDEWAYS"]},
            {"order_by": ["attributes.nope"]},
            {"order_by": ["metrics.m", "metrics.m DESC"]},
            {"page_token": "@@not-a-token@@"},
            {"max_results": 50001},
            {"max_results": -1},
            {"run_view_type": "SOMETIMES"},
            {"experiment_ids": "notalist-but-ok-as-string", "max_results": "x"},
        ]
        for body in bad:
            with self.subTest(body=body):
                error(C.post(f"{API}/runs/search", {"experiment_ids": [self.exp_id], **body}), 400,
                      "INVALID_PARAMETER_VALUE")


class LoggedModels(unittest.TestCase):
    def test_lifecycle(self):
        exp_id = new_experiment()
        rid = new_run(exp_id)["info"]["run_id"]
        out = ok(C.post(f"{API}/logged-models", {
            "experiment_id": exp_id, "name": "clf", "model_type": "sklearn", "source_run_id": rid,
            "params": [{"key": "alpha", "value": "0.1"}], "tags": [{"key": "t", "value": "1"}]}))
        info = out["model"]["info"]
        mid = info["model_id"]
        self.assertTrue(mid.startswith("m-"), mid)
        self.assertEqual(info["experiment_id"], exp_id)
        self.assertEqual(info["name"], "clf")
        self.assertEqual(info["source_run_id"], rid)
        self.assertEqual(info["artifact_uri"], f"mlflow-artifacts:/{exp_id}/models/{mid}/artifacts")
        self.assertEqual(info["status"], "LOGGED_MODEL_PENDING")
        self.assertEqual(params_of(out["model"]), {"alpha": "0.1"})
        got = ok(C.get(f"{API}/logged-models/{mid}"))["model"]
        self.assertEqual(got, out["model"])
        fin = ok(C.patch(f"{API}/logged-models/{mid}", {"model_id": mid, "status": "LOGGED_MODEL_READY"}))
        self.assertEqual(fin["model"]["info"]["status"], "LOGGED_MODEL_READY")
        ok(C.patch(f"{API}/logged-models/{mid}/tags", {"tags": [{"key": "u", "value": "2"}, {"key": "t", "value": "3"}]}))
        ok(C.post(f"{API}/logged-models/{mid}/params", {"params": [{"key": "beta", "value": "2"}]}))
        ok(C.delete(f"{API}/logged-models/{mid}/tags/u"))
        got = ok(C.get(f"{API}/logged-models/{mid}"))["model"]
        self.assertEqual(tags_of(got["info"]), {"t": "3"})
        self.assertEqual(params_of(got), {"alpha": "0.1", "beta": "2"})
        mids = [mid]
        for i in range(4):
            mids.append(ok(C.post(f"{API}/logged-models", {"experiment_id": exp_id, "name": f"m{i}"}))
                        ["model"]["info"]["model_id"])
        found = ok(C.post(f"{API}/logged-models/search", {"experiment_ids": [exp_id]}))["models"]
        self.assertEqual({m["info"]["model_id"] for m in found}, set(mids))
        paged, token, calls = [], None, 0
        while True:
            body = {"experiment_ids": [exp_id], "max_results": 2}
            if token:
                body["page_token"] = token
            page = ok(C.post(f"{API}/logged-models/search", body))
            paged += [m["info"]["model_id"] for m in page["models"]]
            token = page.get("next_page_token")
            calls += 1
            self.assertLess(calls, 10)
            if not token:
                break
        self.assertEqual(paged, [m["info"]["model_id"] for m in found])
        ok(C.delete(f"{API}/logged-models/{mid}"))
        error(C.get(f"{API}/logged-models/{mid}"), 404, "RESOURCE_DOES_NOT_EXIST")

    def test_errors(self):
        error(C.get(f"{API}/logged-models/m-doesnotexist"), 404, "RESOURCE_DOES_NOT_EXIST")
        error(C.patch(f"{API}/logged-models/m-doesnotexist", {"status": "LOGGED_MODEL_READY"}), 404,
              "RESOURCE_DOES_NOT_EXIST")
        error(C.delete(f"{API}/logged-models/m-doesnotexist"), 404, "RESOURCE_DOES_NOT_EXIST")
        error(C.post(f"{API}/logged-models", {"name": "x"}), 400, "INVALID_PARAMETER_VALUE",
              "experiment_id")
        error(C.post(f"{API}/logged-models", {"experiment_id": "987654321"}), 404,
              "RESOURCE_DOES_NOT_EXIST")
        exp_id = new_experiment()
        mid = ok(C.post(f"{API}/logged-models", {"experiment_id": exp_id}))["model"]["info"]["model_id"]
        error(C.patch(f"{API}/logged-models/{mid}", {"status": "LOGGED_MODEL_EXPLODED"}), 400,
              "INVALID_PARAMETER_VALUE", "status")
        error(C.patch(f"{API}/logged-models/{mid}/tags", {"tags": [{"key": "../x", "value": "1"}]}), 400,
              "INVALID_PARAMETER_VALUE")
        self.assertEqual(ok(C.get(f"{API}/logged-models/{mid}"))["model"]["info"]["status"],
                         "LOGGED_MODEL_PENDING")

    def test_mlflow3_log_model_sequence(self):
        """mlflow 3.x `mlflow.sklearn.log_model(...)` inside a run, as the client sends it."""
        exp_id = new_experiment()
        rid = new_run(exp_id)["info"]["run_id"]
        model = ok(C.post(f"{API}/logged-models", {
            "experiment_id": exp_id, "name": "model", "model_type": "", "source_run_id": rid,
            "params": [], "tags": [{"key": "mlflow.user", "value": "me"}]}))["model"]
        mid = model["info"]["model_id"]
        ok(C.post(f"{API}/runs/outputs", {"run_id": rid, "models": [{"model_id": mid, "step": 0}]}))
        loc = model["info"]["artifact_uri"]
        self.assertTrue(loc.startswith("mlflow-artifacts:/"))
        root = loc[len("mlflow-artifacts:"):].lstrip("/")
        files = {"MLmodel": b"artifact_path: model\nflavors: {}\n", "model.pkl": os.urandom(4096),
                 "requirements.txt": b"scikit-learn\n", "conda.yaml": b"name: env\n"}
        for name, data in files.items():
            ok(C.put(f"{ARTIFACTS}/{root}/{name}", data))
        fin = ok(C.patch(f"{API}/logged-models/{mid}", {"model_id": mid, "status": "LOGGED_MODEL_READY"}))
        self.assertEqual(fin["model"]["info"]["status"], "LOGGED_MODEL_READY")
        model_json = {"artifact_path": "model", "model_id": mid, "run_id": rid, "flavors": {}}
        ok(C.post(f"{API}/runs/log-model", {"run_id": rid, "model_json": json.dumps(model_json)}))
        run = get_run(rid)
        self.assertEqual(run["outputs"]["model_outputs"], [{"model_id": mid, "step": 0}])
        listing = ok(C.get(ARTIFACTS, {"path": root}))
        self.assertEqual({f["path"]: f.get("file_size") for f in listing["files"]},
                         {n: len(d) for n, d in files.items()})
        for name, data in files.items():
            self.assertEqual(C.get(f"{ARTIFACTS}/{root}/{name}").content, data)
        # 3.x RunsArtifactRepository falls back to a logged-models search.
        found = ok(C.post(f"{API}/logged-models/search", {"experiment_ids": [exp_id]}))["models"]
        self.assertEqual([m["info"]["model_id"] for m in found], [mid])
        error(C.post(f"{API}/runs/outputs", {"run_id": rid, "models": [{"step": 0}]}), 400,
              "INVALID_PARAMETER_VALUE", "model_id")
        error(C.post(f"{API}/runs/outputs", {"run_id": "0" * 32, "models": [{"model_id": mid}]}), 404,
              "RESOURCE_DOES_NOT_EXIST")


class Artifacts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.exp_id = new_experiment()
        run = new_run(cls.exp_id)
        cls.run_id = run["info"]["run_id"]
        cls.root = run["info"]["artifact_uri"][len("mlflow-artifacts:"):].lstrip("/")

    def listing(self, path):
        return ok(C.get(ARTIFACTS, {"path": path}))

    def test_small_upload_download_list_delete(self):
        r = self.root + "/small"
        files = {"a.txt": b"hello\n", "dir/b.json": b'{"x": 1}', "dir/sub/c.bin": bytes(range(256)) * 3,
                 "empty.txt": b""}
        for p, data in files.items():
            self.assertEqual(ok(C.put(f"{ARTIFACTS}/{r}/{p}", data)), {})
        for p, data in files.items():
            resp = C.get(f"{ARTIFACTS}/{r}/{p}")
            self.assertEqual(resp.status_code, 200)
            self.assertEqual(resp.content, data)
            self.assertEqual(int(resp.headers["Content-Length"]), len(data))
        self.assertTrue(C.get(f"{ARTIFACTS}/{r}/a.txt").headers["Content-Type"].startswith("text/plain"))
        top = {f["path"]: f for f in self.listing(r)["files"]}
        self.assertEqual(set(top), {"a.txt", "dir", "empty.txt"})
        self.assertEqual(top["dir"], {"path": "dir", "is_dir": True})
        self.assertEqual(top["a.txt"], {"path": "a.txt", "is_dir": False, "file_size": 6})
        sub = {f["path"]: f for f in self.listing(f"{r}/dir")["files"]}
        self.assertEqual(set(sub), {"b.json", "sub"})
        self.assertEqual(sub["b.json"]["file_size"], 8)
        self.assertEqual(self.listing(f"{r}/no/such/dir"), {})
        # Legacy run listing: paths from the run's artifact root.
        legacy = ok(C.get(f"{API}/artifacts/list", {"run_id": self.run_id, "path": "small/dir"}))
        self.assertEqual(legacy["root_uri"], f"mlflow-artifacts:/{self.root}")
        self.assertEqual({f["path"] for f in legacy["files"]}, {"small/dir/b.json", "small/dir/sub"})
        legacy_small = ok(C.get(f"{API}/artifacts/list", {"run_id": self.run_id, "path": "small"}))
        self.assertEqual({f["path"] for f in legacy_small["files"]},
                         {"small/a.txt", "small/dir", "small/empty.txt"})
        self.assertIn({"path": "small", "is_dir": True},
                      ok(C.get(f"{API}/artifacts/list", {"run_id": self.run_id}))["files"])
        self.assertEqual(ok(C.get(f"{API}/artifacts/list", {"run_id": self.run_id, "path": "nothing/here"})),
                         {"root_uri": f"mlflow-artifacts:/{self.root}"})
        error(C.get(f"{API}/artifacts/list", {"run_id": "0" * 32}), 404, "RESOURCE_DOES_NOT_EXIST")
        error(C.get(f"{API}/artifacts/list", {"run_id": self.run_id, "path": "../x"}), 400)
        # Overwrite replaces the bytes.
        ok(C.put(f"{ARTIFACTS}/{r}/a.txt", b"bye"))
        self.assertEqual(C.get(f"{ARTIFACTS}/{r}/a.txt").content, b"bye")
        # Delete.
        self.assertEqual(ok(C.delete(f"{ARTIFACTS}/{r}/a.txt")), {})
        error(C.get(f"{ARTIFACTS}/{r}/a.txt"), 404, "RESOURCE_DOES_NOT_EXIST")
        self.assertNotIn("a.txt", {f["path"] for f in self.listing(r)["files"]})

    def test_missing_download_is_404(self):
        error(C.get(f"{ARTIFACTS}/{self.root}/never/was.txt"), 404, "RESOURCE_DOES_NOT_EXIST")
        error(C.get(f"{ARTIFACTS}/9999/nope.bin"), 404, "RESOURCE_DOES_NOT_EXIST")
        r = C.delete(f"{ARTIFACTS}/{self.root}/never/was.txt")
        self.assertLess(r.status_code, 500)

    def test_streamed_50mb_upload(self):
        size = 50 * 1024 * 1024
        digest = hashlib.sha256()
        with tempfile.NamedTemporaryFile(prefix="sluice-e2e-big-") as f:
            chunk = os.urandom(1024 * 1024)
            for i in range(50):
                block = bytes([i]) + chunk[1:]
                f.write(block)
                digest.update(block)
            f.flush()
            f.seek(0)
            # As the client does: `requests.put(url, data=open(file, "rb"))` (Content-Length).
            ok(C.put(f"{ARTIFACTS}/{self.root}/big/blob.bin", f))
        resp = C.session.get(f"{C.base}{ARTIFACTS}/{self.root}/big/blob.bin", stream=True, timeout=120)
        self.assertEqual(resp.status_code, 200)
        self.assertEqual(int(resp.headers["Content-Length"]), size)
        got = hashlib.sha256()
        n = 0
        for part in resp.iter_content(1 << 20):
            got.update(part)
            n += len(part)
        self.assertEqual(n, size)
        self.assertEqual(got.hexdigest(), digest.hexdigest())
        listing = self.listing(f"{self.root}/big")
        self.assertEqual(listing["files"], [{"path": "blob.bin", "is_dir": False, "file_size": size}])

    def test_chunked_upload(self):
        def gen():
            for i in range(10):
                yield bytes([i]) * 10000
        ok(C.put(f"{ARTIFACTS}/{self.root}/chunked.bin", gen()))
        self.assertEqual(C.get(f"{ARTIFACTS}/{self.root}/chunked.bin").content,
                         b"".join(bytes([i]) * 10000 for i in range(10)))

    def test_bad_paths(self):
        before = self.listing(self.root)
        r = self.root
        targets = [
            f"{ARTIFACTS}/{r}/../escape.txt",
            f"{ARTIFACTS}/{r}/a/../../../escape.txt",
            f"{ARTIFACTS}/../../etc/passwd",
            f"{ARTIFACTS}//etc/passwd",
            f"{ARTIFACTS}/{r}/%2e%2e/escape.txt",
            f"{ARTIFACTS}/{r}/..%2Fescape.txt",
            f"{ARTIFACTS}/{r}/a%5C..%5C..%5Cescape.txt",
            f"{ARTIFACTS}/{r}/./dot.txt",
            f"{ARTIFACTS}/{r}/nul%00byte.txt",
            f"{ARTIFACTS}/{r}//double.txt",
        ]
        for target in targets:
            for method in ("PUT", "GET", "DELETE"):
                with self.subTest(method=method, target=target):
                    body = b"x" if method == "PUT" else b""
                    status, headers, data = C.raw(method, target, body,
                                                  {"Content-Type": "application/octet-stream"})
                    self.assertIn(status, (400, 404), f"{method} {target} -> {status} {data[:200]}")
                    check_error_body(data.decode("utf-8", "replace"), where=f"{method} {target}")
                    if method == "PUT":
                        self.assertEqual(status, 400, f"PUT {target} -> {status} {data[:200]}")
        for path in ("../", "a/../..", "/etc", "..", "a/../../b"):
            with self.subTest(list_path=path):
                error(C.get(ARTIFACTS, {"path": path}), 400, "INVALID_PARAMETER_VALUE")
        self.assertEqual(self.listing(self.root), before)
        top = self.listing("")
        self.assertNotIn("escape.txt", json.dumps(top))
        self.assertFalse(os.path.exists(os.path.join(WS.path, "escape.txt")))
        self.assertFalse(os.path.exists(os.path.join(WS.dir, "escape.txt")))

    def test_multipart_is_501(self):
        for step in ("create", "complete", "abort"):
            with self.subTest(step=step):
                error(C.post(f"/api/2.0/mlflow-artifacts/mpu/{step}/{self.root}/big.bin",
                             {"path": "big.bin", "num_parts": 2}), 501, "NOT_IMPLEMENTED")


class WireErrors(unittest.TestCase):
    def test_malformed_json(self):
        for body in (b"{", b'{"name": }', b"not json", b'{"name": "x"} trailing', b"\xff\xfe"):
            with self.subTest(body=body):
                r = C.call("POST", f"{API}/experiments/create", data=body,
                           headers={"Content-Type": "application/json"})
                error(r, 400, "INVALID_PARAMETER_VALUE")
        for body in (b"[]", b'"name"', b"42", b"null"):
            with self.subTest(body=body):
                r = C.call("POST", f"{API}/experiments/create", data=body,
                           headers={"Content-Type": "application/json"})
                error(r, 400, "INVALID_PARAMETER_VALUE")

    def test_wrong_content_type(self):
        name = uniq("ct")
        for ct in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
            with self.subTest(ct=ct):
                r = C.call("POST", f"{API}/experiments/create", data=json.dumps({"name": name}),
                           headers={"Content-Type": ct})
                error(r, 400, "INVALID_PARAMETER_VALUE", "Content-Type")
        error(C.get(f"{API}/experiments/get-by-name", {"experiment_name": name}), 404)
        # charset parameter and case are fine.
        ok(C.call("POST", f"{API}/experiments/create", data=json.dumps({"name": name}),
                  headers={"Content-Type": "Application/JSON; charset=utf-8"}))

    def test_unknown_endpoint_and_method(self):
        for method, path in (("GET", f"{API}/nope"), ("POST", f"{API}/runs/explode"),
                             ("GET", "/api/2.0/unknown"), ("GET", "/")):
            with self.subTest(path=path):
                r = C.call(method, path, {} if method == "POST" else None)
                error(r, 404, "ENDPOINT_NOT_FOUND")
        r = C.get(f"{API}/runs/create")
        self.assertIn(r.status_code, (404, 405))
        check_error_body(r.text, "ENDPOINT_NOT_FOUND")

    def test_no_5xx_for_wrong_types(self):
        """Every endpoint, every scalar/list/object field given values of the wrong type."""
        exp_id = new_experiment()
        rid = new_run(exp_id)["info"]["run_id"]
        mid = ok(C.post(f"{API}/logged-models", {"experiment_id": exp_id}))["model"]["info"]["model_id"]
        t = now_ms()
        endpoints = {
            "experiments/create": {"name": uniq(), "artifact_location": "", "tags": []},
            "experiments/search": {"max_results": 10, "filter": "", "order_by": [], "view_type": "ALL",
                                   "page_token": ""},
            "experiments/update": {"experiment_id": exp_id, "new_name": uniq()},
            "experiments/set-experiment-tag": {"experiment_id": exp_id, "key": "k", "value": "v"},
            "experiments/delete-experiment-tag": {"experiment_id": exp_id, "key": "k"},
            "runs/create": {"experiment_id": exp_id, "start_time": t, "run_name": "x", "user_id": "u", "tags": []},
            "runs/update": {"run_id": rid, "status": "RUNNING", "end_time": t, "run_name": "y"},
            "runs/log-metric": {"run_id": rid, "key": "m", "value": 1.0, "timestamp": t, "step": 0},
            "runs/log-parameter": {"run_id": rid, "key": "p", "value": "v"},
            "runs/set-tag": {"run_id": rid, "key": "t", "value": "v"},
            "runs/delete-tag": {"run_id": rid, "key": "t"},
            "runs/log-batch": {"run_id": rid, "metrics": [], "params": [], "tags": []},
            "runs/log-inputs": {"run_id": rid, "datasets": []},
            "runs/log-model": {"run_id": rid, "model_json": "{}"},
            "runs/outputs": {"run_id": rid, "models": []},
            "runs/search": {"experiment_ids": [exp_id], "filter": "", "run_view_type": "ALL",
                            "max_results": 10, "order_by": [], "page_token": ""},
            "logged-models": {"experiment_id": exp_id, "name": "n", "params": [], "tags": []},
            "logged-models/search": {"experiment_ids": [exp_id], "max_results": 5},
            f"logged-models/{mid}/params": {"params": []},
        }
        wrong = [None, True, 12345678901234567890, -1, 1.5, "", "x" * 300, [], ["a", 1], {}, {"a": [1]},
                 "NaN", "\u0000", "\ud7ff"]
        n = 0
        for ep, good in endpoints.items():
            for field in good:
                for value in wrong:
                    body = dict(good)
                    body[field] = value
                    r = C.post(f"{API}/{ep}", body)
                    n += 1
                    self.assertLess(r.status_code, 500, f"POST {ep} {field}={value!r}: {r.status_code} {r.text[:300]}")
                    if r.status_code != 200:
                        check_error_body(r.text, where=f"POST {ep} {field}={value!r}")
        for ep, params in (("runs/get", {"run_id": rid}), ("experiments/get", {"experiment_id": exp_id}),
                           ("metrics/get-history", {"run_id": rid, "metric_key": "m", "max_results": 5}),
                           ("experiments/search", {"max_results": 5}),
                           ("artifacts/list", {"run_id": rid, "path": ""})):
            for field in params:
                for value in ("", "x" * 300, "-1", "99999999999999999999999", "%", "\u00e9"):
                    r = C.get(f"{API}/{ep}", {**params, field: value})
                    n += 1
                    self.assertLess(r.status_code, 500, f"GET {ep} {field}={value!r}: {r.status_code} {r.text[:300]}")
        patch = C.patch(f"{API}/logged-models/{mid}", {"status": 7})
        self.assertLess(patch.status_code, 500)
        self.assertGreater(n, 400)


class ZBodyLimit(unittest.TestCase):
    """A second server with --max-body-mb 1: a 2 MiB JSON body gets 413, uploads still stream."""

    def test_body_too_large(self):
        server = Server(SLUICE, WS.path, ["--max-body-mb", "1"])
        try:
            c = Client(server.url)
            exp_id = ok(c.post(f"{API}/experiments/create", {"name": uniq("limit")}))["experiment_id"]
            rid = ok(c.post(f"{API}/runs/create", {"experiment_id": exp_id}))["run"]["info"]["run_id"]
            t = now_ms()
            big = {"run_id": rid, "tags": [{"key": "t", "value": "v" * 8000}] * 1,
                   "metrics": [{"key": "m" + "x" * 2000, "value": 1, "timestamp": t}] * 1000}
            body = json.dumps(big).encode()
            self.assertGreater(len(body), 1 << 20)
            r = c.call("POST", f"{API}/runs/log-batch", data=body, headers={"Content-Type": "application/json"})
            error(r, 413)
            self.assertEqual(ok(c.get(f"{API}/runs/get", {"run_id": rid}))["run"]["data"].get("metrics", []), [])
            # The server is still fine, and uploads are not limited by --max-body-mb.
            self.assertEqual(c.get("/health").status_code, 200)
            data = os.urandom(3 << 20)
            ok(c.put(f"{ARTIFACTS}/{exp_id}/{rid}/artifacts/three-mb.bin", data))
            self.assertEqual(c.get(f"{ARTIFACTS}/{exp_id}/{rid}/artifacts/three-mb.bin").content, data)
        finally:
            self.assertEqual(server.stop(), 0)
            server.cleanup_logs()


class ServerLifecycle(unittest.TestCase):
    def test_sigterm_exits_zero(self):
        """SIGTERM stops the server cleanly with exit code 0 (an older build segfaulted here,
        in Server::~Server destroying the router)."""
        server = Server(SLUICE, WS.path)
        try:
            c = Client(server.url)
            self.assertEqual(c.get("/health").status_code, 200)
        finally:
            code = server.stop()
            server.cleanup_logs()
        self.assertEqual(code, 0)


class ZZNoServerErrors(unittest.TestCase):
    def test_no_server_errors_recorded(self):
        """Runs last: no request in this module got a 5xx (the 501s for multipart aside)."""
        errors = C.server_errors()
        self.assertEqual(errors, [], f"5xx answers: {errors[:20]}")


if __name__ == "__main__":
    SLUICE = parse_sluice_arg()
    unittest.main(verbosity=2)
