"""strings: code points, slicing, every str method the sandbox allows,
str.format / % formatting, comparisons, ~, sandbox refusals."""
from cases import B, R, X

C = r'''{"s": "Hello World", "u": "café", "em": "👍🏽 ok", "comb": "e\u0301", "sp": "  padded  ",
"csv": "a,b,,c", "lines": "l1\nl2\r\nl3\n", "tabs": "a\tb\tcc\td", "num": "12345", "t": "hello wORLD 2nd",
"ss": "straße", "sigma": "ΣΑΣ", "idot": "İstanbul", "lig": "ﬁne", "dz": "ǆemal", "sup": "x²", "frac": "½",
"arab": "٣٤", "e": "", "ws": " \t\n ", "n": 1234567, "f": 3.14159, "neg": -42, "big": 18446744073709551616,
"b": true, "none": null, "lst": [1, "a"], "name": "Ann", "path": "/a/b/c.txt", "word": "level",
"dots": "a.b.c", "mixed": "MiXeD cAsE", "zero": 0, "uni": "Ünïcödé"}'''

SLICES = [
    ("index-0", "s[0]"), ("index-neg", "s[-1]"), ("index-unicode", "u[3]"), ("index-emoji", "em[0]"),
    ("index-emoji-modifier", "em[1]"), ("index-out-of-range", "s[100]"), ("index-bool", "s[true]"),
    ("index-float-error", "s[1.5]"), ("index-str-key", "s['x']"), ("index-big", "s[18446744073709551616]"),
    ("slice-1-3", "s[1:3]"), ("slice-rev", "s[::-1]"), ("slice-rev-unicode", "u[::-1]"),
    ("slice-rev-emoji", "em[::-1]"), ("slice-step2", "s[::2]"), ("slice-step3-offset", "s[1::3]"),
    ("slice-neg-both", "s[-5:-1]"), ("slice-neg-step", "s[8:2:-2]"), ("slice-past-end", "s[10:]"),
    ("slice-before-start", "s[-100:3]"), ("slice-empty", "s[5:2]"), ("slice-step-zero", "s[::0]"),
    ("slice-none-bounds", "s[none:none]"), ("slice-float-error", "s[1.0:]"), ("slice-bool", "s[true:]"),
    ("slice-big-bounds", "s[-18446744073709551616:18446744073709551616]"),
    ("slice-unicode-prefix", "u[:3]"), ("slice-comb", "comb[:1]"), ("slice-list", "lst[::-1]"),
    ("len-ascii", "s | length"), ("len-unicode", "u | length"), ("len-emoji", "em | length"),
    ("len-comb", "comb | length"), ("len-lines", "lines | length"), ("count-filter", "u | count"),
    ("list-unicode", "u | list"), ("list-emoji", "em | list"), ("reverse-unicode", "u | reverse"),
    ("first-unicode", "u | first"), ("last-unicode", "u | last"), ("first-empty", "e | first"),
    ("max-chars", "u | max"), ("min-chars", "s | min"), ("sort-chars", "u | sort | join"),
    ("unique-chars", "s | unique | join"),
]

METHODS = [
    # split family
    ("split-default", "'  a  b\tc\n d '.split()"), ("split-sep", "csv.split(',')"),
    ("split-space-1", "s.split(' ', 1)"), ("split-maxsplit-kw", "csv.split(',', maxsplit=2)"),
    ("split-none-max", "'a b  c'.split(none, 1)"), ("split-multi-char", "'a--b--c'.split('--')"),
    ("split-empty-sep-error", "s.split('')"), ("split-empty-string", "e.split()"),
    ("split-empty-string-sep", "e.split(',')"), ("split-no-match", "s.split('x')"),
    ("split-neg-max", "csv.split(',', -1)"), ("split-unicode-ws", "'a\u00a0b\u2003c'.split()"),
    ("rsplit-1", "path.rsplit('/', 1)"), ("rsplit-default", "' a b c '.rsplit(none, 1)"),
    ("rsplit-all", "dots.rsplit('.')"), ("splitlines", "lines.splitlines()"),
    ("splitlines-keepends", "lines.splitlines(true)"), ("splitlines-kw", "lines.splitlines(keepends=true)"),
    ("splitlines-unicode-sep", "'a\u2028b\x0bc\x1cd'.splitlines()"), ("splitlines-empty", "e.splitlines()"),
    ("partition", "path.partition('/')"), ("partition-missing", "s.partition('x')"),
    ("rpartition", "path.rpartition('/')"), ("rpartition-missing", "s.rpartition('x')"),
    ("partition-empty-error", "s.partition('')"),
    # strip family
    ("strip", "sp.strip()"), ("strip-chars", "'xxhixx'.strip('x')"), ("strip-chars-set", "'abcHIcba'.strip('abc')"),
    ("lstrip", "sp.lstrip()"), ("rstrip", "sp.rstrip()"), ("lstrip-chars", "'0042'.lstrip('0')"),
    ("rstrip-chars", "'1.500'.rstrip('0')"), ("rstrip-newline", "lines.rstrip('\\n')"),
    ("strip-ws-unicode", "'\u00a0\u2003x\u3000'.strip()"), ("strip-none", "sp.strip(none)"),
    ("strip-int-error", "sp.strip(1)"), ("removeprefix", "path.removeprefix('/a')"),
    ("removesuffix", "path.removesuffix('.txt')"), ("removeprefix-miss", "s.removeprefix('x')"),
    # starts/ends
    ("startswith", "s.startswith('Hell')"), ("startswith-tuple", "s.startswith(('x', 'He'))"),
    ("startswith-start", "s.startswith('World', 6)"), ("startswith-start-end", "s.startswith('Wo', 6, 7)"),
    ("endswith", "path.endswith('.txt')"), ("endswith-tuple", "path.endswith(('.csv', '.txt'))"),
    ("endswith-tuple-a-b", "'xa'.endswith(('a', 'b'))"), ("endswith-end", "s.endswith('Hello', 0, 5)"),
    ("endswith-list-error", "s.endswith(['a'])"), ("startswith-empty", "s.startswith('')"),
    ("startswith-neg-start", "s.startswith('ld', -2)"),
    # find family
    ("find", "s.find('o')"), ("find-missing", "s.find('z')"), ("find-start", "s.find('o', 5)"),
    ("find-start-end", "s.find('o', 5, 7)"), ("rfind", "s.rfind('o')"), ("find-unicode", "u.find('é')"),
    ("find-emoji", "em.find('ok')"), ("index", "s.index('W')"), ("index-missing", "s.index('z')"),
    ("rindex", "s.rindex('l')"), ("rindex-missing", "s.rindex('z')"), ("index-start", "s.index('l', 4)"),
    ("count", "s.count('l')"), ("count-range", "s.count('l', 3)"), ("count-empty", "s.count('')"),
    ("count-overlap", "'aaaa'.count('aa')"),
    # replace
    ("replace", "s.replace('o', '0')"), ("replace-count", "s.replace('l', 'L', 2)"),
    ("replace-count-zero", "s.replace('l', 'L', 0)"), ("replace-count-neg", "s.replace('l', 'L', -1)"),
    ("replace-empty-old", "'abc'.replace('', '-')"), ("replace-empty-old-count", "'abc'.replace('', '-', 2)"),
    ("replace-unicode", "u.replace('é', 'e')"), ("replace-int-error", "s.replace(1, 2)"),
    # case
    ("upper", "s.upper()"), ("lower", "s.lower()"), ("title", "t.title()"), ("title-apostrophe", "\"they're bill's\".title()"),
    ("capitalize", "t.capitalize()"), ("swapcase", "mixed.swapcase()"), ("casefold", "ss.casefold()"),
    ("upper-sharp-s", "ss.upper()"), ("lower-final-sigma", "sigma.lower()"), ("lower-dotted-i", "idot.lower()"),
    ("lower-dotted-i-len", "idot.lower() | length"), ("upper-ligature", "lig.upper()"), ("title-digraph", "dz.title()"),
    ("capitalize-digraph", "dz.capitalize()"), ("title-unicode", "uni.lower().title()"), ("upper-unicode", "uni.upper()"),
    ("swapcase-sharp-s", "ss.swapcase()"), ("capitalize-sharp", "'ßa'.capitalize()"),
    # justify
    ("center", "'ab'.center(6)"), ("center-odd", "'abc'.center(6)"), ("center-odd-2", "'ab'.center(5)"),
    ("center-fill", "'ab'.center(7, '*')"), ("center-narrow", "s.center(3)"), ("ljust", "'ab'.ljust(5) ~ '|'"),
    ("ljust-fill", "'ab'.ljust(5, '.')"), ("rjust", "'ab'.rjust(5)"), ("rjust-fill", "'7'.rjust(3, '0')"),
    ("rjust-unicode", "u.rjust(6, '·')"), ("center-fill-error", "'a'.center(5, 'ab')"),
    ("zfill", "'42'.zfill(5)"), ("zfill-neg", "'-42'.zfill(5)"), ("zfill-plus", "'+4'.zfill(4)"),
    ("zfill-short", "num.zfill(2)"), ("zfill-str", "'abc'.zfill(5)"), ("zfill-int-error", "n.zfill(10)"),
    ("zfill-string-filter", "(n | string).zfill(10)"), ("zfill-neg-width", "'1'.zfill(-3)"),
    ("expandtabs", "tabs.expandtabs()"), ("expandtabs-4", "tabs.expandtabs(4)"), ("expandtabs-0", "tabs.expandtabs(0)"),
    # predicates
    ("isdigit", "num.isdigit()"), ("isdigit-sup", "sup[1].isdigit()"), ("isdecimal-sup", "sup[1].isdecimal()"),
    ("isnumeric-frac", "frac.isnumeric()"), ("isdigit-frac", "frac.isdigit()"), ("isdecimal-arab", "arab.isdecimal()"),
    ("isdigit-empty", "e.isdigit()"), ("isdigit-neg", "'-1'.isdigit()"), ("isalpha", "u.isalpha()"),
    ("isalpha-space", "s.isalpha()"), ("isalnum", "'abc123'.isalnum()"), ("isalnum-frac", "frac.isalnum()"),
    ("isspace", "ws.isspace()"), ("isspace-empty", "e.isspace()"), ("isspace-nbsp", "'\u00a0'.isspace()"),
    ("isupper", "'ABC1'.isupper()"), ("isupper-none", "'123'.isupper()"), ("islower", "u.islower()"),
    ("istitle", "'Hello World'.istitle()"), ("istitle-false", "t.istitle()"), ("isascii", "u.isascii()"),
    ("isidentifier", "'a_1'.isidentifier()"), ("isprintable", "'a\\n'.isprintable()"),
    # join
    ("join", "', '.join(['a', 'b'])"), ("join-chars", "'-'.join(u)"), ("join-int-error", "','.join([1, 2])"),
    ("join-empty", "','.join([])"), ("join-dict-keys", "'+'.join({'x': 1, 'y': 2})"),
    # misc
    ("encode", "u.encode()"), ("encode-len", "u.encode() | length"), ("translate", "'abc'.translate({97: 'A', 98: none})"),
    ("maketrans", "''.maketrans('ab', 'xy')"), ("format-map", "'{a}-{b}'.format_map({'a': 1, 'b': 2})"),
    ("method-on-int", "n.bit_length()"), ("method-on-float", "f.is_integer()"), ("float-hex", "(1.5).hex()"),
    ("int-to-bytes-len", "n.to_bytes(4, 'big') | length"), ("method-unknown", "s.nosuchmethod()"),
    ("method-attr-undefined", "s.nosuchattr"), ("method-not-called", "s.upper is callable"),
]

FORMAT = [
    ("thousands", "'{:,}'.format(n)"), ("thousands-big", "'{:,}'.format(big)"), ("thousands-neg", "'{:,}'.format(neg * 100000)"),
    ("underscore", "'{:_}'.format(n)"), ("thousands-float", "'{:,.2f}'.format(n + 0.5)"), ("right", "'{:>10}'.format('ab')"),
    ("left", "'{:<10}|'.format('ab')"), ("center", "'{:^10}'.format('ab')"), ("fill-center", "'{:*^9}'.format('ab')"),
    ("fixed2", "'{:.2f}'.format(f)"), ("fixed-zero-pad", "'{:08.3f}'.format(f)"), ("fixed-int", "'{:.2f}'.format(5)"),
    ("hex", "'{:x}'.format(255)"), ("hex-upper", "'{:X}'.format(255)"), ("hex-alt", "'{:#x}'.format(255)"),
    ("hex-pad", "'{:04x}'.format(10)"), ("octal", "'{:o}'.format(8)"), ("binary", "'{:b}'.format(5)"),
    ("binary-alt", "'{:#010b}'.format(5)"), ("exp", "'{:e}'.format(12345.678)"), ("exp-upper", "'{:.2E}'.format(0.000123)"),
    ("general", "'{:g}'.format(0.00001234)"), ("general-big", "'{:g}'.format(1e20)"), ("percent", "'{:%}'.format(0.25)"),
    ("percent-1", "'{:.1%}'.format(0.1234)"), ("plus-sign", "'{:+d}'.format(5)"), ("space-sign", "'{: d}'.format(5)"),
    ("sign-aware-pad", "'{:=+8d}'.format(42)"), ("repr", "'{!r}'.format('é')"), ("repr-list", "'{!r}'.format(lst)"),
    ("str-conv", "'{!s}'.format(none)"), ("ascii-conv", "'{!a}'.format('é')"), ("positional", "'{0} {1}'.format('a', 'b')"),
    ("positional-swap", "'{1} {0} {1}'.format('a', 'b')"), ("auto", "'{} {}'.format(1, 2)"),
    ("named", "'{name} is {age}'.format(name='Ann', age=30)"), ("index-field", "'{0[1]}'.format(lst)"),
    ("key-field", "'{0[a]}'.format({'a': 'A'})"), ("attr-field", "'{0.real}'.format(5)"),
    ("attr-field-unsafe", "'{0.__class__}'.format(5)"), ("attr-field-unsafe-deep", "'{0.__class__.__name__}'.format(5)"),
    ("missing-positional", "'{} {}'.format(1)"), ("missing-named", "'{name}'.format(x=1)"),
    ("single-brace", "'{'.format(1)"), ("escaped-braces", "'{{}} {}'.format(1)"), ("nested-width", "'{:>{w}}'.format('a', w=4)"),
    ("str-width-left", "'[{:5}]'.format('ab')"), ("int-width-right", "'[{:5}]'.format(42)"),
    ("str-precision", "'{:.3}'.format('abcdef')"), ("float-precision", "'{:.3}'.format(f)"),
    ("int-d-float-error", "'{:d}'.format(1.5)"), ("int-s-error", "'{:s}'.format(1)"), ("char", "'{:c}'.format(233)"),
    ("none-plain", "'{}'.format(none)"), ("none-width-error", "'{:>5}'.format(none)"), ("bool-plain", "'{}'.format(true)"),
    ("bool-width", "'{:>5}'.format(true)"), ("bool-d", "'{:d}'.format(false)"), ("list-plain", "'{}'.format(lst)"),
    ("dict-plain", "'{}'.format({'a': 1})"), ("mixed-auto-manual-error", "'{} {0}'.format(1)"),
    ("n-spec", "'{:n}'.format(n)"), ("unicode-fill", "'{:é^7}'.format('x')"), ("float-no-spec", "'{}'.format(1e16)"),
    ("float-r", "'{!r}'.format(0.1)"), ("big-hex", "'{:x}'.format(big)"), ("neg-hex", "'{:x}'.format(neg)"),
    ("format-on-var", "s.format()"), ("format-extra-args-ignored", "'{}'.format(1, 2, 3)"),
    ("format-kw-and-pos", "'{0}{x}'.format(1, x=2)"), ("format-width-too-big-ok", "'{:>30}'.format('x') | length"),
]

PERCENT = [
    ("s", "'%s' % name"), ("s-tuple", "'%s and %s' % ('a', 'b')"), ("d", "'%d' % 42"), ("d-float-trunc", "'%d' % 3.99"),
    ("d-neg-float", "'%d' % -3.99"), ("i", "'%i' % 7"), ("f", "'%f' % f"), ("f2", "'%.2f' % f"), ("f-width", "'%8.2f' % f"),
    ("f-left", "'%-8.2f|' % f"), ("zero-pad", "'%05d' % 42"), ("plus", "'%+d' % 5"), ("x", "'%x' % 255"),
    ("X-alt", "'%#X' % 255"), ("o", "'%o' % 8"), ("e", "'%e' % 1234.5"), ("g", "'%g' % 0.0001"), ("r", "'%r' % 'é'"),
    ("c", "'%c' % 65"), ("c-str", "'%c' % 'z'"), ("percent", "'%d%%' % 50"), ("dict", "'%(a)s/%(b)d' % {'a': 'x', 'b': 2}"),
    ("s-none", "'%s' % none"), ("s-bool", "'%s' % true"), ("d-bool", "'%d' % true"), ("s-list", "'%s' % (lst,)"),
    ("precision-s", "'%.3s' % 'abcdef'"), ("star-width", "'%*d' % (5, 42)"), ("too-few", "'%s %s' % 'a'"),
    ("too-many", "'%s' % (1, 2)"), ("d-str-error", "'%d' % '1'"), ("bad-spec", "'%y' % 1"), ("incomplete", "'100%' % ()"),
    ("s-big", "'%d' % big"), ("x-neg", "'%x' % neg"), ("no-args-needed", "'plain' % ()"),
    ("format-filter", "'%s, %s!' | format('Hello', 'World')"), ("format-filter-kw", "'%(a)s=%(b)s' | format(a=1, b=2)"),
    ("format-filter-both-error", "'%s %(a)s' | format(1, a=2)"), ("format-filter-none", "'%s' | format(none)"),
    ("format-filter-d", "'%05.1f' | format(f)"), ("format-filter-no-args", "'100%%' | format"),
    ("format-filter-list", "'%s' | format(lst)"), ("format-filter-braces-literal", "'{}' | format(1)"),
]

COMPARE = [
    ("lt", "'a' < 'b'"), ("upper-lt-lower", "'B' < 'a'"), ("unicode-gt", "'é' > 'z'"), ("digits-lex", "'10' < '9'"),
    ("eq", "'abc' == 'abc'"), ("eq-case", "'abc' == 'ABC'"), ("eq-nfc-nfd", "'é' == comb"), ("in", "'o W' in s"),
    ("in-empty", "'' in s"), ("not-in", "'xyz' not in s"), ("in-case", "'hello' in s"), ("in-list-of-str", "'a' in ['ab']"),
    ("in-unicode", "'é' in u"), ("in-int-error", "1 in s"), ("le-prefix", "'ab' <= 'abc'"), ("emoji-gt", "'👍' > 'é'"),
    ("str-gt-int-error", "'1' > 0"), ("ne", "'a' != 'a '"), ("max-case", "['b', 'A', 'a'] | max"),
    ("sorted-unicode", "['é', 'z', 'e', 'Z'] | sort"), ("sorted-case-sensitive", "['é', 'z', 'e', 'Z'] | sort(case_sensitive=true)"),
]

TILDE = [
    ("int", "'a' ~ 1"), ("float", "1.5 ~ ''"), ("float-int-like", "2.0 ~ '|'"), ("none", "none ~ ''"),
    ("bools", "true ~ false"), ("list", "[1] ~ 'x'"), ("list-str", "['a'] ~ ''"), ("dict", "{'a': 1} ~ ''"),
    ("tuple", "(1,) ~ ''"), ("big", "big ~ ''"), ("neg", "neg ~ neg"), ("unicode", "u ~ em"), ("chain-mixed", "1 ~ 'a' ~ 2.5 ~ none"),
    ("empty", "'' ~ ''"), ("float-exp", "1e-7 ~ ''"), ("nested-list", "[[1, 'a'], {'k': none}] ~ ''"),
]

SECURITY = [
    ("class", "''.__class__"), ("class-mro", "''.__class__.__mro__"), ("dunder-len", "s.__len__()"),
    ("dunder-doc", "s.__doc__"), ("underscore-attr", "s._private"), ("format-globals", "s.format.__globals__"),
    ("format-self", "s.format.__self__"), ("item-dunder", "s['__class__']"), ("item-dunder-chain", "s['__class__']['__base__']"),
    ("subclasses", "().__class__.__base__.__subclasses__()"), ("dict-class", "{}.__class__"),
    ("list-dunder-add", "[].__add__"), ("func-globals", "range.__globals__"), ("cycler-init", "cycler.__init__"),
    ("namespace-dunder", "namespace().__class__"), ("lipsum-globals", "lipsum.__globals__"),
    ("int-dunder", "(1).__add__(2)"), ("mro-attr", "s.mro"), ("attr-filter-dunder", "s | attr('__class__')"),
    ("attr-filter-dunder-chain", "(s | attr('__class__')).x"), ("map-attribute-dunder", "[s] | map(attribute='__class__') | list"),
    ("sort-attribute-dunder", "[s] | sort(attribute='__class__')"), ("format-field-dunder", "'{0.__doc__}'.format(s)"),
]


def group(prefix, items):
    out = []
    for name, expr in items:
        out += B(f"{prefix}-{name}", expr, C)
    return out


def cases():
    out = group("idx", SLICES) + group("m", METHODS) + group("fmt", FORMAT) + group("pct", PERCENT)
    out += group("cmp", COMPARE) + group("tilde", TILDE)
    for name, expr in SECURITY:
        out.append(R(f"sec-{name}", "{{ " + expr + " }}", C))
        out.append(X(f"sec-{name}~x", expr, C))
    out += [
        R("iter-unicode", "{% for c in u %}[{{ c }}]{% endfor %}", C),
        R("iter-emoji", "{% for c in em %}[{{ c }}]{% endfor %}", C),
        R("iter-comb", "{% for c in comb %}<{{ c }}>{% endfor %}", C),
        R("iter-loop-index", "{% for c in u %}{{ loop.index }}{{ c }}{% endfor %}", C),
        R("iter-empty-else", "{% for c in e %}x{% else %}empty{% endfor %}", C),
        R("iter-unpack-error", "{% for a, b in s %}{{ a }}{% endfor %}", C),
        R("iter-pairs-unpack", "{% for a, b in ['ab', 'cd'] %}{{ b }}{{ a }}{% endfor %}", C),
        R("in-if", "{% if 'World' in s %}yes{% endif %}", C),
        R("method-in-if", "{% if path.endswith('.txt') %}text{% else %}other{% endif %}", C),
        R("split-loop", "{% for p in path.split('/') if p %}<{{ p }}>{% endfor %}", C),
        R("split-index", "{{ s.split(' ')[1] }}", C),
        R("split-last", "{{ path.split('/') | last }}", C),
        R("split-first-upper", "{{ s.split() | first | upper }}", C),
        R("split-join", "{{ s.split() | join('_') }}", C),
        R("split-length", "{{ csv.split(',') | length }}", C),
        R("split-reject-empty", "{{ csv.split(',') | reject('equalto', '') | list }}", C),
        R("initials", "{% for w in s.split() %}{{ w[0] }}{% endfor %}", C),
        R("palindrome", "{{ word == word[::-1] }}", C),
        R("capitalize-first-only", "{{ name[0] | upper ~ name[1:] }}", C),
        R("mask-phone", "{{ '*' * (num | length - 2) ~ num[-2:] }}", C),
        R("pad-id", "{{ '%08d' % n }}", C),
        R("pad-id-format", "{{ '{:08d}'.format(n) }}", C),
        R("multiline-literal", "{{ 'line1\nline2'.splitlines() | length }}", C),
        R("string-none-concat-plus-error", "{{ name + none }}", C),
        R("string-method-on-none-error", "{{ none.upper() }}", C),
        R("string-method-on-undefined-error", "{{ missing.upper() }}", C),
        R("string-method-chain-long", "{{ '  Mixed Case  '.strip().lower().replace(' ', '-').title() }}", C),
        R("string-compare-filter-lower", "{{ (mixed | lower) == 'mixed case' }}", C),
        R("string-lower-in", "{{ 'mixed' in mixed | lower }}", C),
        R("multiply-unicode", "{{ u * 2 }}", C),
        R("emoji-count", "{{ em.count('👍') }}", C),
        R("str-isnumeric-int-filter", "{{ arab | int + 1 }}", C),
        R("str-int-sup-error", "{{ sup[1] | int }}", C),
        R("str-float-filter-unicode-digits", "{{ '٣.٥' | float }}", C),
        X("split-typed", "s.split()", C),
        X("partition-typed", "path.partition('/')", C),
        X("encode-typed", "u.encode()", C),
        X("format-typed", "'{:,}'.format(n)", C),
    ]
    return out
