"""The I/O behind the checks: the guarded HTTP client, discovery, the room check, shared setup."""
