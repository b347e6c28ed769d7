"""JSON output: the fast encoder and the standard one say the same, whatever the data holds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from foci_bot.text import json_text

CASES: list[Any] = [
    {"servers": [{"name": "a.test", "elapsed_ms": 12.5, "ok": True, "none": None, "list": [], "map": {}}]},
    {"text": "é ü \u2028 <b> @room `x`", "nested": {"deep": [[1, 2], {"k": "v"}]}},
    {"big": 2**70},  # past 64 bits: the standard encoder writes it
    {"lone": "\ud800live"},  # a lone surrogate: shown as U+FFFD
    {1: "a key that is not a string"},
]


@pytest.mark.parametrize("data", CASES)
def test_json_text_reads_back_as_the_standard_encoder_writes(data: Any) -> None:
    text = json_text(data)
    text.encode("utf-8")  # every output must encode
    expected = json.loads(json.dumps(data, ensure_ascii=False).replace("\ud800", "\ufffd"))
    assert json.loads(text) == expected
    assert text.startswith("{\n  ") and text.endswith("\n}")  # indented, as before


def test_json_text_refuses_what_the_standard_encoder_refuses() -> None:
    """A dataclass is not JSON for the standard encoder, so it is not for json_text either (orjson
    alone would write it): output never depends on which encoder wrote it."""

    @dataclass
    class Point:
        x: int

    with pytest.raises(TypeError):
        json_text({"p": Point(1)})
