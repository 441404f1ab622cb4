#!/usr/bin/env python3
"""Grammar-based random templates over random JSON contexts (differential
seeds, category "random").

  python3 gen/random_gen.py [count] [seed] [out]   # writes ../random.json (or out)

generate.py calls write() with the defaults. Generation uses one seeded
random.Random, so the output is the same on every run. A candidate is dropped
(and another drawn) when Jinja2's answer is not a property of the template:
it timed out, ran out of memory or recursion depth, printed a memory address,
or produced more than MAX_OUT characters.
"""
import json
import os
import random
import resource
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402

COUNT = 3600
SEED = 20240512
MAX_OUT = 4000
TIME_LIMIT = 2.0  # seconds per evaluation

KEYS = ["a", "b", "c", "n", "x", "s", "name", "items", "user", "tags", "price", "flag", "data", "id", "v"]
STRINGS = ["", " ", "a", "abc", "Hello World", "é", "café", "👍", "x y z", "  pad  ", "42", "-7", "3.5", "0x1A",
           "ABC", "MiXeD", "<b>&</b>", "it's", 'say "hi"', "a,b,,c", "line1\nline2", "tab\t", "ß", "İ", "2nd place",
           "ü😀é", "None", "true", "{}", "%s", "{0}", "a.b.c", "/path/to/x.txt"]
BIG = [9223372036854775807, 9223372036854775808, 18446744073709551616, -9223372036854775809,
       123456789012345678901234567890]
FLOATS = ["1.5", "2.0", "-0.0", "0.1", "1e-7", "1e16", "19.99", "-2.5", "100.0", "3.14159", "0.5", "1e300"]


class Gen:
    def __init__(self, rng):
        self.r = rng

    # ---- JSON contexts -------------------------------------------------
    def json_value(self, depth):
        r = self.r
        k = r.random()
        if depth <= 0 or k < 0.55:
            return self.json_scalar()
        if k < 0.8:
            return "[" + ", ".join(self.json_value(depth - 1) for _ in range(r.randint(0, 4))) + "]"
        keys = r.sample(KEYS, r.randint(0, 4))
        return "{" + ", ".join(json.dumps(key) + ": " + self.json_value(depth - 1) for key in keys) + "}"

    def json_scalar(self):
        r = self.r
        k = r.random()
        if k < 0.3:
            return str(r.choice([0, 1, 2, 3, -1, -7, 10, 42, 100, 255, 1000, -1000, r.randint(-50, 50)]))
        if k < 0.36:
            return str(r.choice(BIG))
        if k < 0.5:
            return r.choice(FLOATS)
        if k < 0.8:
            return json.dumps(r.choice(STRINGS), ensure_ascii=r.random() < 0.5)
        if k < 0.9:
            return r.choice(["true", "false"])
        return "null"

    def context(self):
        keys = self.r.sample(KEYS, self.r.randint(2, 7))
        return "{" + ", ".join(json.dumps(k) + ": " + self.json_value(3) for k in keys) + "}"

    # ---- expressions -----------------------------------------------------
    def paths(self, ctx):
        """(path-expression, value) pairs reachable in the decoded context."""
        out = []

        def walk(expr, v, depth):
            out.append((expr, v))
            if depth > 3:
                return
            if isinstance(v, dict):
                for k, x in v.items():
                    walk(expr + (f".{k}" if self.r.random() < 0.6 else f"['{k}']"), x, depth + 1)
            elif isinstance(v, list):
                for i, x in enumerate(v[:3]):
                    walk(f"{expr}[{i if self.r.random() < 0.8 else i - len(v)}]", x, depth + 1)

        for k, v in ctx.items():
            walk(k, v, 0)
        return out

    def literal(self):
        r = self.r
        k = r.random()
        if k < 0.3:
            return str(r.choice([0, 1, 2, 3, 5, 7, 10, 100, -1, -3])), int
        if k < 0.4:
            return r.choice(["1.5", "2.0", "0.1", "1e3", "-0.5", "1_000", "0x1F", "0b11", "0o7"]), float
        if k < 0.7:
            s = r.choice(STRINGS)
            q = r.choice(["'", '"'])
            body = s.replace("\\", "\\\\").replace(q, "\\" + q).replace("\n", "\\n").replace("\t", "\\t")
            return q + body + q, str
        if k < 0.8:
            return r.choice(["true", "false", "True", "none", "None"]), bool
        if k < 0.9:
            n = r.randint(0, 3)
            return "[" + ", ".join(self.expr(1)[0] for _ in range(n)) + "]", list
        if k < 0.95:
            n = r.randint(0, 2)
            return "{" + ", ".join(f"'{r.choice(KEYS)}': {self.expr(1)[0]}" for _ in range(n)) + "}", dict
        return "(" + ", ".join(self.expr(1)[0] for _ in range(r.randint(1, 2))) + ",)", list

    def var(self):
        r = self.r
        if self.scope and r.random() < 0.5:
            return r.choice(self.scope), None
        if not self.pathlist or r.random() < 0.03:
            return r.choice(["missing", "undefined_var", "a.zz", "items[9]"]), None
        p, v = r.choice(self.pathlist)
        t = {bool: bool, int: int, float: float, str: str, list: list, dict: dict}.get(type(v))
        return p, t

    FILTERS = {
        str: ["upper", "lower", "title", "capitalize", "trim", "length", "list", "reverse", "first", "last",
              "wordcount", "striptags", "escape", "urlencode", "int", "float", "string", "center(9)",
              "replace('a', 'o')", "truncate(5, true, '..', 0)", "indent(2)", "wordwrap(4)", "format",
              "tojson", "pprint", "default('d')", "d('x', true)", "count", "sort", "unique | list", "join('-')",
              "forceescape", "safe", "batch(2) | list", "slice(2) | list", "trim('a')", "select('upper') | list",
              "map('upper') | join", "min", "max"],
        int: ["abs", "string", "float", "round", "round(1, 'floor')", "filesizeformat", "filesizeformat(true)",
              "int", "tojson", "default(0)", "pprint", "string | length", "string | reverse"],
        float: ["abs", "round", "round(1)", "round(0, 'ceil')", "int", "string", "tojson", "filesizeformat",
                "float", "pprint"],
        list: ["length", "first", "last", "join(', ')", "join", "sort", "sort(reverse=true)", "reverse | list",
               "unique | list", "sum", "min", "max", "list", "tojson", "select | list", "reject | list",
               "map('string') | join(',')", "batch(2) | list", "slice(2) | list", "select('odd') | list",
               "select('string') | list", "map('length') | list", "groupby(0) | list", "dictsort", "items | list",
               "count", "string", "pprint", "random_not", "selectattr('id') | list", "map(attribute='name') | list",
               "rejectattr('a', 'none') | list", "sum(start=10)", "map('int') | sum", "default([], true)",
               "join(attribute=0)", "first | string"],
        dict: ["length", "list", "dictsort", "dictsort(by='value')", "items | list", "tojson", "urlencode",
               "xmlattr", "first", "pprint", "string", "default({})", "count", "sort", "join(',')"],
        bool: ["string", "int", "tojson", "default('x', true)", "float", "abs", "pprint"],
        None: ["default('dflt')", "default('dflt', true)", "string", "length", "upper", "tojson", "int",
               "list", "first", "join(',')", "d", "lower", "float", "e", "pprint", "sum"],
    }
    FILTER_OUT = {
        "length": int, "count": int, "wordcount": int, "int": int, "sum": int, "abs": None, "string": str,
        "upper": str, "lower": str, "title": str, "capitalize": str, "trim": str, "center": str, "replace": str,
        "truncate": str, "indent": str, "wordwrap": str, "format": str, "tojson": str, "pprint": str,
        "striptags": str, "escape": str, "e": str, "urlencode": str, "join": str, "forceescape": str, "safe": str,
        "xmlattr": str, "filesizeformat": str, "list": list, "sort": list, "dictsort": list, "float": float,
        "round": float, "unique": list, "select": list, "reject": list, "map": list, "batch": list,
        "slice": list, "items": list, "groupby": list, "selectattr": list, "rejectattr": list,
    }
    METHOD_OUT = {"split": list, "rsplit": list, "partition": list, "splitlines": list, "keys": list,
                  "values": list, "items": list, "find": int, "index": int, "count": int, "encode": int,
                  "copy": None, "get": None}

    def filter_out(self, f, ta):
        last = f.split("|")[-1].strip()
        name = last.split("(")[0]
        if name in ("first", "last", "min", "max", "default", "d", "reverse", "abs"):
            return ta if name in ("default", "d", "abs") else None
        return self.FILTER_OUT.get(name)

    TESTS = ["defined", "undefined", "none", "number", "string", "mapping", "iterable", "sequence", "integer",
             "float", "boolean", "true", "false", "odd", "even", "divisibleby 3", "divisibleby(2)", "lower", "upper",
             "eq 1", "ne(0)", "lt 5", "gt(0)", "ge 2", "le 10", "in [1, 'a', none]", "in 'abcdef'", "sameas none",
             "callable", "escaped", "filter", "test", "equalto 'x'", "greaterthan 1"]
    METHODS = {
        str: ["upper()", "lower()", "split()", "split(',')", "split(' ', 1)", "rsplit('.', 1)", "strip()",
              "lstrip('a')", "rstrip()", "startswith('a')", "endswith(('c', 'z'))", "replace('a', 'b', 1)",
              "find('b')", "index('a')", "count('a')", "zfill(6)", "center(7, '*')", "ljust(4)", "rjust(4, '0')",
              "title()", "capitalize()", "swapcase()", "isdigit()", "isalpha()", "isspace()", "isupper()",
              "partition(' ')", "splitlines()", "format(1, 2)", "join(['x', 'y'])", "casefold()", "expandtabs(2)",
              "encode() | length", "removeprefix('a')"],
        list: ["count(1)", "index(1)", "copy()", "count('a')"],
        dict: ["get('a')", "get('zz', 0)", "keys() | list", "values() | list", "items() | list", "copy()"],
    }
    BINOPS = ["+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", "<=", ">", ">=", "in", "not in",
              "and", "or"]

    def expr(self, depth):
        r = self.r
        if depth <= 0:
            return self.var() if r.random() < 0.6 else self.literal()
        k = r.random()
        if k < 0.22:
            return self.var()
        if k < 0.3:
            return self.literal()
        if k < 0.48:
            a, ta = self.expr(depth - 1)
            fl = self.FILTERS.get(ta if r.random() < 0.9 else r.choice(list(self.FILTERS)), self.FILTERS[None])
            f = r.choice(fl)
            if f == "random_not":
                f = "length"
            return f"{self.paren(a)} | {f}", self.filter_out(f, ta)
        if k < 0.68:
            op = r.choice(self.BINOPS)
            want = self.OP_TYPES.get(op)
            if op in ("in", "not in"):
                b, tb = self.typed((list, str, dict), depth - 1)
                a, ta = self.typed((str,) if tb is str else None, depth - 1)
            else:
                a, ta = self.typed(want, depth - 1)
                b, tb = self.typed((ta,) if ta and op in ("<", "<=", ">", ">=") else want, depth - 1)
            if op == "**":
                b = str(r.randint(-2, 5))  # keep powers small
            if op == "*" and r.random() < 0.7:
                b = str(r.randint(-1, 4))
            if op in ("==", "!=", "<", "<=", ">", ">=", "in", "not in"):
                t = bool
            elif op == "~":
                t = str
            elif op in ("and", "or"):
                t = ta if ta == tb else None
            elif op == "/":
                t = float
            elif ta in (int, float) and tb in (int, float):
                t = int if ta is int and tb is int else float
            else:
                t = None
            return f"{self.paren(a)} {op} {self.paren(b)}", t
        if k < 0.74:
            a, _ = self.expr(depth - 1)
            test = r.choice(self.TESTS)
            neg = "not " if r.random() < 0.2 else ""
            return f"{self.paren(a)} is {neg}{test}", bool
        if k < 0.8:
            a, _ = self.expr(depth - 1)
            b, _ = self.expr(depth - 1)
            c, _ = self.expr(depth - 1)
            if r.random() < 0.15:
                e = f"{a} if {b}"
            elif r.random() < 0.3:
                d, _ = self.expr(depth - 1)
                e = f"{a} if {b} else {c} if {d} else {self.literal()[0]}"
            else:
                e = f"{a} if {b} else {c}"
            return (e if r.random() < 0.1 else "(" + e + ")"), None
        if k < 0.87:
            a, ta = self.typed((str, list, dict) if r.random() < 0.9 else None, depth - 1)
            if ta not in self.METHODS:
                ta = str
            m = r.choice(self.METHODS.get(ta, self.METHODS[str]))
            name = m.split("(")[0]
            t = self.METHOD_OUT.get(name, bool if name.startswith(("is", "starts", "ends")) else str if ta is str else None)
            if "|" in m:
                t = int
            return f"{self.paren(a, True)}.{m}", t
        if k < 0.92:
            a, ta = self.typed((str, list, dict), depth - 1)
            sl = r.choice(["[0]", "[-1]", "[1:]", "[:2]", "[::-1]", "[::2]", "[1:3]", "['a']", "[5]", "[0][0]"])
            t = str if ta is str else (list if ta is list and ":" in sl else None)
            return f"{self.paren(a, True)}{sl}", t
        if k < 0.95:
            op = r.choice(["-", "not ", "+"])
            a, ta = self.typed(None if op == "not " else (int, float), depth - 1)
            return op + self.paren(a), (bool if op == "not " else ta)
        if k < 0.98:
            return r.choice([f"range({r.randint(0, 6)}) | list", f"range({r.randint(-3, 3)}, {r.randint(0, 8)}) | list",
                             f"range(10, 0, -{r.randint(1, 4)}) | join(',')", "dict(a=1, b='x')",
                             f"namespace(v={self.literal()[0]}).v", "cycler('a', 'b').next()", "joiner('+')()"]), None
        a, _ = self.expr(depth - 1)
        b, _ = self.expr(depth - 1)
        op1, op2 = r.choice(["<", "<=", "==", "!="]), r.choice(["<", "<=", ">", "!="])
        return f"{self.paren(a)} {op1} {self.paren(b)} {op2} {self.literal()[0]}", bool

    OP_TYPES = {"+": (int, float), "-": (int, float), "*": (int, float, str), "/": (int, float),
                "//": (int, float), "%": (int, float), "**": (int, float), "<": (int, float),
                "<=": (int, float, str), ">": (int, float), ">=": (int, float)}

    def typed(self, want, depth):
        """An expression whose type hint is in want (most of the time)."""
        if not want or self.r.random() < 0.15:
            return self.expr(depth)
        for _ in range(8):
            e, t = self.expr(depth)
            if t in want:
                return e, t
        return e, t

    def cond(self, depth):
        e, _ = self.expr(depth)
        return e if self.simple(e) else "(" + e + ")"

    @staticmethod
    def simple(e):
        return all(ch.isalnum() or ch in "._[]'\"" for ch in e)

    def paren(self, e, tight=False):
        simple = all(ch.isalnum() or ch in "._[]'\"" for ch in e)
        if simple and not e.startswith("-"):
            return e
        if not tight and self.r.random() < 0.25:
            return e  # let precedence decide
        return "(" + e + ")"

    # ---- templates -------------------------------------------------------
    def ws(self, left, block=False):
        k = self.r.random()
        if k < 0.12:
            return "-"
        if k < 0.15 and block:
            return "+"
        return ""

    def block(self, depth, n):
        r = self.r
        out = []
        for _ in range(n):
            k = r.random()
            if k < 0.18:
                out.append(r.choice(["x", " ", ", ", "\n", "{\"k\": ", "}", "Hi ", " - ", "é", "[", "]"]))
            elif k < 0.55 or depth <= 0:
                out.append("{{" + self.ws(True) + " " + self.expr(r.choice([1, 2, 2, 3]))[0] + " " + self.ws(False) + "}}")
            elif k < 0.7:
                c = self.cond(2)
                body = self.block(depth - 1, r.randint(1, 3))
                s = "{%" + self.ws(True) + " if " + c + " %}" + body
                for _ in range(r.randint(0, 2)):
                    s += "{% elif " + self.cond(2) + " %}" + self.block(depth - 1, r.randint(1, 2))
                if r.random() < 0.5:
                    s += "{% else %}" + self.block(depth - 1, r.randint(1, 2))
                out.append(s + "{% endif " + self.ws(False, True) + "%}")
            elif k < 0.85:
                var = r.choice(["i", "item", "x", "k"])
                it = self.iterable()
                target = var
                dicts = [p for p, v in self.pathlist if isinstance(v, dict)]
                if r.random() < 0.15 and dicts:
                    target, var = "k, v", "v"
                    it = r.choice(dicts) + r.choice([".items()", " | dictsort", " | items"])
                cond = (" if " + self.cond(1)) if r.random() < 0.2 else ""
                self.scope.append(var)
                body = self.loop_body(depth - 1)
                self.scope.pop()
                s = "{%" + self.ws(True) + " for " + target + " in " + it + cond + " %}" + body
                if r.random() < 0.3:
                    s += "{% else %}" + self.block(0, 1)
                out.append(s + "{% endfor %}")
            elif k < 0.95:
                name = r.choice(["t", "tmp", "acc", "y"])
                if r.random() < 0.25:
                    filt = r.choice(["", " | upper", " | trim", " | replace('a', 'b')", " | length"])
                    out.append("{% set " + name + filt + " %}" + self.block(0, r.randint(1, 2)) + "{% endset %}")
                elif r.random() < 0.15:
                    out.append("{% set " + name + ", q = " + self.expr(1)[0] + ", " + self.expr(1)[0] + " %}")
                    self.scope.append("q")
                else:
                    out.append("{% set " + name + " = " + self.expr(2)[0] + " %}")
                self.scope.append(name)
            else:
                name = r.choice(["w", "z"])
                s = "{% with " + name + " = " + self.expr(2)[0] + " %}"
                self.scope.append(name)
                s += self.block(depth - 1, r.randint(1, 2)) + "{% endwith %}"
                self.scope.pop()
                out.append(s)
        return "".join(out)

    def iterable(self):
        r = self.r
        lists = [p for p, v in self.pathlist if isinstance(v, (list, dict, str))]
        k = r.random()
        if lists and k < 0.6:
            return r.choice(lists)
        if k < 0.8:
            return r.choice(["range(3)", "[1, 2, 3]", "'abc'", "[]", "missing", "[none, 'x', 2.5]", "{'p': 1, 'q': 2}",
                             "range(5) | select('odd')", "[[1, 2], [3]]"])
        return self.cond(2)

    def loop_body(self, depth):
        r = self.r
        parts = []
        for _ in range(r.randint(1, 3)):
            k = r.random()
            if k < 0.35:
                attr = r.choice(["index", "index0", "revindex", "revindex0", "first", "last", "length", "previtem",
                                 "nextitem", "depth", "cycle('a', 'b')", "changed(" + self.scope[-1] + ")"])
                parts.append("{{ loop." + attr + " }}")
            elif k < 0.45:
                parts.append("{% if not loop.last %},{% endif %}")
            else:
                parts.append(self.block(depth, 1))
        return "".join(parts)

    def case(self):
        r = self.r
        ctx = self.context()
        self.pathlist = self.paths(json.loads(ctx))
        self.scope = []
        if r.random() < 0.3:
            return "{{ " + self.expr(r.choice([1, 2, 2, 3, 4]))[0] + " }}", ctx, "expr"
        return self.block(2, r.randint(1, 3)), ctx, "render"


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def bounded_outcome(template, ctx, mode):
    """The oracle outcome, or None when it is not a property of the template."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        out = oracle.evaluate(template, ctx, mode)
    except (Timeout, MemoryError, RecursionError):
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if out.get("error") in ("MemoryError", "RecursionError", "Timeout", "SyntaxError"):
        return None  # SyntaxError: Python's own compiler limits, not Jinja2's grammar
    if oracle.nondeterministic(out):
        return None
    if any(isinstance(v, str) and len(v) > MAX_OUT for v in out.values()):
        return None
    try:
        json.dumps(out, ensure_ascii=False).encode("utf-8")
        template.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return out


def generate(count=COUNT, seed=SEED):
    rng = random.Random(seed)
    g = Gen(rng)
    seen = set()
    lines = {}
    stats = {"ok": 0, "error": 0, "undefined": 0, "dropped": 0}
    while len(lines) < count:
        template, ctx, mode = g.case()
        if (template, ctx, mode) in seen:
            continue
        seen.add((template, ctx, mode))
        out = bounded_outcome(template, ctx, mode)
        if out is None:
            stats["dropped"] += 1
            continue
        stats["error" if "error" in out else "undefined" if "undefined" in out else "ok"] += 1
        name = f"random/{len(lines) + 1:05d}"
        lines[name] = oracle.case_line(name, template, ctx, mode, out)
    return lines, stats


def write(path, count=COUNT, seed=SEED):
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (min(2 << 30, hard) if hard > 0 else 2 << 30, hard))
    try:
        lines, stats = generate(count, seed)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    oracle.write_cases(path, lines)
    print(f"random: {stats}", file=sys.stderr)
    return len(lines)


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    oracle.check_interpreter()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else COUNT
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else SEED
    out = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(HERE), "random.json")
    write(out, n, seed)
