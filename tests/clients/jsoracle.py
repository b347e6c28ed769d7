"""The real clients' code (jsclients/oracle.mjs) as one Node process per test session.

It speaks JSON lines over stdin/stdout. Every read has a deadline, so a stuck Node process fails
the test instead of hanging it.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).parent.parent.parent
ORACLE = ROOT / "jsclients" / "oracle.mjs"
INSTALLED = ROOT / "jsclients" / "node_modules" / ".foci-lock-stamp"


class JsOracle:
    def __init__(self, log: IO[str]) -> None:
        node = shutil.which("node")
        if node is None or not INSTALLED.exists():
            raise RuntimeError(
                "the differential tests need Node and `npm ci` in jsclients: run ./scripts/test.sh"
            )
        self._proc = subprocess.Popen(
            [node, str(ORACLE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=ORACLE.parent
        )
        self._buffer = b""
        self._next_id = 0
        hello = self._read(deadline=time.monotonic() + 60)
        assert hello["ready"] is True, hello
        # The releases actually loaded (read from their package.json files).
        self.versions: dict[str, str] = hello["versions"]

    def ask(self, request: dict[str, Any], timeout: float = 90.0) -> dict[str, Any]:
        """The real code's decisions for one server; ``request`` as documented in oracle.mjs."""
        self._next_id += 1
        assert self._proc.stdin is not None
        self._proc.stdin.write((json.dumps({"id": self._next_id, **request}) + "\n").encode())
        self._proc.stdin.flush()
        answer = self._read(deadline=time.monotonic() + timeout)
        assert answer.get("id") == self._next_id, answer
        assert "crash" not in answer, answer["crash"]
        return answer

    def _read(self, deadline: float) -> dict[str, Any]:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise TimeoutError("jsclients/oracle.mjs did not answer in time")
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RuntimeError(f"jsclients/oracle.mjs exited with {self._proc.wait(5)}")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(10)
