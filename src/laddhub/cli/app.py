"""Entry point of the `laddhub` command: every sub-command group is registered here."""

from __future__ import annotations

import typer

from laddhub import __version__

app = typer.Typer(
    name="laddhub",
    help="Laddhub: an OCPI 2.2.1 node for charge point operators and e-mobility service providers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Laddhub: an OCPI 2.2.1 node for charge point operators and e-mobility service providers."""


@app.command()
def version() -> None:
    """Print the Laddhub version."""
    typer.echo(__version__)


def main() -> None:
    app()
