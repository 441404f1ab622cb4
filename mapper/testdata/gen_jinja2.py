#!/usr/bin/python3
"""Jinja2 oracle for the mapper golden cases.

Run with the Debian system interpreter (python3-jinja2) from mapper/:

    /usr/bin/python3 testdata/gen_jinja2.py

Reads testdata/golden_cases.json and writes testdata/golden_jinja2.json:
{case: {cvar: outcome}}, where outcome is one of
  {"value": <JSON value>}  the CVar's value under the mapper contract,
  {"unmapped": true}       the mapper's path is missing (Undefined/UndefinedError),
  {"error": true}          Jinja2 raised anything else.

Each mapper is run on its own, as the contract describes it: a mapper that is
exactly one {{ expression }} (nothing around the braces, not even a space) is evaluated with
compile_expression and keeps its Python value; any other mapper is rendered to
a string. The context is the top-level keys of a JSON object body, then
response (status_code, headers with lower-case names and values joined by
", ", body parsed or None, text), cvars and conversation.
"""
import json
import math
import os
import re

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = SandboxedEnvironment()
SINGLE = re.compile(r"^\{\{(.*)\}\}$", re.S)


class NotJSON(Exception):
    pass


def to_json(v):
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, str):
        return str(v)  # markupsafe.Markup (from tojson) is a str subclass
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise NotJSON(repr(v))
        return v
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        return {str(k): to_json(x) for k, x in v.items()}
    raise NotJSON(type(v).__name__)


def single_expression(src):
    """The expression source when src is exactly one {{ expression }}."""
    m = SINGLE.match(src)
    if not m:
        return None
    try:
        tree = ENV.parse(src)
    except jinja2.TemplateSyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output):
        return None
    exprs = [n for n in tree.body[0].nodes
             if not (isinstance(n, nodes.TemplateData) and n.data.strip() == "")]
    if len(exprs) != 1 or isinstance(exprs[0], nodes.TemplateData):
        return None
    return m.group(1)


def context(case):
    text = case.get("body", "")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    ctx = {}
    if isinstance(body, dict):
        ctx.update(body)
    headers = {}
    for k in sorted(case.get("headers") or {}):
        headers.setdefault(k.lower(), []).extend(case["headers"][k])
    ctx["response"] = {
        "status_code": case.get("status") or 200,
        "headers": {k: ", ".join(v) for k, v in headers.items()},
        "body": body,
        "text": text,
    }
    ctx["cvars"] = case.get("cvars") or {}
    ctx["conversation"] = case.get("conversation") or {}
    return ctx


def outcome(src, ctx):
    expr = single_expression(src)
    try:
        if expr is not None:
            v = ENV.compile_expression(expr, undefined_to_none=False)(**ctx)
            if isinstance(v, jinja2.Undefined):
                return {"unmapped": True}
            return {"value": to_json(v)}
        return {"value": ENV.from_string(src).render(**ctx)}
    except jinja2.UndefinedError:
        return {"unmapped": True}
    except Exception:  # noqa: BLE001 - any other failure is an error
        return {"error": True}


def main():
    with open(os.path.join(HERE, "golden_cases.json")) as f:
        cases = json.load(f)
    out = {}
    for case in cases:
        ctx = context(case)
        out[case["name"]] = {m["name"]: outcome(m["mapper"], ctx) for m in case["mappers"]}
    with open(os.path.join(HERE, "golden_jinja2.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    print("jinja2", jinja2.__version__, "->", len(out), "cases")


if __name__ == "__main__":
    main()
