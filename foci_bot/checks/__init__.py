"""Pure checks: observations in, findings and verdicts out. No I/O here."""
