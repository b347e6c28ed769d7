"""``python -m foci_bot``."""

from .cli import main

raise SystemExit(main())
