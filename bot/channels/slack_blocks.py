"""Neutral replies as Slack Block Kit: messages, the input modal and the Home tab.

Pure functions, no Web API calls, so every size limit Slack enforces is handled (and
tested) in one place: a reply that is too long loses its tail with an ellipsis rather than
being refused by Slack in the middle of an incident.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.i18n import t
from bot.messages import (
    Action,
    Button,
    ButtonStyle,
    Field,
    InputKind,
    InputRequest,
    Reply,
    decode_action,
    encode_action,
)

Block = dict[str, Any]

ACTION_PREFIX = "noodrem:"
"""Every button we draw has an ``action_id`` starting with this; Bolt routes on it."""
FORM_ACTION_PREFIX = "noodrem:form:"
"""A button that only opens the input modal (no engine call until the modal is submitted)."""
FORM_CALLBACK_ID = "noodrem:form"
VALUE_FIELD = "value"  # the action_id of the input element inside each input block

MAX_MESSAGE_BLOCKS = 50  # chat.postMessage / chat.update
MAX_VIEW_BLOCKS = 100  # modals and the Home tab
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_BUTTONS_PER_BLOCK = 25
MAX_SECTION_FIELDS = 10
MAX_LABEL = 2000
MAX_FALLBACK_TEXT = 3000
SHORT_FIELD = 60  # fields up to this long and on one line sit side by side


def escape(text: str) -> str:
    """Slack mrkdwn treats ``&``, ``<`` and ``>`` as control characters; the rest
    (``*bold*``, line breaks, bare URLs) is what the engine writes and Slack shows."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fallback_text(reply: Reply) -> str:
    """The ``text`` of a message with blocks: what notifications and screen readers show."""
    parts = [p for p in (reply.title, reply.text) if p]
    return clip(escape("\n".join(parts)), MAX_FALLBACK_TEXT) or " "


def lang_of(locale: str | None) -> str:
    return "en" if (locale or "").lower().startswith("en") else "nl"


def file_in_dm_text(locale: str | None) -> str:
    """Said in a channel where a file was asked for, instead of sharing it there."""
    return t("slack.file_in_dm", lang_of(locale))


# Messages -----------------------------------------------------------------------------------


def reply_blocks(reply: Reply, *, locale: str | None = None) -> list[Block]:
    """One reply as blocks: title, text, fields, then its buttons.

    Buttons carry ``encode_action()`` as their value; an ``InputRequest`` becomes a
    "Fill in" button whose value describes the modal to open.
    """
    blocks: list[Block] = []
    if reply.title:
        blocks.append(_header(reply.title))
    if reply.text:
        blocks.extend(_sections(escape(reply.text)))
    blocks.extend(_field_blocks(reply.fields))
    elements = [_button(b, f"{ACTION_PREFIX}{i}") for i, b in enumerate(reply.buttons)]
    elements += [
        _form_button(request, f"{FORM_ACTION_PREFIX}{i}", locale=locale)
        for i, request in enumerate(reply.inputs)
    ]
    for start in range(0, len(elements), MAX_BUTTONS_PER_BLOCK):
        blocks.append(
            {"type": "actions", "elements": elements[start : start + MAX_BUTTONS_PER_BLOCK]}
        )
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        blocks = [*blocks[: MAX_MESSAGE_BLOCKS - 1], _note(t("slack.shortened", lang_of(locale)))]
    return blocks


def _header(title: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(title, MAX_HEADER_TEXT), "emoji": True},
    }


def _sections(mrkdwn: str) -> list[Block]:
    """Text in as many sections as it needs, split between paragraphs (one incident of a
    list each) where possible, else at a line break."""
    blocks = []
    rest = mrkdwn
    while rest:
        if len(rest) <= MAX_SECTION_TEXT:
            chunk, rest = rest, ""
        else:
            cut = rest.rfind("\n\n", MAX_SECTION_TEXT // 2, MAX_SECTION_TEXT)
            if cut <= 0:
                cut = rest.rfind("\n", 0, MAX_SECTION_TEXT)
            cut = cut if cut > 0 else MAX_SECTION_TEXT
            chunk, rest = rest[:cut], rest[cut:].lstrip("\n")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    return blocks


def _field_blocks(fields: Sequence[Field]) -> list[Block]:
    """Short one-line fields (deadline, who) side by side; longer ones each in a section."""
    blocks: list[Block] = []
    short: list[Block] = []

    def flush() -> None:
        if short:
            blocks.append({"type": "section", "fields": list(short)})
            short.clear()

    for f in fields:
        text = f"*{escape(f.label)}*\n{escape(f.value)}"
        if len(f.value) <= SHORT_FIELD and "\n" not in f.value:
            short.append({"type": "mrkdwn", "text": clip(text, MAX_FIELD_TEXT)})
            if len(short) == MAX_SECTION_FIELDS:
                flush()
        else:
            flush()
            blocks.extend(_sections(text))
    flush()
    return blocks


def _button(button: Button, action_id: str) -> Block:
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": clip(button.label, MAX_BUTTON_TEXT), "emoji": True},
        "value": encode_action(button.action),
    }
    if button.style is not ButtonStyle.DEFAULT:
        element["style"] = button.style.value
    return element


def _form_button(request: InputRequest, action_id: str, *, locale: str | None) -> Block:
    label = f"✏️ {t('slack.fill_in', lang_of(locale))}: {request.label}"
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": clip(label, MAX_BUTTON_TEXT), "emoji": True},
        "value": encode_form_request(request),
    }


def _note(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def encode_form_request(request: InputRequest) -> str:
    """What a "Fill in" button needs to open its modal later, within a button value."""
    data = {
        "f": request.field_id,
        "l": request.label[:500],
        "s": encode_action(request.submit),
        "r": request.required,
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))[:MAX_BUTTON_VALUE]


def decode_form_request(raw: str) -> InputRequest:
    """Inverse of ``encode_form_request``; ``ValueError`` for anything else."""
    try:
        data = json.loads(raw)
        return InputRequest(
            field_id=str(data["f"]),
            label=str(data["l"]),
            submit=decode_action(str(data["s"])),
            required=bool(data["r"]),
        )
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError("not a Noodrem form button") from exc


# The input modal ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormContext:
    """What a submitted modal must bring back: it arrives without channel or message.

    Carried in the view's ``private_metadata``, which Slack keeps and returns unchanged
    in the signed ``view_submission`` request.
    """

    submit: Action
    fields: tuple[str, ...]
    required: tuple[str, ...]
    conversation_id: str
    locale: str | None = None

    def encode(self) -> str:
        data = {
            "s": encode_action(self.submit),
            "f": list(self.fields),
            "r": list(self.required),
            "c": self.conversation_id,
            "l": self.locale,
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str) -> FormContext:
        try:
            data = json.loads(raw)
            return cls(
                submit=decode_action(str(data["s"])),
                fields=tuple(str(f) for f in data["f"]),
                required=tuple(str(f) for f in data["r"]),
                conversation_id=str(data["c"]),
                locale=None if data.get("l") is None else str(data["l"]),
            )
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError("not a Noodrem form") from exc


def form_modal(
    requests: Sequence[InputRequest],
    *,
    text: str,
    conversation_id: str,
    locale: str | None,
) -> Block:
    """A modal with one text input per request; all must share one submit action."""
    submit = requests[0].submit
    wanted = [r for r in requests if r.submit == submit]
    context = FormContext(
        submit=submit,
        fields=tuple(r.field_id for r in wanted),
        required=tuple(r.field_id for r in wanted if r.required),
        conversation_id=conversation_id,
        locale=locale,
    )
    blocks: list[Block] = _sections(escape(text))[:1] if text else []
    for request in wanted:
        # A mention cannot be typed into a plain text input: people get Slack's user picker.
        kind = "users_select" if request.kind is InputKind.PERSON else "plain_text_input"
        blocks.append(
            {
                "type": "input",
                "block_id": request.field_id,
                "optional": not request.required,
                "label": {"type": "plain_text", "text": clip(request.label, MAX_LABEL)},
                "element": {"type": kind, "action_id": VALUE_FIELD},
            }
        )
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK_ID,
        "title": {"type": "plain_text", "text": "Noodrem"},
        "submit": {"type": "plain_text", "text": "OK"},
        "private_metadata": context.encode(),  # ids and one action: far below 3,000
        "blocks": blocks,
    }


def form_values(view: dict[str, Any], context: FormContext) -> dict[str, str]:
    """The values of a submitted modal, by field id, stripped ("" when left empty).

    A person picked in a user picker comes back as the mention ``<@U…>``, so it reaches
    the engine the way a typed mention does.
    """
    state = view.get("state", {}).get("values", {})
    values = {}
    for field_id in context.fields:
        element = state.get(field_id, {}).get(VALUE_FIELD, {})
        picked, typed = element.get("selected_user"), element.get("value")
        if isinstance(picked, str) and picked:
            values[field_id] = f"<@{picked}>"
        else:
            values[field_id] = typed.strip() if isinstance(typed, str) else ""
    return values


def missing_errors(values: dict[str, str], context: FormContext) -> dict[str, str]:
    """``response_action: errors`` content for required fields left empty (or blank)."""
    message = t("slack.required", lang_of(context.locale))
    return {f: message for f in context.required if not values.get(f)}


# The Home tab -------------------------------------------------------------------------------


def home_view(replies: Sequence[Reply], *, locale: str | None) -> Block:
    """The engine's overview as the Home tab, cut to Slack's 100 blocks with a note."""
    blocks: list[Block] = []
    for reply in replies:
        if blocks:
            blocks.append({"type": "divider"})
        blocks.extend(reply_blocks(reply, locale=locale))
    if len(blocks) > MAX_VIEW_BLOCKS:
        blocks = [*blocks[: MAX_VIEW_BLOCKS - 1], _note(t("slack.home_shortened", lang_of(locale)))]
    return {"type": "home", "blocks": blocks}
