"""Organisation config: who the company is, its time zone, its managers and its contacts.

These facts differ per customer (an MSSP may host many), so they live in one YAML file
apart from the playbooks, which describe what to do and are the same for everyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import time as time_of_day
from datetime import timedelta
from pathlib import Path
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.messages import Channel, Inbound, address_from_json
from bot.playbook.duration import Duration
from bot.ports import Incident, SignInMethod

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ENTERPRISE_ID = re.compile(r"E[A-Z0-9]{2,20}")  # a Slack Enterprise Grid organisation


class OrganisationError(Exception):
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
    contacts: dict[Literal["bank", "it_provider"], OrgContact] = {}
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


class Organisations:
    """All organisations this installation serves, looked up by platform tenant."""

    def __init__(self, organisations: Sequence[Organisation]) -> None:
        if not organisations:
            raise OrganisationError("the organisation config lists no organisation")
        self._all = tuple(organisations)
        self._by_id = {o.id: o for o in self._all}

    @property
    def default(self) -> Organisation:
        return self._all[0]

    def __iter__(self) -> Iterator[Organisation]:
        return iter(self._all)

    def get(self, org_id: str) -> Organisation | None:
        return self._by_id.get(org_id)

    @property
    def sign_in_configured(self) -> bool:
        """Does any organisation sign people in to the web chat (else: trial mode)?"""
        return any(o.sign_in is not None for o in self._all)

    def for_email(self, email: str) -> Organisation | None:
        """The first organisation whose sign-in admits this address to a mail link."""
        return next((o for o in self._all if o.sign_in and o.sign_in.admits(email)), None)

    def of_incident(self, incident: Incident) -> Organisation:
        """The organisation an incident was opened in; the default when its tenant is gone."""
        origin = address_from_json(incident.conversation)
        return self.for_tenant(origin.channel, incident.tenant_id) or self.default

    def for_tenant(self, channel: Channel, tenant_id: str) -> Organisation | None:
        """The organisation a platform tenant (Slack workspace or org-wide Grid install,
        Entra tenant) belongs to: the one that lists its id.

        A single organisation that names no workspace or tenant of this platform serves
        every one that reaches it: a new install with no config (or a config that leaves
        the ids out) works at once. With several organisations nobody can guess, so an
        unnamed workspace gets None and is refused.
        """
        if channel is Channel.WEB:
            return self._by_id.get(tenant_id)
        for org in self._all:
            if tenant_id in org.platform_ids(channel):
                return org
        sole = self._all[0]
        if len(self._all) == 1 and not sole.platform_ids(channel):
            return sole
        return None


def load_organisations(path: Path | None) -> Organisations:
    """Read the config; without a file, one default organisation with no managers."""
    if path is None:
        return Organisations([DEFAULT_ORGANISATION])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OrganisationError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise OrganisationError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise OrganisationError(f"{path}{where}: not valid YAML") from None
    if not isinstance(raw, Mapping) or "organisations" not in raw:
        raise OrganisationError(f"{path}: expected a mapping with the key 'organisations'")
    items = raw["organisations"]
    if not isinstance(items, list):
        raise OrganisationError(f"{path}: 'organisations' must be a list")
    organisations = []
    for index, item in enumerate(items):
        try:
            organisations.append(Organisation.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise OrganisationError(
                f"{path}: organisations[{index}].{where}: {first['msg']}"
            ) from None
    ids = [o.id for o in organisations]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise OrganisationError(f"{path}: duplicate organisation id {', '.join(duplicates)}")
    return Organisations(organisations)
