"""The terminal shell: ``main`` and one module per command."""
