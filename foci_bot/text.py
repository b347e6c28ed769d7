"""Putting remote text into markdown safely.

Anything read from a server (URLs, header values, error details, JSON keys) goes through
:func:`quote`, which makes it an inert code span: no markup, no links, no mentions. The markdown
renderer additionally refuses raw HTML (see ``render.py``).
"""

from __future__ import annotations

import json
import re
import unicodedata

import orjson

WORD_JOINER = "\u2060"
# Lone UTF-16 surrogates: JSON may spell them ("\ud800"), aiohttp keeps undecodable header bytes
# as them (surrogateescape), and no UTF-8 output can encode them.
_SURROGATES = re.compile("[\ud800-\udfff]")


def visible(text: str) -> str:
    """``text`` with every character UTF-8 cannot encode replaced by a visible U+FFFD."""
    return _SURROGATES.sub("\N{REPLACEMENT CHARACTER}", text)


def json_text(data: object) -> str:
    """Indented JSON for output; encodable whatever remote text ``data`` holds.

    The standard library's encoder is pure Python once it indents (CPython Lib/json/encoder.py
    uses its C encoder only without ``indent``), which cost about 1 ms of CPU per server in a
    large check; orjson indents in C. It refuses what it cannot write exactly (a lone surrogate,
    an integer past 64 bits, a key that is not a string), and then the standard encoder writes
    the same value, with surrogates made visible."""
    try:
        # Dataclasses and datetimes are passed through to the fallback, which refuses them as the
        # standard encoder always did: the output is the same value either way.
        options = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
        return orjson.dumps(data, option=options).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return visible(json.dumps(data, indent=2, ensure_ascii=False))


def clean(value: object, limit: int = 200) -> str:
    """Printable, bounded, single-line text with mention triggers defused."""
    text = str(value)
    if not text.isprintable():  # isprintable() is False for every category "C" character
        text = "".join(
            ch if unicodedata.category(ch)[0] != "C" else "\N{REPLACEMENT CHARACTER}" for ch in text
        )
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    # "@room" and "@user:server" can notify or become pills; a word joiner breaks the match.
    return text.replace("@", "@" + WORD_JOINER)


def quote(value: object, limit: int = 200) -> str:
    """Remote text as a markdown code span that nothing can break out of."""
    text = clean(value, limit).replace("`", "ʼ")
    return f"`{text}`" if text.strip() else "`(empty)`"
