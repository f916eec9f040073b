#!/usr/bin/python3
"""Runs the data-driven golden cases in tests/golden/**/*.txt against a real `sluice server`.

    /usr/bin/python3 tests/e2e/golden_runner.py --sluice build/apps/sluice/sluice [FILE...]

Each file runs against a fresh workspace and server, its cases in order.

File format (also in tests/golden/README.md)
--------------------------------------------
    # a comment (only between cases)
    ### name of the case                       <- starts a case
    @header Content-Type: text/plain          <- optional request headers
    POST /api/2.0/mlflow/runs/create           <- METHOD target (${vars} are substituted)
    {"experiment_id": "${exp_id}"}             <- optional body, up to the `>>>` line
    >>> 200                                    <- expected HTTP status
    {"run": {"info": {"run_id": "${RUN_ID}"}}} <- expected JSON body (or `>>> 200 text`, then text)
    @capture run_id = $.run.info.run_id        <- optional: save a value for later cases
    @subset                                    <- optional: objects may have extra keys

* A body is JSON and sent with Content-Type: application/json, unless an @header sets another
  Content-Type: then the body lines are sent as raw text. No body: none is sent.
* The expected body is JSON compared exactly: the same keys (unless @subset), the same list
  order, numbers by value. Strings may hold placeholders:
    ${ANY}       any value at all (the whole string must be the placeholder)
    ${ANY_INT}   any integer (JSON number)    ${ANY_STRING}  any string
    ${RUN_ID}    32 lowercase hex digits       ${MODEL_ID}    "m-" and hex digits
    ${NOW_MS}    an integer within 10 minutes of now, in ms
    ${name}      a value captured earlier in this file (inside a longer string too)
  A whole-string `${name}` of a captured non-string value compares as that value.
* `>>> STATUS text` expects a text body: the lines after it, compared after stripping.
  `>>> STATUS` with no body lines accepts any body.
* @capture NAME = PATH takes PATH from the response: `$` then `.key` and `[index]` steps.
* An error expectation is simply the error JSON, for example
  {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "${ANY_STRING}"}.
"""
import glob
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sluice_e2e import Client, Server, TempWorkspace, parse_sluice_arg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "golden")
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Case:
    def __init__(self, name, line):
        self.name, self.line = name, line
        self.headers = {}
        self.method = self.target = None
        self.body_lines = []
        self.status = None
        self.text_mode = False
        self.expect_lines = []
        self.captures = []
        self.subset = False


def parse(path):
    cases, case, section = [], None, None
    with open(path, encoding="utf-8") as f:
        for no, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("###"):
                case = Case(line[3:].strip(), no)
                cases.append(case)
                section = "head"
                continue
            if case is None:
                if line.strip() and not line.startswith("#"):
                    raise SyntaxError(f"{path}:{no}: text before the first ### case")
                continue
            if line.startswith("@header "):
                k, v = line[len("@header "):].split(":", 1)
                case.headers[k.strip()] = v.strip()
            elif line.startswith("@capture "):
                name, expr = line[len("@capture "):].split("=", 1)
                case.captures.append((name.strip(), expr.strip()))
            elif line.strip() == "@subset":
                case.subset = True
            elif line.startswith(">>>"):
                parts = line[3:].split()
                case.status = int(parts[0])
                case.text_mode = len(parts) > 1 and parts[1] == "text"
                section = "expect"
            elif section == "head" and case.method is None:
                if not line.strip() or line.startswith("#"):
                    continue
                case.method, case.target = line.split(None, 1)
                section = "body"
            elif section == "body":
                case.body_lines.append(line)
            elif section == "expect":
                if line.startswith("#") and not case.expect_lines:
                    continue
                case.expect_lines.append(line)
            elif line.strip() and not line.startswith("#"):
                raise SyntaxError(f"{path}:{no}: unexpected line {line!r}")
    for c in cases:
        if c.method is None or c.status is None:
            raise SyntaxError(f"{path}:{c.line}: case {c.name!r} needs a request line and >>> STATUS")
    return cases


def substitute(text, env):
    def rep(m):
        if m.group(1) not in env:
            raise KeyError(f"unknown variable ${{{m.group(1)}}}")
        v = env[m.group(1)]
        return v if isinstance(v, str) else json.dumps(v)
    return VAR.sub(rep, text)


def match(expected, actual, env, subset, where="$"):
    """Returns None or a description of the first difference."""
    if isinstance(expected, str) and "${" in expected:
        whole = VAR.fullmatch(expected)
        if whole:
            name = whole.group(1)
            if name == "ANY":
                return None
            if name == "ANY_INT":
                return None if isinstance(actual, int) and not isinstance(actual, bool) else f"{where}: {actual!r} is not an int"
            if name == "ANY_STRING":
                return None if isinstance(actual, str) else f"{where}: {actual!r} is not a string"
            if name == "RUN_ID":
                return None if isinstance(actual, str) and re.fullmatch(r"[0-9a-f]{32}", actual) else f"{where}: {actual!r} is not a run id"
            if name == "MODEL_ID":
                return None if isinstance(actual, str) and re.fullmatch(r"m-[0-9a-f]+", actual) else f"{where}: {actual!r} is not a model id"
            if name == "NOW_MS":
                ok_ = isinstance(actual, int) and abs(actual - time.time() * 1000) < 600_000
                return None if ok_ else f"{where}: {actual!r} is not a current ms timestamp"
            if name in env and not isinstance(env[name], str):
                return None if env[name] == actual else f"{where}: expected {env[name]!r}, got {actual!r}"
        pattern = ""
        pos = 0
        for m in VAR.finditer(expected):
            pattern += re.escape(expected[pos:m.start()])
            name = m.group(1)
            if name in ("ANY", "ANY_STRING"):
                pattern += ".*"
            elif name == "ANY_INT":
                pattern += "-?[0-9]+"
            elif name == "RUN_ID":
                pattern += "[0-9a-f]{32}"
            elif name == "MODEL_ID":
                pattern += "m-[0-9a-f]+"
            elif name in env:
                pattern += re.escape(str(env[name]))
            else:
                return f"{where}: unknown variable ${{{name}}}"
            pos = m.end()
        pattern += re.escape(expected[pos:])
        if isinstance(actual, str) and re.fullmatch(pattern, actual, re.S):
            return None
        return f"{where}: {actual!r} does not match {expected!r}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object, got {actual!r}"
        if not subset and set(expected) != set(actual):
            return f"{where}: keys differ: expected {sorted(expected)}, got {sorted(actual)}"
        for k, v in expected.items():
            if k not in actual:
                return f"{where}: missing key {k!r}"
            d = match(v, actual[k], env, subset, f"{where}.{k}")
            if d:
                return d
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{where}: expected a list of {len(expected)}, got {json.dumps(actual)[:300]}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            d = match(e, a, env, subset, f"{where}[{i}]")
            if d:
                return d
        return None
    if type(expected) is not type(actual) and not (isinstance(expected, (int, float)) and isinstance(actual, (int, float))
                                                   and not isinstance(actual, bool)):
        return f"{where}: expected {expected!r}, got {actual!r}"
    return None if expected == actual else f"{where}: expected {expected!r}, got {actual!r}"


def extract(doc, expr):
    if not expr.startswith("$"):
        raise SyntaxError(f"capture path must start with $: {expr}")
    cur = doc
    for m in re.finditer(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]", expr[1:]):
        cur = cur[m.group(1)] if m.group(1) is not None else cur[int(m.group(2))]
    return cur


def run_file(sluice, path):
    ws = TempWorkspace(sluice, prefix="sluice-golden-")
    server = Server(sluice, ws.path)
    failures = []
    env = {}
    try:
        c = Client(server.url)
        for case in parse(path):
            where = f"{os.path.relpath(path)}:{case.line} [{case.name}]"
            try:
                target = substitute(case.target, env)
                headers = {k: substitute(v, env) for k, v in case.headers.items()}
                body_text = substitute("\n".join(case.body_lines), env).strip()
                data = None
                if body_text:
                    if "Content-Type" in headers:
                        data = body_text.encode()
                    else:
                        data = json.dumps(json.loads(body_text)).encode()
                        headers["Content-Type"] = "application/json"
                if "/../" in target or target.endswith("/..") or "//" in target.split("?")[0][1:]:
                    status, _, content = c.raw(case.method, target, data or b"", headers)
                else:
                    r = c.session.request(case.method, c.base + target, data=data, headers=headers, timeout=60)
                    status, content = r.status_code, r.content
                problems = []
                if status != case.status:
                    problems.append(f"status {status}, expected {case.status}")
                expect_text = "\n".join(case.expect_lines).strip()
                actual = None
                if case.text_mode:
                    if expect_text and content.decode("utf-8", "replace").strip() != substitute(expect_text, env):
                        problems.append(f"body {content[:300]!r}, expected {expect_text!r}")
                else:
                    try:
                        actual = json.loads(content) if content else None
                    except ValueError:
                        problems.append(f"body is not JSON: {content[:300]!r}")
                    if expect_text and not problems:
                        expected = json.loads(expect_text)
                        d = match(expected, actual, env, case.subset)
                        if d:
                            problems.append(f"{d}\n      got: {content[:600].decode('utf-8', 'replace')}")
                if problems:
                    failures.append(f"{where}: " + "; ".join(problems))
                    print(f"FAIL {where}")
                    continue
                for name, expr in case.captures:
                    env[name] = extract(actual, expr)
                print(f"ok   {where}")
            except Exception as e:  # a broken case file or a capture that does not resolve
                failures.append(f"{where}: {type(e).__name__}: {e}")
                print(f"FAIL {where}")
    finally:
        code = server.stop()
        if code != 0:
            failures.append(f"{path}: server exited with {code} after SIGTERM: {server.stderr()}")
        server.cleanup_logs()
        ws.remove()
    return failures


def main():
    sluice = parse_sluice_arg()
    files = sys.argv[1:] or sorted(glob.glob(os.path.join(GOLDEN, "**", "*.txt"), recursive=True))
    if not files:
        print("no golden files found")
        return 1
    failures = []
    for path in files:
        failures += run_file(sluice, path)
    if failures:
        print("\n" + "\n".join(failures))
        print(f"\n{len(failures)} golden case(s) failed")
        return 1
    print(f"\nall golden cases passed ({len(files)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
