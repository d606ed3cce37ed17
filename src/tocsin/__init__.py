"""Tocsin: incident response from the first alert to the last post-mortem action item."""

__version__ = "0.1.0"
