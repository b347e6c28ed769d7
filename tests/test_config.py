"""The bot's config file: typed values, defaults, and one clear line for every mistake."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from foci_bot.config import ConfigError, load_config
from tests.conftest import CliRunner

MINIMAL = """
[matrix]
homeserver = "https://matrix.example.org/"
user_id = "@foci:example.org"
password = "hunter2"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_minimal_config_gets_documented_defaults(tmp_path: Path) -> None:
    """Only the [matrix] essentials: everything else takes its default."""
    config = load_config(write(tmp_path, MINIMAL))
    assert config.matrix.homeserver == "https://matrix.example.org"
    assert config.matrix.server_name == "example.org"
    assert config.matrix.device_name == "foci-bot"
    assert config.matrix.store_dir == tmp_path / "foci-bot-store"
    assert config.bot.command_prefix == "!foci"
    assert config.bot.allowed_users == ("@*:example.org",)
    assert config.bot.accept_invites_from == config.bot.allowed_users
    assert config.bot.room_allowed_users == config.bot.allowed_users
    assert config.bot.ack == "reaction"
    assert config.checks.allow_private is False
    assert config.checks.connect_to == ()
    assert config.checks.cache_ttl == 300
    assert "hunter2" not in repr(config)


def test_sample_config_loads(tmp_path: Path) -> None:
    """config.sample.toml is valid and lists every key with its default."""
    sample = Path(__file__).resolve().parent.parent / "config.sample.toml"
    config = load_config(sample)
    defaults = load_config(write(tmp_path, MINIMAL.replace("example.org", "example.com")))
    assert config.bot.command_prefix == defaults.bot.command_prefix
    assert config.checks.timeout == defaults.checks.timeout
    assert config.checks.deadline == defaults.checks.deadline
    assert config.bot.rate_limit == defaults.bot.rate_limit


def test_full_config(tmp_path: Path) -> None:
    """Every key given explicitly is read with its type."""
    text = (
        MINIMAL
        + """
access_token = "syt_secret"
device_name = "bot box"
store_dir = "/var/lib/foci"

[bot]
command_prefix = "!rtc"
allowed_users = ["@*:example.org", "@alice:other.net"]
accept_invites_from = ["@alice:other.net"]
room_allowed_users = []
rate_limit = 3
rate_limit_window = 10
max_targets = 5
ack = "notice"
log_level = "DEBUG"

[checks]
timeout = 2.5
deadline = 9
concurrency = 8
cache_ttl = 0
allow_private = true
connect_to = ["example.test:443:127.0.0.1:8443"]
allow_addresses = ["10.0.0.7", "[::1]"]
"""
    )
    config = load_config(write(tmp_path, text))
    assert config.matrix.access_token == "syt_secret"
    assert config.matrix.store_dir == Path("/var/lib/foci")
    assert config.bot.allowed_users == ("@*:example.org", "@alice:other.net")
    assert config.bot.accept_invites_from == ("@alice:other.net",)
    assert config.bot.room_allowed_users == ()
    assert (config.bot.rate_limit, config.bot.rate_limit_window, config.bot.max_targets) == (3, 10.0, 5)
    assert config.checks.connect_to[0].addr_port == 8443
    assert config.checks.allow_private is True
    assert config.checks.allow_addresses == frozenset({"10.0.0.7", "::1"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[matrix]\nuser_id = '@a:b.c'\npassword = 'x'\n", "[matrix] homeserver is required"),
        (MINIMAL.replace('password = "hunter2"', ""), "[matrix] password or access_token is required"),
        (MINIMAL + "[bot]\nrate_limit = 1.5\n", "[bot] rate_limit must be an integer, not float"),
        (MINIMAL + "[bot]\nallowed_users = 3\n", "[bot] allowed_users must be a list of strings"),
        (
            MINIMAL + "[bot]\nallowed_users = ['@*:x.org', 3]\n",
            "[bot] allowed_users must be a list of strings",
        ),
        (MINIMAL + "[bot]\naccept_invites_from = false\n", "[bot] accept_invites_from must be a list"),
        (MINIMAL + "[bot]\nrate_limit = '5/60s'\n", "[bot] rate_limit must be an integer, not str"),
        (MINIMAL + "[bot]\nallowed_users = '@*:x.org'\n", "[bot] allowed_users must be a list of strings"),
        (MINIMAL + "[checks]\ncache_ttl = -1\n", "[checks] cache_ttl must be between 0"),
        (MINIMAL + "[bot]\nallowed_users = ['*:x.org']\n", "[bot] allowed_users:"),
        (MINIMAL + "[bot]\nprefix = '!x'\n", "[bot] prefix is not a known key"),
        (
            MINIMAL + "[bot]\nalowed_users = []\n",
            "[bot] alowed_users is not a known key; did you mean allowed_users?",
        ),
        (MINIMAL + "[checks]\nallow_private = 1\n", "[checks] allow_private must be true or false"),
        (MINIMAL + "[checks]\ntimeout = true\n", "[checks] timeout must be a number"),
        (MINIMAL + "[checks]\nconnect_to = ['nonsense']\n", "[checks] connect_to:"),
        (MINIMAL + "[checks]\ncacert = '/nonexistent.pem'\n", "[checks] cacert"),
        (MINIMAL + "[checks]\nallow_addresses = ['localhost']\n", "[checks] allow_addresses:"),
        (MINIMAL + "[extra]\n", "[extra] is not a known table"),
        (MINIMAL.replace("@foci:example.org", "foci"), "[matrix] user_id"),
        ("[matrix\n", "is not valid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    """Each mistake is one ConfigError line that names what is wrong."""
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_unreadable_file(tmp_path: Path) -> None:
    """A missing file is a config error too."""
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "missing.toml")


def test_run_with_bad_config_exits_2(tmp_path: Path, run_cli: CliRunner) -> None:
    """`foci-bot run` prints one line naming the key and exits with status 2."""
    path = write(tmp_path, MINIMAL + "[checks]\ntimeout = 'soon'\n")
    result = run_cli("run", "--config", str(path))
    assert result.code == 2
    assert result.err.strip().splitlines() == ["foci-bot: [checks] timeout must be a number, not str"]
    assert "hunter2" not in result.err
    assert stat.S_IMODE(path.stat().st_mode)  # the file was only read
    assert run_cli("run", "--config", str(tmp_path / "nope.toml")).code == 2


@pytest.mark.parametrize(
    ("table", "setting", "right"),
    [
        ("bot", "accept_invites = true", "use accept_invites_from"),
        ("bot", "rate_limit_per_minute = 12", "use rate_limit (with rate_limit_window = 60)"),
        ("checks", "cache_lifetime = 42", "use cache_ttl"),
        ("checks", "cache_seconds = 7", "use cache_ttl"),
    ],
)
def test_old_spellings_name_the_right_one(tmp_path: Path, table: str, setting: str, right: str) -> None:
    """Each setting has one spelling; an old one stops the load with one line naming the right key."""
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, MINIMAL + f"[{table}]\n{setting}\n"))
    key = setting.split(" ")[0]
    assert str(error.value).startswith(f"[{table}] {key} is an old spelling: {right}")


def test_cache_ttl_zero_turns_the_cache_off(tmp_path: Path) -> None:
    """cache_ttl = 0 is allowed (no cache)."""
    assert load_config(write(tmp_path, MINIMAL + "[checks]\ncache_ttl = 0\n")).checks.cache_ttl == 0


def test_sample_shows_each_key_once() -> None:
    """config.sample.toml names every key exactly once (set or commented out)."""
    sample = Path(__file__).resolve().parent.parent / "config.sample.toml"
    keys = re.findall(r"^#? ?([a-z_]+) = ", sample.read_text(), re.M)
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


def test_cacert_is_relative_to_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative cacert is found next to the config file, not in the working directory."""
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(write(tmp_path, MINIMAL + "[checks]\ncacert = 'ca.pem'\n"))
    assert config.checks.cacert == str(tmp_path / "ca.pem")


def test_deadline_defaults_to_three_timeouts(tmp_path: Path) -> None:
    """Without a deadline, a server gets three timeouts (its dependent request phases)."""
    assert load_config(write(tmp_path, MINIMAL + "[checks]\ntimeout = 3\n")).checks.deadline == 9
    assert load_config(write(tmp_path, MINIMAL)).checks.deadline == 15
    config = load_config(write(tmp_path, MINIMAL + "[checks]\ntimeout = 3\ndeadline = 4\n"))
    assert config.checks.deadline == 4


def test_room_cli_unreachable_homeserver_is_one_line(tmp_path: Path, run_cli: CliRunner) -> None:
    """`foci-bot room` with a homeserver nobody answers for: one line on stderr, exit 1, no hang."""
    import socket

    with socket.socket() as sock:  # a loopback port that is certainly closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    text = MINIMAL.replace("https://matrix.example.org/", f"http://127.0.0.1:{port}")
    result = run_cli("room", "--config", str(write(tmp_path, text)), "!room:example.org")
    assert result.code == 1, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("foci-bot: "), result.err
    assert "Traceback" not in result.err and "hunter2" not in result.err
