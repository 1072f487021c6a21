"""Seamline: the workshop brain for connected garment factories."""

__version__ = "0.1.0"
