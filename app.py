"""Noodrem's entry point: the one place that imports every part and wires them together.

python app.py                  serve the web chat (and Slack/Teams when configured)
python app.py validate [PATH]  check playbooks without starting
python app.py export INCIDENT --format pdf|json|csv [-o FILE] [--lang nl|en]
python app.py verify FILE.json  check that an exported timeline is unaltered
python app.py register --format csv|pdf [-o FILE] [--org ID | --all]  the breach register
python app.py org import FILE | list | show ID | remove ID  the organisations
python app.py teams-package [-o FILE]  zip the Teams app for upload
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from aiohttp import web

from bot.channels import slack_settings, teams_package, teams_settings
from bot.config import Settings, SettingsError
from bot.errors import ConfigError, ExitCode, InputError, NoodremError, outcome
from bot.front import MAX_BODY, Front, alive

# The rest of Noodrem is imported where it is used, not here: `python app.py` listens (and
# answers /healthz) once aiohttp is imported, and imports the app's ~100 modules after, in a
# thread (`serve`); a command imports what it needs (bench/startup.py).
if TYPE_CHECKING:
    from bot import organisation_store
    from bot.channels.base import (
        ChannelFactory,
        Handler,
        PlatformChannel,
        PublishLink,
        SqlEngineGetter,
        StoreGetter,
    )
    from bot.channels.downloads import Downloads
    from bot.channels.web_signin import SignIn
    from bot.digest import Digests
    from bot.engine import Engine
    from bot.evidence.workers import DrawingProcesses
    from bot.handoff import Handoffs
    from bot.mail import MailSettings
    from bot.messages import Inbound, Lang, Reply
    from bot.metrics import Metrics
    from bot.notifier import Router
    from bot.organisation import Organisation, Organisations
    from bot.playbook import Playbook
    from bot.ports import Clock, ReplySink
    from bot.recognition import Recognizer
    from bot.reminders import Reminders
    from bot.retention import Retention
    from bot.scheduler import Wakeups
    from storage import SqlStore

log = logging.getLogger("noodrem")


class StartupError(ConfigError):
    """Noodrem cannot start; the message is one line that says why."""


@dataclass
class Runtime:
    """What the running app is made of; tests reach the engine and reminders through it."""

    settings: Settings
    clock: Clock
    playbooks: dict[str, Playbook]
    organisations: Organisations
    router: Router
    platforms: list[PlatformChannel] = field(default_factory=list)
    """The chat platforms configured (Slack, Teams), each installed on the app."""
    store: SqlStore | None = None
    engine: Engine | None = None
    reminders: Reminders | None = None
    digests: Digests | None = None
    downloads: Downloads | None = None
    wakeups: Wakeups | None = None
    training: asyncio.Task[None] | None = None
    """The recognizer, read from its cache or trained, off the event loop and after the
    start (``warm_up``): not needed to be ready, and a training is seconds of scikit-learn.
    A message waits for it (``handle``)."""

    def warm_up(self) -> asyncio.Task[None]:
        """Begin reading or training the recognizer, unless begun: ``serve`` calls this
        once the app is ready, a first message otherwise (tests serve without the front)."""
        if self.training is None:
            self.training = asyncio.create_task(self.train_recognizer())
        return self.training

    async def train_recognizer(self) -> None:
        try:
            recognizer = await asyncio.to_thread(
                trained_recognizer,
                self.settings.playbooks_dir,
                self.playbooks,
                recognizer_cache(self.settings.env),
            )
        except Exception:
            log.exception("could not train the recognizer: free text is matched by triggers only")
            return
        if recognizer is not None and self.engine is not None:
            # The engine is frozen: the next message picks up the one with the recognizer.
            self.engine = replace(self.engine, recognizer=recognizer)

    async def recognizer_ready(self) -> None:
        """Wait until the recognizer is trained (or training failed); begins it if need be."""
        await asyncio.shield(self.warm_up())

    retention: Retention | None = None
    metrics: Metrics | None = None
    handoffs: Handoffs | None = None
    drawings: DrawingProcesses | None = None
    """The worker processes that draw the chat's evidence files (started at the first)."""
    organisation_refresh: organisation_store.Refresh | None = None
    """Keeps ``organisations`` at the stored version (another replica or ``app.py org``
    changed them)."""

    async def tick(self) -> None:
        """What the scheduler runs when it wakes: due reminders, due hand-offs, digests,
        then, once an hour, the retention pass (last: it is the one thing that can wait)."""
        if (
            self.reminders is None
            or self.digests is None
            or self.wakeups is None
            or self.handoffs is None
        ):
            return
        await self.reminders.run_due()
        await self.handoffs.run_due()
        await self.digests.run_due()
        if self.retention is not None:
            await self.retention.run_if_due()
        next_digest = self.digests.next_at()
        if next_digest is not None:
            self.wakeups.wake_at(next_digest)
        # The poll alone would send a deadline up to a poll late; the first tick runs at
        # start, so arming the earliest pending row here is also what re-arms after a restart.
        due = [await self.reminders.next_due(), await self.handoffs.next_due()]
        next_deadline = min((d for d in due if d is not None), default=None)
        if next_deadline is not None:
            # A row still due means another pass is busy with it (this one returned at
            # once): wake a little later, not now, or the two would spin on each other.
            soonest = datetime.now(UTC) + timedelta(milliseconds=200)
            self.wakeups.wake_at(max(next_deadline, soonest))

    def require_store(self) -> SqlStore:
        if self.store is None:
            raise RuntimeError("the store is opened when the app starts")
        return self.store

    def require_handoffs(self) -> Handoffs:
        if self.handoffs is None:
            raise RuntimeError("the hand-off outbox is opened when the app starts")
        return self.handoffs


RUNTIME = web.AppKey("runtime", Runtime)


# A platform's SDK costs seconds to import: its module is imported only once its settings
# say it is configured (a wrong setting still stops the start, from the settings module).
def _slack(
    env: dict[str, str],
    *,
    handler: Handler,
    store: StoreGetter,
    clock: Clock,
    host: str,
    publish_link: PublishLink | None = None,
    sql_engine: SqlEngineGetter | None = None,
) -> PlatformChannel | None:
    if slack_settings.read_settings(env) is None:
        return None
    from bot.channels import slack

    return slack.from_settings(
        env,
        handler=handler,
        store=store,
        clock=clock,
        host=host,
        publish_link=publish_link,
        sql_engine=sql_engine,
    )


def _teams(
    env: dict[str, str],
    *,
    handler: Handler,
    store: StoreGetter,
    clock: Clock,
    host: str,
    publish_link: PublishLink | None = None,
    sql_engine: SqlEngineGetter | None = None,  # Teams keeps no tables of its own
) -> PlatformChannel | None:
    if teams_settings.read_settings(env, host=host) is None:
        return None
    from bot.channels import teams

    return teams.from_settings(
        env, handler=handler, store=store, clock=clock, host=host, publish_link=publish_link
    )


# Each returns None unless its platform is configured in the environment.
PLATFORMS: tuple[ChannelFactory, ...] = (_slack, _teams)


def recognizer_cache(env: Mapping[str, str]) -> Path | None:
    """Where a trained recognizer is kept between starts (``Recognizer.cached``):
    ``NOODREM_CACHE_DIR``, else the user's cache directory (``XDG_CACHE_HOME``,
    ``~/.cache``); ``NOODREM_CACHE_DIR`` empty keeps nothing."""
    configured = env.get("NOODREM_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = env.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory to find
            return None
    return Path(base) / "noodrem"


def trained_recognizer(
    directory: Path, playbooks: Mapping[str, Playbook], cache: Path | None = None
) -> Recognizer | None:
    """The classifier for free text, once per process for a set of playbooks, read from
    ``cache`` when a start before trained it on the same examples; None (triggers only)
    where the playbooks come without examples of ordinary chat, without which it cannot
    tell an emergency from a chat about the painter's invoice."""
    from bot.recognition import ORDINARY

    if not (directory / "examples" / f"{ORDINARY}.yaml").is_file():
        log.info(
            "no %s/examples/%s.yaml: free text is matched by triggers only", directory, ORDINARY
        )
        return None
    triggers = tuple(
        (p.id, tuple((lang, tuple(phrases)) for lang, phrases in p.triggers.items()))
        for p in playbooks.values()
    )
    return _train(directory, triggers, cache)


@functools.lru_cache(maxsize=4)
def _train(
    directory: Path,
    triggers: tuple[tuple[str, tuple[tuple[Lang, tuple[str, ...]], ...]], ...],
    cache: Path | None,
) -> Recognizer:
    from bot.recognition import Recognizer, load_training_set

    by_plan = {pid: dict(by_lang) for pid, by_lang in triggers}
    return Recognizer.cached(load_training_set(directory / "examples", by_plan), cache)


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    start_scheduler: bool = True,
    organisations: Organisations | None = None,
    drawings: DrawingProcesses | None = None,
) -> web.Application:
    """The aiohttp application with every configured channel; raises ``StartupError``.

    The store opens in the startup hook (it needs the event loop); playbooks and the
    organisation file are checked here, so a broken file stops the start at once. ``serve``
    calls it in a thread once it listens (``_built``): the imports below are most of a
    start, and the server answers /healthz meanwhile.
    ``organisations``: the set to build with, as ``serve`` read it from the store; without
    it, the organisation file's, which seeds an empty store. Either way the startup hook
    then serves the stored set and keeps it current (``_serve_stored_organisations``).
    ``drawings``: worker processes for the chat's evidence files that the caller owns and
    closes (the tests share one across their apps); without it, the app's own, started at
    its first export and closed with it.
    """
    from bot.channels.downloads import Downloads
    from bot.channels.handoff_ack import HandoffAcks
    from bot.channels.web import WebChat
    from bot.clock import SystemClock
    from bot.digest import Digests
    from bot.engine import Engine
    from bot.evidence.workers import DrawingProcesses
    from bot.handoff import Handoffs
    from bot.mail import Mailer, MailSettings
    from bot.messages import Attachment, Channel
    from bot.metrics import Metrics
    from bot.notifier import Router
    from bot.organisation import OrganisationError
    from bot.playbook import PlaybookError
    from bot.reminders import Reminders
    from bot.retention import Retention
    from bot.scheduler import Wakeups
    from storage import StoreError, create_store

    try:
        from_file, playbooks = _loaded(settings)
    except (PlaybookError, OrganisationError) as exc:
        raise StartupError(str(exc)) from None
    if organisations is None:
        organisations = from_file
    try:
        mail = MailSettings.from_env(settings.env)
    except SettingsError as exc:
        raise StartupError(str(exc)) from None
    _check_organisations(settings, organisations)
    metrics = Metrics(token=settings.metrics_token)
    runtime = Runtime(
        settings=settings,
        clock=clock or SystemClock(),
        playbooks=playbooks,
        organisations=organisations,
        router=Router(),
        metrics=metrics,
    )
    notifier = metrics.observed(runtime.router)
    app = web.Application(client_max_size=MAX_BODY)
    app[RUNTIME] = runtime

    @metrics.timed
    async def handle(inbound: Inbound, *, sink: ReplySink | None = None) -> list[Reply]:
        if runtime.engine is None:
            raise RuntimeError("engine not started")
        # The first message after a start waits for what the warm-up has left (reading the
        # kept recognizer: tens of milliseconds; a training: seconds): with the triggers
        # alone, a person telling an emergency in their own words would hear "I didn't
        # understand".
        await runtime.recognizer_ready()
        return await runtime.engine.handle(inbound, sink=sink)

    downloads = Downloads(
        store=runtime.require_store,
        clock=runtime.clock,
        secret=settings.secret,
        base_url=settings.public_url,
    )
    downloads.install(app)
    runtime.downloads = downloads
    HandoffAcks(
        handoffs=runtime.require_handoffs,
        clock=runtime.clock,
        secret=settings.secret,
        organisations=organisations,
    ).install(app)

    async def publish(attachment: Attachment, owner: str) -> str:
        return await downloads.publish(attachment, owner=owner)

    async def publish_link(attachment: Attachment, owner: str) -> str:
        return await downloads.publish(attachment, owner=owner, absolute=True)

    web_chat = WebChat(
        handler=handle,
        store=runtime.require_store,
        clock=runtime.clock,
        sign_in=_sign_in(app, settings, runtime, mail),
        publish=publish,
    )
    web_chat.install(app)
    runtime.router.register(Channel.WEB, web_chat.deliver)
    for factory in PLATFORMS:
        try:
            platform = factory(
                settings.env,
                handler=handle,
                store=runtime.require_store,
                clock=runtime.clock,
                host=settings.host,
                publish_link=publish_link,
                sql_engine=lambda: runtime.require_store().engine,
            )
        except SettingsError as exc:
            raise StartupError(str(exc)) from None
        if platform is not None:
            platform.install(app)
            runtime.router.register(platform.channel, platform.deliver)
            runtime.platforms.append(platform)
    app.router.add_get("/healthz", alive)
    app.router.add_get("/readyz", functools.partial(_readyz, runtime))
    metrics.install(app)

    async def start(app: web.Application) -> None:
        try:
            runtime.store = await create_store(settings.database_url)
            await runtime.store.create_schema()
            await _serve_stored_organisations(
                runtime, seed=list(from_file) if settings.organisation_file else None
            )
        except StoreError as exc:
            raise StartupError(str(exc)) from None
        runtime.reminders = Reminders(
            store=runtime.store,
            clock=runtime.clock,
            playbooks=playbooks,
            organisations=organisations,
            notifier=notifier,
            on_sent=metrics.reminder_sent,
        )
        runtime.digests = Digests(
            store=runtime.store,
            clock=runtime.clock,
            playbooks=playbooks,
            organisations=organisations,
            notifier=notifier,
        )
        runtime.handoffs = Handoffs(
            store=runtime.store,
            clock=runtime.clock,
            organisations=organisations,
            playbooks=playbooks,
            notifier=notifier,
            mailer=Mailer(mail) if mail is not None else None,
            secret=settings.secret,
            public_url=settings.public_url,
            env=settings.env,
        )
        runtime.wakeups = Wakeups(runtime.tick, poll_seconds=settings.reminder_poll_seconds)
        runtime.retention = Retention(
            store=runtime.store,
            clock=runtime.clock,
            chat=settings.chat_retention,
            dedup=settings.dedup_retention,
            every=timedelta(seconds=settings.retention_every_seconds),
        )
        runtime.drawings = drawings or DrawingProcesses()
        runtime.engine = Engine(
            store=runtime.store,
            clock=runtime.clock,
            playbooks=playbooks,
            organisations=organisations,
            wake=runtime.wakeups.wake_at,
            notifier=notifier,
            handoffs=runtime.handoffs,
            drawer=runtime.drawings,
        )
        if start_scheduler:
            runtime.wakeups.start()

    async def stop(app: web.Application) -> None:
        if runtime.organisation_refresh is not None:
            await runtime.organisation_refresh.stop()
        if runtime.wakeups is not None:
            await runtime.wakeups.stop()
        if runtime.training is not None:
            runtime.training.cancel()  # the thread runs out on its own; nothing waits for it
        if runtime.handoffs is not None:
            await runtime.handoffs.close()
        if runtime.drawings is not None and drawings is None:
            runtime.drawings.close()
        if runtime.store is not None:
            await runtime.store.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


async def _serve_stored_organisations(
    runtime: Runtime, *, seed: Sequence[Organisation] | None
) -> None:
    """Seed an empty store from the organisation file, serve the stored organisations, and
    start following their changes. Raises ``StartupError`` for a stored set this process
    cannot serve (as a broken file would)."""
    from bot import organisation_store
    from bot.organisation import OrganisationError, Organisations

    store = runtime.require_store()
    if seed is not None and await organisation_store.seed(store, seed, at=runtime.clock.now()):
        log.info("organisations: the organisation file was imported into the empty store")
    problems = _organisation_problems(runtime.settings)
    refresh = organisation_store.Refresh(
        organisations=runtime.organisations,
        store=store,
        every=runtime.settings.organisation_refresh_seconds,
        problems=problems,
    )
    try:
        stored = await organisation_store.load(store)
    except OrganisationError as exc:
        raise StartupError(str(exc)) from None
    if stored.organisations:
        if stored.version != runtime.organisations.version:  # else build_app checked it
            found = Organisations(stored.organisations, version=stored.version)
            _check_organisations(runtime.settings, found, problems)
        runtime.organisations.replace(stored.organisations, version=stored.version)
        if seed is not None and list(seed) != list(stored.organisations):
            log.info(
                "organisations come from the database (version %d); the organisation file "
                "only seeds an empty one: 'app.py org import' applies it",
                stored.version,
            )
    await organisation_store.adopt_incidents(store, runtime.organisations)
    runtime.organisation_refresh = refresh
    refresh.start()


def _check_organisations(
    settings: Settings,
    organisations: Organisations,
    problems: organisation_store.Problems | None = None,
) -> None:
    """At the start: ``StartupError`` for a set this process must not serve; what it
    serves without is logged."""
    from bot import organisation_store

    found = (problems or _organisation_problems(settings))(organisations)
    refused = organisation_store.refusing(found)
    if refused:
        raise StartupError("; ".join(map(str, refused)))
    organisation_store.warn(found, version=organisations.version)


def _organisation_problems(settings: Settings) -> organisation_store.Problems:
    """What makes a set of organisations one this process must not serve (``REFUSES``:
    checked at the start, which stops, and at every change another replica or ``app.py
    org`` makes, which is then not taken into use), or serves without something
    (``WARNS``: logged as an error at the start and at every change)."""
    from bot.channels.web_signin import missing_client_secrets
    from bot.handoff import Handoffs
    from bot.mail import MailSettings
    from bot.organisation_store import Problem, Severity

    mail = MailSettings.from_env(settings.env)  # build_app has said why when it is wrong

    def problems(organisations: Organisations) -> list[Problem]:
        found = []
        unset = Handoffs.missing_secrets(organisations, settings.env)
        if unset:
            found.append(
                Problem(
                    f"the organisation config names webhook_secret_env {', '.join(unset)}, "
                    "but the environment does not set it: set the secret the IT provider's "
                    "webhook is signed with"
                )
            )
        found.extend(Problem(text) for text in missing_client_secrets(organisations, settings.env))
        if not settings.on_loopback and not organisations.sign_in_configured:
            found.append(
                Problem(
                    f"HOST={settings.host} is not a loopback address, and without sign-in the "
                    "web chat would be open to everyone on the network: add sign_in to the "
                    "organisation config (README, 'Signing in to the web chat')"
                )
            )
        by_mail = [o.id for o in organisations if o.sign_in is not None and o.sign_in.by_mail]
        if by_mail and mail is None:
            # Served anyway: the page then offers no mail form, a Microsoft or Google
            # sign-in still works, and refusing would hold back every other change.
            found.append(
                Problem(
                    f"sign_in by e-mail (email_domains, emails) of {', '.join(by_mail)} needs "
                    "SMTP_HOST and SMTP_FROM to send the links: until they are set, nobody "
                    "gets a sign-in link",
                    Severity.WARNS,
                )
            )
        return found

    return problems


async def _stored_organisations(settings: Settings) -> Organisations | None:
    """The organisations ``serve`` builds the app with: those of an existing store;
    ``None`` for a new or older one, which the startup hook migrates and seeds from the
    file."""
    from bot import organisation_store
    from bot.organisation import OrganisationError, Organisations
    from storage import StoreError, create_store

    try:
        store = await create_store(settings.database_url, must_exist=True)
    except StoreError:
        return None  # the startup hook creates it, or says why it cannot
    try:
        stored = await organisation_store.load(store)
    except StoreError:
        return None  # a schema from before r0011: no organisations stored yet
    except OrganisationError as exc:
        raise StartupError(str(exc)) from None
    finally:
        await store.close()
    if not stored.organisations:
        return None
    return Organisations(stored.organisations, version=stored.version)


def _sign_in(
    app: web.Application, settings: Settings, runtime: Runtime, mail: MailSettings | None
) -> SignIn:
    """The web chat's sign-in, installed whatever the organisations are now: it reads them
    on every request (an import can turn sign-in on, add a customer or a provider), and
    the trial mode applies while none signs in and the server is on loopback."""
    from bot.channels.web_signin import OidcFlow, SignIn
    from bot.mail import Mailer

    def oidc(sign_in: SignIn) -> OidcFlow:
        # Authlib and joserfc only once someone signs in with OpenID Connect.
        from bot.channels.web_oidc import OpenIdConnect

        return OpenIdConnect(
            sign_in=sign_in,
            store=runtime.require_store,
            clock=runtime.clock,
            public_url=settings.public_url,
            env=settings.env,
        )

    sign_in = SignIn(
        organisations=lambda: runtime.organisations,
        store=runtime.require_store,
        clock=runtime.clock,
        mailer=Mailer(mail) if mail is not None else None,
        public_url=settings.public_url,
        loopback=settings.on_loopback,
        oidc=oidc,
    )
    sign_in.install(app)
    return sign_in


async def _readyz(runtime: Runtime, request: web.Request) -> web.Response:
    """Ready for traffic: the store is open, answers, and its schema is at the newest
    revision; otherwise 503 with the reason, so a load balancer sends people elsewhere."""
    reason = "starting" if runtime.store is None else await runtime.store.readiness()
    if reason is not None:
        return web.json_response({"ready": False, "reason": reason}, status=503)
    return web.json_response({"ready": True})


async def serve(settings: Settings) -> None:
    """Listen at once, then build and start the app behind the front (``bot/front.py``):
    ``/healthz`` answers from the first moment, messages wait for the app. Raises
    ``StartupError`` when the app cannot start, and then stops listening: ``/readyz`` has
    said "starting" until then, never ready."""
    front = Front()
    runner = web.AppRunner(front.application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise StartupError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}"
        ) from None
    try:
        # Importing the app's modules and reading its files is CPU work: in a thread, so
        # the event loop answers /healthz meanwhile.
        await front.start(asyncio.to_thread(_built, settings), ready=_warm_up)
        log.info("Noodrem is running on http://%s:%s", settings.host, settings.port)
        await _terminated()
        log.info("stopping (SIGTERM)")
    finally:
        await runner.cleanup()


async def _terminated() -> None:
    """Returns at SIGTERM (``docker stop``, a service manager), so the app's cleanup runs as
    it does at Ctrl-C: Python's default for SIGTERM ends the process on the spot, leaving
    the evidence-drawing worker and the store's connections to the operating system."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def _warm_up(app: web.Application) -> None:
    """What waits until the app is ready: the recognizer (``Runtime.warm_up``)."""
    app[RUNTIME].warm_up()


def _built(settings: Settings) -> web.Application:
    """``serve``'s app, built in a thread. The stored organisations are read with an event
    loop of the thread's own: ``_stored_organisations`` opens and closes its store."""
    return build_app(settings, organisations=asyncio.run(_stored_organisations(settings)))


def validate(paths: Sequence[Path]) -> int:
    from bot.playbook import playbook_files, validate_paths

    targets = list(paths) or [Path("playbooks")]
    errors = validate_paths(targets)
    bad = {str(e.path) for e in errors}
    for error in errors:
        print(f"error: {error}")
    for path in playbook_files(targets):
        if str(path) not in bad:
            print(f"ok: {path}")
    return 1 if errors else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description="Noodrem incident-response bot")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the bot (the default)")
    check = commands.add_parser("validate", help="check playbooks without starting")
    check.add_argument("paths", nargs="*", type=Path, help="files or folders (default: playbooks/)")
    export = commands.add_parser("export", help="write an incident's evidence file")
    export.add_argument("incident", help="incident id, e.g. NR-4K7Q2M")
    export.add_argument("--format", choices=["pdf", "json", "csv"], default="pdf")
    export.add_argument(
        "-o", "--output", type=Path, help="file to write (default: INCIDENT.FORMAT; - for stdout)"
    )
    export.add_argument("--lang", choices=["nl", "en"], help="default: the incident's language")
    export.add_argument(
        "--by", help="who makes the file, as the evidence names them (default: login)"
    )
    _add_org_scope(export, "the incident must be this organisation's")
    verify = commands.add_parser("verify", help="check that a JSON export is unaltered")
    verify.add_argument("file", type=Path)
    register = commands.add_parser("register", help="write the breach register (Art. 33(5))")
    register.add_argument("--format", choices=["csv", "pdf"], default="csv")
    register.add_argument(
        "-o", "--output", type=Path, help="file to write (default: datalekregister.FORMAT)"
    )
    register.add_argument("--lang", choices=["nl", "en"], help="default: the organisation's")
    _add_org_scope(register, "only this organisation's incidents")
    _add_org_commands(commands)
    package = commands.add_parser("teams-package", help="zip the Teams app for upload")
    package.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path(teams_package.DEFAULT_NAME),
        help=f"zip file, or a folder to write {teams_package.DEFAULT_NAME} into",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # A line per scheduler tick says nothing; its warnings and errors still come through.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Alembic announces each of its plugins at INFO on every migration; the revisions it
    # runs (alembic.runtime.migration) are what an operator wants to read.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if args.command == "validate":
        return validate(args.paths)
    if args.command == "org":
        return _command(lambda: _org_main(args, os.environ))
    if args.command in ("verify", "export", "register"):
        return _command(lambda: _evidence_main(args))
    if args.command == "teams-package":
        return _command(lambda: teams_package.command(args.output, os.environ))
    try:
        settings = Settings.from_env(os.environ)
        asyncio.run(serve(settings))
    except NoodremError as exc:
        print(f"Noodrem cannot start: {exc}", file=sys.stderr)
        return outcome(exc).exit_code
    except KeyboardInterrupt:
        pass
    return ExitCode.OK


def _evidence_main(args: argparse.Namespace) -> ExitCode:
    """``app.py verify | export | register`` (the evidence modules, imported for these only)."""
    from bot.evidence import cli as evidence_cli

    if args.command == "verify":
        return evidence_cli.verify_command(args.file)
    if args.command == "export":
        return _with_store(
            os.environ,
            lambda store, scope, playbooks: evidence_cli.export_command(
                store,
                organisations=scope.organisations,
                playbooks=playbooks,
                incident_id=args.incident,
                fmt=evidence_cli.Format(args.format),
                out=args.output,
                lang=args.lang,
                by=args.by,
                org_id=scope.org_id,
            ),
            org_id=args.org,
            every=args.all,
        )
    return _with_store(
        os.environ,
        lambda store, scope, playbooks: evidence_cli.register_command(
            store,
            organisations=scope.organisations,
            playbooks=playbooks,
            fmt=evidence_cli.Format(args.format),
            out=args.output,
            lang=args.lang,
            org_id=scope.org_id,
        ),
        org_id=args.org,
        every=args.all,
    )


Command: TypeAlias = "Callable[[SqlStore, OrgScope, dict[str, Playbook]], Awaitable[ExitCode]]"
"""A command that works on the store, with the organisations it is about and the playbooks."""


def _loaded(settings: Settings) -> tuple[Organisations, dict[str, Playbook]]:
    """The organisation file and the playbooks the server and the commands read by; raises
    the ``OrganisationError`` or ``PlaybookError`` that says what is wrong."""
    from bot.organisation_file import load_organisations
    from bot.playbook import load_playbooks

    return load_organisations(settings.organisation_file), load_playbooks(settings.playbooks_dir)


def _with_store(
    env: Mapping[str, str], command: Command, *, org_id: str | None = None, every: bool = False
) -> ExitCode:
    """Run ``command`` on the configured store, opened for it and closed after, with the
    stored organisations and the one it is about (``_scope``)."""
    from bot.playbook import load_playbooks
    from storage import create_store

    settings = Settings.from_env(env)
    playbooks = load_playbooks(settings.playbooks_dir)

    async def run() -> ExitCode:
        # A typo in DATABASE_URL must read as "no such database", not "no such incident".
        store = await create_store(settings.database_url, must_exist=True)
        try:
            organisations = await _command_organisations(store, settings)
            return await command(store, _scope(organisations, org_id, every=every), playbooks)
        finally:
            await store.close()

    return asyncio.run(run())


def _command(run: Callable[[], int]) -> int:
    """A command's exit code; any error it raises as one line on stderr, the code from the
    one table in ``bot.errors``."""
    try:
        return run()
    except NoodremError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return outcome(exc).exit_code


# The organisation commands and the per-organisation scope of the evidence commands --------


@dataclass(frozen=True)
class OrgScope:
    organisations: Organisations
    org_id: str | None
    """The one organisation asked for; ``None``: all of them (``--all``)."""


def _add_org_scope(parser: argparse.ArgumentParser, what: str) -> None:
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--org", help=f"{what} (its id; needed with several organisations)")
    scope.add_argument("--all", action="store_true", help="every organisation's (a provider)")


def _add_org_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    org = commands.add_parser("org", help="the organisations in the database")
    actions = org.add_subparsers(dest="org_command", required=True)
    imports = actions.add_parser("import", help="create or replace the file's organisations")
    imports.add_argument("file", type=Path)
    actions.add_parser("list", help="every organisation")
    show = actions.add_parser("show", help="one organisation, as a file 'import' takes")
    show.add_argument("id")
    remove = actions.add_parser("remove", help="remove one without open incidents")
    remove.add_argument("id")


def _org_main(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """``app.py org ...``: opens the store for ``bot.organisation_cli``; exit 2 when it
    cannot (settings, database), with one line on stderr."""
    from bot import organisation_cli
    from storage import create_store

    async def run(settings: Settings) -> int:
        # An import may come before the first start: it creates the database and schema.
        creating = args.org_command == "import"
        store = await create_store(settings.database_url, must_exist=not creating)
        try:
            await store.create_schema()
            now = datetime.now(UTC)
            if args.org_command == "import":
                return await organisation_cli.import_command(
                    store,
                    args.file,
                    now=now,
                    refresh_seconds=settings.organisation_refresh_seconds,
                )
            if args.org_command == "list":
                return await organisation_cli.list_command(store)
            if args.org_command == "show":
                return await organisation_cli.show_command(store, args.id)
            return await organisation_cli.remove_command(store, args.id, now=now)
        finally:
            await store.close()

    return asyncio.run(run(Settings.from_env(env)))


async def _command_organisations(store: SqlStore, settings: Settings) -> Organisations:
    """The organisations in the store; before the first start, the file's (as that start
    will seed them)."""
    from bot import organisation_store
    from bot.organisation import Organisations
    from bot.organisation_file import load_organisations

    found = await organisation_store.load(store)
    if not found.organisations:
        return load_organisations(settings.organisation_file)
    return Organisations(found.organisations, version=found.version)


def _scope(organisations: Organisations, org_id: str | None, *, every: bool) -> OrgScope:
    """The one organisation an evidence command is about: named with ``--org`` (needed once
    there are several, so no customer's file mixes in another's), or all with ``--all``."""
    if every:
        return OrgScope(organisations, None)
    if org_id is not None:
        if organisations.get(org_id) is None:
            raise InputError(f"no organisation {org_id!r}; 'app.py org list' shows them")
        return OrgScope(organisations, org_id)
    if len(organisations) > 1:
        ids = ", ".join(o.id for o in organisations)
        raise InputError(
            f"there are {len(organisations)} organisations ({ids}): name one with --org ID, "
            "or --all for every organisation's"
        )
    return OrgScope(organisations, organisations.default.id)


if __name__ == "__main__":
    sys.exit(main())
