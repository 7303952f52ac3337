"""The HTTP face of the mock: Starlette routes built from the OpenAPI specs."""

from .app import create_app

__all__ = ["create_app"]
