#!/usr/bin/env python3
"""Realistic webhook bodies and mappers, as bot builders write them:
  python3 gen/bodies_gen.py COUNT SEED OUT.json

Each case is a request body (JSON text with tojson, default, loops over
objects, dict iteration, '%s' % x, '{:.2f}'.format(x), format, urlencode,
replace/split/join, slicing, sum/map/selectattr/groupby/batch, namespace
counters, macros, call blocks, whitespace control, raw, comments, Markup,
autoescape) or a mapper expression over a JSON response, rendered over a
conversation context whose values take every shape a webhook sees (text
numbers, nulls, missing keys, unicode, huge and negative numbers, floats,
empty lists). The outcome is Jinja2's (oracle.evaluate). Run the file with
TestOracleFiles (HOOKWORKER_JINJA2_CASES) to find divergences.
"""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402

NAMES = ["Ana", "José Núñez", "Zoë", "李雷", "O'Brien", "<b>Bob</b>", "Ünïcödé 🩷", "", "  pad  ", "ΣΑΣ", "straße", "İstanbul"]
TEXTS = ["hello world", "Order #123 & co", "line1\nline2", "a,b,,c", "50%", "{0}", "%s", "ünï", "x" * 30, "2024-03-01T10:20:30Z", "3.50", "-7", "1e3", "true", "null", " 42 ", "https://ex.com/a?b=1&c=2", "mail me at a@b.co", "tab\there", "\"quoted\""]
NUMS = ["0", "1", "-1", "42", "19.99", "-0.5", "1e16", "2.5", "3.0", "123456789012345678901234567890", "-9223372036854775809", "0.1", "100", "7", "1e-7", "1E2", "2.675"]


def rnd_scalar(r):
    k = r.random()
    if k < 0.3:
        return json.dumps(r.choice(NAMES + TEXTS), ensure_ascii=False)
    if k < 0.6:
        return r.choice(NUMS)
    if k < 0.7:
        return r.choice(["true", "false"])
    if k < 0.8:
        return "null"
    return json.dumps(r.choice(NUMS))  # a number as text


def rnd_item(r):
    fields = [
        ("name", json.dumps(r.choice(NAMES), ensure_ascii=False)),
        ("sku", json.dumps(r.choice(["A1", "b2", "C-3", "", "x y"]))),
        ("qty", r.choice(["1", "2", "0", "-1", "3", "\"2\"", "null", "1.5"])),
        ("price", r.choice(["9.99", "10", "0", "\"4.50\"", "null", "1e3", "-2.5", "19.999"])),
        ("tags", r.choice(["[]", "[\"a\", \"b\"]", "[\"VIP\"]", "null", "\"x,y\""])),
        ("category", json.dumps(r.choice(["food", "Food", "toys", None, "books"]))),
        ("active", r.choice(["true", "false", "null", "1", "0"])),
    ]
    keep = [f for f in fields if r.random() < 0.85]
    r.shuffle(keep) if r.random() < 0.2 else None
    return "{" + ", ".join(f'"{k}": {v}' for k, v in keep) + "}"


def rnd_context(r):
    items = ", ".join(rnd_item(r) for _ in range(r.choice([0, 1, 2, 3, 4, 6])))
    cvars = []
    for k in ["first_name", "last_name", "email", "phone", "order_id", "amount", "date", "lang", "note", "count", "score", "city"]:
        if r.random() < 0.8:
            cvars.append(f'"{k}": {rnd_scalar(r)}')
    meta = r.choice(['{}', '{"a": 1, "b": [1, 2], "c": {"d": null}}', '{"z": "last", "a": "first", "m": 2.0}', '{"k": "v", "k": "dup"}', '{"n": 123456789012345678901234567890}'])
    resp_body = r.choice([
        '{"id": 17, "status": "open", "tags": ["x", "y"], "user": {"name": "Ana", "email": null}, "total": 12.50}',
        '{"data": [{"id": 1, "v": 2.5}, {"id": 2, "v": null}, {"id": 3, "v": "7"}], "next": null}',
        '{"results": [], "count": 0, "ok": true}',
        '{"order": {"lines": [{"sku": "A", "qty": 2, "price": 9.99}, {"sku": "B", "qty": 1, "price": 0.01}], "currency": "EUR"}}',
        '[1, 2, 3]',
        '"plain text"',
        '{"weather": {"temp": -3.456, "desc": "Snow ❄", "wind": 12}, "ts": "2024-02-29T23:59:59+01:00"}',
        '{"a": {"b": {"c": [10, 20, {"d": "deep"}]}}}',
    ])
    headers = '{"content-type": "application/json", "x-request-id": "abc-123", "X-Count": "5"}'
    status = r.choice(["200", "201", "404", "500", "204"])
    return ("{" + ", ".join(cvars) + (", " if cvars else "") +
            f'"items": [{items}], "meta": {meta}, "conversation": {{"id": {json.dumps(r.choice(["c-1", "42", ""]))}, "channel": {json.dumps(r.choice(["web", "WhatsApp", None]))}}}, '
            f'"response": {{"status": {status}, "headers": {headers}, "body": {resp_body}}}' + "}")


SCALARS = ["first_name", "last_name", "email", "phone", "order_id", "amount", "date", "lang", "note", "count", "score", "city",
           "conversation.id", "conversation.channel", "meta.a", "meta.z", "meta.n", "missing", "items[0].name", "items[0].price", "items|length"]


def v(r):
    return r.choice(SCALARS)


def frag(r):
    x, y = v(r), v(r)
    choices = [
        lambda: f'"name": {{{{ {x} | tojson }}}}',
        lambda: f'"name": "{{{{ {x} | default("n/a") }}}}"',
        lambda: f'"name": "{{{{ {x} | default("n/a", true) | e }}}}"',
        lambda: f'"v": {{{{ {x} | default(none) | tojson }}}}',
        lambda: f'"full": "{{{{ ({x} ~ " " ~ {y}) | trim | title }}}}"',
        lambda: f'"up": "{{{{ {x} | string | upper | replace("A", "4") }}}}"',
        lambda: f'"n": {{{{ {x} | int }}}}, "f": {{{{ {x} | float }}}}',
        lambda: f'"r": {{{{ {x} | float | round(2) }}}}',
        lambda: f'"pct": "{{{{ "%s%%" % {x} }}}}"',
        lambda: f'"fmt": "{{{{ "%.2f" | format({x} | float) }}}}"',
        lambda: f'"fmt": "{{{{ "{{:.2f}}".format({x} | float) }}}}"',
        lambda: f'"fmt": "{{{{ "{{:,}}".format({x} | int) }}}}"',
        lambda: f'"fmt": "{{{{ "%5s|%-5s|%05d" % ({x}, {y}, {x} | int) }}}}"',
        lambda: f'"fmt": "{{{{ "{{0}}-{{1!r}}".format({x}, {y}) }}}}"',
        lambda: f'"q": "{{{{ {{"q": {x}, "lang": {y}}} | urlencode }}}}"',
        lambda: f'"q": "{{{{ {x} | string | urlencode }}}}"',
        lambda: f'"date": "{{{{ ({x} | string)[:10] }}}}", "yr": "{{{{ ({x} | string).split("-")[0] }}}}"',
        lambda: f'"parts": {{{{ ({x} | string).split(",") | tojson }}}}',
        lambda: f'"j": "{{{{ ({x} | string).split() | join("_") }}}}"',
        lambda: f'"rev": "{{{{ ({x} | string)[::-1] }}}}"',
        lambda: f'"len": {{{{ {x} | length if {x} is defined and {x} is not none else 0 }}}}',
        lambda: f'"ok": {{{{ ({x} is defined and {x}) | tojson }}}}',
        lambda: f'"kind": "{{% if {x} is number %}}num{{% elif {x} is string %}}str{{% elif {x} is none %}}none{{% else %}}other{{% endif %}}"',
        lambda: f'"cmp": "{{% if {x} == {y} %}}eq{{% elif {x} | string > {y} | string %}}gt{{% else %}}lt{{% endif %}}"',
        lambda: '"items": [{% for it in items %}{"n": {{ it.name | tojson }}, "total": {{ (it.qty | int) * (it.price | float) }}}{% if not loop.last %}, {% endif %}{% endfor %}]',
        lambda: '"items": [{%- for it in items if it.active %}\n  {{ loop.index }}: {{ it.sku | default("?") }}{{ "," if not loop.last }}\n{%- endfor %}]',
        lambda: '"sum": {{ items | map(attribute="qty") | map("int") | sum }}',
        lambda: '"sum": {{ items | sum(attribute="price") if items else 0 }}',
        lambda: '"names": {{ items | map(attribute="name") | join(", ") | tojson }}',
        lambda: '"skus": {{ items | selectattr("active") | map(attribute="sku") | list | tojson }}',
        lambda: '"cats": {% for g in items | groupby("category") %}{{ g.grouper }}={{ g.list | length }};{% endfor %}',
        lambda: '"cats": {% for cat, its in items | groupby(attribute="category", default="none") %}{{ cat }}:{{ its | map(attribute="name") | join("/") }} {% endfor %}',
        lambda: '"b": {% for row in items | batch(2, "-") %}[{% for c in row %}{{ c.sku if c is mapping else c }}{% endfor %}]{% endfor %}',
        lambda: '"s": {% for col in items | slice(2) %}{{ col | length }}{% endfor %}',
        lambda: '"max": {{ items | map(attribute="price") | select("number") | max | default("none") }}',
        lambda: '"srt": {{ items | sort(attribute="name") | map(attribute="name") | list }}',
        lambda: '"srt": {{ items | sort(attribute="price,name", reverse=true) | map(attribute="sku") | list }}',
        lambda: '"u": {{ items | map(attribute="category") | unique | list }}',
        lambda: '{% set ns = namespace(total=0, n=0) %}{% for it in items %}{% set ns.total = ns.total + (it.price | float) %}{% set ns.n = ns.n + 1 %}{% endfor %}"avg": {{ (ns.total / ns.n) | round(2) if ns.n else 0 }}',
        lambda: '"meta": { {%- for k, v in meta.items() %}"{{ k }}": {{ v | tojson }}{{ ", " if not loop.last }}{% endfor -%} }',
        lambda: '"meta": {{ meta }}, "ds": {{ meta | dictsort }}',
        lambda: '"meta": {{ meta | tojson }}, "keys": {{ meta.keys() | list }}',
        lambda: '"pp": {{ meta | pprint | tojson }}',
        lambda: f'{{% macro field(k, v) -%}}"{{{{ k }}}}": {{{{ v | tojson }}}}{{%- endmacro %}}{{{{ field("a", {x}) }}}}, {{{{ field("b", {y}) }}}}',
        lambda: '{% macro row(it) %}{{ caller(it) }}{% endmacro %}{% for it in items %}{% call(i) row(it) %}[{{ i.sku }}]{% endcall %}{% endfor %}',
        lambda: f'{{% macro outer(a) %}}{{% macro inner(b) %}}<{{{{ b }}}}>{{% endmacro %}}{{{{ inner(a) }}}}{{{{ inner(a | string | length) }}}}{{% endmacro %}}{{{{ outer({x}) }}}}',
        lambda: f'{{% raw %}}{{{{ not rendered }}}}{{% endraw %}}{{# a comment {{{{ {x} }}}} #}}"x": "{{{{ {x} }}}}"',
        lambda: f'{{%- if {x} %}}\n  "a": 1\n{{%- else %}}\n  "a": 0\n{{%- endif %}}',
        lambda: f'"esc": "{{{{ {x} | escape }}}}", "safe": "{{{{ {x} | safe }}}}", "m": "{{{{ ("<i>" | safe) ~ {x} }}}}"',
        lambda: f'{{% autoescape true %}}"a": "{{{{ {x} }}}}{{{{ "<br>" | safe }}}}"{{% endautoescape %}}',
        lambda: f'"s": "{{{{ {x} | string | truncate(10) }}}}", "w": {{{{ {x} | string | wordcount }}}}',
        lambda: f'"c": "{{{{ {x} | string | center(12) }}}}", "i": {{{{ {x} | string | indent(2) | tojson }}}}',
        lambda: f'"x": "{{{{ {x} | string | striptags }}}}", "z": "{{{{ ({x} | string).zfill(6) }}}}"',
        lambda: f'"t": "{{{{ {x} | string | capitalize }}}}{{{{ ({x} | string).startswith(("A", "J")) }}}}"',
        lambda: f'"n": {{{{ ({x} | int) // 3 }}}}, "m": {{{{ ({x} | float) % 3 }}}}, "p": {{{{ ({x} | int) ** 2 }}}}',
        lambda: f'"a": {{{{ {x} | abs if {x} is number else {x} }}}}',
        lambda: f'"fs": "{{{{ {x} | float | filesizeformat }}}}"',
        lambda: f'"cnt": {{{{ (({x} | string).count("a")) }}}}, "idx": {{{{ ({x} | string).find("o") }}}}',
        lambda: f'"r": "{{{{ ({x} | string).replace(" ", "%20") | lower }}}}"',
        lambda: '{% set parts = [] %}{% for it in items %}{{ parts.append(it.sku | default("")) or "" }}{% endfor %}"p": {{ parts | join("|") | tojson }}',
        lambda: '{% for it in items %}{{ loop.index0 }}/{{ loop.length }}{{ loop.cycle("a", "b") }}{% if loop.changed(it.category) %}*{% endif %} {% else %}none{% endfor %}',
        lambda: f'{{% with v = {x} %}}"w": {{{{ v | tojson }}}}{{% endwith %}}',
        lambda: f'{{% set t %}}{{{{ {x} }}}}-{{{{ {y} }}}}{{% endset %}}"t": {{{{ t | tojson }}}}',
        lambda: f'{{% filter upper %}}{{{{ {x} }}}} and {{{{ {y} }}}}{{% endfilter %}}',
        lambda: f'"l": {{{{ [{x}, {y}] | reject("none") | list | tojson }}}}',
        lambda: f'"d": {{{{ dict(a={x}, b={y}) | tojson }}}}',
        lambda: f'"cyc": "{{% set c = cycler("x", "y") %}}{{{{ c.next() }}}}{{{{ c.next() }}}}{{{{ c.next() }}}}"',
        lambda: f'"rng": {{{{ range(({x} | int) % 5) | list }}}}',
        lambda: f'"min": {{{{ [{x} | float, {y} | float] | min }}}}, "mx": {{{{ [3, 1, 2] | max }}}}',
        lambda: f'"lst": {{{{ ({x} | string | list)[:3] }}}}, "f": {{{{ {x} | string | first | tojson }}}}',
        lambda: f'"tern": "{{{{ "yes" if {x} else "no" }}}}", "or": {{{{ ({x} or {y}) | tojson }}}}',
        lambda: f'"x": "{{{{ {x}.upper() if {x} is string else {x} }}}}"',
        lambda: f'"x": {{{{ {x} | items | list if {x} is mapping else [] }}}}',
        lambda: f'"x": "{{{{ {x} | xmlattr if {x} is mapping else "" }}}}"',
        lambda: f'"url": "{{{{ {x} | urlize }}}}"',
        lambda: f'"ww": {{{{ {x} | string | wordwrap(5) | tojson }}}}',
        lambda: f'"h": {{{{ response.headers["X-Count"] | int + 1 }}}}, "s": {{{{ response.status }}}}',
        lambda: f'"h": {{{{ response.headers | dictsort | first | join("=") }}}}, "b": {{{{ response.body | tojson }}}}',
        lambda: f'"n": {{{{ {x} | default(0) | int + {y} | default(0) | int }}}}',
        lambda: f'"s": "{{{{ {x} | default("", true) | string | lower | replace("ü", "ue") }}}}"',
        lambda: f'"p": "{{{{ "{{:>8}}|{{:<6}}|{{:^7}}".format({x} | string, {y} | string, "x") }}}}"',
        lambda: f'"p": "{{{{ "{{:08.3f}}{{:+d}}{{:x}}{{:e}}".format({x} | float, {y} | int, {x} | int, {y} | float) }}}}"',
        lambda: f'"p": "{{{{ "%d items, %.1f%%, %r" % ({x} | int, {y} | float, {x}) }}}}"',
        lambda: f'"p": "{{{{ "%(a)s-%(b)05.1f" % {{"a": {x}, "b": {y} | float}} }}}}"',
        lambda: f'"e": {{{{ ({x} | string).encode("utf-8") | length if false else ({x} | string | length) }}}}',
        lambda: f'"t": "{{{{ ({x} | string).title() }}}}{{{{ ({x} | string).swapcase() }}}}{{{{ ({x} | string).casefold() }}}}"',
        lambda: f'"t": "{{{{ ({x} | string).ljust(8, "*") }}}}{{{{ ({x} | string).rjust(8) }}}}{{{{ ({x} | string).partition(" ") }}}}"',
        lambda: f'"t": {{{{ ({x} | string).splitlines() }}}}{{{{ ({x} | string).rsplit(",", 1) }}}}{{{{ ({x} | string).isdigit() }}}}',
        lambda: f'"c": {{{{ ({x} | string) in ({y} | string) }}}}, "i": {{{{ ({x} | string).strip().lstrip("-").isnumeric() }}}}',
    ]
    return r.choice(choices)()


MAPPERS = [
    "response.body.id", "response.body.user.name", "response.body.user.email", "response.body.tags | length",
    "response.body.tags | join(',')", "response.body.total * 100", "response.body.total | round | int",
    "response.body.data | map(attribute='v') | list", "response.body.data | selectattr('v') | map(attribute='id') | first",
    "response.body.data[-1].v", "response.body.data | length > 2", "response.body.results | first",
    "response.body.results | first is undefined", "response.body.count == 0", "response.body.ok",
    "response.body.order.lines | sum(attribute='price')", "response.body.order.lines | map(attribute='qty') | sum",
    "response.body.order.lines[0].price * response.body.order.lines[0].qty", "response.body.order.currency | lower",
    "response.body[0] + response.body[-1]", "response.body | sum", "response.body.upper()", "response.body | length",
    "response.body.weather.temp | round(1)", "response.body.weather.desc.split()[0]", "response.body.ts[:10]",
    "response.body.ts.split('T')[1][:5]", "'%.1f' % response.body.weather.temp", "response.body.a.b.c[2].d",
    "response.body.a.b.c | last", "response.body.a.x", "response.body.next", "response.body.next or 'end'",
    "response.status", "response.status == 200", "response.status in [200, 201]", "response.headers['content-type']",
    "response.headers['x-count'] | int", "response.headers.get('X-Count')", "response.body.id if response.status == 200 else none",
    "response.body.id | string", "(response.body.total | string).split('.')[1]", "response.body.tags | tojson",
    "response.body.user", "response.body.user | tojson", "response.body.user.items() | list", "response.body.data | tojson",
    "{'id': response.body.id, 'n': response.body.tags | length}", "response.body.data | map(attribute='v') | reject('none') | list",
    "response.body.data | groupby('v') | list | length", "response.body.total | int", "response.body.total | string",
    "response.body.total ~ ''", "response.body.get('status', 'x')", "response.body.status | title", "response.body.tags[5]",
    "response.body.missing | default('d')", "[response.body.id, response.status]", "response.body.total | abs", "response.body.total / 0",
]


def template(r):
    if r.random() < 0.25:
        return "{{ " + r.choice(MAPPERS) + " }}", "expr"
    parts = [frag(r) for _ in range(r.choice([1, 1, 2, 3, 4]))]
    sep = r.choice([", ", ",\n  ", ",\n"])
    # "{" then "{%" would lex as "{{" (a real template's mistake, but one
    # that hides the rest of the case): the brace stands apart.
    body = "{" + r.choice([" ", "\n  "]) + sep.join(parts) + r.choice(["", "\n"]) + "}"
    if r.random() < 0.1:
        body += "\n"
    return body, "render"


def main():
    oracle.check_interpreter()
    count, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    r = random.Random(seed)
    lines = {}
    i = 0
    while len(lines) < count:
        i += 1
        tpl, mode = template(r)
        ctx = rnd_context(r)
        outcome = oracle.evaluate(tpl, ctx, mode)
        if oracle.nondeterministic(outcome) or len(outcome.get("want", "")) > 4000:
            continue
        name = f"bodies/{seed}-{len(lines):05d}"
        lines[name] = oracle.case_line(name, tpl, ctx, mode, outcome)
    oracle.write_cases(out, lines)
    n_err = sum('"error"' in l for l in lines.values())
    print(f"bodies: {len(lines)} cases ({n_err} errors)", file=sys.stderr)


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    main()
