"""Organisation config: who the company is, its time zone, its managers and its contacts.

These facts differ per customer (an MSSP may host many), so they are kept apart from the
playbooks, which describe what to do and are the same for everyone: in the database, one
JSON document per organisation, written from a YAML file (``bot/organisation_file.py``,
``bot/organisation_store.py``) and validated by these models both ways.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import time as time_of_day
from datetime import timedelta
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from bot.errors import ConfigError
from bot.messages import Channel, Inbound, address_from_json
from bot.playbook.contacts import OrgContactKind
from bot.playbook.duration import Duration
from bot.ports import Incident, SignInMethod

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ENTERPRISE_ID = re.compile(r"E[A-Z0-9]{2,20}")  # a Slack Enterprise Grid organisation


class OrganisationError(ConfigError):
    """The organisation config cannot be used; the message says where and why."""


class OrgContact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    phone: str | None = None
    email: str | None = Field(
        None, description="Where a hand-off goes by mail (needs SMTP_HOST in the environment)"
    )
    url: str | None = None
    webhook_url: str | None = Field(
        None,
        pattern=r"^https?://\S+$",
        description="Where a hand-off is POSTed as signed JSON",
    )
    webhook_secret_env: str | None = Field(
        None,
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="The environment variable that holds the webhook's HMAC secret: the "
        "secret itself stays out of this file",
    )

    @model_validator(mode="after")
    def _webhook_has_a_secret(self) -> Self:
        if self.webhook_url is not None and self.webhook_secret_env is None:
            raise ValueError(
                "webhook_url needs webhook_secret_env: the name of the environment variable "
                "that holds the secret the webhook is signed with"
            )
        return self


class HandoffPolicy(BaseModel):
    """How often a hand-off (mail, webhook) is tried before the incident lead is told."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attempts: int = Field(5, ge=1, le=20, description="Tries per hand-off message")
    retry_after: tuple[Duration, ...] = Field(
        (
            timedelta(minutes=1),
            timedelta(minutes=5),
            timedelta(minutes=15),
            timedelta(minutes=60),
        ),
        min_length=1,
        description="Waits between failed tries; the last one repeats",
    )


class Manager(BaseModel):
    """A person who gets escalations. Each channel names people its own way."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    email: str | None = Field(
        None, description="E-mail address she signs in to the web chat with (sign-in mode)"
    )
    web: str | None = Field(
        None, description="Name as typed in the web chat: the trial mode only, no sign-in"
    )
    slack: str | None = Field(None, description="Slack user id, e.g. U0123ABCD")
    teams: str | None = Field(
        None,
        description="Microsoft Entra object id (aadObjectId): Teams, and a Microsoft sign-in",
    )

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str | None) -> str | None:
        return value.strip().lower() if value is not None else None

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")

    def is_user(self, inbound: Inbound) -> bool:
        if inbound.channel is Channel.WEB:
            return self._is_web_user(inbound)
        if inbound.channel is Channel.SLACK:
            return self.slack == inbound.user_id
        return self.teams is not None and self.teams == inbound.user_id

    def _is_web_user(self, inbound: Inbound) -> bool:
        identity = inbound.identity
        if identity is None:  # trial mode: on this computer only, whoever types the name
            typed = inbound.user_name.strip().casefold()
            return self.web is not None and self.web.casefold() == typed
        # Signed in: only what the sign-in proved counts, never the name shown.
        if self.email is not None and self.email == identity.email:
            return True
        return self.teams is not None and identity.oid is not None and self.teams == identity.oid


class OidcLogin(BaseModel):
    """An OpenID Connect app registration of this organisation (Entra ID, Google)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: SignInMethod = Field(description="microsoft or google: whose button it is")
    issuer: str = Field(
        pattern=r"^https?://",
        description="e.g. https://login.microsoftonline.com/<tenant id>/v2.0 or "
        "https://accounts.google.com; id tokens must name exactly this issuer",
    )
    client_id: str = Field(min_length=1)
    client_secret_env: str = Field(
        pattern=r"^[A-Z][A-Z0-9_]*$",
        description="The environment variable that holds the client secret (never the file)",
    )

    @field_validator("provider")
    @classmethod
    def _not_mail(cls, value: SignInMethod) -> SignInMethod:
        if value is SignInMethod.MAIL:
            raise ValueError("provider must be microsoft or google")
        return value


class SignIn(BaseModel):
    """Who may sign in to the web chat as this organisation, and how.

    A mail link goes only to an address at one of ``email_domains`` or listed in
    ``emails``. A Microsoft sign-in is this organisation's when the token's issuer is its
    tenant; a Google account's issuer is the same for everyone, so a Google sign-in must
    also have an admitted address.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    email_domains: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    oidc: tuple[OidcLogin, ...] = ()
    session_hours: int = Field(12, ge=1, le=24 * 30, description="A session ends this much later")

    @field_validator("email_domains", "emails")
    @classmethod
    def _lower(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.strip().lower().lstrip("@") for v in values)

    @property
    def by_mail(self) -> bool:
        return bool(self.email_domains or self.emails)

    def admits(self, email: str) -> bool:
        """May a mail link for this (lower-case) address be sent?"""
        domain = email.rpartition("@")[2]
        return email in self.emails or domain in self.email_domains

    def login(self, provider: SignInMethod) -> OidcLogin | None:
        return next((o for o in self.oidc if o.provider is provider), None)


class ReminderPolicy(BaseModel):
    """When step owners are reminded and overdue steps escalate. A fraud does not wait for
    office hours: these ignore quiet hours; only the morning digest respects them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    before_short: Duration = Field(
        timedelta(minutes=5), description="Before a deadline within the hour"
    )
    before_long: Duration = Field(timedelta(minutes=30), description="Before a later deadline")
    managers_after: Duration = Field(
        timedelta(minutes=15),
        description="Overdue: the lead is told at the deadline, all managers this much later",
    )
    repeat_every: Duration = Field(
        timedelta(hours=1), description="Then repeat this often while still overdue"
    )
    repeat_max: int = Field(3, ge=0, le=24)
    delivery_attempts: int = Field(
        3,
        ge=1,
        le=10,
        description="Tries per person before a reminder goes to the next one (lead, managers)",
    )
    retry_after: tuple[Duration, ...] = Field(
        (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15)),
        min_length=1,
        description="Waits between failed tries; the last one repeats",
    )


class Digest(BaseModel):
    """One message per working morning to each manager: open incidents and what is due."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    time: time_of_day = time_of_day(8, 30)
    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    quiet_after: Duration = Field(
        timedelta(days=7),
        description="An open incident in which nobody did anything this long nudges its "
        "lead with the digest: close it, or say what is still open",
    )


class Organisation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    timezone: str = "Europe/Amsterdam"
    language: Literal["nl", "en"] = "nl"
    slack_team_ids: tuple[str, ...] = ()
    slack_enterprise_ids: tuple[str, ...] = Field(
        (),
        description="Slack Enterprise Grid organisations (E0123ABCD) that installed the app "
        "org-wide: every workspace of the organisation is this one's",
    )
    teams_tenant_ids: tuple[str, ...] = ()
    managers: tuple[Manager, ...] = ()
    sign_in: SignIn | None = None
    contacts: dict[OrgContactKind, OrgContact] = {}
    reminders: ReminderPolicy = ReminderPolicy()
    handoff: HandoffPolicy = HandoffPolicy()
    digest: Digest = Digest()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use e.g. Europe/Amsterdam") from None
        return value

    @field_validator("slack_enterprise_ids")
    @classmethod
    def _enterprise_ids(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not _ENTERPRISE_ID.fullmatch(value):
                hint = " (a workspace's T… id goes in slack_team_ids)" if value[:1] == "T" else ""
                raise ValueError(f"{value!r} is no Slack enterprise id like E0123ABCD{hint}")
        return values

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def manager_for(self, inbound: Inbound) -> Manager | None:
        return next((m for m in self.managers if m.is_user(inbound)), None)

    @staticmethod
    def platform_setting(channel: Channel, tenant_id: str = "") -> str:
        """The config key that lists a platform's ids: what an administrator must add to."""
        if channel is Channel.SLACK and _ENTERPRISE_ID.fullmatch(tenant_id):
            return "slack_enterprise_ids"
        return {Channel.SLACK: "slack_team_ids", Channel.TEAMS: "teams_tenant_ids"}.get(
            channel, "id"
        )

    def platform_ids(self, channel: Channel) -> tuple[str, ...]:
        """The workspaces and Grid organisations (Slack) or tenants (Teams) of one platform
        that are this one's."""
        if channel is Channel.SLACK:
            return self.slack_team_ids + self.slack_enterprise_ids
        if channel is Channel.TEAMS:
            return self.teams_tenant_ids
        return (self.id,)

    def manager_key(self, manager: Manager) -> str:
        """The store key under which a manager's last known address is kept."""
        return f"manager:{self.id}:{manager.slug}"


DEFAULT_ORGANISATION = Organisation(id="default", name="Noodrem")


@dataclass(frozen=True, slots=True)
class _Set:
    """One version of the organisations, swapped as a whole."""

    all: tuple[Organisation, ...]
    by_id: Mapping[str, Organisation]
    version: int


class Organisations:
    """All organisations this installation serves, looked up by platform tenant.

    The set can be swapped at run time (``replace``: another replica changed the stored
    organisations). Each lookup and each iteration reads one version, and an
    ``Organisation`` is frozen: a turn resolves its organisation once, so it keeps the
    version it started with.
    """

    def __init__(self, organisations: Sequence[Organisation], *, version: int = 0) -> None:
        self._set = self._build(organisations, version)

    @staticmethod
    def _build(organisations: Sequence[Organisation], version: int) -> _Set:
        if not organisations:
            raise OrganisationError("the organisation config lists no organisation")
        return _Set(tuple(organisations), {o.id: o for o in organisations}, version)

    def replace(self, organisations: Sequence[Organisation], *, version: int) -> None:
        """Serve this set from now on (one assignment: a reader sees the old or the new)."""
        self._set = self._build(organisations, version)

    @property
    def version(self) -> int:
        """The stored version this set was read at (0: not from the store)."""
        return self._set.version

    @property
    def default(self) -> Organisation:
        return self._set.all[0]

    def __iter__(self) -> Iterator[Organisation]:
        return iter(self._set.all)

    def __len__(self) -> int:
        return len(self._set.all)

    def get(self, org_id: str) -> Organisation | None:
        return self._set.by_id.get(org_id)

    @property
    def sign_in_configured(self) -> bool:
        """Does any organisation sign people in to the web chat (else: trial mode)?"""
        return any(o.sign_in is not None for o in self._set.all)

    def for_email(self, email: str) -> Organisation | None:
        """The first organisation whose sign-in admits this address to a mail link."""
        return next((o for o in self._set.all if o.sign_in and o.sign_in.admits(email)), None)

    def of_incident(self, incident: Incident) -> Organisation:
        """The organisation an incident belongs to; the default when it is gone."""
        current = self._set
        return _owner(current, incident) or current.all[0]

    def owner_of(self, incident: Incident) -> Organisation | None:
        """The organisation an incident belongs to (the one stored with it; for one from
        before r0012 not adopted yet, the one its tenant belongs to), or None when that
        organisation was removed: what decides whose register or file it is in."""
        return _owner(self._set, incident)

    def of_origin(self, incident: Incident) -> Organisation | None:
        """The organisation the incident's workspace or tenant belongs to now, whatever is
        stored: whose people reach the chat it was opened in."""
        origin = address_from_json(incident.conversation)
        return _for_tenant(self._set, origin.channel, incident.tenant_id)

    def for_tenant(self, channel: Channel, tenant_id: str) -> Organisation | None:
        """The organisation a platform tenant (Slack workspace or org-wide Grid install,
        Entra tenant) belongs to: the one that lists its id.

        A single organisation that names no workspace or tenant of this platform serves
        every one that reaches it: a new install with no config (or a config that leaves
        the ids out) works at once. With several organisations nobody can guess, so an
        unnamed workspace gets None and is refused.
        """
        return _for_tenant(self._set, channel, tenant_id)


def _owner(current: _Set, incident: Incident) -> Organisation | None:
    if incident.org_id is not None:
        return current.by_id.get(incident.org_id)
    origin = address_from_json(incident.conversation)
    return _for_tenant(current, origin.channel, incident.tenant_id)


def _for_tenant(current: _Set, channel: Channel, tenant_id: str) -> Organisation | None:
    if channel is Channel.WEB:
        return current.by_id.get(tenant_id)
    for org in current.all:
        if tenant_id in org.platform_ids(channel):
            return org
    sole = current.all[0]
    if len(current.all) == 1 and not sole.platform_ids(channel):
        return sole
    return None
