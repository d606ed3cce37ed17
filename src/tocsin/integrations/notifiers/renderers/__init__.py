"""Message renderers, apart from delivery."""
