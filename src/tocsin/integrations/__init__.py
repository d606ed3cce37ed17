"""Adapters to the outside world: alert sources, notifiers, actions and trackers."""
