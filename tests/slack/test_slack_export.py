"""The evidence file through Slack: the real engine renders the PDF, the adapter hands it
over with ``files_upload_v2`` (three calls at the fake), only to people entitled to it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ports import IncidentStatus
from tests.harness import RunningApp
from tests.slack.conftest import MakePerson, events_of, open_incident_ids
from tests.slack.driver import SlackUser, texts
from tests.slack.fake_slack import FakeSlack

START_NL = "ik denk dat we een oplichter hebben betaald"


@dataclass
class Upload:
    channel: str
    filename: str
    data: bytes


async def uploads_after(user: SlackUser, mark: int) -> list[Upload]:
    """Files shared since ``mark``, once the app is done with what ``user`` asked: the
    upload URL asked for, the bytes posted to it, the upload completed into a channel."""
    await user.slack.handled()
    calls = user.fake.calls[mark:]
    asked = [c for c in calls if c.method == "files.getUploadURLExternal"]
    sent = {c.args["file_id"]: c.args["data"] for c in calls if c.method == "upload"}
    done = [c for c in calls if c.method == "files.completeUploadExternal"]
    assert len(asked) == len(sent) == len(done)
    return [
        Upload(call.args["channel_id"], asked_for.args["filename"], sent[file["id"]])
        for asked_for, call in zip(asked, done, strict=True)
        for file in call.args["files"]
    ]


async def export_pdf(user: SlackUser, fake: FakeSlack, text: str, *, command: bool) -> Upload:
    mark = len(fake.calls)
    said = await (user.command(text) if command else user.say(text))
    assert "Vingerafdruk van de tijdlijn" in texts(said)
    [upload] = await uploads_after(user, mark)
    assert upload.data.startswith(b"%PDF") and upload.filename.endswith(".pdf")
    return upload


async def test_export_hands_over_the_pdf_only_to_people_in_the_incident(
    bot: RunningApp, person: MakePerson, fake: FakeSlack
) -> None:
    jan = person("U0JAN", "Jan Jansen")
    await jan.say(START_NL)
    await jan.press("Ja")
    [incident] = await open_incident_ids(bot)
    await jan.say("€ 12.500")

    by_command = await export_pdf(jan, fake, "export", command=True)
    assert by_command.channel == jan.dm
    assert by_command.filename.startswith(f"noodrem-{incident}-")
    assert (await export_pdf(jan, fake, "export", command=False)).channel == jan.dm

    # Asked in a channel: the file (personal data) goes to his DM, the channel is told.
    mark = len(fake.calls)
    in_channel = await jan.command("export", channel="C0FINANCE")
    [upload] = await uploads_after(jan, mark)
    assert upload.channel == jan.dm and upload.data.startswith(b"%PDF")
    said_there = texts([c for c in in_channel if c.args.get("channel") == "C0FINANCE"])
    assert "privégesprek" in said_there and "Vingerafdruk" not in said_there

    async with bot.runtime.require_store().transaction() as tx:  # closed since
        closed = await tx.get_incident(incident, lock=True)
        assert closed is not None
        closed.status = IncidentStatus.CLOSED
        await tx.update_incident(closed)
    await export_pdf(jan, fake, f"export {incident}", command=False)

    piet = person("U0PIET", "Piet de Vries")  # in the workspace, not in the incident
    mark = len(fake.calls)
    refused = await piet.say(f"export {incident}")
    assert f"Je doet niet mee aan incident {incident}" in texts(refused)
    assert await uploads_after(piet, mark) == []

    exported = [e for e in await events_of(bot, incident) if e.kind == "evidence_exported"]
    assert len(exported) == 4 and {e.actor_name for e in exported} == {"Jan Jansen"}
