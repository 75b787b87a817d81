"""Entry point of the `laddhub` command: every sub-command group is registered here."""

from __future__ import annotations

import typer

from laddhub import __version__
from laddhub.cli import cpo, db, outbox, partners, tariffs
from laddhub.cli.demo import demo
from laddhub.cli.serve import serve

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


app.command()(serve)
app.command()(demo)
app.add_typer(partners.app, name="partners")
app.add_typer(db.app, name="db")
app.add_typer(tariffs.app, name="tariffs")
app.add_typer(outbox.app, name="outbox")
app.add_typer(cpo.app, name="cpo")


def main() -> None:
    app()
