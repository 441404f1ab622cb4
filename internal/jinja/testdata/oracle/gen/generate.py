#!/usr/bin/env python3
"""Regenerate the oracle case files: python3 gen/generate.py [category...]

Writes ../<category>.json (and ../random.json via random_gen) next to gen/.
"""
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)

if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

sys.path.insert(0, HERE)
import oracle  # noqa: E402
from cases import CATEGORIES, flatten  # noqa: E402


def build(category):
    mod = importlib.import_module("cases." + category.replace("-", "_"))
    lines = {}
    bad = []
    for case in flatten(mod.cases()):
        short, template, ctx, mode = case
        name = f"{category}/{short}"
        if name in lines:
            raise SystemExit(f"duplicate case name {name}")
        outcome = oracle.evaluate(template, ctx, mode)
        if oracle.nondeterministic(outcome):
            bad.append(f"{name}: outcome shows a memory address: {outcome}")
            continue
        lines[name] = oracle.case_line(name, template, ctx, mode, outcome)
    if bad:
        raise SystemExit("\n".join(bad))
    oracle.write_cases(os.path.join(OUT, category + ".json"), lines)
    return len(lines)


def main(argv):
    oracle.check_interpreter()
    want = argv or CATEGORIES + ["random"]
    total = 0
    for cat in want:
        if cat == "random":
            import random_gen
            n = random_gen.write(os.path.join(OUT, "random.json"))
        else:
            n = build(cat)
        total += n
        print(f"{cat:12s} {n:6d}")
    print(f"{'total':12s} {total:6d}")


if __name__ == "__main__":
    main(sys.argv[1:])
