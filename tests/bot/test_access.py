"""Who may run commands, and the per-user rate limit (pure)."""

from __future__ import annotations

import pytest

from foci_bot.bot.access import RateLimiter, UserPatterns


@pytest.mark.parametrize(
    ("patterns", "user", "allowed"),
    [
        (["@*:example.org"], "@alice:example.org", True),
        (["@*:example.org"], "@alice:EXAMPLE.org", True),
        (["@*:example.org"], "@alice:example.org.evil.net", False),
        (["@*:example.org"], "@alice:evil.net:example.org", False),
        (["@*:example.org"], "@a:b:example.org", False),
        (["@alice:example.org"], "@alicex:example.org", False),
        (["@*:127.0.0.1:8448"], "@bob:127.0.0.1:8448", True),
        (["@*:127.0.0.1:8448"], "@bob:127.0.0.1:8449", False),
        (["@*:*.example.org"], "@bob:hs.example.org", True),
        ([], "@alice:example.org", False),
        (["@*:example.org"], "alice", False),
    ],
)
def test_user_patterns(patterns: list[str], user: str, allowed: bool) -> None:
    """Localpart and server are matched separately, case-insensitively."""
    assert UserPatterns(patterns).allows(user) is allowed


def test_rate_limit_window() -> None:
    """At most N commands per window per user; one warning per window; others unaffected."""
    limiter = RateLimiter(2, 10.0)
    assert limiter.allow("@a:x", 0.0) and limiter.allow("@a:x", 1.0)
    assert not limiter.allow("@a:x", 2.0)
    assert limiter.should_warn("@a:x", 2.0) and not limiter.should_warn("@a:x", 3.0)
    assert limiter.allow("@b:x", 2.0)
    assert limiter.allow("@a:x", 10.5)  # the first one left the window
    assert limiter.should_warn("@a:x", 12.5)
