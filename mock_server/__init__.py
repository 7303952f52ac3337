"""uphunt-mock: a local, stateful simulator of the UpHunt API."""

__version__ = "0.1.0"
