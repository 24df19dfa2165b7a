"""A button's action survives every platform's round trip, and an old button says so."""

from __future__ import annotations

import pytest

from bot.messages import MAX_ENCODED_ACTION, Action, ActionName, ActionTooLong


@pytest.mark.parametrize(
    "action",
    [
        Action(ActionName.STATUS),
        Action(ActionName.STEP_DONE, "NR-ABC234", "call-bank", stamp=3),
        Action(ActionName.ANSWER_FACT, "NR-ABC234", "request_channel", value="mail|telefoon"),
        Action(ActionName.LIST, value="2", target="closed"),
        Action(ActionName.ANSWER_FACT, None, None, value='€ 8.000 — "quoted" \\ ünïcode 😀'),
        Action(ActionName.SNOOZE, "NR-ABC234", "call-bank", value="15m", stamp=0),
    ],
)
def test_round_trip_is_loss_free(action: Action) -> None:
    encoded = action.encode()
    assert Action.decode(encoded) == action
    assert len(encoded) <= MAX_ENCODED_ACTION


def test_the_form_is_versioned_and_compact() -> None:
    encoded = Action(ActionName.STEP_DONE, "NR-ABC234", "call-bank", stamp=3).encode()
    assert encoded == 'n2:["step.done","NR-ABC234","call-bank",null,3]'
    assert Action(ActionName.STATUS).encode() == 'n2:["status"]'


def test_an_action_too_big_for_slack_is_refused_where_it_is_made() -> None:
    with pytest.raises(ActionTooLong, match=r"fact\.answer carries .* platforms take 2000"):
        Action(ActionName.ANSWER_FACT, "NR-ABC234", "x", value="a" * 2000).encode()


@pytest.mark.parametrize(
    "raw",
    [
        "step.done|NR-ABC234|call-bank||3",  # format 1, before this one
        "status||||",
        'n1:["status"]',
        'n3:["step.done","NR-ABC234"]',  # a newer version, after a rollback
        'n2:["step.renamed","NR-ABC234"]',  # an action this version does not know
    ],
)
def test_buttons_of_another_version_are_out_of_date(raw: str) -> None:
    assert Action.decode(raw) == Action(ActionName.OUTDATED)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "rm -rf /",
        "n2:",
        "n2:not json",
        "n2:[]",
        'n2:{"name":"status"}',
        "n2:[1]",
        'n2:["status",1]',
        'n2:["status",null,null,null,true]',
        'n2:["status",null,null,null,"3"]',
        'n2:["status",null,null,null,3,"extra"]',
        "n1234567:[]",
        "|||||",
    ],
)
def test_what_no_version_made_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not a Noodrem action"):
        Action.decode(raw)
