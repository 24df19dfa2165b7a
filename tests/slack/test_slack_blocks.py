"""Rendering stays inside Block Kit's limits, whatever the engine says."""

from __future__ import annotations

import json

import pytest

from bot.channels import slack_blocks as blocks
from bot.channels.slack_inbound import click_event_id, mentioned, plain_text, with_names
from bot.messages import (
    AssignStep,
    Button,
    ButtonStyle,
    Field,
    InputKind,
    InputRequest,
    Reply,
    ReplyKind,
    StepDone,
    decode_action,
)

DONE = StepDone("NR-ABC234", "call-bank", 3)


def test_a_step_card() -> None:
    reply = Reply(
        kind=ReplyKind.STEP,
        title="Stap 1: Bel je bank",
        text="Bel *nu* de fraudelijn <b>niet vet</b> & meer",
        fields=(
            Field("Waarom", "Lang verhaal\nover twee regels"),
            Field("Deadline", "10:15"),
            Field("Wie", "Jan"),
        ),
        buttons=(Button("Gedaan", DONE, ButtonStyle.PRIMARY), Button("Help", DONE)),
    )
    header, text, why, short, actions = blocks.reply_blocks(reply)
    assert header["text"]["text"] == "Stap 1: Bel je bank"
    assert text["text"]["text"] == "Bel *nu* de fraudelijn &lt;b&gt;niet vet&lt;/b&gt; &amp; meer"
    assert why["text"]["text"] == "*Waarom*\nLang verhaal\nover twee regels"
    assert [f["text"] for f in short["fields"]] == ["*Deadline*\n10:15", "*Wie*\nJan"]
    done, help_ = actions["elements"]
    assert done == {
        "type": "button",
        "action_id": "noodrem:0",
        "text": {"type": "plain_text", "text": "Gedaan", "emoji": True},
        "value": 'n3:["step.done","NR-ABC234","call-bank",3]',
        "style": "primary",
    }
    assert help_["action_id"] == "noodrem:1" and "style" not in help_
    assert decode_action(done["value"]) == DONE


def test_limits() -> None:
    long_text = "\n".join(f"regel {i} " + "x" * 90 for i in range(400))
    many = tuple(Button(f"knop {i} " + "y" * 100, DONE) for i in range(30))
    reply = Reply(kind=ReplyKind.TEXT, title="t" * 200, text=long_text, buttons=many)
    rendered = blocks.reply_blocks(reply)
    assert len(rendered) <= blocks.MAX_MESSAGE_BLOCKS
    assert len(rendered[0]["text"]["text"]) == blocks.MAX_HEADER_TEXT
    sections = [b for b in rendered if b["type"] == "section"]
    assert all(len(b["text"]["text"]) <= blocks.MAX_SECTION_TEXT for b in sections)
    assert "".join(b["text"]["text"] for b in sections).count("regel") == 400
    actions = [b for b in rendered if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 5]
    assert all(
        len(e["text"]["text"]) <= blocks.MAX_BUTTON_TEXT for a in actions for e in a["elements"]
    )
    assert len({e["action_id"] for a in actions for e in a["elements"]}) == 30

    huge = Reply(kind=ReplyKind.TEXT, text="\n".join("z" * 2999 for _ in range(60)))
    cut = blocks.reply_blocks(huge, locale="en")
    assert len(cut) == blocks.MAX_MESSAGE_BLOCKS and "Shortened" in json.dumps(cut)
    assert len(blocks.fallback_text(huge)) == blocks.MAX_FALLBACK_TEXT


def test_a_long_list_is_split_between_its_items() -> None:
    items = [f"*NR-{i}*\n" + "\n".join("x" * 70 for _ in range(5)) for i in range(10)]
    sections = blocks.reply_blocks(Reply(kind=ReplyKind.TEXT, text="\n\n".join(items)))
    assert len(sections) == 2
    assert all(s["text"]["text"].startswith("*NR-") for s in sections)


def test_the_home_view_is_cut_to_100_blocks_with_a_note() -> None:
    replies = [Reply(kind=ReplyKind.TEXT, title=f"NR-{i}", text="x") for i in range(60)]
    view = blocks.home_view(replies, locale="nl")
    assert view["type"] == "home" and len(view["blocks"]) == blocks.MAX_VIEW_BLOCKS
    assert "Typ *list*" in view["blocks"][-1]["elements"][0]["text"]


def test_inputs_become_a_fill_in_button_and_a_modal() -> None:
    request = InputRequest("bank_case_number", "Dossiernummer van de bank", DONE)
    reply = Reply(kind=ReplyKind.QUESTION, text="Vul in", inputs=(request,))
    [_, actions] = blocks.reply_blocks(reply, locale="nl")
    [button] = actions["elements"]
    assert button["action_id"] == "noodrem:form:0"
    assert button["text"]["text"].startswith("✏️ Invullen: Dossiernummer")
    assert blocks.decode_form_request(button["value"]) == request

    modal = blocks.form_modal((request,), text="Vul in", conversation_id="D1", locale="en")
    assert modal["callback_id"] == blocks.FORM_CALLBACK_ID
    context = blocks.FormContext.decode(modal["private_metadata"])
    assert context == blocks.FormContext(
        DONE, ("bank_case_number",), ("bank_case_number",), "D1", "en"
    )
    view = {"state": {"values": {"bank_case_number": {"value": {"value": "  R-1 "}}}}}
    assert blocks.form_values(view, context) == {"bank_case_number": "R-1"}
    assert blocks.missing_errors({"bank_case_number": ""}, context) == {
        "bank_case_number": "Please fill this in."
    }


@pytest.mark.parametrize("raw", ["", "{}", "[1]", '{"f": 1}', "not json"])
def test_foreign_values_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        blocks.decode_form_request(raw)
    with pytest.raises(ValueError):
        blocks.FormContext.decode(raw)


def test_plain_text_from_slack_markup() -> None:
    raw = (
        "<@UBOT> status &amp; <https://x.example/a|de link> <mailto:a@b.nl|a@b.nl> <#C1|fin> "
        "<@U2> <!here>"
    )
    assert plain_text(raw, bot_user_id="UBOT") == "status & de link a@b.nl #fin @U2 @here"
    assert plain_text("&lt;b&gt;") == "<b>"
    assert plain_text("&lt;@U2&gt;") == "<@U2>", "typed, not a mention: Slack escaped it"


def test_mentions_become_names() -> None:
    raw = "<@UBOT> geef dit aan <@U0PIET> en <@U0ANN|ann>, <@U0PIET> weet het"
    assert mentioned(raw, bot_user_id="UBOT") == {"U0PIET": "", "U0ANN": "ann"}
    names = {"U0PIET": "Piet de Vries"}
    assert (
        plain_text(raw, bot_user_id="UBOT", names=names)
        == "geef dit aan @Piet de Vries en @ann, @Piet de Vries weet het"
    )
    typed = "  <@U0PIET> & <b>  "  # a modal's input: raw text, nothing escaped
    assert mentioned(typed) == {"U0PIET": ""}
    assert with_names(typed, names) == "@Piet de Vries & <b>"
    assert mentioned("Piet") == {}


def test_person_inputs_are_a_user_picker() -> None:
    assign = AssignStep("NR-ABC234", "police-report")
    request = InputRequest("person", "Persoon", assign, kind=InputKind.PERSON)
    modal = blocks.form_modal((request,), text="Aan wie?", conversation_id="D1", locale="nl")
    [picker] = [b["element"] for b in modal["blocks"] if b["type"] == "input"]
    assert picker == {"type": "users_select", "action_id": blocks.VALUE_FIELD}
    context = blocks.FormContext.decode(modal["private_metadata"])
    picked = {"state": {"values": {"person": {"value": {"selected_user": "U0PIET"}}}}}
    assert blocks.form_values(picked, context) == {"person": "<@U0PIET>"}
    assert blocks.form_values({"state": {"values": {}}}, context) == {"person": ""}


def test_click_ids_are_stable_per_delivery_and_differ_per_click() -> None:
    body = {"container": {"message_ts": "1.2"}, "user": {"id": "U1"}}
    first = click_event_id(body, {"action_ts": "3.4"})
    assert first == click_event_id(dict(body), {"action_ts": "3.4"}) == "1.2:3.4:U1"
    assert click_event_id(body, {"action_ts": "3.5"}) != first
    home = {"container": {"type": "view", "view_id": "V1"}, "user": {"id": "U1"}}
    assert click_event_id(home, {"action_ts": "3.4"}) == "V1:3.4:U1"
