"""Inference over HTTP on the real `sluice server --model ...`: the Open Inference Protocol v2 and
MLflow's scoring protocol, their errors, and hot reload: a load keeps running while the served
alias moves back and forth 50 times; no request may fail, and every answer must be exactly the
old version's or the new version's, never a mix.
"""
import json
import os
import random
import subprocess
import sys
import threading
import time
import unittest

import requests

from sluice_e2e import Server, TempWorkspace, parse_sluice_arg

SLUICE = None
ALIAS_MOVES = 50
COLUMNS = ["tenure", "plan", "calls"]


def sluice(workspace, *args):
    proc = subprocess.run([SLUICE, *args, "--workspace", workspace], capture_output=True,
                          text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"sluice {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout


def write_data(path, rows, seed):
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write("tenure,plan,calls,churned\n")
        for _ in range(rows):
            tenure = rng.randint(0, 72)
            plan = rng.choice(["basic", "pro", "team"])
            calls = rng.randint(0, 9)
            risk = 1.2 - tenure / 40 + calls * 0.25 + (0.4 if plan == "basic" else 0) + rng.random() - 0.5
            f.write(f"{tenure},{plan},{calls},{'yes' if risk > 0.5 else 'no'}\n")


def write_numeric_data(path, rows, seed):
    """The churn data without its categorical column: a model on it takes the numeric fast path."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write("tenure,calls,spend,churned\n")
        for _ in range(rows):
            tenure = rng.randint(0, 72)
            calls = rng.randint(0, 9)
            spend = round(rng.uniform(5, 120), 3)
            risk = 1.2 - tenure / 40 + calls * 0.25 - spend / 400 + rng.random() - 0.5
            f.write(f"{tenure},{calls},{spend},{'yes' if risk > 0.5 else 'no'}\n")


NUMERIC = ["tenure", "calls", "spend"]


def numeric_rows(rows, seed):
    rng = random.Random(seed)
    return [[rng.randint(0, 72), rng.randint(0, 9) if rng.random() > 0.1 else None,
             round(rng.uniform(5, 120), rng.randint(0, 6))] for _ in range(rows)]


def batch(rows, seed):
    rng = random.Random(seed)
    return {
        "tenure": [rng.randint(0, 72) for _ in range(rows)],
        "plan": [rng.choice(["basic", "pro", "team", "unseen"]) for _ in range(rows)],
        "calls": [rng.randint(0, 9) for _ in range(rows)],
    }


def oip_body(columns, request_id="r"):
    types = {"tenure": "INT64", "plan": "BYTES", "calls": "INT64"}
    n = len(columns["tenure"])
    return {"id": request_id,
            "inputs": [{"name": c, "shape": [n], "datatype": types[c], "data": columns[c]}
                       for c in COLUMNS]}


class ServingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ws = TempWorkspace(SLUICE)
        data = os.path.join(cls.ws.dir, "churn.csv")
        write_data(data, 1500, 1)
        common = ["--data", data, "--target", "churned", "--register", "churn",
                  "--set", "xgboost.nthread=1"]
        sluice(cls.ws.path, "train", *common, "--set", "xgboost.num_rounds=40")
        sluice(cls.ws.path, "train", *common, "--set", "xgboost.num_rounds=3",
               "--set", "xgboost.max_depth=2")
        sluice(cls.ws.path, "models", "alias", "churn", "production", "1")
        numeric = os.path.join(cls.ws.dir, "numeric.csv")
        write_numeric_data(numeric, 1000, 2)
        for name, algo in (("numeric", "xgboost"), ("numeric_linear", "linear")):
            sluice(cls.ws.path, "train", "--data", numeric, "--target", "churned", "--algo", algo,
                   "--register", name, "--set", "xgboost.nthread=1",
                   "--set", "xgboost.num_rounds=30")
        cls.server = Server(SLUICE, cls.ws.path, extra_args=[
            "--model", "churn=models:/churn@production",
            "--model", "v1=models:/churn/1", "--model", "v2=models:/churn/2",
            "--model", "num=models:/numeric/1", "--model", "lin=models:/numeric_linear/1",
            "--log-predictions", "1"])
        cls.url = cls.server.url
        cls.http = requests.Session()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.server.stop()
            assert code == 0, f"server exited with {code}: {cls.server.stderr()}"
        finally:
            cls.ws.remove()

    def infer(self, model, body, session=None):
        return (session or self.http).post(f"{self.url}/v2/models/{model}/infer", json=body,
                                           timeout=30)

    def test_open_inference_protocol(self):
        self.assertEqual(self.http.get(f"{self.url}/v2/health/live").json(), {"live": True})
        self.assertEqual(self.http.get(f"{self.url}/v2/health/ready").json(), {"ready": True})
        meta = self.http.get(f"{self.url}/v2/models/v1").json()
        self.assertEqual(meta["versions"], ["1"])
        self.assertEqual([i["name"] for i in meta["inputs"]], COLUMNS)
        self.assertEqual(meta["outputs"][0]["datatype"], "FP32")
        self.assertEqual(self.http.get(f"{self.url}/v2/models/v1/versions/1/ready").json(),
                         {"name": "v1", "ready": True})

        columns = batch(5, 2)
        named = self.infer("v1", oip_body(columns, "abc"))
        self.assertEqual(named.status_code, 200, named.text)
        out = named.json()
        self.assertEqual(out["id"], "abc")
        self.assertEqual(out["model_version"], "1")
        self.assertEqual(out["outputs"][0]["shape"], [5])
        probabilities = out["outputs"][0]["data"]
        self.assertTrue(all(0 <= p <= 1 for p in probabilities))

        # The same rows as one [rows, 3] tensor in the model's input order, flat or nested.
        rows = [[columns[c][i] for c in COLUMNS] for i in range(5)]
        positional = self.infer("v1", {"inputs": [{"name": "input-0", "shape": [5, 3],
                                                   "datatype": "BYTES", "data": rows}]})
        self.assertEqual(positional.status_code, 200, positional.text)
        self.assertEqual(positional.json()["outputs"][0]["data"], probabilities)
        versioned = self.http.post(f"{self.url}/v2/models/v1/versions/1/infer",
                                   json=oip_body(columns))
        self.assertEqual(versioned.json()["outputs"][0]["data"], probabilities)

    def test_mlflow_scoring_protocol_gives_the_same_answers(self):
        columns = batch(4, 3)
        expected = self.infer("v2", oip_body(columns)).json()["outputs"][0]["data"]
        rows = [[columns[c][i] for c in COLUMNS] for i in range(4)]
        records = [dict(zip(COLUMNS, r)) for r in rows]
        url = f"{self.url}/models/v2/invocations"
        for body in ({"dataframe_split": {"columns": COLUMNS, "data": rows}},
                     {"dataframe_records": records},
                     {"instances": records},
                     {"instances": rows},
                     {"inputs": columns}):
            resp = self.http.post(url, json=body)
            self.assertEqual(resp.status_code, 200, f"{body}: {resp.text}")
            self.assertEqual(resp.json()["predictions"], expected, body)
        csv = "tenure,plan,calls\n" + "".join(f"{r[0]},{r[1]},{r[2]}\n" for r in rows)
        resp = self.http.post(url, data=csv, headers={"Content-Type": "text/csv"})
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(resp.json()["predictions"], expected)
        self.assertEqual(self.http.get(f"{self.url}/ping").status_code, 200)

    def test_answers_carry_request_ids_and_are_logged_for_monitoring(self):
        columns = batch(3, 9)
        mine = self.infer("v2", oip_body(columns, "body-id"))
        self.assertEqual(mine.status_code, 200, mine.text)
        generated = mine.headers["X-Request-Id"]
        self.assertRegex(generated, r"^[0-9a-f]{32}$")
        self.assertEqual(mine.json()["id"], "body-id")
        traced = self.http.post(f"{self.url}/models/v2/invocations",
                                json={"inputs": columns}, headers={"X-Request-Id": "trace-42"})
        self.assertEqual(traced.headers["X-Request-Id"], "trace-42")
        no_id = dict(oip_body(columns))
        del no_id["id"]
        unnamed = self.infer("v2", no_id)
        self.assertEqual(unnamed.json()["id"], unnamed.headers["X-Request-Id"])
        expected = mine.json()["outputs"][0]["data"]

        day = time.strftime("%Y-%m-%d", time.gmtime())
        log_file = os.path.join(self.ws.path, ".sluice", "predictions", "v2", f"{day}.jsonl")
        lines = []
        for _ in range(100):  # the log is written every 500 ms
            if os.path.exists(log_file):
                with open(log_file) as f:
                    lines = [json.loads(l) for l in f]
                if {l["_request_id"] for l in lines} >= {generated, "trace-42"}:
                    break
            time.sleep(0.1)
        for request_id in (generated, "trace-42"):
            rows = [l for l in lines if l["_request_id"] == request_id]
            self.assertEqual(len(rows), 3, f"{request_id} in {log_file}")
            self.assertEqual([r["tenure"] for r in rows], columns["tenure"])
            self.assertEqual([r["plan"] for r in rows], columns["plan"])
            self.assertEqual([r["_prediction"] for r in rows], expected)
            self.assertTrue(all(r["_model_version"] == "2" and r["_latency_us"] >= 0 for r in rows))
        metrics = self.http.get(f"{self.url}/metrics").text
        written = [l for l in metrics.splitlines()
                   if l.startswith('sluice_prediction_log_rows_total{outcome="written"}')]
        self.assertEqual(len(written), 1, metrics)
        self.assertGreaterEqual(float(written[0].split()[-1]), 6)

    def test_micro_batching_combines_concurrent_requests_without_changing_answers(self):
        batched = Server(SLUICE, self.ws.path, extra_args=[
            "--model", "v1=models:/churn/1", "--batch-delay-us", "5000", "--batch-max-rows", "16"])
        try:
            bodies = [oip_body(batch(1 + i % 3, 100 + i), f"r{i}") for i in range(64)]
            expected = [self.infer("v1", b).json()["outputs"][0]["data"] for b in bodies]
            failures = []

            def client(indexes):
                session = requests.Session()
                for i in indexes:
                    resp = session.post(f"{batched.url}/v2/models/v1/infer", json=bodies[i],
                                        timeout=30)
                    if resp.status_code != 200 or resp.json()["outputs"][0]["data"] != expected[i]:
                        failures.append(f"{i}: {resp.status_code} {resp.text}")

            threads = [threading.Thread(target=client, args=(range(t, 64, 8),)) for t in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(failures, [])
            bad = requests.post(f"{batched.url}/v2/models/v1/infer",
                                json={"inputs": [{"name": "tenure", "shape": [1],
                                                  "datatype": "INT64", "data": [3]}]})
            self.assertEqual(bad.status_code, 400)
            self.assertIn("input 'plan' is missing", bad.json()["error"])
            values = {}
            for line in requests.get(f"{batched.url}/metrics").text.splitlines():
                if line.startswith("sluice_micro_batch"):
                    name, value = line.split()
                    values[name] = float(value)
            self.assertEqual(values["sluice_micro_batch_requests_total"], 64)
            self.assertLess(values["sluice_micro_batch_batches_total"], 64)
        finally:
            self.assertEqual(batched.stop(), 0, batched.stderr())

    def test_requests_are_checked_against_the_suite_the_training_data_passed(self):
        suite = os.path.join(self.ws.dir, "inputs.yaml")
        with open(suite, "w") as f:
            f.write("name: churn-inputs\nexpectations:\n"
                    "  - expect_table_row_count_to_be_between: {min_value: 100}\n"
                    "  - expect_column_values_to_be_between: {column: tenure, min_value: 0,"
                    " max_value: 72}\n"
                    "  - expect_column_values_to_be_in_set: {column: plan,"
                    " value_set: [basic, pro, team]}\n")
        sluice(self.ws.path, "train", "--data", os.path.join(self.ws.dir, "churn.csv"),
               "--target", "churned", "--suite", suite, "--register", "checked",
               "--set", "xgboost.num_rounds=5", "--set", "xgboost.nthread=1")
        good = oip_body({"tenure": [3, 40], "plan": ["pro", "basic"], "calls": [1, 2]})
        bad = oip_body({"tenure": [300, 40], "plan": ["gold", "basic"], "calls": [1, 2]})
        for mode in ("count", "reject"):
            server = Server(SLUICE, self.ws.path, extra_args=[
                "--model", "checked=models:/checked/1", "--check-inputs", mode])
            try:
                url = f"{server.url}/v2/models/checked/infer"
                self.assertEqual(requests.post(url, json=good, timeout=30).status_code, 200)
                answer = requests.post(url, json=bad, timeout=30)
                split = {"dataframe_split": {"columns": COLUMNS, "data": [[300, "gold", 1]]}}
                mlflow = requests.post(f"{server.url}/invocations", json=split, timeout=30)
                if mode == "count":
                    self.assertEqual(answer.status_code, 200, answer.text)
                    self.assertEqual(mlflow.status_code, 200, mlflow.text)
                else:
                    self.assertEqual(answer.status_code, 400)
                    self.assertEqual(
                        answer.json()["error"],
                        "the request breaks the model's input expectations (suite "
                        "'churn-inputs'): expect_column_values_to_be_between on tenure: 1 row; "
                        "expect_column_values_to_be_in_set on plan: 1 row")
                    self.assertEqual(mlflow.status_code, 400)
                    self.assertIn("expect_column_values_to_be_in_set on plan: 1 row",
                                  mlflow.json()["message"])
                metrics = requests.get(f"{server.url}/metrics", timeout=30).text
                self.assertIn('sluice_input_checked_rows_total{model="checked"} 5\n', metrics)
                self.assertIn('sluice_input_failed_rows_total{model="checked",index="2",'
                              'expectation="expect_column_values_to_be_between",column="tenure"} 2\n',
                              metrics)
                self.assertIn('sluice_input_failed_rows_total{model="checked",index="3",'
                              'expectation="expect_column_values_to_be_in_set",column="plan"} 2\n',
                              metrics)
                self.assertNotIn("row_count", metrics)
            finally:
                self.assertEqual(server.stop(), 0, server.stderr())

    def test_bad_requests_are_clear_and_change_nothing(self):
        cases = [
            ("churn", {"inputs": [{"name": "tenure", "shape": [1], "datatype": "INT64",
                                   "data": [3]}]}, 400, "input 'plan' is missing"),
            ("churn", {"inputs": [{"name": "tenure", "shape": [1], "datatype": "INT64", "data": [1]},
                                  {"name": "plan", "shape": [1], "datatype": "BYTES", "data": ["pro"]},
                                  {"name": "calls", "shape": [1], "datatype": "INT64", "data": [1]},
                                  {"name": "extra", "shape": [1], "datatype": "INT64", "data": [1]}]},
             400, "'extra' is not an input of the model"),
            ("churn", {"inputs": [{"name": "tenure", "shape": [2], "datatype": "INT64", "data": [1]}]},
             400, "shape [2] needs 2 values, data has 1"),
            ("churn", {"inputs": [{"name": "tenure", "shape": [1], "datatype": "INT64", "data": ["x"]},
                                  {"name": "plan", "shape": [1], "datatype": "BYTES", "data": ["pro"]},
                                  {"name": "calls", "shape": [1], "datatype": "INT64", "data": [1]}]},
             400, "input 'tenure' row 0: expected a number, got \"x\""),
            ("churn", {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]},
             400, "has 2 columns per row; the model takes 3"),
            ("nope", oip_body(batch(1, 1)), 404, "model 'nope' is not served here"),
        ]
        for model, body, status, message in cases:
            resp = self.infer(model, body)
            self.assertEqual(resp.status_code, status, f"{body}: {resp.text}")
            self.assertIn(message, resp.json()["error"])
        resp = self.http.post(f"{self.url}/v2/models/churn/infer", data="{not json")
        self.assertEqual(resp.status_code, 400)
        resp = self.http.post(f"{self.url}/v2/models/v1/versions/7/infer", json=oip_body(batch(1, 1)))
        self.assertEqual(resp.status_code, 404)
        self.assertIn("version 7 is not served", resp.json()["error"])
        resp = self.http.post(f"{self.url}/models/v1/invocations", json={"rows": []})
        self.assertEqual(resp.status_code, 400)
        self.assertEqual(resp.json()["error_code"], "BAD_REQUEST")
        self.assertIn("dataframe_split", resp.json()["message"])

    def post_raw(self, model, body, headers=None):
        return self.http.post(f"{self.url}/v2/models/{model}/infer", data=body,
                              headers={"Content-Type": "application/json", **(headers or {})},
                              timeout=30)

    def test_numeric_fast_path_answers_byte_for_byte_like_the_general_path(self):
        rows = numeric_rows(7, 5)
        n = len(rows)
        flat = [v for r in rows for v in r]

        def tensor(name, shape, data, datatype="FP64"):
            return {"name": name, "shape": shape, "datatype": datatype, "data": data}

        # Forms the fast path takes: one [n, 3] tensor, flat or nested; one tensor per column.
        fast = [
            {"id": "r1", "inputs": [tensor("input-0", [n, 3], flat, "FP32")]},
            {"id": "r1", "inputs": [tensor("input-0", [n, 3], rows)],
             "parameters": {"content_type": "np"}},
            {"inputs": [tensor(c, [n] if i != 1 else [n, 1],
                               [r[i] for r in rows] if i != 1 else [[r[i]] for r in rows],
                               "INT64" if i < 2 else "FP32")
                        for i, c in reversed(list(enumerate(NUMERIC)))], "id": "r1"},
        ]
        fast_bodies = [json.dumps(b) for b in fast]
        # The same requests in forms it leaves to the general path: an escaped name, a byte-order
        # mark, an escaped id.
        general_bodies = [
            fast_bodies[0].replace('"input-0"', '"input\\u002d0"'),
            "\ufeff" + fast_bodies[1],
            fast_bodies[2].replace('"r1"', '"r\\u0031"'),
        ]
        for model in ("num", "lin"):
            answers = []
            for body in fast_bodies + general_bodies:
                resp = self.post_raw(model, body.encode(), {"X-Request-Id": "same-id"})
                self.assertEqual(resp.status_code, 200, f"{body}: {resp.text}")
                self.assertEqual(resp.headers["X-Request-Id"], "same-id")
                self.assertEqual(resp.headers["X-Model-Version"], "1")
                self.assertEqual(resp.headers["Content-Type"], "application/json")
                answers.append(resp.content)
            self.assertEqual(answers, [answers[0]] * len(answers), model)
            out = json.loads(answers[0])
            self.assertEqual(out["id"], "r1")
            self.assertEqual(out["outputs"][0]["shape"], [n])
            self.assertEqual(out["outputs"][0]["datatype"], "FP32" if model == "num" else "FP64")
            # MLflow's protocol (always the general path) agrees.
            mlflow = self.http.post(f"{self.url}/models/{model}/invocations",
                                    json={"dataframe_split": {"columns": NUMERIC, "data": rows}})
            self.assertEqual(mlflow.json()["predictions"], out["outputs"][0]["data"])

        # Without an id in the body, the answer's id is the request id, as before.
        no_id = json.dumps({"inputs": [tensor("input-0", [n, 3], flat)]}).encode()
        resp = self.post_raw("num", no_id)
        self.assertEqual(resp.json()["id"], resp.headers["X-Request-Id"])

        # Malformed bodies get the general path's messages.
        cases = [
            ("{not json", "the body is not valid JSON"),
            ('{"inputs": []}', 'the request needs "inputs": a list of tensors, each with name, '
                               'shape, datatype and data'),
            (json.dumps({"inputs": [tensor("input-0", [2, 3], [1, 2, 3])]}),
             "input 'input-0': shape [2,3] needs 6 values, data has 3"),
            (json.dumps({"inputs": [tensor("input-0", [1, 3], [1, "2", 3])]}),
             "input 'calls' row 0: expected a number, got \"2\""),
            (json.dumps({"inputs": [tensor("input-0", [1, 2], [1, 2])]}),
             "input 'input-0' has 2 columns per row; the model takes 3 (tenure, calls, spend)"),
            (json.dumps({"inputs": [tensor("tenure", [1], [1])]}),
             "input 'calls' is missing; the model takes: tenure, calls, spend"),
            (json.dumps({"inputs": [tensor("input-0", [1, 3], [1, 2, 3], "FLOAT")]}),
             "input 'input-0': datatype 'FLOAT' is not an Open Inference Protocol type "
             "(BOOL, INT8..INT64, UINT8..UINT64, FP16, FP32, FP64, BYTES)"),
            (fast_bodies[0] + ",", "the body is not valid JSON"),
        ]
        for body, message in cases:
            resp = self.post_raw("num", body.encode())
            self.assertEqual(resp.status_code, 400, f"{body}: {resp.text}")
            self.assertEqual(resp.json(), {"error": message}, body)

        # Fast-path answers reach the prediction log like the general path's.
        resp = self.post_raw("num", fast_bodies[0].encode(), {"X-Request-Id": "fast-logged"})
        expected = resp.json()["outputs"][0]["data"]
        day = time.strftime("%Y-%m-%d", time.gmtime())
        log_file = os.path.join(self.ws.path, ".sluice", "predictions", "num", f"{day}.jsonl")
        logged = []
        for _ in range(100):  # the log is written every 500 ms
            if os.path.exists(log_file):
                with open(log_file) as f:
                    logged = [l for l in map(json.loads, f) if l["_request_id"] == "fast-logged"]
                if len(logged) == n:
                    break
            time.sleep(0.1)
        self.assertEqual(len(logged), n, log_file)
        self.assertEqual([[l[c] for c in NUMERIC] for l in logged], rows)
        self.assertEqual([l["_prediction"] for l in logged], expected)

    def test_alias_moves_under_load_never_fail_or_mix(self):
        columns = batch(30, 4)
        body = oip_body(columns)
        expected = {v: self.infer(f"v{v}", body).json()["outputs"][0]["data"] for v in ("1", "2")}
        self.assertNotEqual(expected["1"], expected["2"])

        stop = threading.Event()
        failures, seen = [], {"1": 0, "2": 0}
        lock = threading.Lock()

        def load():
            session = requests.Session()
            while not stop.is_set():
                try:
                    resp = self.infer("churn", body, session)
                except requests.RequestException as e:
                    with lock:
                        failures.append(repr(e))
                    continue
                with lock:
                    if resp.status_code != 200:
                        failures.append(f"{resp.status_code} {resp.text}")
                        continue
                    out = resp.json()
                    version = out["model_version"]
                    if out["outputs"][0]["data"] != expected.get(version):
                        failures.append(f"answer of version {version} is neither version's")
                    seen[version] = seen.get(version, 0) + 1
            session.close()

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        swaps = 0
        try:
            for move in range(ALIAS_MOVES):
                target = "2" if move % 2 == 0 else "1"
                resp = self.http.post(f"{self.url}/api/2.0/mlflow/registered-models/alias",
                                      json={"name": "churn", "alias": "production",
                                            "version": target})
                self.assertEqual(resp.status_code, 200, resp.text)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    served = self.infer("churn", body).json()["model_version"]
                    if served == target:
                        swaps += 1
                        break
                    time.sleep(0.005)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
        self.assertEqual(failures[:5], [])
        self.assertEqual(swaps, ALIAS_MOVES)
        self.assertGreater(seen["1"], 0)
        self.assertGreater(seen["2"], 0)
        meta = self.http.get(f"{self.url}/v2/models/churn").json()
        self.assertEqual(meta["versions"], ["1"])  # the last move pointed back at version 1

        # Prometheus sees the same story.
        metrics = self.http.get(f"{self.url}/metrics")
        self.assertTrue(metrics.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        values = {}
        for line in metrics.text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        self.assertEqual(values['sluice_model_reloads_total{model="churn"}'], ALIAS_MOVES)
        self.assertGreaterEqual(values['sluice_inference_requests_total{model="churn",outcome="ok"}'],
                                seen["1"] + seen["2"])
        self.assertEqual(values['sluice_inference_requests_total{model="churn",outcome="server_error"}'], 0)
        self.assertIn('sluice_model_version_info{model="churn",uri="models:/churn@production",'
                      'version="1"}', values)
        self.assertEqual(values['sluice_inference_latency_seconds_bucket{model="churn",le="+Inf"}'],
                         values['sluice_inference_latency_seconds_count{model="churn"}'])


if __name__ == "__main__":
    SLUICE = parse_sluice_arg()
    unittest.main(verbosity=2)
