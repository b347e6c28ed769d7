"""The [watch] and [metrics] tables: defaults, strict keys, one clear line for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from foci_bot.config import ConfigError, load_config
from foci_bot.watchconfig import MetricsConfig, parse_listen
from tests.test_config import MINIMAL, write


def test_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert (config.watch.interval, config.watch.confirm_after, config.watch.max_per_room) == (900, 60, 50)
    assert config.watch.servers == () and config.watch.alert_room is None
    assert not config.metrics.enabled


def test_all_keys(tmp_path: Path) -> None:
    text = MINIMAL + (
        "[watch]\ninterval = 2\nconfirm_after = 0.5\nmax_per_room = 3\nalert_gap = 0\nhistory_days = 7\n"
        'servers = ["Example.ORG", "@bob:other.net"]\nalert_room = "!ops:example.org"\n'
        '[metrics]\nlisten = ":9999"\n'
    )
    config = load_config(write(tmp_path, text))
    assert config.watch.interval == 2 and config.watch.confirm_after == 0.5 and config.watch.alert_gap == 0
    assert config.watch.servers == ("example.org", "other.net")
    assert config.metrics == MetricsConfig("127.0.0.1", 9999)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[watch]\nintervall = 5", "[watch] intervall is not a known key"),
        ("[watch]\ninterval = 0", "[watch] interval must be above 0"),
        ("[watch]\nconfirm_after = -1", "[watch] confirm_after must be"),
        ('[watch]\nservers = ["a.org"]', "[watch] servers needs alert_room"),
        ('[watch]\nservers = ["not a server"]\nalert_room = "!a:b"', "[watch] servers:"),
        ('[watch]\nalert_room = "#ops:example.org"', "[watch] alert_room must be a room ID"),
        ('[metrics]\nlisten = "127.0.0.1:http"', "[metrics] listen"),
        ("[metrics]\nport = 9464", "[metrics] port is not a known key"),
        ('[metrics]\nlisten = "example.org:9464"', "is not an IP address"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, MINIMAL + table + "\n"))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("9464", "127.0.0.1", 9464),
        (":9000", "127.0.0.1", 9000),
        ("[::1]:9464", "::1", 9464),
        ("0.0.0.0:80", "0.0.0.0", 80),
    ],
)
def test_listen(text: str, host: str, port: int) -> None:
    assert parse_listen(text) == MetricsConfig(host, port)


def test_sample_lists_the_defaults(tmp_path: Path) -> None:
    """config.sample.toml's [watch] and [metrics] are the defaults."""
    sample = load_config(Path(__file__).resolve().parent.parent / "config.sample.toml")
    defaults = load_config(write(tmp_path, MINIMAL))
    assert sample.watch == defaults.watch and sample.metrics == defaults.metrics
