from pathlib import Path

import pytest
from pydantic import ValidationError

from laddhub.config import Settings, normalise_database_url


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("LADDHUB_"):
            monkeypatch.delenv(key)


def test_defaults_use_sqlite_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'laddhub.sqlite3'}"
    assert settings.versions_url == "http://127.0.0.1:8000/ocpi/versions"


def test_roles_shorthand_from_environment_is_upper_cased(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LADDHUB_ROLES", "cpo:nl:lad, EMSP:NL:LDE")
    roles = Settings().roles
    assert [(r.role, r.country_code, r.party_id) for r in roles] == [
        ("CPO", "NL", "LAD"),
        ("EMSP", "NL", "LDE"),
    ]


def test_roles_as_json_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "LADDHUB_ROLES", '[{"role": "CPO", "country_code": "DE", "party_id": "ABC", "name": "X"}]'
    )
    assert Settings().roles[0].name == "X"


def test_toml_file_with_laddhub_table_and_env_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "laddhub.toml"
    config.write_text(
        '[laddhub]\nport = 9000\npublic_url = "https://ocpi.example.com/"\n'
        '[[laddhub.roles]]\nrole = "CPO"\ncountry_code = "NL"\nparty_id = "EXC"\n'
    )
    monkeypatch.setenv("LADDHUB_CONFIG", str(config))
    monkeypatch.setenv("LADDHUB_PORT", "9100")
    settings = Settings()
    assert settings.port == 9100
    assert settings.versions_url == "https://ocpi.example.com/ocpi/versions"
    assert settings.roles[0].party_id == "EXC"


def test_yaml_file_given_explicitly(tmp_path: Path) -> None:
    config = tmp_path / "laddhub.yaml"
    config.write_text("roles:\n  - {role: EMSP, country_code: SE, party_id: LDH}\npage_max_limit: 50\n")
    settings = Settings(config_file=config)
    assert settings.page_max_limit == 50
    assert settings.roles[0].country_code == "SE"


@pytest.mark.parametrize(
    "roles",
    ["CPO:NL", "CPO:NLD:LAD", "KING:NL:LAD", "CPO:NL:LAD,CPO:nl:lad"],
)
def test_bad_roles_are_rejected_with_a_message(roles: str) -> None:
    with pytest.raises((ValidationError, ValueError)):
        Settings(roles=roles)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        Settings(config_file=tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://postgres@127.0.0.1/test", "postgresql+asyncpg://postgres@127.0.0.1/test"),
        ("postgres://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_plain_database_urls_get_the_async_driver(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected
