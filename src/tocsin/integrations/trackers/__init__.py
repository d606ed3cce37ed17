"""Trackers action items are exported to: GitHub Issues and Jira (the app's Tracker port)."""
