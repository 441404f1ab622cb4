#!/usr/bin/env python3
"""Python 3.11's character properties and case mappings for the engine:
  python3 gen/unicode_gen.py     # writes internal/jinja/pyunicode.bin

The engine answers str methods, \\w, repr's escaping and case mapping from
this table instead of Go's unicode package (Unicode 15.0.0; Python 3.11
is 14.0.0, so an emoji such as U+1FA77 is unassigned, escaped by repr, for
Jinja2), and with CPython's own definitions (isdigit is Numeric_Type
Digit, isspace the bidi classes, Uppercase includes Other_Uppercase).

Format (little endian): "PYU1", then
  u32 n, n x (u24 first code point, u16 flags): flag runs, each run up to
      the next one's first code point;
  u32 m, m x (u24 code point, 4 x (u8 k, k x u24)): the full upper, lower,
      title and casefold mappings of the characters that have one (k = 0:
      the character itself).
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "pyunicode.bin"))

ALPHA, DECIMAL, DIGIT, NUMERIC, PRINTABLE, UPPER, LOWER, TITLE, SPACE, IDSTART, IDCONT, CASED, IGNORABLE, ASSIGNED = (
    1 << i for i in range(14)
)


def flags(c):
    import unicodedata

    f = 0
    if c.isalpha():
        f |= ALPHA
    if c.isdecimal():
        f |= DECIMAL
    if c.isdigit():
        f |= DIGIT
    if c.isnumeric():
        f |= NUMERIC
    if c.isprintable():
        f |= PRINTABLE
    if c.isupper():  # one character: the Uppercase property
        f |= UPPER
    if c.islower():
        f |= LOWER
    if unicodedata.category(c) == "Lt":
        f |= TITLE
    if unicodedata.category(c) != "Cn":
        f |= ASSIGNED
    if c.isspace():
        f |= SPACE
    if c.isidentifier():
        f |= IDSTART
    if ("a" + c).isidentifier():
        f |= IDCONT
    cased = bool(f & (UPPER | LOWER | TITLE))
    if cased:
        f |= CASED
        # Σ before c, a cased letter before Σ: final (ς) iff c is skipped.
        if ("A\u03a3" + c).lower()[1] == "\u03c2":
            f |= IGNORABLE
    elif ("A" + c + "\u03a3").lower()[-1] == "\u03c2":
        f |= IGNORABLE
    return f


def u24(n):
    return struct.pack("<I", n)[:3]


def main():
    oracle.check_interpreter()
    runs = []
    maps = []
    prev = None
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            f = 0
        else:
            c = chr(cp)
            f = flags(c)
            m = [c.upper(), c.lower(), c.title(), c.casefold()]
            if any(x != c for x in m):
                maps.append((cp, m))
        if f != prev:
            runs.append((cp, f))
            prev = f
    out = [b"PYU1", struct.pack("<I", len(runs))]
    for cp, f in runs:
        out.append(u24(cp) + struct.pack("<H", f))
    out.append(struct.pack("<I", len(maps)))
    for cp, m in maps:
        out.append(u24(cp))
        for x in m:
            if x == chr(cp):
                out.append(b"\0")
            else:
                out.append(bytes([len(x)]) + b"".join(u24(ord(y)) for y in x))
    with open(OUT, "wb") as f:
        f.write(b"".join(out))
    print(f"{OUT}: {len(runs)} runs, {len(maps)} mappings")


if __name__ == "__main__":
    main()
