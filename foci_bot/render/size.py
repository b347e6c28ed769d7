"""The one size measure for what the bot sends: an event content as ASCII-escaped JSON.

Encryption wraps the content as escaped JSON and Megolm adds about a third plus an envelope, so
this measure, kept under :data:`MAX_CONTENT_BYTES`, keeps every event under the 64 KiB event
limit (spec: "Size limits").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MAX_CONTENT_BYTES = 44_000
#: What a report may take before the reply's relations and fallbacks are added.
REPORT_BUDGET = MAX_CONTENT_BYTES - 4_000


def content_size(content: Mapping[str, Any]) -> int:
    """Bytes of ``content`` as compact JSON with non-ASCII escaped (the worst case for the limit)."""
    return len(json.dumps(content, ensure_ascii=True, separators=(",", ":")))
