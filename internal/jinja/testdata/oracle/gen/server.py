#!/usr/bin/env python3
"""Persistent Jinja2 oracle for live differential fuzzing.

  python3 gen/server.py

Reads one JSON object per line on stdin:
    {"template": "...", "context": "<JSON object text>" | {...}, "mode": "render" | "expr"}
("context" may be JSON text, as in a case file, or an already decoded object;
missing means {}; "mode" defaults to "render") and writes one JSON line per
request on stdout, flushed, with the outcome fields of a case:
    {"want": ...} | {"want_json": ...} | {"undefined": true} | {"error": ..., "message": ...}
plus, when Jinja2's answer is not a property of the template, "skip": "<why>"
(the template ran longer than --timeout seconds, ran out of memory or
recursion depth, hit CPython's compiler limits, or its output shows a memory
address); a fuzzer should ignore those. A request that is not valid JSON or
lacks "template" gets {"bad_request": "<why>"}. One bad request never stops
the server; it exits at end of input.

The environment is the oracle's (SandboxedEnvironment, MAX_RANGE 100000),
fresh per request, and PYTHONHASHSEED is pinned to 0 so set/dict-hash order
is the generator's. The address space is capped (--mem MiB, default 2048).
"""
import argparse
import json
import os
import resource
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402


class Timeout(BaseException):
    """BaseException so that Jinja2's `except Exception` cannot swallow it."""


def _alarm(signum, frame):
    raise Timeout()


def answer(req, timeout):
    if not isinstance(req, dict) or not isinstance(req.get("template"), str):
        return {"bad_request": "need an object with a string \"template\""}
    mode = req.get("mode", "render")
    if mode not in ("render", "expr"):
        return {"bad_request": f"unknown mode {mode!r}"}
    ctx = req.get("context", "{}")
    if not isinstance(ctx, str):
        ctx = json.dumps(ctx)
    try:
        if not isinstance(json.loads(ctx), dict):
            return {"bad_request": "context is not a JSON object"}
    except ValueError as exc:
        return {"bad_request": f"context is not JSON: {exc}"}
    template = req["template"]
    if mode == "expr" and not (template.startswith("{{") and template.endswith("}}")):
        return {"bad_request": "mode expr needs a template that is one {{ expression }}"}
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        out = oracle.evaluate(template, ctx, mode)
    except Timeout:
        return {"skip": "timeout"}
    except MemoryError:
        return {"skip": "memory"}
    except RecursionError:
        return {"skip": "recursion"}
    except Exception as exc:  # evaluate() catches Jinja2's own errors; this is a safety net
        return {"skip": f"oracle failure: {type(exc).__name__}: {exc}"}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    err = out.get("error")
    if err in ("MemoryError", "RecursionError"):
        out["skip"] = err
    elif err == "SyntaxError":
        out["skip"] = "CPython compiler limit"
    elif oracle.nondeterministic(out):
        out["skip"] = "memory address in output"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    ap.add_argument("--mem", type=int, default=2048, help="address-space cap in MiB")
    args = ap.parse_args()
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    oracle.check_interpreter()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = args.mem << 20
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    signal.signal(signal.SIGALRM, _alarm)
    stdin = sys.stdin.buffer
    out = sys.stdout
    for raw in stdin:
        try:
            req = json.loads(raw.decode("utf-8", "surrogateescape"))
        except ValueError as exc:
            resp = {"bad_request": f"not JSON: {exc}"}
        else:
            try:
                resp = answer(req, args.timeout)
            except MemoryError:
                resp = {"skip": "memory"}
            except Timeout:
                resp = {"skip": "timeout"}
        try:
            line = json.dumps(resp, ensure_ascii=False)
            line.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates in the output
            line = json.dumps(resp, ensure_ascii=True)
        out.write(line + "\n")
        out.flush()


if __name__ == "__main__":
    main()
