"""`python -m laddhub` is the `laddhub` command."""

from laddhub.cli.app import main

main()
