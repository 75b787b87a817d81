"""The `laddhub` command line (Typer + Rich)."""
