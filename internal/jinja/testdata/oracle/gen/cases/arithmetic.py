"""arithmetic: Python number semantics (unbounded ints, floor division,
float printing), operators on sequences, precedence, and/or/not."""
from cases import B, R, X

NUM_PAIRS = [
    ("7-2", "7", "2"),
    ("n7-2", "-7", "2"),
    ("7-n2", "7", "-2"),
    ("n7-n2", "-7", "-2"),
    ("7-3", "7", "3"),
    ("n7-3", "-7", "3"),
    ("7-n3", "7", "-3"),
    ("0-5", "0", "5"),
    ("1-1", "1", "1"),
    ("f7.5-2", "7.5", "2"),
    ("fn7.5-2", "-7.5", "2"),
    ("7-f2.5", "7", "2.5"),
    ("n7-fn2.5", "-7", "-2.5"),
    ("f0.1-f0.2", "0.1", "0.2"),
    ("f1.0-f1.0", "1.0", "1.0"),
    ("big-big", "12345678901234", "1000000"),
    ("2p63-1", "9223372036854775807", "1"),
    ("n2p63-1", "-9223372036854775808", "1"),
    ("2p64-n3", "18446744073709551616", "-3"),
    ("big-f", "18446744073709551616", "0.5"),
    ("3-true", "3", "true"),
    ("true-false", "true", "false"),
]

OPS = [
    ("add", "+"),
    ("sub", "-"),
    ("mul", "*"),
    ("div", "/"),
    ("floordiv", "//"),
    ("mod", "%"),
]


def num_matrix():
    out = []
    for pname, a, b in NUM_PAIRS:
        ctx = '{"a": ' + a + ', "b": ' + b + "}"
        for oname, op in OPS:
            out += B(f"{oname}-{pname}", f"a {op} b", ctx)
    return out


ZERO_DIV = [
    ("div-int-zero", "10 / 0"),
    ("div-float-zero", "10.0 / 0"),
    ("div-int-fzero", "10 / 0.0"),
    ("floordiv-int-zero", "1 // 0"),
    ("floordiv-float-zero", "1.5 // 0"),
    ("mod-int-zero", "1 % 0"),
    ("mod-float-zero", "1.5 % 0.0"),
    ("div-false", "1 / false"),
    ("pow-zero-neg", "0 ** -1"),
    ("pow-fzero-neg", "0.0 ** -1"),
]


def zero_div():
    out = []
    for name, expr in ZERO_DIV:
        out += B(name, expr)
        a, op, b = expr.split(" ")
        ctx = '{"a": ' + a + ', "b": ' + b + "}"
        out.append(R(name + "-ctx", "{{ a " + op + " b }}", ctx))
    return out


POW = [
    ("pow-int", "2 ** 10"),
    ("pow-big", "2 ** 100"),
    ("pow-neg-exp", "2 ** -1"),
    ("pow-neg-exp-2", "10 ** -2"),
    ("pow-float-exp", "2 ** 0.5"),
    ("pow-float-base", "2.0 ** 3"),
    ("pow-zero-zero", "0 ** 0"),
    ("pow-neg-base-int", "(-2) ** 3"),
    ("pow-neg-base-frac", "(-8) ** 0.5"),
    ("pow-left-assoc", "2 ** 3 ** 2"),
    ("pow-unary-minus-binds-tighter", "-2 ** 2"),
    ("pow-unary-minus-exp", "2 ** -2 ** 2"),
    ("pow-bool", "true ** 5"),
    ("pow-float-overflow", "10.0 ** 400"),
    ("pow-int-float", "4 ** 0.5"),
    ("pow-one-huge", "1 ** 1000000"),
    ("pow-str-error", "'a' ** 2"),
    ("pow-none-error", "none ** 2"),
    ("pow-4300-digits", "10 ** 4299"),
    ("pow-over-4300-digits", "10 ** 4300"),
]


SEQ_OPS = [
    ("int-times-str", "3 * 'ab'"),
    ("str-times-int", "'ab' * 3"),
    ("str-times-zero", "'ab' * 0"),
    ("str-times-neg", "'ab' * -2"),
    ("str-times-true", "'ab' * true"),
    ("str-times-float-error", "'ab' * 2.0"),
    ("str-times-str-error", "'a' * 'b'"),
    ("list-times-int", "[1, 2] * 2"),
    ("int-times-list", "2 * [0]"),
    ("tuple-times-int", "(1,) * 3"),
    ("list-times-neg", "[1] * -1"),
    ("list-plus-list", "[1, 2] + [3]"),
    ("tuple-plus-tuple", "(1,) + (2,)"),
    ("list-plus-tuple-error", "[1] + (2,)"),
    ("str-plus-str", "'ab' + 'cd'"),
    ("str-plus-int-error", "'Order #' + 17"),
    ("int-plus-str-error", "17 + 'x'"),
    ("str-plus-none-error", "'a' + none"),
    ("str-plus-list-error", "'a' + [1]"),
    ("list-plus-str-error", "[1] + 'a'"),
    ("list-plus-none-error", "[1] + none"),
    ("dict-plus-dict-error", "{'a': 1} + {'b': 2}"),
    ("str-minus-error", "'abc' - 'c'"),
    ("list-minus-error", "[1, 2] - [1]"),
    ("str-div-error", "'ab' / 2"),
    ("str-mod-format", "'%s-%d' % ('a', 3)"),
    ("str-mod-single", "'%05.1f' % 3.14159"),
    ("str-mod-dict", "'%(a)s!' % {'a': 'x'}"),
    ("str-mod-too-few", "'%s %s' % ('a',)"),
    ("str-mod-not-all", "'%s' % ('a', 'b')"),
    ("str-mod-bad-type", "'%d' % 'x'"),
    ("str-mod-list", "'%s' % [1, 2]"),
    ("str-mod-percent", "'100%%' % ()"),
    ("int-mod-str-error", "5 % 'a'"),
    ("none-plus-error", "none + 1"),
    ("list-times-float-error", "[1] * 1.5"),
    ("bool-plus-str-error", "true + 'a'"),
    ("float-plus-str-error", "1.5 + 'a'"),
    ("str-times-big", "'' * 18446744073709551616"),
]

UNARY = [
    ("neg-int", "-5"),
    ("neg-neg", "- -5"),
    ("neg-float", "-2.5"),
    ("pos-int", "+5"),
    ("pos-neg", "+-5"),
    ("neg-bool", "-true"),
    ("neg-zero-float", "-0.0"),
    ("neg-str-error", "-'a'"),
    ("pos-str-error", "+'a'"),
    ("neg-none-error", "-none"),
    ("neg-list-error", "-[1]"),
    ("neg-big", "-18446744073709551616"),
    ("neg-attr", "-(3)"),
    ("not-true", "not true"),
    ("not-zero", "not 0"),
    ("not-str", "not ''"),
    ("not-list", "not [0]"),
    ("not-not", "not not 5"),
    ("not-none", "not none"),
]

PRECEDENCE = [
    ("mul-over-add", "1 + 2 * 3"),
    ("paren", "(1 + 2) * 3"),
    ("sub-left-assoc", "10 - 3 - 2"),
    ("div-left-assoc", "100 / 10 / 5"),
    ("floordiv-mod", "17 // 5 % 3"),
    ("mod-mul", "7 % 4 * 3"),
    ("pow-over-mul", "2 * 3 ** 2"),
    ("pow-over-unary-neg-first", "-3 ** 2"),
    ("neg-mul", "-2 * -3"),
    ("tilde-over-add-error", "1 + 2 ~ 3"),
    ("tilde-under-mul", "2 * 3 ~ 4"),
    ("tilde-then-add-error", "'a' ~ 1 + 2"),
    ("tilde-paren-add", "'a' ~ (1 + 2)"),
    ("tilde-chain", "1 ~ 2 ~ 3"),
    ("tilde-mul-str", "'x' ~ 'ab' * 2"),
    ("filter-over-add", "1 + 2 | string"),
    ("filter-on-paren", "(1 + 2) | string"),
    ("filter-over-neg", "-1 | abs"),
    ("filter-over-neg-var", "-x | abs"),
    ("filter-neg-paren", "-(x | abs)"),
    ("filter-over-mul", "2 * 'ab' | upper"),
    ("test-over-add", "1 + 1 is odd"),
    ("test-paren", "(1 + 1) is odd"),
    ("compare-under-add", "1 + 1 == 2"),
    ("not-over-compare", "not 1 == 2"),
    ("not-and", "not true and false"),
    ("not-or", "not false or false"),
    ("and-over-or", "true or false and false"),
    ("and-over-or-2", "false and true or true"),
    ("or-paren", "(true or false) and false"),
    ("cond-lowest", "1 if true else 2 + 10"),
    ("cond-or", "0 or 5 if false else 7"),
    ("cond-nested-right", "1 if false else 2 if false else 3"),
    ("cond-in-math-paren", "(1 if true else 2) + 10"),
    ("in-under-add", "1 + 1 in [2]"),
    ("in-over-not", "not 1 in [1]"),
    ("notin", "3 not in [1, 2]"),
    ("compare-chain-mixed", "1 < 2 == 2 < 3"),
    ("compare-chain-x", "1 < x < 10"),
    ("compare-chain-x-false", "1 < x < 2"),
    ("compare-with-ops", "2 * 3 > 5 == true"),
    ("mod-precedence-str", "'%s' % 1 + 1"),
    ("unary-in-pow", "2 ** -1"),
    ("floordiv-neg-prec", "-7 // 2"),
    ("mod-neg-prec", "-7 % 3"),
    ("mod-neg-right", "7 % -3"),
    ("subscript-over-neg", "-[1, 2][1]"),
    ("attr-then-filter", "'ab'.upper() | length"),
]

ANDOR = [
    ("or-first-truthy", "0 or 'x'"),
    ("or-all-falsy", "0 or '' or none"),
    ("or-returns-first", "'a' or 'b'"),
    ("and-returns-last", "'a' and 'b'"),
    ("and-returns-falsy", "'' and 'b'"),
    ("and-zero", "1 and 0"),
    ("or-list", "[] or [1]"),
    ("and-list", "[1] and {}"),
    ("or-none-int", "none or 0"),
    ("and-short-circuit", "false and (1 / 0)"),
    ("or-short-circuit", "true or (1 / 0)"),
    ("or-undefined-right", "false or missing"),
    ("and-undefined-left", "missing and 1"),
    ("or-undefined-left", "missing or 'dflt'"),
    ("cond-short-circuit", "1 if true else 1 / 0"),
    ("cond-short-circuit-2", "1 / 0 if false else 2"),
]


def cases():
    out = num_matrix() + zero_div()
    for group in (POW, SEQ_OPS, UNARY, PRECEDENCE, ANDOR):
        for name, expr in group:
            out += B(name, expr, '{"x": 5}')
    c = '{"count": 3, "price": 19.99, "qty": 2, "big": 12345678901234}'
    out += [
        R("undefined-plus-one", "{{ count + 1 }}", "{}"),
        R("undefined-times", "{{ 2 * missing }}"),
        R("undefined-neg", "{{ -missing }}"),
        R("undefined-pos", "{{ +missing }}"),
        R("undefined-div", "{{ missing / 2 }}"),
        R("undefined-mod", "{{ missing % 2 }}"),
        R("undefined-pow", "{{ missing ** 2 }}"),
        R("undefined-floordiv", "{{ 4 // missing }}"),
        R("undefined-sub", "{{ 4 - missing }}"),
        R("undefined-not", "{{ not missing }}"),
        X("undefined-not-typed", "not missing"),
        R("ctx-count-plus", "{{ count + 1 }}", c),
        R("ctx-big-mul", "{{ big * 1000000 }}", c),
        R("ctx-big-mul-mul", "{{ big * big * big }}", c),
        X("ctx-big-mul-typed", "big * 1000000", c),
        R("ctx-total", "Total: {{ price * qty }}", c),
        R("ctx-total-round", "Total: {{ (price * qty) | round(2) }}", c),
        R("ctx-average", "{{ (10 + 20 + 25) / count }}", c),
        R("ctx-percent", "{{ (qty / count * 100) | round(1) }}%", c),
        R("ctx-int-div-int", "{{ 9 / 3 }}", c),
        X("ctx-int-div-int-typed", "9 / 3", c),
        R("ctx-floordiv-float", "{{ price // 1 }}", c),
        R("ctx-mod-float", "{{ price % 1 }}", c),
        R("ctx-neg-floordiv-float", "{{ -price // 1 }}", c),
        R("ctx-str-num-plus-error", "{{ '5' + 1 }}"),
        R("ctx-str-num-int", "{{ '5' | int + 1 }}"),
        R("ctx-mod-even", "{% for i in range(5) %}{{ i % 2 }}{% endfor %}"),
        R("ctx-neg-range-mod", "{% for i in range(-3, 4) %}{{ i % 3 }},{{ i // 3 }};{% endfor %}"),
        R("literal-folding-div-zero", "{% if false %}{{ 1 / 0 }}{% endif %}ok"),
        R("float-repr-17", "{{ 1.1 * 3 }}"),
        R("float-repr-round", "{{ 2.675 | round(2) }}"),
        R("float-1e16-int", "{{ 1e16 | int }}"),
        R("float-repr-1e22", "{{ 1e22 }}"),
        R("float-repr-1e-5", "{{ 0.00001 }}"),
        R("float-repr-1e-4", "{{ 0.0001 }}"),
        R("float-repr-max", "{{ 1.7976931348623157e308 }}"),
        R("float-repr-min", "{{ 5e-324 }}"),
        R("float-underflow", "{{ 5e-324 / 2 }}"),
        R("int-float-compare-big", "{{ 2 ** 53 + 1 == (2 ** 53 + 1) | float }}"),
        R("int-big-float-mixed", "{{ 2 ** 64 + 0.5 }}"),
        R("int-big-truediv", "{{ (10 ** 30) / 10 }}"),
        R("int-big-truediv-exact", "{{ (10 ** 30 + 1) // 10 }}"),
        R("int-huge-truediv-overflow", "{{ (10 ** 400) / 1 }}"),
        R("int-huge-float-compare", "{{ 10 ** 400 > 1e308 }}"),
    ]
    return out
