"""The README table of documented differences, rendered from tests/data/client_differences.json.

``python -m tests.clients.table`` prints the rows to paste into the README after editing the data.
``python -m tests.clients.table --merge DIR`` rewrites the data from what the differential test
wrote with ``FOCI_DIFF_DUMP=DIR``: rows that still differ the same way keep their reason, new rows
get an empty reason (the test then fails until one is written), rows that no longer differ go.
"""

from __future__ import annotations

import json
import sys
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


def merge(dump: Path) -> list[dict[str, Any]]:
    reasons = {
        (r["scenario"], r["decision"], json.dumps(r["foci_bot"]), json.dumps(r["real"])): r["reason"]
        for r in documented()
    }
    rows = []
    for path in sorted(dump.glob("*.json")):
        for row in json.loads(path.read_text())["rows"]:
            key = (row["scenario"], row["decision"], json.dumps(row["foci_bot"]), json.dumps(row["real"]))
            rows.append({**row, "reason": reasons.get(key, "")})
    return sorted(rows, key=lambda r: (r["scenario"], r["decision"]))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--merge":
        TABLE.write_text(json.dumps(merge(Path(sys.argv[2])), indent=1, ensure_ascii=False) + "\n")
    print("\n".join([HEADER, *render_rows()]))
