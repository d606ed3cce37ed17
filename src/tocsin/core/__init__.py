"""Pure domain: no I/O, no third-party imports, the clock is always passed in."""
