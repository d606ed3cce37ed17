"""Notifiers deliver rendered messages; renderers turn an incident into a channel's text."""
