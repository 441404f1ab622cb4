#!/usr/bin/env python3
"""Developer aid: print the oracle outcome of one template.

  python3 gen/show.py '{{ x|upper }}' '{"x": "a"}' [render|expr]
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

oracle.check_interpreter()
tpl = sys.argv[1]
ctx = sys.argv[2] if len(sys.argv) > 2 else "{}"
modes = [sys.argv[3]] if len(sys.argv) > 3 else ["render", "expr"]
for mode in modes:
    if mode == "expr" and not (tpl.startswith("{{") and tpl.endswith("}}")):
        continue
    print(mode, json.dumps(oracle.evaluate(tpl, ctx, mode), ensure_ascii=False))
