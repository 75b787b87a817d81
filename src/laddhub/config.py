"""Settings of a Laddhub node, read from `LADDHUB_*` environment variables and an optional config file.

Precedence, highest first: explicit arguments (the CLI's options), environment variables, the config file
named by `LADDHUB_CONFIG` (TOML or YAML), then defaults. Every setting is listed in docs/configuration.md.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

RoleName = Literal["CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP"]


class RoleConfig(BaseModel):
    """One role this node plays: role type, the party that plays it, and its business details."""

    role: RoleName
    country_code: str = Field(min_length=2, max_length=2)
    party_id: str = Field(min_length=3, max_length=3)
    name: str | None = Field(default=None, max_length=100)
    website: str | None = Field(default=None, max_length=255)

    @field_validator("role", mode="before")
    @classmethod
    def _upper_role(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("country_code", "party_id")
    @classmethod
    def _upper_code(cls, value: str) -> str:
        if not value.isascii() or not value.isalnum():
            raise ValueError("must be ASCII letters or digits")
        return value.upper()


def parse_roles_shorthand(text: str) -> list[dict[str, str]]:
    """Read `CPO:NL:LAD,EMSP:NL:LDE` (the form convenient in an environment variable)."""
    roles = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        parts = [p.strip() for p in item.split(":")]
        if len(parts) != 3:
            raise ValueError(f"role {item!r}: expected ROLE:COUNTRY:PARTY, e.g. CPO:NL:LAD")
        roles.append({"role": parts[0], "country_code": parts[1], "party_id": parts[2]})
    return roles


def parse_uid_prefixes(text: str) -> dict[str, str]:
    """Read `04A1=NL:MSP,04B2=DE:XYZ` (uid prefix = eMSP party) or a JSON object of the same."""
    stripped = text.strip()
    if stripped.startswith("{"):
        loaded = json.loads(stripped)
        if not isinstance(loaded, dict):
            raise ValueError("expected a JSON object of uid prefix -> COUNTRY:PARTY")
        return {str(k): str(v) for k, v in loaded.items()}
    prefixes = {}
    for item in stripped.split(","):
        if not item.strip():
            continue
        prefix, separator, party = item.partition("=")
        if not separator:
            raise ValueError(f"uid prefix {item.strip()!r}: expected PREFIX=COUNTRY:PARTY, e.g. 04A1=NL:MSP")
        prefixes[prefix.strip()] = party.strip()
    return prefixes


def party_of_setting(text: str) -> tuple[str, str] | None:
    """`NL:MSP` (or `NL-MSP`) as an upper-case (country_code, party_id), None when it is not one."""
    parts = [p.strip() for p in text.replace("-", ":").split(":")]
    if len(parts) != 2 or len(parts[0]) != 2 or len(parts[1]) != 3:
        return None
    if not all(p.isascii() and p.isalnum() for p in parts):
        return None
    return parts[0].upper(), parts[1].upper()


class _ConfigFileSource(PydanticBaseSettingsSource):
    """Settings from the TOML/YAML file named by the `config_file` setting (LADDHUB_CONFIG)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self._data = _read_config_file(path) if path else {}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ValueError(f"config file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    data: Any
    if path.suffix.lower() == ".toml":
        data = tomllib.loads(text)
    elif path.suffix.lower() in (".yaml", ".yml"):
        data = yaml.safe_load(text)
    elif path.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        raise ValueError(f"config file {path}: use .toml, .yaml, .yml or .json")
    if not isinstance(data, dict):
        raise ValueError(f"config file {path}: expected a table of settings at the top level")
    section = data.get("laddhub", data)
    if not isinstance(section, dict):
        raise ValueError(f"config file {path}: [laddhub] must be a table")
    return section


class Settings(BaseSettings):
    """Everything a node needs to know about itself."""

    model_config = SettingsConfigDict(env_prefix="LADDHUB_", extra="ignore", validate_default=True)

    config_file: Path | None = Field(default=None, alias="LADDHUB_CONFIG")
    data_dir: Path = Path("data")
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    public_url: str | None = None
    roles: Annotated[list[RoleConfig], NoDecode] = Field(default_factory=list)
    business_name: str = Field(default="Laddhub", max_length=100)
    business_website: str | None = None
    admin_token: str | None = None
    page_max_limit: int = Field(default=100, ge=1, le=10000)
    partner_timeout_s: float = Field(default=10.0, gt=0)
    push_enabled: bool = True
    push_poll_interval_s: float = Field(default=5.0, gt=0)
    push_backoff_base_s: float = Field(default=2.0, gt=0)
    push_backoff_cap_s: float = Field(default=600.0, gt=0)
    push_lease_s: float = Field(default=120.0, gt=0)
    push_batch_size: int = Field(default=50, ge=1, le=1000)
    push_concurrency: int = Field(default=4, ge=1, le=64)
    response_url_any_host: bool = False
    simulator_enabled: bool = False
    simulator_meter_interval_s: float = Field(default=60.0, gt=0)
    simulator_period_max_s: float = Field(default=900.0, gt=0)
    simulator_response_s: float = Field(default=1.0, ge=0)
    simulator_plug_timeout_s: float = Field(default=180.0, gt=0)
    simulator_vehicle_kwh: float = Field(default=40.0, gt=0)
    simulator_vehicle_kw: float = Field(default=11.0, gt=0)
    simulator_stay_s: float = Field(default=0.0, ge=0)
    simulator_unplug_s: float = Field(default=30.0, ge=0)
    charging_poll_interval_s: float = Field(default=5.0, gt=0)
    command_timeout_s: int = Field(default=30, ge=1, le=3600)
    callback_attempts: int = Field(default=6, ge=1, le=50)
    callback_backoff_s: float = Field(default=2.0, gt=0)
    realtime_authorization_timeout_s: float = Field(default=5.0, gt=0)
    realtime_authorization_uid_prefixes: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    charging_profile_min_interval_s: float = Field(default=0.0, ge=0)
    log_level: str = "INFO"

    @field_validator("roles", mode="before")
    @classmethod
    def _roles_shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            stripped = value.strip()
            if stripped.startswith("["):
                return json.loads(stripped)
            return parse_roles_shorthand(stripped)
        return value

    @field_validator("realtime_authorization_uid_prefixes", mode="before")
    @classmethod
    def _uid_prefixes_shorthand(cls, value: Any) -> Any:
        return parse_uid_prefixes(value) if isinstance(value, str) else value

    @field_validator("realtime_authorization_uid_prefixes")
    @classmethod
    def _uid_prefix_parties(cls, value: dict[str, str]) -> dict[str, str]:
        for prefix, party in value.items():
            if not prefix or party_of_setting(party) is None:
                raise ValueError(f"uid prefix {prefix!r}: expected a non-empty prefix and COUNTRY:PARTY")
        return value

    @model_validator(mode="after")
    def _unique_roles(self) -> Settings:
        seen = set()
        for role in self.roles:
            key = (role.role, role.country_code, role.party_id)
            if key in seen:
                raise ValueError(f"role {role.role} {role.country_code}/{role.party_id} is listed twice")
            seen.add(key)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        explicit = init_settings()
        path = (
            explicit.get("config_file") or explicit.get("LADDHUB_CONFIG") or os.environ.get("LADDHUB_CONFIG")
        )
        return (init_settings, env_settings, _ConfigFileSource(settings_cls, Path(path) if path else None))

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or an SQLite file in the data directory."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'laddhub.sqlite3').resolve()}"

    @property
    def base_url(self) -> str:
        """Where partners reach this node (no trailing slash)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"


def normalise_database_url(url: str) -> str:
    """Pick the async driver for the plain URLs users write (`postgresql://`, `sqlite:///`)."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url
