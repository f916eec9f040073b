"""Shared helpers for Sluice's end-to-end tests: start a real `sluice server` on a free port,
talk to it the way the MLflow Python client does, and stop it by PID.

Run with Debian's /usr/bin/python3 (python3-requests). Every helper is bounded in time: a server
that does not print its address within START_TIMEOUT seconds, or does not exit within
STOP_TIMEOUT seconds of SIGTERM, fails the test instead of hanging it.
"""
import http.client
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests
import warnings

warnings.simplefilter("ignore", ResourceWarning)

START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
REQUEST_TIMEOUT = 60.0

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


def parse_sluice_arg(argv=None):
    """Removes `--sluice PATH` from argv (so unittest does not see it) and returns PATH."""
    argv = sys.argv if argv is None else argv
    path = os.environ.get("SLUICE_BIN")
    if "--sluice" in argv:
        i = argv.index("--sluice")
        path = argv[i + 1]
        del argv[i:i + 2]
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        guess = os.path.join(here, "..", "..", "build-e2e", "apps", "sluice", "sluice")
        path = os.path.abspath(guess)
    if not os.access(path, os.X_OK):
        raise SystemExit(f"sluice binary not found or not executable: {path} (pass --sluice PATH)")
    return path


def init_workspace(sluice, directory):
    proc = subprocess.run([sluice, "init", directory], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"sluice init failed ({proc.returncode}): {proc.stderr}")
    return directory


class Server:
    """One `sluice server --port 0 --json` process. The address comes from the JSON document it
    prints first on stdout (one line, or pretty-printed over several: both are accepted)."""

    def __init__(self, sluice, workspace, extra_args=()):
        self.workspace = workspace
        self.stderr_path = os.path.join(tempfile.gettempdir(),
                                        f"sluice-e2e-{os.getpid()}-{time.monotonic_ns()}.err")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [sluice, "server", "--workspace", workspace, "--port", "0", "--json", *extra_args],
            stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        lines = queue.Queue()

        def pump():
            for line in self.proc.stdout:
                lines.put(line.decode("utf-8", "replace"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        text = ""
        info = None
        deadline = time.monotonic() + START_TIMEOUT
        while info is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise RuntimeError(f"server printed no address within {START_TIMEOUT}s: {text!r}")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=5)
                raise RuntimeError(f"server exited ({self.proc.returncode}) before printing its "
                                   f"address: {text!r} {self.stderr()}")
            text += line
            try:
                info = json.loads(text)
            except ValueError:
                info = None
        self.info = info
        self.port = int(info["port"])
        self.url = info["url"].rstrip("/")
        assert self.port > 0, info
        assert self.url == f"http://127.0.0.1:{self.port}", info

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM by PID; returns the exit code. SIGKILL (and a failure) if it does not exit."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"server {self.pid} ignored SIGTERM for {STOP_TIMEOUT}s")
        self._stderr.close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.proc.wait(timeout=STOP_TIMEOUT)
        self._stderr.close()
        return self.proc.returncode

    def cleanup_logs(self):
        try:
            os.remove(self.stderr_path)
        except OSError:
            pass


class Client:
    """Speaks MLflow's wire protocol: GET with a query string (lists as repeated keys), every
    other method with a JSON body and Content-Type: application/json. Records every status so a
    test can assert that no caller mistake got a 5xx."""

    def __init__(self, base_url):
        self.base = base_url
        self.session = requests.Session()
        self.statuses = []  # (method, path, status)

    def _record(self, method, path, resp):
        self.statuses.append((method, path, resp.status_code))
        return resp

    def get(self, path, params=None, **kw):
        resp = self.session.get(self.base + path, params=params, timeout=REQUEST_TIMEOUT, **kw)
        return self._record("GET", path, resp)

    def call(self, method, path, body=None, headers=None, data=None, **kw):
        h = {}
        if body is not None:
            data = json.dumps(body)
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        resp = self.session.request(method, self.base + path, data=data, headers=h,
                                    timeout=REQUEST_TIMEOUT, **kw)
        return self._record(method, path, resp)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, {} if body is None else body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, {} if body is None else body, **kw)

    def delete(self, path, body=None, **kw):
        return self.call("DELETE", path, {} if body is None else body, **kw)

    def put(self, path, data, headers=None, **kw):
        h = {"Content-Type": "application/octet-stream"}
        if headers:
            h.update(headers)
        resp = self.session.put(self.base + path, data=data, headers=h, timeout=REQUEST_TIMEOUT,
                                **kw)
        return self._record("PUT", path, resp)

    def raw(self, method, target, body=b"", headers=None):
        """A request whose target is sent byte for byte (requests/urllib3 would normalize '..')."""
        host, port = self.base[len("http://"):].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=REQUEST_TIMEOUT)
        try:
            conn.putrequest(method, target, skip_accept_encoding=True)
            hdrs = {"Content-Length": str(len(body))}
            hdrs.update(headers or {})
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.endheaders()
            if body:
                conn.send(body)
            resp = conn.getresponse()
            data = resp.read()
            self.statuses.append((method, target, resp.status))
            return resp.status, dict(resp.getheaders()), data
        finally:
            conn.close()

    def server_errors(self, allowed=()):
        return [s for s in self.statuses if s[2] >= 500 and (s[0], s[1]) not in allowed
                and s[2] not in (501,)]


def ok(resp):
    """The JSON body of a 200 answer, or an AssertionError showing what came back."""
    if resp.status_code != 200:
        raise AssertionError(f"{resp.request.method} {resp.request.url} -> {resp.status_code} "
                             f"{resp.text[:500]} (request body {str(resp.request.body)[:300]})")
    return resp.json()


def error(resp, status, code=None, mentions=None):
    """Asserts an MLflow error answer: the status, {"error_code", "message"}, and optionally that
    the message names a field. Returns the body."""
    where = f"{resp.request.method} {resp.request.url} (body {str(resp.request.body)[:200]})"
    if resp.status_code != status:
        raise AssertionError(f"{where}: expected {status} {code or ''}, got {resp.status_code} "
                             f"{resp.text[:500]}")
    check_error_body(resp.text, code, mentions, where)
    return resp.json()


def check_error_body(text, code=None, mentions=None, where=""):
    try:
        body = json.loads(text)
    except ValueError:
        raise AssertionError(f"{where}: error body is not JSON: {text[:300]!r}")
    if not isinstance(body, dict) or set(body) != {"error_code", "message"}:
        raise AssertionError(f"{where}: error body must be exactly error_code+message: {body}")
    if not isinstance(body["error_code"], str) or not isinstance(body["message"], str):
        raise AssertionError(f"{where}: error fields must be strings: {body}")
    if code is not None and body["error_code"] != code:
        raise AssertionError(f"{where}: expected error_code {code}, got {body}")
    if mentions is not None:
        for word in ([mentions] if isinstance(mentions, str) else mentions):
            if word not in body["message"]:
                raise AssertionError(f"{where}: message should mention {word!r}: {body}")
    return body


def now_ms():
    return int(time.time() * 1000)


class TempWorkspace:
    def __init__(self, sluice, prefix="sluice-e2e-"):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.path = os.path.join(self.dir, "ws")
        init_workspace(sluice, self.path)

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class ServedWorkspace:
    """A fresh workspace with a server on it and a client to it: what a suite module sets up.
    close() stops the server with SIGTERM and asserts it exited 0, then removes the workspace."""

    def __init__(self, sluice):
        self.ws = TempWorkspace(sluice)
        self.server = None
        try:
            self.server = Server(sluice, self.ws.path)
        except BaseException:
            self.ws.remove()
            raise
        self.client = Client(self.server.url)

    def close(self):
        try:
            code = self.server.stop()
            self.server.cleanup_logs()
            assert code == 0, f"server exited with {code} after SIGTERM: {self.server.stderr()}"
        finally:
            self.ws.remove()
