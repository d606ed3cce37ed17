"""`python -m tocsin`: the same as the `tocsin` command."""

from tocsin.cli.main import main

main()
