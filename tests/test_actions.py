"""A button's action survives every platform's round trip, and an old button says so."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any, get_args

import pytest

from bot.messages import (
    ACTION_FORMAT,
    MAX_ENCODED_ACTION,
    Action,
    ActionTooLong,
    AssignFollowUp,
    AssignStep,
    Button,
    Close,
    ConfirmStart,
    ConfirmStop,
    DeclineStart,
    FactOption,
    FillFacts,
    FollowUpDone,
    HandOff,
    HandOverLead,
    InputRequest,
    KeepGoing,
    ListIncidents,
    Outdated,
    PickFor,
    PickIncident,
    Presence,
    RecallUpdate,
    RecordOption,
    Reopen,
    Report,
    SameIncident,
    ShowPlans,
    ShowStatus,
    ShowTimeline,
    SkipFact,
    Snooze,
    SomethingElse,
    StepBlocked,
    StepDone,
    StepHelp,
    StepShow,
    StepSkip,
    StepText,
    TakeLead,
    Welcome,
    decode_action,
    encode_action,
)
from bot.playbook.models import MAX_ID
from bot.ports import RecallStatus

INCIDENT = "NR-ABC234"
#: The longest ids the playbook loader takes, with the widest characters JSON keeps as is.
ID = "a" * MAX_ID
STEP = "b" * MAX_ID

#: One of every kind, as a button draws it.
EVERY_KIND: list[Action] = [
    ConfirmStart("paid-fraudster"),
    DeclineStart(),
    SomethingElse(),
    ShowPlans(),
    Report(),
    SameIncident(INCIDENT, "paid-fraudster"),
    FillFacts(INCIDENT),
    FactOption(INCIDENT, "request_channel", "mail"),
    SkipFact(INCIDENT, "request_channel"),
    StepDone(INCIDENT, "call-bank", 3),
    RecordOption(INCIDENT, "ap-assessment", "decision", "notify_later", 0),
    StepBlocked(INCIDENT, "call-bank", 3),
    StepSkip(INCIDENT, "call-bank", 3),
    StepHelp(INCIDENT, "call-bank", 3),
    StepShow(INCIDENT, "call-bank", 3),
    HandOff(INCIDENT, "call-it", 1),
    StepText(INCIDENT, "bank-letter", "en"),
    RecallUpdate(INCIDENT, "call-bank", RecallStatus.PARTLY_RETURNED.value),
    PickIncident(INCIDENT, PickFor.EXPORT),
    ConfirmStop(INCIDENT),
    KeepGoing(INCIDENT),
    ShowStatus(INCIDENT),
    ListIncidents(closed=True, page=2),
    ShowTimeline(INCIDENT),
    AssignStep(INCIDENT, "police-report", 2),
    Snooze(INCIDENT, "call-bank", 15, 4),
    TakeLead(INCIDENT),
    HandOverLead(INCIDENT),
    Close(INCIDENT, confirmed=True),
    Reopen(INCIDENT),
    FollowUpDone(INCIDENT, "four-eyes-payments", 1),
    AssignFollowUp(INCIDENT, "four-eyes-payments"),
    Outdated(),
    Presence(),
    Welcome(),
]


def _largest(kind: type[Action]) -> Action:
    """The biggest payload of a kind a button can carry: every id at the loader's limit,
    the longest option and recall status, the largest page and stamp."""
    values: list[Any] = []
    for f in fields(kind):
        match f.name:
            case "incident_id":
                values.append("NR-" + "Z" * 6)
            case "step_id" | "text_id" | "playbook_id" | "follow_up_id":
                values.append(STEP)
            case "fact_id" | "record_id" | "option":
                values.append(ID)
            case "status":
                values.append(max((s.value for s in RecallStatus), key=len))
            case "lang":
                values.append("nl")
            case "purpose":
                values.append(max(PickFor, key=len))
            case "closed" | "confirmed":
                values.append(False)  # as long as true would be, plus one
            case "page" | "stamp" | "minutes":
                values.append(2**63 - 1)
            case other:
                raise AssertionError(f"no largest value for {kind.__name__}.{other}: add one")
    return kind(*values)


def test_every_kind_is_covered_here() -> None:
    assert {type(action) for action in EVERY_KIND} == set(get_args(Action))
    assert len({kind.kind for kind in get_args(Action)}) == len(get_args(Action))


@pytest.mark.parametrize("action", EVERY_KIND, ids=lambda a: type(a).__name__)
def test_round_trip_is_loss_free(action: Action) -> None:
    encoded = encode_action(action)
    assert decode_action(encoded) == action
    assert type(decode_action(encoded)) is type(action)


@pytest.mark.parametrize("kind", get_args(Action), ids=lambda k: k.__name__)
def test_the_largest_payload_of_every_kind_fits_every_platform(kind: type[Action]) -> None:
    action = _largest(kind)
    encoded = encode_action(action)
    assert len(encoded) <= MAX_ENCODED_ACTION
    assert decode_action(encoded) == action
    Button("x", action)  # a button may be made with it


@pytest.mark.parametrize(
    "action",
    [
        FactOption(INCIDENT, "request_channel", "mail|telefoon"),  # format 1 split on "|"
        FactOption(INCIDENT, "x", '€ 8.000 — "quoted" \\ ünïcode 😀 \u2028 \x00'),
        StepText(INCIDENT, "bank-letter"),  # the person's own language
        Snooze(INCIDENT, "call-bank", None),  # until a time typed next
        ListIncidents(),
        Close(INCIDENT),
    ],
)
def test_awkward_values_survive(action: Action) -> None:
    assert decode_action(encode_action(action)) == action


def test_the_form_is_versioned_and_compact() -> None:
    assert ACTION_FORMAT == 3
    assert (
        encode_action(StepDone(INCIDENT, "call-bank", 3))
        == 'n3:["step.done","NR-ABC234","call-bank",3]'
    )
    assert (
        encode_action(StepDone(INCIDENT, "call-bank")) == 'n3:["step.done","NR-ABC234","call-bank"]'
    )
    assert encode_action(ShowPlans()) == 'n3:["start.menu"]'
    assert encode_action(Snooze(INCIDENT, "s", None, 2)) == 'n3:["snooze","NR-ABC234","s",null,2]'


def test_an_action_too_big_for_slack_is_refused_where_it_is_made() -> None:
    too_big = FactOption(INCIDENT, "x", "a" * 2000)
    with pytest.raises(ActionTooLong, match=r"fact\.answer carries .* platforms take 2000"):
        encode_action(too_big)
    with pytest.raises(ActionTooLong):
        Button("Ja", too_big)
    with pytest.raises(ActionTooLong):
        InputRequest("reason", "Waarom?", too_big)


@pytest.mark.parametrize(
    "raw",
    [
        "step.done|NR-ABC234|call-bank||3",  # format 1
        "status||||",
        'n1:["status"]',
        'n2:["step.done","NR-ABC234","call-bank",null,3]',  # format 2: name, target, value
        'n2:["snooze","NR-ABC234","call-bank","15m",0]',
        'n4:["step.done","NR-ABC234"]',  # a newer version, after a rollback
        'n3:["step.renamed","NR-ABC234"]',  # a kind this version does not know
    ],
)
def test_buttons_of_another_version_are_out_of_date(raw: str) -> None:
    assert decode_action(raw) == Outdated()


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "rm -rf /",
        "n3:",
        "n3:not json",
        "n3:[]",
        'n3:{"kind":"status"}',
        "n3:[1]",
        'n3:["status",1]',  # an incident id that is a number
        'n3:["status"]',  # no incident at all
        'n3:["status",null]',
        'n3:["status","NR-ABC234","extra"]',
        'n3:["step.done","NR-ABC234","call-bank","3"]',  # a stamp that is text
        'n3:["step.done","NR-ABC234","call-bank",true]',  # a bool is no stamp
        'n3:["step.done","NR-ABC234","call-bank",1.5]',
        'n3:["snooze","NR-ABC234","call-bank","15m"]',  # minutes, not format 2's text
        'n3:["snooze","NR-ABC234","call-bank",1e400]',
        'n3:["list",1,0]',  # closed must be a bool, not 1
        'n3:["list",false,"2"]',
        'n3:["close","NR-ABC234","confirmed"]',
        'n3:["incident.pick","NR-ABC234","delete"]',  # no such purpose
        'n3:["step.text","NR-ABC234","bank-letter","fr"]',  # no such language
        'n3:["fact.answer","NR-ABC234","x",["mail"]]',
        "n3:" + "[" * 100_000,
        "n1234567:[]",
        "|||||",
    ],
)
def test_what_no_version_made_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not a Noodrem action"):
        decode_action(raw)


def test_the_wire_is_one_kind_then_its_fields_in_order() -> None:
    """What the channels carry: a JSON list, so Teams ``data`` and the web's JSON hold it
    as one string, the same one Slack's ``value`` does."""
    encoded = encode_action(RecordOption(INCIDENT, "ap", "decision", "notify_later", 5))
    version, _, body = encoded.partition(":")
    assert version == f"n{ACTION_FORMAT}"
    assert json.loads(body) == ["step.choice", INCIDENT, "ap", "decision", "notify_later", 5]
