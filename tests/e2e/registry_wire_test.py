#!/usr/bin/python3
"""End-to-end tests of the model registry over HTTP against a real `sluice server`.

    /usr/bin/python3 tests/e2e/registry_wire_test.py --sluice build/apps/sluice/sluice [-v]

Drives MLflow's registry endpoints the way the MLflow client does (register_model's sequence,
aliases, stages, get-latest-versions by POST and GET, search with the MLflow 3 prompt clause,
download URIs, every error code), checks that a refused request writes nothing and that no
caller mistake gets a 5xx, then Sluice's own history, promote, rollback and event feed. The
server is stopped by PID with SIGTERM at the end.
"""
import base64
import os
import sys
import threading
import time
import unittest
import uuid
from urllib.parse import quote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sluice_e2e import API, Client, ServedWorkspace, error, now_ms, ok, parse_sluice_arg

SLUICE = None
WS = None
SERVER = None
C = None
SLUICE_API = "/api/sluice/v1"
PROMPT_CLAUSE = "tag.`mlflow.prompt.is_prompt` != 'true'"


ENV = None


def setUpModule():
    global ENV, WS, SERVER, C
    ENV = ServedWorkspace(SLUICE)
    WS, SERVER, C = ENV.ws, ENV.server, ENV.client


def tearDownModule():
    if ENV is not None:
        ENV.close()


def uniq(prefix="m"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_run():
    exp = ok(C.post(f"{API}/experiments/create", {"name": uniq("exp")}))["experiment_id"]
    run = ok(C.post(f"{API}/runs/create", {"experiment_id": exp, "start_time": now_ms()}))["run"]
    return run["info"]


def register_model(name, run_info, path="model"):
    """mlflow.register_model("runs:/<id>/model", name): create (ignoring a duplicate), create the
    version, poll until READY."""
    r = C.post(f"{API}/registered-models/create", {"name": name})
    if r.status_code != 200:
        error(r, 400, "RESOURCE_ALREADY_EXISTS")
    v = ok(C.post(f"{API}/model-versions/create", {
        "name": name, "source": f"runs:/{run_info['run_id']}/{path}",
        "run_id": run_info["run_id"]}))["model_version"]
    for _ in range(50):
        got = ok(C.get(f"{API}/model-versions/get", {"name": name, "version": v["version"]}))
        if got["model_version"]["status"] == "READY":
            return got["model_version"]
    raise AssertionError("version never READY")


def get_model(name):
    return ok(C.get(f"{API}/registered-models/get", {"name": name}))["registered_model"]


def history(name):
    return ok(C.get(f"{SLUICE_API}/models/{quote(name, safe='')}/history"))["entries"]


class RegisteredModels(unittest.TestCase):
    def test_create_get_update_rename_delete(self):
        name = uniq()
        m = ok(C.post(f"{API}/registered-models/create", {
            "name": name, "description": "d", "tags": [{"key": "team", "value": "ml"}]}))[
                "registered_model"]
        self.assertEqual(m["name"], name)
        self.assertEqual(m["description"], "d")
        self.assertEqual(m["tags"], [{"key": "team", "value": "ml"}])
        self.assertIsInstance(m["creation_timestamp"], int)
        self.assertNotIn("latest_versions", m)
        self.assertNotIn("aliases", m)
        error(C.post(f"{API}/registered-models/create", {"name": name}), 400,
              "RESOURCE_ALREADY_EXISTS")
        self.assertEqual(get_model(name)["description"], "d")
        m = ok(C.patch(f"{API}/registered-models/update", {"name": name, "description": "e"}))
        self.assertEqual(m["registered_model"]["description"], "e")
        ok(C.post(f"{API}/registered-models/set-tag", {"name": name, "key": "k", "value": "v"}))
        ok(C.delete(f"{API}/registered-models/delete-tag", {"name": name, "key": "k"}))
        ok(C.delete(f"{API}/registered-models/delete-tag", {"name": name, "key": "never"}))
        self.assertNotIn("k", {t["key"] for t in get_model(name).get("tags", [])})

        run = new_run()
        register_model(name, run)
        other = uniq()
        ok(C.post(f"{API}/registered-models/create", {"name": other}))
        error(C.post(f"{API}/registered-models/rename", {"name": name, "new_name": other}), 400,
              "RESOURCE_ALREADY_EXISTS")
        new_name = uniq()
        m = ok(C.post(f"{API}/registered-models/rename", {"name": name, "new_name": new_name}))
        self.assertEqual(m["registered_model"]["name"], new_name)
        error(C.get(f"{API}/registered-models/get", {"name": name}), 404,
              "RESOURCE_DOES_NOT_EXIST")
        v = ok(C.get(f"{API}/model-versions/get", {"name": new_name, "version": "1"}))
        self.assertEqual(v["model_version"]["name"], new_name)

        ok(C.delete(f"{API}/registered-models/delete", {"name": new_name}))
        error(C.get(f"{API}/registered-models/get", {"name": new_name}), 404,
              "RESOURCE_DOES_NOT_EXIST")
        error(C.get(f"{API}/model-versions/get", {"name": new_name, "version": "1"}), 404)
        error(C.delete(f"{API}/registered-models/delete", {"name": new_name}), 404,
              "RESOURCE_DOES_NOT_EXIST")

    def test_missing_fields_are_400(self):
        error(C.post(f"{API}/registered-models/create", {}), 400, "INVALID_PARAMETER_VALUE")
        error(C.get(f"{API}/registered-models/get", {}), 400, "INVALID_PARAMETER_VALUE")
        error(C.post(f"{API}/registered-models/create", {"name": 7}), 400)
        error(C.get(f"{API}/registered-models/get", {"name": uniq()}), 404,
              "RESOURCE_DOES_NOT_EXIST")
        error(C.post(f"{API}/registered-models/set-tag", {"name": uniq(), "key": "k",
                                                          "value": "v"}), 404)

    def test_search_with_prompt_clause_and_limits(self):
        prefix = uniq("srch")
        names = [f"{prefix}-{i}" for i in range(3)]
        for n in names:
            ok(C.post(f"{API}/registered-models/create", {"name": n}))
        ok(C.post(f"{API}/registered-models/create", {
            "name": f"{prefix}-prompt", "tags": [{"key": "mlflow.prompt.is_prompt",
                                                  "value": "true"}]}))
        # MLflow 3 appends the prompt clause to every search.
        got = ok(C.get(f"{API}/registered-models/search", {
            "filter": f"name LIKE '{prefix}%' AND {PROMPT_CLAUSE}", "max_results": 100,
            "order_by": ["name ASC"]}))
        self.assertEqual([m["name"] for m in got["registered_models"]], names)
        got = ok(C.get(f"{API}/registered-models/search", {"filter": PROMPT_CLAUSE}))
        self.assertTrue(set(names) <= {m["name"] for m in got["registered_models"]})
        # Paging.
        page1 = ok(C.get(f"{API}/registered-models/search", {
            "filter": f"name LIKE '{prefix}-_'", "max_results": 2, "order_by": "name"}))
        self.assertEqual(len(page1["registered_models"]), 2)
        page2 = ok(C.get(f"{API}/registered-models/search", {
            "filter": f"name LIKE '{prefix}-_'", "max_results": 2, "order_by": "name",
            "page_token": page1["next_page_token"]}))
        self.assertEqual([m["name"] for m in page2["registered_models"]], names[2:])
        # Limits: 1000 is allowed, 1001 and 0 are refused.
        ok(C.get(f"{API}/registered-models/search", {"max_results": 1000}))
        error(C.get(f"{API}/registered-models/search", {"max_results": 1001}), 400,
              "INVALID_PARAMETER_VALUE")
        error(C.get(f"{API}/registered-models/search", {"max_results": 0}), 400)
        error(C.get(f"{API}/registered-models/search", {"filter": "name ==="}), 400)
        nothing = ok(C.get(f"{API}/registered-models/search", {"filter": f"name = '{uniq()}'"}))
        self.assertNotIn("registered_models", nothing)


class ModelVersions(unittest.TestCase):
    def test_register_model_sequence(self):
        name = uniq()
        run = new_run()
        v1 = register_model(name, run)
        self.assertEqual(v1["version"], "1")
        self.assertEqual(v1["current_stage"], "None")
        self.assertEqual(v1["status"], "READY")
        self.assertEqual(v1["run_id"], run["run_id"])
        self.assertNotIn("aliases", v1)
        # The 2.x client resolves runs:/ to the run's artifact_uri + "/model".
        v2 = ok(C.post(f"{API}/model-versions/create", {
            "name": name, "source": run["artifact_uri"] + "/model", "run_id": run["run_id"],
            "tags": [{"key": "t", "value": "1"}], "description": "second"}))["model_version"]
        self.assertEqual(v2["version"], "2")
        self.assertEqual(v2["tags"], [{"key": "t", "value": "1"}])
        m = get_model(name)
        self.assertIn("2", [v["version"] for v in m["latest_versions"]])
        uri = ok(C.get(f"{API}/model-versions/get-download-uri", {"name": name, "version": "1"}))
        self.assertTrue(uri["artifact_uri"].startswith(run["artifact_uri"]), uri)
        self.assertTrue(uri["artifact_uri"].endswith("model"), uri)

        ok(C.patch(f"{API}/model-versions/update", {"name": name, "version": "2",
                                                    "description": "new"}))
        got = ok(C.get(f"{API}/model-versions/get", {"name": name, "version": "2"}))
        self.assertEqual(got["model_version"]["description"], "new")
        ok(C.post(f"{API}/model-versions/set-tag", {"name": name, "version": "2", "key": "a",
                                                    "value": "b"}))
        ok(C.delete(f"{API}/model-versions/delete-tag", {"name": name, "version": "2",
                                                         "key": "a"}))
        ok(C.delete(f"{API}/model-versions/delete", {"name": name, "version": "2"}))
        error(C.get(f"{API}/model-versions/get", {"name": name, "version": "2"}), 404,
              "RESOURCE_DOES_NOT_EXIST")

    def test_version_errors_write_nothing(self):
        name = uniq()
        run = new_run()
        # Model missing: 404, and nothing is created.
        error(C.post(f"{API}/model-versions/create", {
            "name": name, "source": f"runs:/{run['run_id']}/model", "run_id": run["run_id"]}),
              404, "RESOURCE_DOES_NOT_EXIST")
        error(C.get(f"{API}/registered-models/get", {"name": name}), 404)
        ok(C.post(f"{API}/registered-models/create", {"name": name}))
        before = len(history(name))
        for body in (
            {"name": name, "source": f"runs:/{run['run_id']}/../../etc", "run_id": run["run_id"]},
            {"name": name, "source": "/etc/passwd", "run_id": run["run_id"]},
            {"name": name, "source": "runs:/x/model", "run_id": "0" * 32},
            {"name": name},
        ):
            r = C.post(f"{API}/model-versions/create", body)
            self.assertIn(r.status_code, (400, 404), r.text)
            error(r, r.status_code)
        self.assertEqual(len(history(name)), before)
        self.assertNotIn("latest_versions", get_model(name))
        error(C.get(f"{API}/model-versions/get", {"name": name, "version": "abc"}), 400,
              "INVALID_PARAMETER_VALUE")
        error(C.get(f"{API}/model-versions/get", {"name": name, "version": "9"}), 404)
        error(C.get(f"{API}/model-versions/get-download-uri", {"name": name, "version": "9"}), 404)
        error(C.patch(f"{API}/model-versions/update", {"name": name, "version": "9"}), 404)

    def test_stages_and_latest_versions(self):
        name = uniq()
        run = new_run()
        for _ in range(3):
            register_model(name, run)
        v = ok(C.post(f"{API}/model-versions/transition-stage", {
            "name": name, "version": "1", "stage": "staging",
            "archive_existing_versions": False}))["model_version"]
        self.assertEqual(v["current_stage"], "Staging")
        ok(C.post(f"{API}/model-versions/transition-stage", {
            "name": name, "version": "2", "stage": "Staging", "archive_existing_versions": True}))
        got = ok(C.get(f"{API}/model-versions/get", {"name": name, "version": "1"}))
        self.assertEqual(got["model_version"]["current_stage"], "Archived")
        before = len(history(name))
        error(C.post(f"{API}/model-versions/transition-stage", {
            "name": name, "version": "3", "stage": "Prod"}), 400, "INVALID_PARAMETER_VALUE")
        self.assertEqual(len(history(name)), before)
        for latest in (
            ok(C.post(f"{API}/registered-models/get-latest-versions",
                      {"name": name, "stages": ["Staging"]})),
            ok(C.get(f"{API}/registered-models/get-latest-versions",
                     {"name": name, "stages": "Staging"})),
        ):
            self.assertEqual([v["version"] for v in latest["model_versions"]], ["2"])
        every = ok(C.post(f"{API}/registered-models/get-latest-versions", {"name": name}))
        self.assertEqual(sorted(v["current_stage"] for v in every["model_versions"]),
                         ["Archived", "None", "Staging"])
        error(C.post(f"{API}/registered-models/get-latest-versions", {"name": uniq()}), 404,
              "RESOURCE_DOES_NOT_EXIST")

    def test_search_versions(self):
        name = uniq()
        run = new_run()
        for _ in range(3):
            register_model(name, run)
        got = ok(C.get(f"{API}/model-versions/search", {"filter": f"name = '{name}'"}))
        self.assertEqual(sorted(v["version"] for v in got["model_versions"]), ["1", "2", "3"])
        got = ok(C.get(f"{API}/model-versions/search", {
            "filter": f"run_id = '{run['run_id']}'", "max_results": 200000}))
        self.assertEqual(len(got["model_versions"]), 3)
        error(C.get(f"{API}/model-versions/search", {"max_results": 200001}), 400,
              "INVALID_PARAMETER_VALUE")
        error(C.get(f"{API}/model-versions/search", {"filter": "nope ~ 1"}), 400)


class Aliases(unittest.TestCase):
    def test_alias_lifecycle_and_errors(self):
        name = uniq()
        run = new_run()
        register_model(name, run)
        register_model(name, run)
        ok(C.post(f"{API}/registered-models/alias", {"name": name, "alias": "champion",
                                                     "version": "1"}))
        v = ok(C.get(f"{API}/registered-models/alias", {"name": name, "alias": "champion"}))
        self.assertEqual(v["model_version"]["version"], "1")
        self.assertEqual(v["model_version"]["aliases"], ["champion"])
        self.assertEqual(get_model(name)["aliases"], [{"alias": "champion", "version": "1"}])
        ok(C.post(f"{API}/registered-models/alias", {"name": name, "alias": "champion",
                                                     "version": "2"}))
        v = ok(C.get(f"{API}/registered-models/alias", {"name": name, "alias": "champion"}))
        self.assertEqual(v["model_version"]["version"], "2")

        before = len(history(name))
        for alias in ("latest", "v1", "V12"):
            r = C.post(f"{API}/registered-models/alias", {"name": name, "alias": alias,
                                                          "version": "1"})
            if alias == "V12" and r.status_code == 200:
                continue  # MLflow's reserved check is case-sensitive on some versions
            error(r, 400, "INVALID_PARAMETER_VALUE")
        error(C.post(f"{API}/registered-models/alias", {"name": name, "alias": "x",
                                                        "version": "7"}), 404,
              "RESOURCE_DOES_NOT_EXIST")
        error(C.post(f"{API}/registered-models/alias", {"name": uniq(), "alias": "x",
                                                        "version": "1"}), 404)
        self.assertEqual(len(history(name)), before)
        # Unknown alias: MLflow answers 400 INVALID_PARAMETER_VALUE; a missing model is 404.
        error(C.get(f"{API}/registered-models/alias", {"name": name, "alias": "nope"}), 400,
              "INVALID_PARAMETER_VALUE")
        error(C.get(f"{API}/registered-models/alias", {"name": uniq(), "alias": "x"}), 404,
              "RESOURCE_DOES_NOT_EXIST")

        ok(C.delete(f"{API}/registered-models/alias", {"name": name, "alias": "champion"}))
        error(C.get(f"{API}/registered-models/alias", {"name": name, "alias": "champion"}), 400)
        self.assertNotIn("aliases", get_model(name))

    def test_deleting_an_aliased_version_drops_the_alias(self):
        name = uniq()
        run = new_run()
        register_model(name, run)
        ok(C.post(f"{API}/registered-models/alias", {"name": name, "alias": "a", "version": "1"}))
        ok(C.delete(f"{API}/model-versions/delete", {"name": name, "version": "1"}))
        self.assertNotIn("aliases", get_model(name))


class SluiceRegistry(unittest.TestCase):
    def test_promote_rollback_history_actor(self):
        name = uniq()
        run = new_run()
        for _ in range(2):
            register_model(name, run)
        auth = {"Authorization": "Basic " + base64.b64encode(b"ana:secret").decode()}
        r = C.call("POST", f"{API}/registered-models/alias",
                   {"name": name, "alias": "staging", "version": "1"}, headers=auth)
        ok(r)
        ok(C.call("POST", f"{SLUICE_API}/models/{name}/promote",
                  {"from_alias": "staging", "to_alias": "production", "reason": "good auc"},
                  headers={"X-Sluice-User": "bo"}))
        self.assertEqual(ok(C.get(f"{API}/registered-models/alias",
                                  {"name": name, "alias": "production"}))["model_version"]
                         ["version"], "1")
        ok(C.post(f"{API}/registered-models/alias", {"name": name, "alias": "production",
                                                     "version": "2"}))
        v = ok(C.post(f"{SLUICE_API}/models/{name}/rollback",
                      {"alias": "production", "reason": "regression"}))["model_version"]
        self.assertEqual(v["version"], "1")
        entries = history(name)
        actors = [e["actor"] for e in entries]
        self.assertIn("ana", actors)
        self.assertIn("bo", actors)
        self.assertIn("unknown", actors)
        self.assertIn("regression", [e["reason"] for e in entries])
        self.assertEqual([e["id"] for e in entries], sorted(e["id"] for e in entries))

        before = len(history(name))
        error(C.post(f"{SLUICE_API}/models/{name}/promote",
                     {"from_alias": "nope", "to_alias": "production"}), 400)
        error(C.post(f"{SLUICE_API}/models/{name}/rollback", {"alias": "staging"}), 400)
        error(C.post(f"{SLUICE_API}/models/{name}/rollback", {}), 400)
        error(C.post(f"{SLUICE_API}/models/{uniq()}/rollback", {"alias": "a"}), 404)
        error(C.get(f"{SLUICE_API}/models/{uniq()}/history"), 404)
        self.assertEqual(len(history(name)), before)

    def test_names_with_slashes_and_spaces(self):
        name = uniq("team/a b")
        run = new_run()
        register_model(name, run)
        register_model(name, run)
        ok(C.post(f"{API}/registered-models/alias", {"name": name, "alias": "s", "version": "2"}))
        path = quote(name, safe="")
        v = ok(C.post(f"{SLUICE_API}/models/{path}/promote", {"from_alias": "s",
                                                              "to_alias": "p"}))
        self.assertEqual(v["model_version"]["version"], "2")
        self.assertEqual(v["model_version"]["name"], name)
        self.assertGreaterEqual(len(history(name)), 4)
        error(C.get(f"{SLUICE_API}/models/{path}/nope"), 404)
        error(C.post(f"{SLUICE_API}/models/{path}/nope", {}), 404)
        error(C.get(f"{SLUICE_API}/models/{path}"), 404)

    def test_events_feed(self):
        last = ok(C.get(f"{SLUICE_API}/events", {"after": 0, "limit": 10000}))["last_sequence"]
        tail = ok(C.get(f"{SLUICE_API}/events", {"after": last}))
        last = tail["last_sequence"]
        name = uniq()
        run = new_run()
        register_model(name, run)
        ok(C.post(f"{API}/registered-models/alias", {"name": name, "alias": "prod",
                                                     "version": "1"}))
        events = ok(C.get(f"{SLUICE_API}/events", {"after": last}))["events"]
        mine = [e for e in events if e["name"] == name]
        self.assertIn("version_created", [e["type"] for e in mine])
        self.assertIn("alias_set", [e["type"] for e in mine])
        seqs = [e["sequence"] for e in events]
        self.assertEqual(seqs, sorted(seqs))
        self.assertTrue(all(s > last for s in seqs))
        one = ok(C.get(f"{SLUICE_API}/events", {"after": last, "limit": 1}))["events"]
        self.assertEqual(len(one), 1)
        error(C.get(f"{SLUICE_API}/events", {"after": "x"}), 400)
        error(C.get(f"{SLUICE_API}/events", {"limit": 0}), 400)
        error(C.get(f"{SLUICE_API}/events", {"wait_ms": 60001}), 400)

    def test_events_long_poll(self):
        last = ok(C.get(f"{SLUICE_API}/events", {"after": 0, "limit": 10000}))["last_sequence"]
        # Nothing new: the poll answers empty once wait_ms is over.
        idle = ok(C.get(f"{SLUICE_API}/events", {"after": last, "wait_ms": 200}))
        self.assertEqual(idle["events"], [])
        self.assertEqual(idle["last_sequence"], last)
        # A change made while the poll waits is delivered to it.
        name = uniq()
        result = {}

        def poll():
            result["r"] = Client(SERVER.url).get(f"{SLUICE_API}/events",
                                                 {"after": last, "wait_ms": 10000})

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.3)
        ok(C.post(f"{API}/registered-models/create", {"name": name}))
        register_model(name, new_run())
        poller.join(timeout=30)
        self.assertFalse(poller.is_alive(), "the long poll did not return")
        events = ok(result["r"])["events"]
        self.assertTrue(events)
        self.assertTrue(all(e["sequence"] > last for e in events))


class Lineage(unittest.TestCase):
    def test_model_version_to_run_to_datasets(self):
        name = uniq()
        run = new_run()
        ok(C.post(f"{API}/runs/log-inputs", {"run_id": run["run_id"], "datasets": [
            {"tags": [{"key": "mlflow.data.context", "value": "training"}],
             "dataset": {"name": "churn", "digest": "d" * 64, "source_type": "local",
                         "source": "data/churn.csv"}}]}))
        register_model(name, run)
        ok(C.post(f"{API}/registered-models/alias", {"name": name, "alias": "prod", "version": "1"}))
        for uri in (f"models:/{name}/1", f"models:/{name}@prod", f"models:/{name}/latest"):
            got = ok(C.get(f"{SLUICE_API}/lineage", {"model_uri": uri}))
            self.assertEqual(got["model_version"]["version"], "1")
            self.assertEqual(got["run"]["info"]["run_id"], run["run_id"])
            self.assertEqual(got["datasets"], [{"name": "churn", "digest": "d" * 64,
                                                "source_type": "local", "source": "data/churn.csv",
                                                "context": "training"}])
        error(C.get(f"{SLUICE_API}/lineage", {}), 400, "INVALID_PARAMETER_VALUE", "model_uri")
        error(C.get(f"{SLUICE_API}/lineage", {"model_uri": f"models:/{uniq()}/1"}), 404)
        error(C.get(f"{SLUICE_API}/lineage", {"model_uri": "runs:/x/model"}), 400)


class RegistryContracts(unittest.TestCase):
    """History follows a model across renames; sources and aliases obey MLflow's rules."""

    def test_rollback_and_history_follow_a_rename(self):
        name, new_name = uniq(), uniq()
        run = new_run()
        register_model(name, run)
        register_model(name, run)
        ok(C.post(f"{API}/registered-models/alias", {"name": name, "alias": "p", "version": "1"}))
        ok(C.post(f"{API}/registered-models/alias", {"name": name, "alias": "p", "version": "2"}))
        ok(C.post(f"{API}/registered-models/rename", {"name": name, "new_name": new_name}))
        self.assertGreater(len(history(new_name)), 1)
        v = ok(C.post(f"{SLUICE_API}/models/{new_name}/rollback", {"alias": "p"}))
        self.assertEqual(v["model_version"]["version"], "1")
        # A new model under the old name starts with an empty history.
        ok(C.post(f"{API}/registered-models/create", {"name": name}))
        self.assertEqual(len(history(name)), 1)

    def test_local_source_needs_a_run(self):
        name = uniq()
        ok(C.post(f"{API}/registered-models/create", {"name": name}))
        for source in ("/etc/passwd", "file:///etc/passwd"):
            error(C.post(f"{API}/model-versions/create", {"name": name, "source": source}), 400,
                  "INVALID_PARAMETER_VALUE")

    def test_latest_in_any_case_is_reserved(self):
        name = uniq()
        register_model(name, new_run())
        error(C.post(f"{API}/registered-models/alias", {"name": name, "alias": "LATEST",
                                                        "version": "1"}), 400)


class NoServerErrors(unittest.TestCase):
    def test_zz_no_5xx_for_caller_mistakes(self):
        for path in ("registered-models/create", "model-versions/create",
                     "registered-models/alias", "model-versions/transition-stage"):
            r = C.call("POST", f"{API}/{path}", data="not json",
                       headers={"Content-Type": "application/json"})
            self.assertEqual(r.status_code, 400, r.text)
        self.assertEqual(C.server_errors(), [])


if __name__ == "__main__":
    SLUICE = parse_sluice_arg()
    unittest.main(verbosity=2)
