"""Shared core of the Jinja2 oracle generators.

Run with a Python 3.11 that has Jinja2 3.1.6 (on this machine: the `python3`
on PATH; HOOKWORKER_JINJA2_PYTHON names another one for the Go live tests).
evaluate() is the single definition of a case's outcome; generate.py,
random_gen.py and server.py all use it.
"""
import json
import math
import re
import sys
import warnings

import jinja2
from jinja2.runtime import Undefined
from jinja2.sandbox import SandboxedEnvironment

EXPECTED_JINJA2 = "3.1.6"
EXPECTED_PYTHON = (3, 11)  # unicodedata 14.0.0: case mapping, \w, isidentifier

# Python's compiler warns about generated code such as `5[0]`; the outcome
# (a TypeError at render time) is what matters, the warning is noise.
warnings.simplefilter("ignore", SyntaxWarning)


def check_interpreter():
    import importlib.metadata

    version = importlib.metadata.version("jinja2")
    if version != EXPECTED_JINJA2 or sys.version_info[:2] != EXPECTED_PYTHON:
        sys.exit(
            f"oracle: need Jinja2 {EXPECTED_JINJA2} on Python "
            f"{'.'.join(map(str, EXPECTED_PYTHON))}, got {version} from {jinja2.__file__} "
            f"({sys.executable}, Python {sys.version.split()[0]})"
        )


def make_env():
    """The product's environment: a default SandboxedEnvironment."""
    return SandboxedEnvironment()


def jsonable(v):
    """True if v maps to JSON without loss: None/bool/int/finite float/str,
    list/tuple of JSON-able, dict with str keys and JSON-able values."""
    if v is None or isinstance(v, (bool, int, str)):
        return True
    if isinstance(v, float):
        return math.isfinite(v)
    if isinstance(v, (list, tuple)):
        return all(jsonable(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and jsonable(x) for k, x in v.items())
    return False


def error_outcome(exc):
    return {"error": type(exc).__name__, "message": str(exc)}


def decode_context(ctx_text):
    ctx = json.loads(ctx_text)
    if not isinstance(ctx, dict):
        raise ValueError("context must be a JSON object")
    return ctx


def evaluate(template, ctx_text, mode, env=None):
    """Outcome of one case: a dict with exactly one of want / want_json /
    undefined / error(+message)."""
    env = env or make_env()
    ctx = decode_context(ctx_text)
    if mode == "render":
        try:
            return {"want": env.from_string(template).render(ctx)}
        except Exception as exc:  # every Jinja2 failure is an outcome
            return error_outcome(exc)
    if mode != "expr":
        raise ValueError(f"unknown mode {mode!r}")
    if not (template.startswith("{{") and template.endswith("}}")):
        raise ValueError(f"expr case must be one {{{{ expression }}}}: {template!r}")
    inner = template[2:-2]
    try:
        fn = env.compile_expression(inner, undefined_to_none=False)
        value = fn(ctx)
    except Exception as exc:
        return error_outcome(exc)
    if isinstance(value, Undefined):
        return {"undefined": True}
    if jsonable(value):
        return {"want_json": json.dumps(value, ensure_ascii=False)}
    try:  # fresh context: the expression may have mutated lists/dicts
        return {"want": env.from_string(template).render(decode_context(ctx_text))}
    except Exception as exc:
        return error_outcome(exc)


# --- context serialisation: keep the JSON text as written -------------------
# (key order, duplicate keys, number spelling), only whitespace is normalised.

class _Pairs(list):
    pass


class _Num(str):
    pass


def _dump(v, out):
    if isinstance(v, _Pairs):
        out.append("{")
        for i, (k, x) in enumerate(v):
            if i:
                out.append(", ")
            out.append(json.dumps(k, ensure_ascii=False))
            out.append(": ")
            _dump(x, out)
        out.append("}")
    elif isinstance(v, list):
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(", ")
            _dump(x, out)
        out.append("]")
    elif isinstance(v, _Num):
        out.append(str(v))
    else:
        out.append(json.dumps(v, ensure_ascii=False))


def normalize_context(ctx_text):
    """Canonical spelling of a context's JSON text that keeps what json.loads
    would see (duplicates, order, number tokens)."""
    v = json.loads(
        ctx_text,
        object_pairs_hook=_Pairs,
        parse_int=_Num,
        parse_float=_Num,
        parse_constant=lambda s: (_ for _ in ()).throw(ValueError(f"non-JSON constant {s}")),
    )
    if not isinstance(v, _Pairs):
        raise ValueError(f"context is not a JSON object: {ctx_text!r}")
    out = []
    _dump(v, out)
    return "".join(out)


_ADDR = re.compile(r"0x[0-9a-f]{6,}", re.IGNORECASE)


def nondeterministic(outcome):
    """True if an outcome shows a memory address (function reprs and such)."""
    return any(isinstance(x, str) and _ADDR.search(x) for x in outcome.values())


def case_line(name, template, ctx_text, mode, outcome):
    parts = [
        '"name": ' + json.dumps(name, ensure_ascii=False),
        '"template": ' + json.dumps(template, ensure_ascii=False),
        '"context": ' + normalize_context(ctx_text),
        '"mode": ' + json.dumps(mode),
    ]
    for k in ("want", "want_json", "undefined", "error", "message"):
        if k in outcome:
            parts.append(json.dumps(k) + ": " + json.dumps(outcome[k], ensure_ascii=False))
    return "{" + ", ".join(parts) + "}"


def write_cases(path, lines_by_name):
    names = sorted(lines_by_name)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("[\n")
        f.write(",\n".join(lines_by_name[n] for n in names))
        f.write("\n]\n")
