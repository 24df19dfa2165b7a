"""Process settings, read once from the environment (the contract in DESIGN.md)."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.errors import ConfigError


class SettingsError(ConfigError):
    """A setting is missing or wrong; the message is one line a person can act on."""


DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/noodrem.db"
DEFAULT_CHAT_RETENTION_DAYS = 90
DEFAULT_DEDUP_RETENTION_DAYS = 30


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 3978
    database_url: str = DEFAULT_DATABASE_URL
    playbooks_dir: Path = Path("playbooks")
    organisation_file: Path | None = None
    reminder_poll_seconds: float = 30.0
    public_url: str = ""
    """How other apps reach this server (download links in Teams): PUBLIC_URL."""
    secret: bytes = field(default=b"", repr=False)
    """Signs download links: NOODREM_SECRET; random per start when unset."""
    chat_retention: timedelta | None = timedelta(days=DEFAULT_CHAT_RETENTION_DAYS)
    """How long the web chat's history is kept: CHAT_RETENTION_DAYS (0: for ever)."""
    dedup_retention: timedelta | None = timedelta(days=DEFAULT_DEDUP_RETENTION_DAYS)
    """How long handled event ids are remembered, the de-duplication window:
    DEDUP_RETENTION_DAYS (0: for ever)."""
    metrics_token: str | None = field(default=None, repr=False)
    """When set, ``/metrics`` answers only ``Authorization: Bearer <token>``: METRICS_TOKEN."""
    retention_every_seconds: float = 3600.0
    """How often the scheduler prunes what is past its retention."""
    organisation_refresh_seconds: float = 5.0
    """How often a process checks whether the stored organisations changed:
    ORGANISATION_REFRESH_SECONDS."""
    env: dict[str, str] = field(default_factory=dict, repr=False)
    """The whole environment, for the platform channels to read their own settings."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        port_text = env.get("PORT", "3978")
        try:
            port = int(port_text)
        except ValueError:
            raise SettingsError(f"PORT must be a number, got {port_text!r}") from None
        if not 0 <= port <= 65535:
            raise SettingsError(f"PORT must be between 0 and 65535, got {port}")
        if env.get("WEB_ACCESS_TOKEN"):
            # A shared token let anyone holding it read and write anyone's chat; sign-in
            # replaces it, and a setting that silently stopped protecting would be worse.
            raise SettingsError(
                "WEB_ACCESS_TOKEN is no longer used: people sign in instead (sign_in in the "
                "organisation config, see README 'Signing in to the web chat'); remove it"
            )
        org_file = env.get("ORGANISATION_FILE")
        if org_file is None and Path("organisation.yaml").exists():
            org_file = "organisation.yaml"
        return cls(
            host=env.get("HOST", "127.0.0.1"),
            port=port,
            database_url=env.get("DATABASE_URL", DEFAULT_DATABASE_URL),
            playbooks_dir=Path(env.get("PLAYBOOKS_DIR", "playbooks")),
            organisation_file=Path(org_file) if org_file else None,
            public_url=env.get("PUBLIC_URL") or f"http://{env.get('HOST', '127.0.0.1')}:{port}",
            chat_retention=_retention(env, "CHAT_RETENTION_DAYS", DEFAULT_CHAT_RETENTION_DAYS),
            dedup_retention=_retention(env, "DEDUP_RETENTION_DAYS", DEFAULT_DEDUP_RETENTION_DAYS),
            metrics_token=env.get("METRICS_TOKEN") or None,
            organisation_refresh_seconds=_seconds(env, "ORGANISATION_REFRESH_SECONDS", 5.0),
            secret=(env.get("NOODREM_SECRET") or secrets.token_hex(32)).encode(),
            env=dict(env),
        )

    @property
    def on_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def _retention(env: Mapping[str, str], name: str, default: int) -> timedelta | None:
    """A whole number of days; 0 keeps rows for ever (``None``)."""
    text = env.get(name, "").strip() or str(default)
    try:
        days = int(text)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number of days, got {text!r}") from None
    if days < 0:
        raise SettingsError(f"{name} must be 0 (keep for ever) or more days, got {days}")
    return timedelta(days=days) if days else None


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {text!r}") from None
    if not 0 < seconds <= 3600:
        raise SettingsError(f"{name} must be more than 0 and at most 3600 seconds, got {text}")
    return seconds
