"""The bot's config file: typed values, defaults, and one clear line for every mistake."""

from __future__ import annotations

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
        (MINIMAL + "[bot]\nrate_limit = 'ten'\n", "[bot] rate_limit must be an integer, not str"),
        (MINIMAL + "[bot]\nallowed_users = '@*:x.org'\n", "[bot] allowed_users must be a list of strings"),
        (MINIMAL + "[bot]\nallowed_users = ['*:x.org']\n", "[bot] allowed_users:"),
        (MINIMAL + "[bot]\nprefix = '!x'\n", "[bot] prefix is not a known key"),
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


def test_cache_lifetime_spelling(tmp_path: Path) -> None:
    """cache_lifetime is another spelling of cache_ttl; both at once is an error."""
    config = load_config(write(tmp_path, MINIMAL + "[checks]\ncache_lifetime = 42\n"))
    assert config.checks.cache_ttl == 42
    with pytest.raises(ConfigError, match="only one of cache_ttl and cache_lifetime"):
        load_config(write(tmp_path, MINIMAL + "[checks]\ncache_lifetime = 42\ncache_ttl = 1\n"))
