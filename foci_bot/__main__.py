"""``python -m foci_bot``."""

from foci_bot.cli.main import main

raise SystemExit(main())
