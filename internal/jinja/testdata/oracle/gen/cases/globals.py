"""globals: range (sandbox cap), dict, cycler, joiner, namespace, lipsum."""
from cases import B, R, X

C = '{"l": ["a", "b", "c"], "n": 3, "d": {"x": 1, "y": 2}, "big": 18446744073709551616}'

EXPRS = [
    ("range-1", "range(5) | list"), ("range-2", "range(2, 5) | list"), ("range-3", "range(0, 10, 3) | list"),
    ("range-neg-step", "range(10, 0, -2) | list"), ("range-neg-step-3", "range(5, -5, -3) | list"), ("range-empty", "range(0) | list"),
    ("range-empty-backwards", "range(5, 1) | list"), ("range-negative", "range(-3) | list"), ("range-wrong-sign-step", "range(0, 10, -1) | list"),
    ("range-zero-step", "range(1, 2, 0)"), ("range-print", "range(3)"), ("range-print-step", "range(1, 10, 2)"),
    ("range-index", "range(3)[1]"), ("range-neg-index", "range(10)[-1]"), ("range-index-out", "range(3)[5]"), ("range-slice", "range(10)[2:5]"),
    ("range-slice-list", "range(10)[::3] | list"), ("range-in", "3 in range(5)"), ("range-not-in", "5 in range(5)"), ("range-sum", "range(101) | sum"),
    ("range-length", "range(0, 100, 7) | length"), ("range-eq", "range(3) == range(0, 3, 1)"), ("range-eq-list", "range(3) == [0, 1, 2]"),
    ("range-reverse", "range(4) | reverse | list"), ("range-cap-ok", "range(100000) | length"), ("range-cap-exceeded", "range(100001)"),
    ("range-cap-step", "range(0, 200001, 2)"), ("range-cap-step-ok", "range(0, 200000, 2) | length"), ("range-cap-negative", "range(100001, 0, -1)"),
    ("range-huge-negative-empty", "range(-1000000) | list"), ("range-big", "range(big)"), ("range-big-span", "range(big, big + 3) | list"),
    ("range-str-error", "range('a')"), ("range-float-error", "range(1.5)"), ("range-none-error", "range(none)"), ("range-bool", "range(true) | list"),
    ("range-no-args", "range()"), ("range-four-args", "range(1, 2, 3, 4)"), ("range-kw-error", "range(stop=3)"), ("range-var", "range(n) | list"),
    ("range-count", "range(10).count(3)"), ("range-index-method", "range(10).index(4)"), ("range-attrs", "range(1, 9, 2).step"),
    ("range-first-last", "[range(5) | first, range(5) | last]"), ("range-map", "range(3) | map('string') | join('-')"),
    ("dict-kw", "dict(a=1)"), ("dict-empty", "dict()"), ("dict-order", "dict(b=1, a=2, c=3)"), ("dict-positional", "dict({'x': 1}, y=2)"),
    ("dict-pairs", "dict([('a', 1), ('b', 2)])"), ("dict-star-star", "dict(**d)"), ("dict-int-error", "dict(1)"), ("dict-attr", "dict(a=1).a"),
    ("dict-tojson", "dict(z=1, a=2) | tojson"), ("dict-items", "dict(a=1, b=2).items() | list"), ("dict-from-zip-like", "dict([['k', 'v']])"),
    ("dict-bad-pairs", "dict(['abc'])"), ("dict-override", "dict(d, x=9)"), ("dict-call-twice", "dict(dict(a=1))"), ("dict-keyword-names", "dict(if=1, for=2)"),
    ("cycler-next", "cycler('a', 'b').next()"), ("cycler-current", "cycler('a', 'b').current"), ("cycler-items", "cycler(1, 2).items"),
    ("cycler-empty-error", "cycler()"), ("cycler-print", "cycler(1) is defined"), ("joiner-first", "joiner()()"),
    ("namespace-kw", "namespace(a=1).a"), ("namespace-dict", "namespace({'a': 1}, b=2).b"), ("namespace-missing", "namespace().x"),
    ("namespace-print", "namespace(a=1, b=[2])"), ("namespace-empty-print", "namespace()"), ("namespace-from-ctx", "namespace(d).y"),
    ("namespace-item", "namespace(a=1)['a']"), ("namespace-attrs-private", "namespace(a=1)._Namespace__attrs"),
    ("lipsum-wordcount", "lipsum(1, false, 3, 4) | wordcount"), ("lipsum-paragraphs", "lipsum(3, false, 5, 6).split('\\n\\n') | length"),
    ("lipsum-html-p", "lipsum(2, true, 5, 6).count('<p>')"), ("lipsum-html-escaped", "lipsum(1) is escaped"), ("lipsum-text-not-escaped", "lipsum(1, false) is escaped"),
    ("lipsum-ends-dot", "lipsum(1, false, 20, 21)[-1]"), ("lipsum-capitalized", "lipsum(1, false, 3, 4)[0] is upper"), ("lipsum-zero", "lipsum(0)"),
    ("lipsum-empty-range-error", "lipsum(1, false, 5, 5)"), ("lipsum-default-count", "lipsum().count('<p>')"), ("lipsum-kw", "lipsum(n=2, html=false, min=3, max=4).count('\\n\\n')"),
    ("lipsum-wordcount-2", "lipsum(2, false, 4, 5) | wordcount"), ("lipsum-bad-n", "lipsum('x')"),
]


def cases():
    out = []
    for name, expr in EXPRS:
        out += B(name, expr, C)
    out += [
        R("range-loop", "{% for i in range(1, 4) %}{{ i }}{% endfor %}", C),
        R("range-loop-neg", "{% for i in range(3, 0, -1) %}{{ i }}..{% endfor %}liftoff", C),
        R("range-loop-cap", "{% for i in range(200000) %}{% endfor %}", C),
        R("range-nested-cap-ok", "{{ range(1000) | map('string') | join | length }}", C),
        R("cycler-loop", "{% set c = cycler('odd', 'even') %}{% for x in l %}{{ c.next() }} {% endfor %}", C),
        R("cycler-across-loops", "{% set c = cycler(1, 2, 3) %}{% for x in l %}{{ c.next() }}{% endfor %}|{% for x in l %}{{ c.next() }}{% endfor %}", C),
        R("cycler-current-after-next", "{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.current }}{{ c.next() }}{{ c.current }}", C),
        R("cycler-reset", "{% set c = cycler('a', 'b', 'c') %}{{ c.next() }}{{ c.next() }}{{ c.reset() }}{{ c.next() }}", C),
        R("cycler-reset-returns-none", "{% set c = cycler(1) %}[{{ c.reset() }}]", C),
        R("cycler-single", "{% set c = cycler('x') %}{{ c.next() }}{{ c.next() }}", C),
        R("cycler-pos", "{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.pos }}", C),
        R("cycler-items-len", "{% set c = cycler('a', 'b') %}{{ c.items | length }}", C),
        R("joiner-loop", "{% set j = joiner(', ') %}{% for x in l %}{{ j() }}{{ x }}{% endfor %}", C),
        R("joiner-default-sep", "{% set j = joiner() %}{% for x in l %}{{ j() }}{{ x }}{% endfor %}", C),
        R("joiner-pipe", "{% set pipe = joiner('|') %}{% if n %}{{ pipe() }}n{% endif %}{% if d %}{{ pipe() }}d{% endif %}{% if false %}{{ pipe() }}f{% endif %}", C),
        R("joiner-sep-attr", "{% set j = joiner('-') %}{{ j.sep }}{{ j.used }}{{ j() }}{{ j.used }}", C),
        R("joiner-int-sep", "{% set j = joiner(0) %}{{ j() }}{{ j() }}", C),
        R("namespace-loop", "{% set ns = namespace(found=false) %}{% for x in l %}{% if x == 'b' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}", C),
        R("namespace-counter", "{% set ns = namespace(total=0) %}{% for i in range(5) %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}", C),
        R("namespace-new-attr", "{% set ns = namespace() %}{% set ns.x = 'new' %}{{ ns.x }}", C),
        R("namespace-list-append", "{% set ns = namespace(items=[]) %}{% for x in l %}{% set ns.items = ns.items + [x | upper] %}{% endfor %}{{ ns.items }}", C),
        R("namespace-print-after", "{% set ns = namespace(a=1) %}{% set ns.b = 2 %}{{ ns }}", C),
        R("namespace-nested-loops", "{% set ns = namespace(c=0) %}{% for a in l %}{% for b in l %}{% set ns.c = ns.c + 1 %}{% endfor %}{% endfor %}{{ ns.c }}", C),
        R("namespace-set-on-dict-error", "{% set dd = {} %}{% set dd.x = 1 %}", C),
        R("namespace-set-on-undefined-error", "{% set nope.x = 1 %}", C),
        R("namespace-set-in-with", "{% set ns = namespace(v=1) %}{% with %}{% set ns.v = 2 %}{% endwith %}{{ ns.v }}", C),
        R("namespace-set-block", "{% set ns = namespace() %}{% set ns.body %}hello {{ n }}{% endset %}{{ ns.body }}", C),
        R("namespace-missing-print", "[{{ namespace().x }}]", C),
        R("namespace-getattr-error", "{{ namespace().x.y }}", C),
        R("namespace-shadowed", "{% set namespace = 1 %}{{ namespace }}", C),
        R("namespace-in-macro", "{% set ns = namespace(v=0) %}{% macro bump() %}{% set ns.v = ns.v + 1 %}{% endmacro %}{{ bump() }}{{ bump() }}{{ ns.v }}", C),
        R("namespace-dunder", "{{ namespace(a=1).__class__ }}", C),
        R("lipsum-structure", "{% set t = lipsum(2, false, 3, 4) %}{{ t.split('\\n\\n') | map('wordcount') | list }}", C),
        X("namespace-typed", "namespace(a=1).a", C),
        X("range-typed", "range(3)", C),
        X("range-list-typed", "range(3) | list", C),
        X("dict-typed", "dict(b=1, a=2)", C),
        X("cycler-typed", "cycler(1, 2).items", C),
        X("lipsum-typed-wordcount", "lipsum(1, false, 3, 4) | wordcount", C),
    ]
    return out
