"""Replies as Teams messages and Adaptive Cards; card submits back as actions.

Plain JSON only, no SDK type: the cards stay as they are when the Bot Framework SDK is
swapped for the Microsoft 365 Agents SDK, and tests can read them without either.

A reply with only text becomes a plain Markdown message, because Teams shows a card in a
notification as "sent a card", and a reminder must say what it is about. Anything with a
title, fields, buttons or inputs becomes an Adaptive Card whose buttons are
``Action.Submit`` carrying ``{"noodrem": Action.encode()}``; Teams merges the values of the
card's inputs into that object, which ``read_submit`` turns back into an action and a form.

Teams shows six actions in a row and folds any further ones into an overflow menu, where
nobody finds "Next page" of a list. A card with more buttons than that gets them in rows
of six (``ActionSet`` elements) instead, all visible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.messages import Action, ButtonStyle, Lang, Reply, ReplyKind

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
ACTION_KEY = "noodrem"
REQUIRED_KEY = "noodrem.required"  # {field_id: label} of the inputs a submit needs filled in
SUBMIT_TITLE = "OK"  # the same word in Dutch and English; the input's label says what it is
MAX_INPUT = 500  # what the engine keeps of a typed record or reason
MAX_ACTIONS = 6  # what Teams shows in one row of actions

_BOLD = re.compile(r"(?<![*\w])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![*\w])")
_STYLES = {ButtonStyle.PRIMARY: "positive", ButtonStyle.DANGER: "destructive"}
_ALARM = (ReplyKind.ERROR, ReplyKind.ESCALATION)

# The adapter's own sentences, for the few cases it answers without the engine.
_TEXTS: dict[str, tuple[str, str]] = {
    "fill_in": ("Vul eerst in: {labels}.", "Please fill in first: {labels}."),
    "unknown_button": (
        "Deze knop ken ik niet (meer). Typ *status* voor het actuele overzicht.",
        "I don't know this button (any more). Type *status* for the current checklist.",
    ),
}


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
    try:
        action = Action.decode(value[ACTION_KEY])
    except ValueError:
        return None
    form = {
        key: text.strip()
        for key, text in value.items()
        if key not in (ACTION_KEY, REQUIRED_KEY) and isinstance(text, str)
    }
    required = value.get(REQUIRED_KEY)
    missing = (
        tuple(str(label) for field_id, label in required.items() if not form.get(field_id))
        if isinstance(required, dict)
        else ()
    )
    return Submit(action=action, form=form, missing=missing)


def language(locale: str | None) -> Lang:
    """The language of a Teams locale, Dutch unless it is English (Dutch first)."""
    return "en" if (locale or "").lower().startswith("en") else "nl"


def adapter_text(key: str, lang: Lang, **values: str) -> str:
    nl, en = _TEXTS[key]
    return markdown((en if lang == "en" else nl).format(**values))


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
    """The Adaptive Card for a reply: title, text, fields, inputs, then the buttons."""
    body: list[dict[str, Any]] = []
    if reply.title:
        body.append(
            _text_block(
                reply.title,
                size="Medium",
                weight="Bolder",
                color="Attention" if reply.kind in _ALARM or reply.late else None,
            )
        )
    body.extend(_paragraphs(reply.text))
    for item in reply.fields:
        body.append(
            {
                "type": "Container",
                "spacing": "Medium",
                "items": [_text_block(item.label, weight="Bolder"), *_paragraphs(item.value)],
            }
        )
    actions: list[dict[str, Any]] = []
    for button in reply.buttons:
        action: dict[str, Any] = {
            "type": "Action.Submit",
            "title": button.label,
            "data": {ACTION_KEY: button.action.encode()},
        }
        if button.style in _STYLES:
            action["style"] = _STYLES[button.style]
        if reply.inputs:
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
        data: dict[str, Any] = {ACTION_KEY: request.submit.encode()}
        if request.required:
            data[REQUIRED_KEY] = {request.field_id: request.label}
        actions.append(
            {"type": "Action.Submit", "title": SUBMIT_TITLE, "style": "positive", "data": data}
        )
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": body,
    }
    if len(actions) > MAX_ACTIONS:
        body.extend(
            {"type": "ActionSet", "actions": actions[start : start + MAX_ACTIONS]}
            for start in range(0, len(actions), MAX_ACTIONS)
        )
    elif actions:
        content["actions"] = actions
    return content


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
