"""Replies as Teams messages and Adaptive Cards; card submits back as actions.

Plain JSON only, no SDK type: the cards stay as they are when the Bot Framework SDK is
swapped for the Microsoft 365 Agents SDK, and tests can read them without either.

A reply with only text becomes a plain Markdown message, because Teams shows a card in a
notification as "sent a card", and a reminder must say what it is about. Anything with a
title, fields, buttons or inputs becomes an Adaptive Card whose buttons are
``Action.Submit`` carrying ``{"noodrem": encode_action(action)}``; Teams merges the values of the
card's inputs into that object, which ``read_submit`` turns back into an action and a form.

Teams puts all actions of a row side by side at equal width and cuts every label that does
not fit ("Mail van d…", "M…" on a phone), and folds a seventh into an overflow menu where
nobody finds it. So the layout is decided from the reply's shape, for any playbook:

- a question whose answers are three or more buttons of one kind (the same action with
  different values) shows them as an expanded ``Input.ChoiceSet`` with wrapping titles and
  one submit button; the chosen value is that button's encoded action, so the engine gets
  the same ``Action`` the button would have sent. The question's first line is the set's
  label; other buttons ("Don't know yet") follow;
- so does any group of buttons of one kind whose labels are too long for buttons: three or
  more that cannot stand two to a row, or one that does not fit a row of its own (the
  checklist's "▶ <step>"). That set is optional and starts on its first choice (the most
  urgent step), so its OK opens that step in one press;
- all other buttons come in rows (``ActionSet``) of three short labels, two medium ones, or
  one long one, so no label is cut at 360 px;
- a title is a large bold heading. A reminder, escalation or question without one gets a
  short heading from its text: the icon it starts with and its first ``*bold*`` phrase (the
  step, the plan), the whole text staying below; a reminder or escalation without a bold
  phrase takes its first line.

The widths are measured, not guessed: tests/teams/test_render.py renders the real cards
with Microsoft's renderer and a Teams host config at 360 px and fails on any cut label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.i18n import t
from bot.messages import (
    Action,
    Button,
    ButtonStyle,
    Lang,
    Reply,
    ReplyKind,
    decode_action,
    encode_action,
)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
ACTION_KEY = "noodrem"
REQUIRED_KEY = "noodrem.required"  # {field_id: label} of the inputs a submit needs filled in
SUBMIT_TITLE = "OK"  # the same word in Dutch and English; the input's label says what it is
MAX_INPUT = 500  # what the engine keeps of a typed record or reason
CHOICE_KEY = "noodrem.choice"  # the id of a question's choice set: its value is an action
PICK_KEY = "noodrem.pick"  # marks the choice set's own submit, so only it reads the choice
MIN_CHOICES = 3  # two answers (yes / no) fit side by side as buttons
# The longest label a row of three, two or one button shows whole at 360 px: a 328 px row
# less 8 px between buttons and 26 px of padding and border each leaves 78, 134 and 302 px,
# and Teams' semibold 14 px takes up to 7.9 px a character (measured on every label of the
# playbooks and the catalogue in tests/teams/test_render.py's renderer, DejaVu Sans
# standing in for the narrower Segoe UI). Longer than a row of one: a choice set.
ROW_OF_THREE = 10
ROW_OF_TWO = 16
ROW_OF_ONE = 38

_BOLD = re.compile(r"(?<![*\w])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![*\w])")
_STYLES = {ButtonStyle.PRIMARY: "positive", ButtonStyle.DANGER: "destructive"}
_ALARM = (ReplyKind.ERROR, ReplyKind.ESCALATION)
_HEADLINED = (ReplyKind.REMINDER, ReplyKind.ESCALATION)  # always get a heading
_ICON = re.compile(r"^[^\w*]*")  # what a sentence starts with before its first word: "🚨 "


@dataclass(frozen=True, slots=True)
class Submit:
    """A pressed card button: the action, what was typed, and required fields left empty."""

    action: Action
    form: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()


def read_submit(value: object) -> Submit | None:
    """The action in an ``Action.Submit`` payload; None if it is not one of our cards."""
    if not isinstance(value, dict) or not isinstance(value.get(ACTION_KEY), str):
        return None
    raw = value[ACTION_KEY]
    chosen = value.get(CHOICE_KEY)
    # Only the choice set's own submit reads the choice: a client that merges the inputs
    # into every button's data must not turn "Don't know yet" into the selected answer.
    if value.get(PICK_KEY) is True and isinstance(chosen, str) and chosen:
        raw = chosen
    try:
        action = decode_action(raw)
    except ValueError:
        return None
    form = {
        key: text.strip()
        for key, text in value.items()
        if key not in (ACTION_KEY, REQUIRED_KEY, CHOICE_KEY) and isinstance(text, str)
    }
    required = value.get(REQUIRED_KEY)
    missing = (
        tuple(str(label) for field_id, label in required.items() if not _filled(value, field_id))
        if isinstance(required, dict)
        else ()
    )
    return Submit(action=action, form=form, missing=missing)


def _filled(value: dict[str, object], field_id: str) -> bool:
    text = value.get(field_id)
    return isinstance(text, str) and bool(text.strip())


def language(locale: str | None) -> Lang:
    """The language of a Teams locale, Dutch unless it is English (Dutch first)."""
    return "en" if (locale or "").lower().startswith("en") else "nl"


def adapter_text(key: str, lang: Lang, **values: str) -> str:
    """The adapter's own sentence ``teams.<key>``, for the few cases it answers alone."""
    return markdown(t(f"teams.{key}", lang, **values))


def needs_card(reply: Reply) -> bool:
    return bool(reply.title or reply.fields or reply.buttons or reply.inputs or reply.card_key)


def markdown(text: str) -> str:
    """Noodrem's ``*bold*`` as Teams Markdown ``**bold**``."""
    return _BOLD.sub(r"**\1**", text)


def message_text(reply: Reply) -> str:
    """A text-only reply as Teams Markdown; Teams needs a blank line to break a line."""
    return "\n\n".join(line for line in markdown(reply.text).split("\n") if line.strip())


def summary(reply: Reply) -> str:
    """What a notification shows for a card (otherwise just "sent a card"): plain text,
    so a reminder's notification says what it is about."""
    first_line = reply.text.strip().split("\n", 1)[0]
    return _BOLD.sub(r"\1", reply.title or first_line)[:200]


def card(reply: Reply) -> dict[str, Any]:
    """The Adaptive Card for a reply: title, text, fields, choices, inputs, then the buttons."""
    body: list[dict[str, Any]] = []
    title, text = _heading(reply)
    choices = _choices(reply)
    question = ""
    if choices and reply.kind is ReplyKind.QUESTION:
        # The question labels its answers (a required input needs a label) instead of
        # standing above them twice; the rest of the text (a hint) follows the answers.
        first, _, text = text.strip().partition("\n")
        question = _BOLD.sub(r"\1", first).strip() or SUBMIT_TITLE
    if title:
        body.append(
            _text_block(
                markdown(title),
                size="Large",
                weight="Bolder",
                color="Attention" if reply.kind in _ALARM or reply.late else None,
            )
        )
    paragraphs = _paragraphs(text)
    if not question:
        body.extend(paragraphs)
    for item in reply.fields:
        body.append(
            {
                "type": "Container",
                "spacing": "Medium",
                "items": [_text_block(item.label, weight="Bolder"), *_paragraphs(item.value)],
            }
        )
    has_inputs = bool(reply.inputs or choices)
    actions: list[dict[str, Any]] = []
    if choices:
        body.append(_choice_set(choices, question=question))
        pick: dict[str, Any] = {ACTION_KEY: encode_action(choices[0].action), PICK_KEY: True}
        if question:
            # The choice replaces this action; a client that ignores isRequired sends
            # it without one, and read_submit then reports the question as missing.
            pick[REQUIRED_KEY] = {CHOICE_KEY: question}
        actions.append(
            {"type": "Action.Submit", "title": SUBMIT_TITLE, "style": "positive", "data": pick}
        )
    if question:
        body.extend(paragraphs)
    for button in reply.buttons:
        if button in choices:
            continue
        action: dict[str, Any] = {
            "type": "Action.Submit",
            "title": button.label,
            "data": {ACTION_KEY: encode_action(button.action)},
        }
        if button.style in _STYLES:
            action["style"] = _STYLES[button.style]
        if has_inputs:
            action["associatedInputs"] = "none"  # a plain button must not demand the inputs
        actions.append(action)
    for request in reply.inputs:
        body.append(
            {
                "type": "Input.Text",
                "id": request.field_id,
                "label": request.label,
                "isRequired": request.required,
                "errorMessage": request.label,
                "maxLength": MAX_INPUT,
            }
        )
        data: dict[str, Any] = {ACTION_KEY: encode_action(request.submit)}
        if request.required:
            data[REQUIRED_KEY] = {request.field_id: request.label}
        actions.append(
            {"type": "Action.Submit", "title": SUBMIT_TITLE, "style": "positive", "data": data}
        )
    body.extend({"type": "ActionSet", "actions": row} for row in _rows(actions))
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": body,
    }


def _heading(reply: Reply) -> tuple[str | None, str]:
    """The card's heading and the text under it."""
    text = reply.text
    if reply.title or not text.strip():
        return reply.title, text
    if reply.kind in (*_HEADLINED, ReplyKind.QUESTION):
        first = text.strip().split("\n", 1)[0]
        bold = _BOLD.search(first)
        if bold:
            icon = _ICON.match(first)
            return f"{icon.group(0) if icon else ''}{bold.group(1)}", text
    if reply.kind in _HEADLINED:
        title, _, rest = text.strip().partition("\n")
        return title, rest
    return None, text


def _choices(reply: Reply) -> tuple[Button, ...]:
    """The buttons shown as a choice set: the answers of a question when they are many
    buttons of one kind (the largest group pressing the same action with different
    values or targets), or, on any card, a group whose labels buttons would cut. A card
    that also asks for typed input keeps its buttons (one submit could not serve both)."""
    if reply.inputs:
        return ()
    groups: dict[type[Action], list[Button]] = {}
    for button in reply.buttons:
        groups.setdefault(type(button.action), []).append(button)
    largest = max(groups.values(), key=len, default=[])
    if reply.kind is ReplyKind.QUESTION and len(largest) >= MIN_CHOICES:
        return tuple(largest)
    for group in groups.values():
        longest = max(len(button.label) for button in group)
        if longest > ROW_OF_ONE or (len(group) >= MIN_CHOICES and longest > ROW_OF_TWO):
            return tuple(group)
    return ()


def _choice_set(choices: tuple[Button, ...], *, question: str) -> dict[str, Any]:
    """Expanded, wrapping choices. A question's set is required and labelled with it; any
    other set starts on its first choice, so its OK does the first thing at once."""
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": CHOICE_KEY,
        "style": "expanded",
        "wrap": True,
        "choices": [
            {"title": button.label, "value": encode_action(button.action)} for button in choices
        ],
    }
    if question:
        element.update(label=question, isRequired=True, errorMessage=question)
    else:
        element["value"] = encode_action(choices[0].action)
    return element


def _rows(actions: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Buttons in rows in which every label fits whole: three short, two medium or one long.

    A row takes as many of the next buttons as the longest label among them allows, so a
    long label gets a row of its own without pulling its short neighbours apart."""
    rows: list[list[dict[str, Any]]] = []
    row: list[dict[str, Any]] = []
    for action in actions:
        candidate = [*row, action]
        longest = max(len(a["title"]) for a in candidate)
        room = 3 if longest <= ROW_OF_THREE else 2 if longest <= ROW_OF_TWO else 1
        if len(candidate) <= room:
            row = candidate
            continue
        rows.append(row)
        row = [action]
    if row:
        rows.append(row)
    return rows


def _paragraphs(text: str) -> list[dict[str, Any]]:
    """One TextBlock per line (a TextBlock ignores single line breaks); a blank line
    becomes extra space before the next block."""
    blocks: list[dict[str, Any]] = []
    gap = False
    for line in text.split("\n"):
        if not line.strip():
            gap = True
            continue
        blocks.append(_text_block(markdown(line), spacing="Medium" if gap else "Small"))
        gap = False
    return blocks


def _text_block(text: str, **options: str | None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "TextBlock", "text": text, "wrap": True}
    block.update({key: value for key, value in options.items() if value is not None})
    return block
