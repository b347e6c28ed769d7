"""foci-bot: checks MatrixRTC call backends ("foci" / "transports") of Matrix homeservers."""

__version__ = "0.1.0"
