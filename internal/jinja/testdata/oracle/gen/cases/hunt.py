"""hunt: divergences found in the round after found.json (Jinja2 3.1.6:
behaviour changed since 3.1.2, the Unicode and argument corners docs/jinja.md
listed, live differential runs of new generators) and fixed; each case pins
the general rule."""
from cases import B, R

C = {"l": [1, 2], "d": {"a": 1}, "s": "x"}


def cases():
    out = []
    # Jinja2 3.1.5: do_int's fallback int(float(value)) catches OverflowError.
    for name, expr in [
        ("int-inf-text", "'inf' | int"),
        ("int-minus-inf-text-default", "'-inf' | int(5)"),
        ("int-huge-exponent-text", "'1e400' | int(7)"),
        ("int-infinity-spaces", "' Infinity ' | int(base=16)"),
        ("int-inf-float", "1e400 | int"),
    ]:
        out += B(name, expr, C)
    # Jinja2 3.1.5: ns.attr may be an item of a tuple target of set (not
    # inside parentheses, where it is an expression).
    for name, tpl in [
        ("set-ns-tuple", "{% set ns = namespace() %}{% set ns.a, b = 1, 2 %}{{ ns.a }}{{ b }}"),
        ("set-ns-tuple-two", "{% set ns = namespace() %}{% set ns.a, ns.b = 1, 2 %}{{ ns.a }}{{ ns.b }}"),
        ("set-ns-tuple-loop", "{% set ns = namespace(a=0) %}{% for i in [1, 2] %}{% set ns.a, t = ns.a + i, i %}{% endfor %}{{ ns.a }}{{ t }}"),
        ("set-ns-tuple-not-namespace", "{% set x = 1 %}{% set b, x.a = 1, 2 %}{{ b }}"),
        ("set-ns-tuple-parens", "{% set ns = namespace() %}{% set (ns.a, b) = 1, 2 %}{{ ns.a }}"),
        ("set-ns-parens", "{% set ns = namespace() %}{% set (ns.a) = 1 %}{{ ns.a }}"),
        ("set-ns-tuple-nested", "{% set ns = namespace() %}{% set a, (ns.b, c) = 1, (2, 3) %}{{ ns.b }}"),
        ("set-ns-tuple-unpack-short", "{% set ns = namespace() %}{% set ns.a, b = [1] %}{{ ns.a }}"),
        ("set-ns-tuple-block", "{% set ns = namespace() %}{% set ns.a, b %}x{% endset %}"),
        ("set-ns-deep", "{% set ns = namespace() %}{% set ns.a.b, c = 1, 2 %}"),
        ("for-ns-target", "{% set ns = namespace() %}{% for ns.a in [1] %}{% endfor %}"),
    ]:
        out.append(R(name, tpl, C))
    return out
