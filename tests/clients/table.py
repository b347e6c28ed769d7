"""The README table of documented differences, rendered from tests/data/client_differences.json.

``python -m tests.clients.table`` prints the rows to paste into the README after editing the data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TABLE = Path(__file__).parent.parent / "data" / "client_differences.json"
HEADER = "| scenario | decision | foci-bot | real code | reason |\n|---|---|---|---|---|"


def documented() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(TABLE.read_text())
    return rows


def render_rows() -> list[str]:
    return [
        f"| `{r['scenario']}` | `{r['decision']}` | `{json.dumps(r['foci_bot'])}` | `{json.dumps(r['real'])}` "
        f"| {r['reason']} |"
        for r in documented()
    ]


if __name__ == "__main__":
    print("\n".join([HEADER, *render_rows()]))
