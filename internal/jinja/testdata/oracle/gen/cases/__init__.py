"""Case lists, one module per category file.

A case is a tuple (short-name, template, context-JSON-text, mode); the
category prefix is added by generate.py.  Helpers:
  R(name, template, ctx)  mode render
  X(name, expr, ctx)      mode expr, template "{{ expr }}"
  B(name, expr, ctx)      both: render "{{ expr }}" as name, expr as name+"~x"
ctx is JSON text, or a Python dict/list that is json.dumps'ed (order kept).
"""
import json

CATEGORIES = [
    "values",
    "arithmetic",
    "undefined",
    "parser",
    "strings",
    "filters",
    "tests",
    "globals",
    "loops",
    "statements",
    "mapper",
    "realistic",
    "found",
    "hunt",
]


def ctxtext(ctx):
    if isinstance(ctx, str):
        return ctx
    return json.dumps(ctx, ensure_ascii=False)


def R(name, template, ctx="{}"):
    return (name, template, ctxtext(ctx), "render")


def X(name, expr, ctx="{}"):
    return (name, "{{ " + expr + " }}", ctxtext(ctx), "expr")


def B(name, expr, ctx="{}"):
    return [R(name, "{{ " + expr + " }}", ctx), X(name + "~x", expr, ctx)]


def flatten(items):
    out = []
    for it in items:
        if isinstance(it, list):
            out.extend(flatten(it))
        else:
            out.append(it)
    return out
