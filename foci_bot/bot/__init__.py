"""The Matrix shell: commands, replies, access, sync position, store, dispatch; ``matrix`` is the only nio import."""
