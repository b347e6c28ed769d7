"""Decoding untrusted JSON: bounded size (done by the HTTP client) and bounded nesting depth."""

from __future__ import annotations

import json
import re

from foci_bot.text import visible

MAX_DEPTH = 32


class JsonProblem(ValueError):
    """Why a body is not usable JSON; ``kind`` is "empty", "invalid" or "too-deep"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def nesting_depth(text: str) -> int:
    """Deepest bracket nesting outside strings, found without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def decode(body: bytes, max_depth: int = MAX_DEPTH) -> object:
    """Parse a JSON body or raise JsonProblem; never RecursionError, never a huge number."""
    if not body.strip():
        raise JsonProblem("empty", "empty body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonProblem("invalid", "body is not UTF-8") from None
    # Fewer opening brackets than the limit cannot nest deeper: skip the character scan.
    if text.count("[") + text.count("{") > max_depth and nesting_depth(text) > max_depth:
        raise JsonProblem("too-deep", f"JSON nested deeper than {max_depth} levels")
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_int=_bounded_int)
    except (ValueError, RecursionError) as exc:
        raise JsonProblem("invalid", f"invalid JSON: {str(exc)[:120]}") from None
    # JSON can spell a lone surrogate ("\ud800"); no output can encode one, so it becomes U+FFFD.
    return _visible(value) if _ESCAPED_SURROGATE.search(text) else value


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def decode_object(body: bytes) -> dict[str, object] | None:
    """A JSON object body as :func:`decode` reads it, or None for anything else."""
    try:
        value = decode(body)
    except JsonProblem:
        return None
    return value if isinstance(value, dict) else None


def _visible(value: object) -> object:
    """``value`` with lone surrogates in every string, keys too, made U+FFFD (depth is bounded)."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, list):
        return [_visible(v) for v in value]
    if isinstance(value, dict):
        return {visible(k): _visible(v) for k, v in value.items()}
    return value


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _bounded_int(text: str) -> int:
    if len(text) > 40:
        raise ValueError("integer too long")
    return int(text)
