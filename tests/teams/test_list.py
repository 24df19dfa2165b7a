"""A manager's "list" with 1,000 open incidents: pages that stay within what Teams shows."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from bot.messages import Address, Channel, ListIncidents, address_to_json, encode_action, user_key
from bot.playbook import Owner
from bot.ports import Incident, IncidentStatus, Participant, Step, StepStatus
from tests.harness import RunningApp
from tests.teams.fakes import (
    MIRA,
    START,
    TENANT,
    FakeConnector,
    People,
    Sent,
    actions,
    cards,
    channel_thread,
    texts,
)
from tests.teams.fakes import Conversation as Chat

TEAMS_MESSAGE_LIMIT = 28 * 1024  # Teams refuses a bot message (text, card and all) above ~28 KB
TEAMS_ACTIONS_SHOWN = 6  # buttons beyond these in one row end up in an overflow menu
COUNT = 1_000


async def open_many(app: RunningApp, count: int, chat: Chat) -> list[str]:
    """``count`` open incidents straight into the store, one every ten minutes back from
    START: old ones overdue, new ones not; reporters with long names, as a worst case."""
    playbook = app.runtime.playbooks["paid-fraudster"]
    conversation = address_to_json(Address(Channel.TEAMS, TENANT, chat.channel_id or chat.id))
    ids = []
    async with app.runtime.require_store().transaction() as tx:
        for number in range(count):
            reporter = f"medewerker-{number}"
            key = user_key(Channel.TEAMS, TENANT, reporter)
            incident = Incident(
                id=f"NR-T{number:05d}",
                tenant_id=TENANT,
                org_id="acme",
                playbook_id=playbook.id,
                lang="nl",
                status=IncidentStatus.OPEN,
                reported_at=START - timedelta(minutes=10 * number),
                reported_by=key,
                reporter_name=f"Medewerker {number} van de crediteurenadministratie",
                lead=key,
                conversation=conversation,
            )
            await tx.create_incident(incident)
            await tx.add_participant(
                Participant(incident.id, key, incident.reporter_name, incident.reported_at)
            )
            await tx.add_steps(
                [
                    Step(
                        incident_id=incident.id,
                        step_id=spec.id,
                        position=position,
                        status=StepStatus.OPEN,
                        due_at=incident.reported_at + spec.due,
                        owner=key if spec.owner is not Owner.MANAGER else "role:managers",
                        plan=playbook.id,
                    )
                    for position, spec in enumerate(playbook.steps)
                ]
            )
            ids.append(incident.id)
    return ids


def list_card(sent: list[Sent]) -> tuple[Sent, dict[str, Any]]:
    [message] = [s for s in sent if cards([s.body])]
    return message, cards([message.body])[0]


def shown_ids(card: dict[str, Any]) -> list[str]:
    return [a["title"] for a in actions(card) if a["title"].startswith("NR-")]


def check_limits(message: Sent, card: dict[str, Any]) -> None:
    size = len(json.dumps(message.body, ensure_ascii=False).encode("utf-8"))
    assert size < TEAMS_MESSAGE_LIMIT, f"{size} bytes"
    rows = [e["actions"] for e in card["body"] if e["type"] == "ActionSet"]
    rows.append(card.get("actions", []))
    assert all(len(row) <= TEAMS_ACTIONS_SHOWN for row in rows), "every button in sight"


async def test_a_thousand_open_incidents_list_in_pages_within_teams_limits(
    bot: RunningApp, person: People, connector: FakeConnector
) -> None:
    opened = set(await open_many(bot, COUNT, channel_thread()))
    mira = person("Mira Manager", aad_object_id=MIRA)

    seen: list[str] = []
    sent = await mira.say("lijst")
    for page in (1, 2, 3):
        message, card = list_card(sent)
        check_limits(message, card)
        assert f"Open incidenten: {COUNT} (pagina {page} van 100)" in texts([message])
        ids = shown_ids(card)
        assert len(ids) == 10 and set(ids) <= opened and not set(ids) & set(seen)
        assert all(f"*{i}*" in texts([message]) for i in ids), "each line names its incident"
        seen += ids
        sent = await mira.press("Volgende pagina")

    card_id = list_card(sent)[0].activity_id
    last_page = encode_action(ListIncidents(page=99))  # as the button would carry it
    message, card = list_card(await mira.click(card_id, {"noodrem": last_page}))
    check_limits(message, card)
    assert "(pagina 100 van 100)" in texts([message]) and len(shown_ids(card)) == 10
    assert not [a for a in actions(card) if a["title"] == "Volgende pagina"]

    opened_one = await mira.press(shown_ids(card)[0])
    assert f"Overzicht {shown_ids(card)[0]}" in texts(opened_one)
