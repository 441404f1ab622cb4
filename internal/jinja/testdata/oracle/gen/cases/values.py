"""values: how JSON context values look to Jinja2 (None, order, repr, numbers)."""
from cases import B, R, X

# JSON values as they arrive in a context (text exactly as an API would send it).
JSON_VALUES = [
    ("null", "null"),
    ("true", "true"),
    ("false", "false"),
    ("zero", "0"),
    ("int", "388"),
    ("neg", "-42"),
    ("int64max", "9223372036854775807"),
    ("int2p64", "18446744073709551616"),
    ("negbig", "-123456789012345678901234567890"),
    ("int2p53p1", "9007199254740993"),
    ("float", "19.99"),
    ("float1", "1.0"),
    ("float250", "2.50"),
    ("floatexp", "1E2"),
    ("floatsmall", "1e-7"),
    ("floatbig", "1e16"),
    ("float1e15", "1e15"),
    ("negzero", "-0.0"),
    ("floatinf", "1e400"),
    ("floatlong", "0.30000000000000004"),
    ("str", '"hello"'),
    ("emptystr", '""'),
    ("strquote", '"it\'s"'),
    ("strdq", '"say \\"hi\\""'),
    ("strboth", '"it\'s \\"x\\""'),
    ("strnl", '"a\\nb\\tc"'),
    ("strbs", '"C:\\\\temp"'),
    ("strutf", '"café"'),
    ("stremoji", '"👍 ok"'),
    ("strzw", '"a\\u200bb"'),
    ("strnbsp", '"a\\u00a0b"'),
    ("strctl", '"\\u0001\\u007f"'),
    ("strspace", '"  "'),
    ("strzero", '"0"'),
    ("emptylist", "[]"),
    ("list", '[1, "a", null, true, 1.5]'),
    ("nested", '[[1, [2, []]], {"k": [null]}]'),
    ("emptyobj", "{}"),
    ("obj", '{"b": 1, "a": 2, "c": 3}'),
    ("objnested", '{"z": {"y": [1, {"x": null}]}, "a": "é"}'),
    ("objdup", '{"x": 1, "y": 2, "x": 3}'),
    ("objnumkey", '{"1": "one", "10": "ten", "2": "two"}'),
    ("listobjs", '[{"id": 2, "n": "b"}, {"id": 1, "n": "a"}]'),
]

OPS = [
    ("print", "{{ v }}"),
    ("string", "{{ v | string }}"),
    ("pprint", "{{ v | pprint }}"),
    ("tojson", "{{ v | tojson }}"),
    ("truthy", "{{ 'T' if v else 'F' }}"),
    ("tilde", "{{ '[' ~ v ~ ']' }}"),
]


def matrix():
    out = []
    for vname, vjson in JSON_VALUES:
        ctx = '{"v": ' + vjson + "}"
        for oname, tpl in OPS:
            out.append(R(f"ctx-{vname}-{oname}", tpl, ctx))
        out.append(X(f"ctx-{vname}-typed", "v", ctx))
    return out


LITERALS = [
    ("none-lower", "none"),
    ("none-title", "None"),
    ("true-lower", "true"),
    ("true-title", "True"),
    ("false-lower", "false"),
    ("false-title", "False"),
    ("int", "388"),
    ("float", "2.0"),
    ("float-half", "0.5"),
    ("float-1e-7", "1e-7"),
    ("float-1e16", "1e16"),
    ("float-1e15", "1e15"),
    ("float-big", "123456789.123456789"),
    ("float-third", "1/3"),
    ("float-sum", "0.1 + 0.2"),
    ("div-exact", "10/2"),
    ("div-neg", "-10/4"),
    ("floordiv-float", "7.0 // 2"),
    ("neg-zero", "-0.0"),
    ("inf", "1e308 * 10"),
    ("neg-inf", "-1e308 * 10"),
    ("nan", "1e308 * 10 - 1e308 * 10"),
    ("pow-big", "2 ** 64"),
    ("pow-huge", "10 ** 30"),
    ("big-literal", "123456789012345678901234567890"),
    ("list-mixed", "[1, 'a', none, true, 1.5]"),
    ("list-empty", "[]"),
    ("tuple", "(1, 2)"),
    ("tuple-one", "(1,)"),
    ("tuple-empty", "()"),
    ("dict", "{'b': 1, 'a': 2}"),
    ("dict-empty", "{}"),
    ("dict-nested", "{'a': [1, {'b': none}], 'c': (1, 'x')}"),
    ("dict-intkey", "{1: 'a', '1': 'b'}"),
    ("dict-int-float-key", "{1: 'a', 1.0: 'b'}"),
    ("dict-bool-int-key", "{true: 'x', 1: 'y'}"),
    ("dict-none-key", "{none: 1}"),
    ("dict-tuple-key", "{(1, 2): 'p'}"),
    ("str-squote", "\"it's\""),
    ("str-dquote", "'say \"hi\"'"),
    ("str-both", "'it\\'s \"x\"'"),
    ("list-str-squote", "[\"it's\"]"),
    ("list-str-dquote", "['say \"hi\"']"),
    ("list-str-both", "['it\\'s \"x\"']"),
    ("list-str-newline", "['a\\nb']"),
    ("list-str-tab", "['a\\tb']"),
    ("list-str-backslash", "['a\\\\b']"),
    ("list-str-unicode", "['é', '👍', 'ß']"),
    ("list-str-nbsp", "['a\\u00a0b']"),
    ("list-str-zwsp", "['a\\u200bb']"),
    ("list-str-del", "['\\x7f']"),
    ("list-str-nul", "['\\x00']"),
    ("list-str-cr", "['\\r']"),
    ("list-str-bell", "['\\x07']"),
    ("list-str-lsep", "['\\u2028']"),
    ("list-str-combining", "['e\\u0301']"),
    ("list-floats", "[1.0, 2.5, 1e-7, 1e16, -0.0]"),
    ("list-bools-none", "[true, false, none]"),
    ("list-nested-tuple", "[(1, 'a'), [2, ('b',)]]"),
    ("dict-str-values", "{'k': \"it's\", 'q': 'a\"b'}"),
]


def literals():
    out = []
    for name, expr in LITERALS:
        out += B(f"lit-{name}", expr)
    return out


ORDER_CTX = '{"d": {"b": 1, "a": 2, "c": 3}}'


def order():
    c = ORDER_CTX
    return [
        R("order-items-loop", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", c),
        R("order-keys-loop", "{% for k in d %}{{ k }},{% endfor %}", c),
        R("order-print", "{{ d }}", c),
        R("order-list", "{{ d | list }}", c),
        R("order-keys", "{{ d.keys() | list }}", c),
        R("order-keys-raw", "{{ d.keys() }}", c),
        R("order-values", "{{ d.values() | list }}", c),
        R("order-values-raw", "{{ d.values() }}", c),
        R("order-items-raw", "{{ d.items() }}", c),
        R("order-items-list", "{{ d.items() | list }}", c),
        R("order-items-filter", "{{ d | items | list }}", c),
        R("order-urlencode", "{{ d | urlencode }}", c),
        R("order-tojson-sorted", "{{ d | tojson }}", c),
        R("order-dictsort", "{{ d | dictsort }}", c),
        R("order-first", "{{ d | first }}", c),
        R("order-last", "{{ d | last }}", c),
        R("order-join", "{{ d | join('-') }}", c),
        R("order-map-upper", "{{ d | map('upper') | list }}", c),
        R("order-sort", "{{ d | sort }}", c),
        R("order-reverse", "{{ d | reverse | list }}", c),
        R("order-length", "{{ d | length }}", c),
        R("order-pprint", "{{ d | pprint }}", c),
        R("order-string", "{{ d | string }}", c),
        R("order-max", "{{ d | max }}", c),
        R("order-min", "{{ d | min }}", c),
        R("order-sum-values", "{{ d.values() | sum }}", c),
        X("order-typed", "d", c),
        X("order-keys-typed", "d.keys() | list", c),
        X("order-items-typed", "d.items() | list", c),
        R("order-dup-last-wins", "{{ d }}", '{"d": {"x": 1, "y": 2, "x": 3}}'),
        R("order-dup-top-level", "{{ a }}", '{"a": 1, "b": 2, "a": "last"}'),
        X("order-dup-typed", "d", '{"d": {"x": 1, "y": 2, "x": 3}}'),
        R("order-numeric-keys", "{% for k in d %}{{ k }} {% endfor %}", '{"d": {"10": 1, "9": 2, "1": 3}}'),
        R("order-unicode-keys", "{{ d | urlencode }}", '{"d": {"é": "ü", "a b": "c&d"}}'),
        R("order-nested-print", "{{ d }}", '{"d": {"z": {"b": 1, "a": [3, 2]}, "a": null}}'),
        R("order-dict-literal", "{% for k, v in {'z': 1, 'a': 2, 'm': 3}.items() %}{{ k }}{% endfor %}"),
        R("order-dict-update", "{% set x = {'b': 1} %}{% set _ = x.update({'a': 2, 'b': 3}) %}{{ x }}"),
        R("order-dict-func", "{{ dict(z=1, a=2) }}"),
        R("order-equal-ignores-order", "{{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }}"),
    ]


def nulls():
    p = '{"phone": null, "name": "Ann", "tags": null, "n": {"x": null}}'
    return [
        R("null-phone", "Phone: {{ phone }}", p),
        R("null-default-kept", "{{ phone | default('n/a') }}", p),
        R("null-default-boolean-pos", "{{ phone | default('n/a', true) }}", p),
        R("null-default-boolean-kw", "{{ phone | default('n/a', boolean=true) }}", p),
        R("null-d-alias", "{{ phone | d('n/a') }}", p),
        R("null-d-alias-bool", "{{ phone | d('n/a', true) }}", p),
        R("null-is-none", "{{ phone is none }}", p),
        R("null-is-defined", "{{ phone is defined }}", p),
        R("undef-is-none", "{{ missing is none }}", p),
        R("undef-is-not-none", "{{ missing is not none }}", p),
        R("null-eq-none", "{{ phone == none }}", p),
        R("null-nested", "{{ n.x }}", p),
        R("null-nested-default", "{{ n.x | default('d') }}", p),
        R("null-if", "{% if phone %}has{% else %}none{% endif %}", p),
        R("null-not", "{{ not phone }}", p),
        R("null-or", "{{ phone or 'fallback' }}", p),
        R("null-and", "{{ phone and 'x' }}", p),
        R("null-tilde", "{{ 'tel:' ~ phone }}", p),
        R("null-plus-str", "{{ 'tel:' + phone }}", p),
        R("null-length", "{{ tags | length }}", p),
        R("null-iterate", "{% for t in tags %}{{ t }}{% endfor %}", p),
        R("null-upper", "{{ phone | upper }}", p),
        R("null-lower", "{{ phone | lower }}", p),
        R("null-string", "{{ phone | string | length }}", p),
        R("null-int", "{{ phone | int }}", p),
        R("null-float", "{{ phone | float }}", p),
        R("null-join-list", "{{ [name, phone] | join(', ') }}", p),
        R("null-in-list", "{{ none in [1, none] }}", p),
        R("null-tojson", "{{ phone | tojson }}", p),
        R("null-is-sameas", "{{ phone is sameas none }}", p),
        X("null-typed", "phone", p),
        X("null-default-typed", "phone | default('n/a')", p),
        X("null-default-bool-typed", "phone | default('n/a', true)", p),
        X("null-literal-typed", "none", p),
        R("null-lt", "{{ phone < 1 }}", p),
        R("null-attr", "{{ phone.number }}", p),
        R("null-item", "{{ phone['number'] }}", p),
        R("null-attr-is-defined", "{{ phone.number is defined }}", p),
        R("null-call", "{{ phone() }}", p),
    ]


def booleans():
    return flatten_b([
        ("bool-is-number", "true is number"),
        ("bool-is-integer", "true is integer"),
        ("bool-is-boolean", "true is boolean"),
        ("int-is-boolean", "1 is boolean"),
        ("bool-eq-1", "1 == true"),
        ("bool-eq-1f", "1.0 == true"),
        ("false-eq-0", "0 == false"),
        ("bool-plus", "true + 1"),
        ("bool-plus-bool", "true + true"),
        ("bool-times-str", "true * 'ab'"),
        ("bool-minus", "-true"),
        ("bool-div", "true / 2"),
        ("bool-floordiv", "7 // true"),
        ("bool-mod-zero", "1 % false"),
        ("bool-sum", "[true, true, 1] | sum"),
        ("bool-index-str", "'ab'[true]"),
        ("bool-index-list", "[10, 20][false]"),
        ("bool-dict-key", "{1: 'one'}[true]"),
        ("bool-in-ints", "1 in [true]"),
        ("bool-int-filter", "true | int"),
        ("bool-float-filter", "false | float"),
        ("bool-string", "true | string"),
        ("bool-tilde", "true ~ ''"),
        ("bool-lt", "false < true"),
        ("bool-abs", "-true | abs"),
        ("bool-round", "true | round"),
        ("bool-max", "[true, 0] | max"),
        ("bool-sort", "[true, 0, false, 2] | sort"),
        ("bool-unique", "[1, true, 1.0] | unique | list"),
        ("bool-tojson", "[true, false] | tojson"),
        ("bool-is-odd", "true is odd"),
        ("bool-is-true", "1 is true"),
        ("bool-is-false", "0 is false"),
    ])


def flatten_b(items, ctx="{}"):
    out = []
    for name, expr in items:
        out += B(name, expr, ctx)
    return out


def comparisons():
    return flatten_b([
        ("list-eq", "[1, 2] == [1, 2]"),
        ("list-eq-tuple", "[1, 2] == (1, 2)"),
        ("tuple-eq-tuple", "(1, 2) == (1, 2)"),
        ("list-ne-order", "[1, 2] == [2, 1]"),
        ("list-lt", "[1, 2] < [1, 3]"),
        ("list-lt-prefix", "[1, 2] < [1, 2, 0]"),
        ("list-gt-first", "[2] > [1, 9]"),
        ("list-le-equal", "[1, 2] <= [1, 2]"),
        ("list-lt-mixed-error", "[1, 'a'] < [1, 2]"),
        ("list-lt-tuple-error", "[1] < (1,)"),
        ("list-lt-strs", "['a', 'b'] < ['a', 'c']"),
        ("list-eq-int-float", "[1, 2] == [1.0, 2.0]"),
        ("list-eq-nested", "[[1], {'a': 1}] == [[1], {'a': 1}]"),
        ("dict-eq", "{'a': 1} == {'a': 1}"),
        ("dict-eq-order", "{'a': 1, 'b': 2} == {'b': 2, 'a': 1}"),
        ("dict-ne", "{'a': 1} != {'a': 2}"),
        ("dict-lt-error", "{'a': 1} < {'a': 2}"),
        ("int-eq-float", "1 == 1.0"),
        ("str-eq-int", "'1' == 1"),
        ("none-eq-none", "none == none"),
        ("none-lt-error", "none < 1"),
        ("none-eq-zero", "none == 0"),
        ("none-eq-empty", "none == ''"),
        ("list-none-eq", "[none] == [none]"),
        ("str-lt-int-error", "'a' < 1"),
        ("str-lt", "'apple' < 'banana'"),
        ("str-lt-case", "'Z' < 'a'"),
        ("str-lt-unicode", "'é' > 'z'"),
        ("int-lt-float", "1 < 1.5"),
        ("bigint-gt-float", "18446744073709551617 > 18446744073709551616.0"),
        ("bigint-eq-float", "9007199254740993 == 9007199254740992.0"),
        ("inf-gt-big", "1e308 * 10 > 10 ** 400"),
        ("chain", "1 < 2 < 3"),
        ("chain-false", "1 < 3 < 2"),
        ("chain-eq", "1 == 1 == 1.0"),
        ("chain-mixed", "1 < 2 > 0 != 5"),
        ("empty-list-eq-tuple", "[] == ()"),
        ("list-in-list", "[1] in [[1], [2]]"),
        ("dict-in-list", "{'a': 1} in [{'a': 1}]"),
        ("float-in-ints", "1.0 in [1, 2]"),
    ])


def numbers_from_context():
    c = '{"price": 19.99, "qty": 3, "total": 150, "ratio": 2.0, "big": 18446744073709551616, "f": 1.5e300}'
    return [
        R("num-price", "{{ price }}", c),
        R("num-price-times", "{{ price * qty }}", c),
        R("num-total", "{{ total }}", c),
        R("num-ratio", "{{ ratio }}", c),
        R("num-ratio-int", "{{ ratio | int }}", c),
        R("num-total-div", "{{ total / qty }}", c),
        R("num-total-floordiv", "{{ total // qty }}", c),
        R("num-total-float", "{{ total | float }}", c),
        R("num-big-plus", "{{ big + 1 }}", c),
        R("num-big-times", "{{ big * big }}", c),
        R("num-big-float", "{{ big | float }}", c),
        R("num-big-div", "{{ big / 2 }}", c),
        R("num-big-floordiv", "{{ big // 3 }}", c),
        R("num-f-overflow", "{{ f * f }}", c),
        R("num-f-print", "{{ f }}", c),
        R("num-round-price", "{{ (price * qty) | round(2) }}", c),
        R("num-format-price", "{{ '%.2f' | format(price * qty) }}", c),
        X("num-price-times-typed", "price * qty", c),
        X("num-big-typed", "big * 10", c),
        X("num-f-overflow-typed", "f * f", c),
        X("num-ratio-typed", "ratio", c),
        X("num-div-typed", "total / 3", c),
    ]


def cases():
    return (
        matrix() + literals() + order() + nulls() + booleans() + comparisons()
        + numbers_from_context()
    )
