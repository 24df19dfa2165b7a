"""The Teams channel's settings, read from the environment before anything is served.

Apart from the adapter so that checking settings (and the refusal to serve an open
endpoint off loopback) needs no Bot Framework import.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.config import SettingsError

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class AppType(StrEnum):
    """How the Azure Bot's identity was created (the "Type of App" in the Azure portal)."""

    SINGLE_TENANT = "SingleTenant"
    MULTI_TENANT = "MultiTenant"
    USER_ASSIGNED_MSI = "UserAssignedMSI"


@dataclass(frozen=True, slots=True)
class TeamsSettings:
    """An empty ``app_id`` means unauthenticated local mode (Emulator, loopback only)."""

    app_id: str = ""
    app_password: str = ""
    app_tenant_id: str = ""
    app_type: AppType = AppType.MULTI_TENANT

    def __repr__(self) -> str:  # the password must never reach a log line
        return f"TeamsSettings(app_id={self.app_id!r}, app_type={self.app_type.value!r})"

    @property
    def authenticated(self) -> bool:
        return bool(self.app_id)


def read_settings(env: Mapping[str, str], *, host: str) -> TeamsSettings | None:
    """The Teams settings, None when Teams is off; ``SettingsError`` says what is wrong.

    Messages name variables, never their values: a password pasted into the wrong
    variable must not end up in a log.
    """
    app_id = env.get("MICROSOFT_APP_ID", "").strip()
    password = env.get("MICROSOFT_APP_PASSWORD", "")
    tenant_id = env.get("MICROSOFT_APP_TENANT_ID", "").strip()
    raw_type = env.get("MICROSOFT_APP_TYPE", "").strip()
    local = env.get("TEAMS_LOCAL", "").strip()
    if local not in ("", "0", "1"):
        raise SettingsError("TEAMS_LOCAL must be 1 (Bot Framework Emulator on loopback) or 0")
    if not app_id:
        if password or tenant_id or raw_type:
            raise SettingsError(
                "MICROSOFT_APP_ID is empty but other MICROSOFT_APP_* settings are set: "
                "set the bot's app id too, or unset them"
            )
        if local != "1":
            return None
        if not _is_loopback(host):
            raise SettingsError(
                f"TEAMS_LOCAL=1 serves Teams without authentication, which would post replies "
                f"to any serviceUrl a caller names: only allowed with HOST on loopback, not "
                f"{host!r}; set MICROSOFT_APP_ID to serve Teams there"
            )
        return TeamsSettings()
    if not _GUID.match(app_id):
        raise SettingsError("MICROSOFT_APP_ID must be the bot's Microsoft App ID (a GUID)")
    app_type = {t.value.lower(): t for t in AppType}.get(raw_type.lower())
    if app_type is None:
        raise SettingsError(
            "MICROSOFT_APP_TYPE must be SingleTenant, MultiTenant or UserAssignedMSI "
            "(the type of app chosen when the Azure Bot was created)"
        )
    if app_type is not AppType.USER_ASSIGNED_MSI and not password:
        raise SettingsError(f"MICROSOFT_APP_PASSWORD is required with {app_type.value}")
    if app_type is not AppType.MULTI_TENANT and not tenant_id:
        raise SettingsError(f"MICROSOFT_APP_TENANT_ID is required with {app_type.value}")
    if tenant_id and not _GUID.match(tenant_id):
        raise SettingsError("MICROSOFT_APP_TENANT_ID must be a Microsoft Entra tenant id (a GUID)")
    return TeamsSettings(app_id, password, tenant_id, app_type)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
