"""The room check's pure core: a room snapshot in, a room report out (no I/O)."""
