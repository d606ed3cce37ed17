"""Actions Tocsin takes in the world: shell steps (shell.py), typed AWS actions (aws.py)."""
