"""Reports to markdown, HTML and JSON (pure): the same output for the bot and the CLI."""
