#!/usr/bin/env python3
"""Checks configs/grafana/dashboards/hookworker.json against metrics/metrics.go.

Run from the repository root:  python3 configs/grafana/check_dashboard.py

- the dashboard is valid JSON and its panels do not overlap;
- every metric name in a panel's expr or a variable's query is one that
  metrics/metrics.go registers (histograms as _bucket/_sum/_count), one of the
  process_* series the dashboard uses, or Prometheus' own `up`;
- every label in a matcher, a by (...) clause or a {{legend}} is one the
  metric has (plus job and instance, which Prometheus adds, and le).

With --rules FILE it also writes the exprs, Grafana variables replaced, as a
Prometheus rules file, so that `promtool check rules FILE` parses the PromQL.
"""
import json
import re
import sys

METRICS_GO = "metrics/metrics.go"
DASHBOARD = "configs/grafana/dashboards/hookworker.json"
TARGET_LABELS = {"job", "instance"}
# Collectors registered by metrics.New besides the hookworker_* ones
# (collectors.NewProcessCollector), and the series Prometheus adds itself.
EXTRA = {"process_cpu_seconds_total": set(), "process_resident_memory_bytes": set(), "up": set()}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
            "and", "or", "unless", "offset", "inf", "nan"}


def known_metrics():
    src = open(METRICS_GO).read()
    ns = re.search(r'const namespace = "(\w+)"', src).group(1)
    names = {}
    # CounterOpts / GaugeOpts / HistogramOpts: Namespace: namespace, Name: "x", ... }, []string{labels}
    for m in re.finditer(r'(Counter|Gauge|Histogram)Opts\{\s*Namespace: namespace, Name: "(\w+)"(.*?)\n\t*\}(?:, \[\]string\{([^}]*)\})?',
                         src, re.S):
        kind, name, labels = m.group(1), f"{ns}_{m.group(2)}", m.group(4)
        lab = set(re.findall(r'"(\w+)"', labels or ""))
        if kind == "Histogram":
            names[name + "_bucket"] = lab | {"le"}
            names[name + "_sum"] = lab
            names[name + "_count"] = lab
        else:
            names[name] = lab
    for m in re.finditer(r'BuildFQName\(namespace, "(\w+)", "(\w+)"\)', src):
        names[f"{ns}_{m.group(1)}_{m.group(2)}"] = set()
    if "NewProcessCollector" not in src:
        sys.exit("metrics.go no longer registers the process collector")
    names.update(EXTRA)
    return names


def check_expr(where, expr, legend, names, errs):
    e = expr.replace("$__rate_interval", "5m")
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', e)  # strings (regexes, $variables)
    used_labels = {}
    for m in re.finditer(r'([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}', e):
        used_labels.setdefault(m.group(1), set()).update(re.findall(r'(\w+)\s*(?:=~|!~|!=|=)', m.group(2)))
    e = re.sub(r'\{[^}]*\}', ' ', e)
    e = re.sub(r'\[[^\]]*\]', ' ', e)
    by = set()
    for m in re.finditer(r'\b(by|without)\s*\(([^)]*)\)', e):
        by.update(x.strip() for x in m.group(2).split(",") if x.strip())
    e = re.sub(r'\b(by|without)\s*\([^)]*\)', ' ', e)
    metrics = set()
    for m in re.finditer(r'(?<![\w.$])([a-zA-Z_:][\w:]*)(\s*\()?', e):
        tok, call = m.group(1), m.group(2)
        if call or tok in KEYWORDS:
            continue
        metrics.add(tok)
    if not metrics:
        errs.append(f"{where}: no metric in {expr!r}")
    allowed = set(TARGET_LABELS)
    for name in metrics:
        if name not in names:
            errs.append(f"{where}: unknown metric {name!r}")
        else:
            allowed |= names[name]
    for name, labs in used_labels.items():
        for lab in labs - TARGET_LABELS - names.get(name, set()):
            errs.append(f"{where}: {name} has no label {lab!r}")
    for lab in by - allowed:
        errs.append(f"{where}: by ({lab}) is not a label of {sorted(metrics)}")
    out = by if by else allowed
    for lab in re.findall(r'\{\{\s*(\w+)\s*\}\}', legend or ""):
        if lab not in out:
            errs.append(f"{where}: legend label {lab!r} is not in the result")
    return metrics


def main():
    names = known_metrics()
    dash = json.load(open(DASHBOARD))
    errs, exprs, used = [], [], set()
    cells = {}
    for p in dash["panels"]:
        g = p["gridPos"]
        for yy in range(g["y"], g["y"] + g["h"]):
            for xx in range(g["x"], g["x"] + g["w"]):
                if xx >= 24:
                    errs.append(f"panel {p['title']!r} is wider than the grid")
                if (xx, yy) in cells:
                    errs.append(f"panels {cells[(xx, yy)]!r} and {p['title']!r} overlap")
                cells[(xx, yy)] = p["title"]
        for t in p.get("targets", []):
            where = f"panel {p['title']!r} {t['refId']}"
            used |= check_expr(where, t["expr"], t.get("legendFormat"), names, errs)
            exprs.append(t["expr"])
    for v in dash["templating"]["list"]:
        if v["type"] != "query":
            continue
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = re.fullmatch(r'label_values\((.*),\s*(\w+)\)', q)
        if not m:
            errs.append(f"variable {v['name']}: not label_values(metric, label): {q!r}")
            continue
        mets = check_expr(f"variable {v['name']}", m.group(1), None, names, errs)
        for name in mets:
            if m.group(2) not in names.get(name, set()) | TARGET_LABELS:
                errs.append(f"variable {v['name']}: {name} has no label {m.group(2)!r}")
    if "--rules" in sys.argv:
        path = sys.argv[sys.argv.index("--rules") + 1]
        subst = lambda s: (s.replace("$__rate_interval", "1m").replace("$job", "hookworker")
                           .replace("$instance", ".*").replace("$host", ".*"))
        rules = [{"record": f"check:expr{i}", "expr": subst(x)} for i, x in enumerate(exprs)]
        with open(path, "w") as f:
            json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f, indent=1)
    for e in errs:
        print(e)
    unused = sorted(n for n in names if n not in used and not n.endswith(("_sum", "_count")))
    print(f"{len(exprs)} exprs, {len(used)} metrics used; not on the dashboard: {', '.join(unused) or 'none'}")
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
