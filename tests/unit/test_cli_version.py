from typer.testing import CliRunner

from laddhub import __version__
from laddhub.cli.app import app


def test_version_command_prints_package_version() -> None:
    result = CliRunner().invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == __version__
