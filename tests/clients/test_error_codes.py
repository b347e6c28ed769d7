"""The explain table covers exactly the error codes of the pinned Element Call release.

Read from the release's own source map (``src/utils/errors.ts``, the ``ErrorCode`` enum), so a new
Element Call version with a new code fails here until the table explains it.
"""

from __future__ import annotations

import json
import re

from foci_bot.explain import EXPLANATIONS
from tests.clients.jsoracle import ROOT

ASSETS = ROOT / "jsclients" / "node_modules" / "@element-hq" / "element-call-embedded" / "dist" / "assets"


def element_call_codes() -> set[str]:
    (path,) = ASSETS.glob("index-*.js.map")
    source_map = json.loads(path.read_text())
    (index,) = [i for i, s in enumerate(source_map["sources"]) if s.endswith("src/utils/errors.ts")]
    text = source_map["sourcesContent"][index]
    enum = text.split("export enum ErrorCode {", 1)[1].split("}", 1)[0]
    return set(re.findall(r'=\s*"([A-Z0-9_]+)"', enum))


def test_table_covers_element_call_error_codes() -> None:
    codes = element_call_codes()
    assert len(codes) >= 10
    assert {e.code for e in EXPLANATIONS if e.origin == "element-call"} == codes
