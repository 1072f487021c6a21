"""The web app: pages, their live streams and their static assets, served beside the API."""

from seamline.web.ui.pages import install_ui, render

__all__ = ["install_ui", "render"]
