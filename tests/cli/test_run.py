"""`foci-bot run`: log lines never show secrets."""

from __future__ import annotations


def test_log_lines_never_show_tokens() -> None:
    """The bot's log formatter redacts access tokens in URLs, JSON and Bearer headers, also in
    arguments and tracebacks."""
    import logging

    from foci_bot.cli.run import LOG_FORMAT, RedactingFormatter, redact

    formatter = RedactingFormatter(LOG_FORMAT)
    url = "https://hs.example/_matrix/client/v3/sync?since=s1&access_token=syt_SECRET1&timeout=0"
    record = logging.LogRecord("nio", logging.WARNING, __file__, 1, "GET %s failed", (url,), None)
    try:
        raise RuntimeError(
            "headers {'Authorization': 'Bearer syt_SECRET2'} body {\"access_token\": \"syt_SECRET3\"}"
        )
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert "SECRET" not in line
    assert "access_token=<redacted>&timeout=0" in line
    assert "Bearer <redacted>" in line and "since=s1" in line and "RuntimeError" in line
    assert redact("GET /x?access_token%3Dsyt_SECRET4") == "GET /x?access_token%3D<redacted>"
    assert redact("nothing secret here") == "nothing secret here"
