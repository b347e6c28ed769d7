"""A store the bot cannot use ends ``foci-bot run`` and ``foci-bot room`` with exit 2 and one
line naming the path and what to do, and what could not be read is left exactly as it was.

The installed console script runs as a real process. The read-only case mounts the store
directory read-only in a private mount namespace (``unshare -m``), so the filesystem itself
refuses writes (EROFS), as for any user, root included.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from foci_bot.bot.store import DB_NAME, Store

# Nothing listens there: a store error must end the run before any login is tried.
CONFIG = """[matrix]
homeserver = "http://127.0.0.1:9"
user_id = "@bot:example.org"
password = "secret-password"
store_dir = "{store}"
"""


def _script() -> str:
    script = shutil.which("foci-bot", path=str(Path(sys.executable).parent))
    assert script is not None, "foci-bot console script not installed next to the interpreter"
    return script


def _run(args: list[str], *, readonly: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [_script(), *args]
    if readonly is not None:
        mount = f'mount --bind -o ro {readonly} {readonly} && exec "$@"'
        command = ["unshare", "-m", "sh", "-c", mount, "sh", *command]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def _assert_one_line_exit_2(result: subprocess.CompletedProcess[str], *names: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(name in lines[0] for name in names), lines[0]
    assert "secret-password" not in result.stderr + result.stdout


def _garbage() -> bytes:
    return bytes(random.Random(7).randrange(256) for _ in range(8192))


@pytest.mark.parametrize("command", ["run", "room"])
@pytest.mark.parametrize(
    "content",
    [b"this was a database once\n", _garbage(), b"SQLite format 3\x00" + b"\xff" * 200],
    ids=["text", "garbage", "bad-header"],
)
def test_unreadable_database_is_named_and_left_untouched(
    command: str, content: bytes, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / DB_NAME).write_bytes(content)
    config = tmp_path / "bot.toml"
    config.write_text(CONFIG.format(store=store))
    before = _snapshot(store)
    args = (
        ["run", "--config", str(config)]
        if command == "run"
        else ["room", "!r:example.org", "--config", str(config)]
    )
    result = _run(args)
    _assert_one_line_exit_2(result, str(store / DB_NAME), "not a SQLite database", "move it away")
    assert _snapshot(store) == before


def test_read_only_store_dir(tmp_path: Path) -> None:
    """A read-only store directory (with a good database in it, from an earlier run)."""
    store = tmp_path / "store"
    Store(store).close()
    config = tmp_path / "bot.toml"
    config.write_text(CONFIG.format(store=store))
    before = _snapshot(store)
    result = _run(["run", "--config", str(config)], readonly=store)
    _assert_one_line_exit_2(result, str(store), "Read-only file system", "store_dir")
    assert _snapshot(store) == before


@pytest.mark.parametrize("shape", ["db-is-a-directory", "store-dir-is-a-file"])
def test_store_paths_of_the_wrong_kind(shape: str, tmp_path: Path) -> None:
    store = tmp_path / "store"
    if shape == "db-is-a-directory":
        (store / DB_NAME).mkdir(parents=True)
        (store / DB_NAME / "keep").write_text("mine")
    else:
        store.write_text("not a directory")
    config = tmp_path / "bot.toml"
    config.write_text(CONFIG.format(store=store))
    result = _run(["run", "--config", str(config)])
    _assert_one_line_exit_2(result, str(store))
    if shape == "db-is-a-directory":
        assert (store / DB_NAME / "keep").read_text() == "mine"
    else:
        assert store.read_text() == "not a directory"
