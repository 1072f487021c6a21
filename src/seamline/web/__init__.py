"""The web layer: assembles the capabilities' routers into one FastAPI app."""

from seamline.web.app import create_app

__all__ = ["create_app"]
