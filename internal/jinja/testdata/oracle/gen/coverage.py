#!/usr/bin/env python3
"""Coverage check of the oracle: python3 gen/coverage.py

Parses every case's template with Jinja2's own parser and counts, per
feature, how many cases use it. Fails (exit 1) when a builtin filter is in
fewer than MIN_FILTER cases or any keyword argument of a filter is never
passed by name, or a test, global, statement form, loop attribute or lexer
feature is in fewer than MIN_OTHER cases. Prints the counts per category.
Cases of random.json are counted in the table but not for coverage.
"""
import collections
import glob
import inspect
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402
from jinja2 import nodes  # noqa: E402
from jinja2.defaults import DEFAULT_NAMESPACE  # noqa: E402
from jinja2.filters import FILTERS  # noqa: E402
from jinja2.tests import TESTS  # noqa: E402

MIN_FILTER = 10
MIN_OTHER = 5
LOOP_ATTRS = ["index", "index0", "revindex", "revindex0", "first", "last", "length", "previtem", "nextitem",
              "depth", "depth0", "cycle", "changed"]
STATEMENTS = ["for", "for-else", "for-recursive", "for-filter", "for-unpack", "loop-call", "if", "elif", "if-else",
              "set", "set-tuple", "set-namespace-attr", "set-block", "set-block-filter", "with", "filter-block",
              "autoescape", "macro", "call-block", "block", "inline-if", "inline-if-no-else"]
LEXER = {
    "raw": re.compile(r"\{%-?\s*raw\s*-?%\}"),
    "comment": re.compile(r"\{#"),
    "ws-block-left": re.compile(r"\{%-"),
    "ws-block-right": re.compile(r"-%\}"),
    "ws-print-left": re.compile(r"\{\{-"),
    "ws-print-right": re.compile(r"-\}\}"),
    "ws-plus": re.compile(r"\{%\+|\+%\}"),
    "ws-comment": re.compile(r"\{#-|-#\}"),
}


def filter_kwargs(name):
    """Keyword parameters of a builtin filter (not the value, not env/ctx)."""
    fn = FILTERS[name]
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    params = list(sig.parameters.values())
    skip = 1
    if getattr(fn, "jinja_pass_arg", None) is not None:
        skip = 2
    out = []
    for p in params[skip:]:
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            out.append(p.name)
    return out


def features(env, template):
    found = set()
    try:
        ast = env.parse(template)
    except Exception:
        ast = None
    if ast is not None:
        for node in ast.find_all(nodes.Node):
            if isinstance(node, (nodes.Filter, nodes.FilterBlock)):
                flt = node if isinstance(node, nodes.Filter) else node.filter
                while flt is not None:
                    found.add("filter:" + flt.name)
                    for kw in flt.kwargs:
                        found.add(f"kwarg:{flt.name}.{kw.key}")
                    flt = flt.node if isinstance(flt.node, nodes.Filter) else None
                if isinstance(node, nodes.FilterBlock):
                    found.add("stmt:filter-block")
                else:  # tests named by string: select('odd'), selectattr('x', '==', 1)
                    pos = {"select": 0, "reject": 0, "selectattr": 1, "rejectattr": 1}.get(node.name)
                    if pos is not None and len(node.args) > pos and isinstance(node.args[pos], nodes.Const):
                        if isinstance(node.args[pos].value, str):
                            found.add("test:" + node.args[pos].value)
            elif isinstance(node, nodes.Test):
                found.add("test:" + node.name)
            elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
                if node.node.name in DEFAULT_NAMESPACE:
                    found.add("global:" + node.node.name)
                if node.node.name == "loop":
                    found.add("stmt:loop-call")
            elif isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name == "loop":
                found.add("loop:" + node.attr)
            elif isinstance(node, nodes.For):
                found.add("stmt:for")
                if node.else_:
                    found.add("stmt:for-else")
                if node.recursive:
                    found.add("stmt:for-recursive")
                if node.test is not None:
                    found.add("stmt:for-filter")
                if isinstance(node.target, nodes.Tuple):
                    found.add("stmt:for-unpack")
            elif isinstance(node, nodes.If):
                found.add("stmt:if")
                if node.elif_:
                    found.add("stmt:elif")
                if node.else_:
                    found.add("stmt:if-else")
            elif isinstance(node, nodes.Assign):
                found.add("stmt:set")
                if isinstance(node.target, nodes.Tuple):
                    found.add("stmt:set-tuple")
                if isinstance(node.target, nodes.NSRef):
                    found.add("stmt:set-namespace-attr")
            elif isinstance(node, nodes.AssignBlock):
                found.add("stmt:set-block")
                if node.filter is not None:
                    found.add("stmt:set-block-filter")
                if isinstance(node.target, nodes.NSRef):
                    found.add("stmt:set-namespace-attr")
            elif isinstance(node, nodes.With):
                found.add("stmt:with")
            elif isinstance(node, nodes.ScopedEvalContextModifier):
                found.add("stmt:autoescape")
            elif isinstance(node, nodes.Macro):
                found.add("stmt:macro")
            elif isinstance(node, nodes.CallBlock):
                found.add("stmt:call-block")
            elif isinstance(node, nodes.Block):
                found.add("stmt:block")
            elif isinstance(node, nodes.CondExpr):
                found.add("stmt:inline-if")
                if node.expr2 is None:
                    found.add("stmt:inline-if-no-else")
    for name, rx in LEXER.items():
        if rx.search(template):
            found.add("lex:" + name)
    return found


def main():
    oracle.check_interpreter()
    env = oracle.make_env()
    counts = collections.Counter()
    table = []
    for path in sorted(glob.glob(os.path.join(os.path.dirname(HERE), "*.json"))):
        cat = os.path.basename(path)[:-5]
        cases = json.load(open(path, encoding="utf-8"))
        n_expr = sum(c["mode"] == "expr" for c in cases)
        n_err = sum("error" in c for c in cases)
        n_undef = sum("undefined" in c for c in cases)
        table.append((cat, len(cases), len(cases) - n_expr, n_expr, n_err, n_undef))
        if cat == "random":
            continue
        for c in cases:
            for f in features(env, c["template"]):
                counts[f] += 1
    problems = []
    for name in sorted(FILTERS):
        if counts["filter:" + name] < MIN_FILTER:
            problems.append(f"filter {name}: {counts['filter:' + name]} cases (< {MIN_FILTER})")
        for kw in filter_kwargs(name):
            if counts[f"kwarg:{name}.{kw}"] == 0:
                problems.append(f"filter {name}: keyword argument {kw}= never used")
    required = ([("test", t) for t in sorted(TESTS)] + [("global", g) for g in sorted(DEFAULT_NAMESPACE)]
                + [("loop", a) for a in LOOP_ATTRS] + [("stmt", s) for s in STATEMENTS]
                + [("lex", k) for k in LEXER])
    for kind, name in required:
        if counts[f"{kind}:{name}"] < MIN_OTHER:
            problems.append(f"{kind} {name}: {counts[kind + ':' + name]} cases (< {MIN_OTHER})")

    print(f"{'category':12s} {'cases':>6s} {'render':>6s} {'expr':>5s} {'error':>6s} {'undef':>6s}")
    tot = [0] * 5
    for row in table:
        print(f"{row[0]:12s} {row[1]:6d} {row[2]:6d} {row[3]:5d} {row[4]:6d} {row[5]:6d}")
        tot = [a + b for a, b in zip(tot, row[1:])]
    print(f"{'total':12s} {tot[0]:6d} {tot[1]:6d} {tot[2]:5d} {tot[3]:6d} {tot[4]:6d}")
    print()
    for kind in ("filter", "test", "global", "loop", "stmt", "lex"):
        items = sorted((k.split(":", 1)[1], v) for k, v in counts.items() if k.startswith(kind + ":"))
        print(f"{kind}: " + ", ".join(f"{k}={v}" for k, v in items))
    if problems:
        print("\nCOVERAGE PROBLEMS:")
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print("\ncoverage ok")


if __name__ == "__main__":
    main()
