"""The few facts that matter first: asked one by one, each answerable later."""

from __future__ import annotations

from bot import cards
from bot.answers import AnswerError, Parsed, parse_answer
from bot.events import FactAnswered, FactUnknown
from bot.flows import plans, steps
from bot.flows.state import AwaitingFact, Idle, Pending
from bot.flows.turn import Turn
from bot.messages import Reply, ReplyKind
from bot.playbook import FactSpec, FactType
from bot.ports import Fact, FactStatus, Incident, IncidentStatus


async def ask_next(
    turn: Turn, incident: Incident, *, refill: bool = False, passed: tuple[str, ...] = ()
) -> None:
    """Ask the first fact not yet asked (with ``refill``: not yet known), or go on to steps.

    ``passed`` holds facts skipped again during a refill, so they are not asked twice.
    Only the running plans' facts: a plan switched away from asks nothing more.
    """
    playbook = turn.running_plan(incident)
    known = await turn.tx.get_facts(incident.id)
    pending = [
        spec
        for spec in playbook.facts
        if spec.id not in passed
        and (spec.id not in known or (refill and known[spec.id].status is FactStatus.UNKNOWN))
    ]
    if not pending:
        turn.expect(Idle())
        turn.say_text("no_missing_facts" if refill else "facts_done")
        await steps.show_next(turn, incident)
        return
    spec = pending[0]
    if not known and not refill:
        turn.say_text("facts_intro")
    turn.expect(AwaitingFact(incident.id, spec.id, refill=refill, passed=passed))
    number = [f.id for f in playbook.facts].index(spec.id) + 1
    turn.say(
        cards.fact_question(
            spec, incident=incident, lang=turn.lang, number=number, total=len(playbook.facts)
        )
    )


async def resume(turn: Turn, incident: Incident) -> None:
    """After a step was dealt with: questions never asked yet come first (an urgent step is
    shown before them, and may be done before they are answered), then the next step."""
    playbook = turn.running_plan(incident)
    known = await turn.tx.get_facts(incident.id)
    if any(spec.id not in known for spec in playbook.facts):
        await ask_next(turn, incident)
    else:
        await steps.show_next(turn, incident)


async def answer(
    turn: Turn,
    incident_id: str | None,
    fact_id: str | None,
    *,
    text: str | None = None,
    option: str | None = None,
) -> None:
    incident, spec = await _fact_of(turn, incident_id, fact_id)
    labels = cards.option_labels(spec, turn.lang)
    if option is not None:
        if option not in dict(labels):
            raise turn.fail("stale_button")
        parsed = Parsed(value=option, display=dict(labels)[option])
    else:
        try:
            parsed = parse_answer(
                spec.type.value,
                text or "",
                lang=turn.lang,
                now=turn.now,
                tz=turn.org.tz,
                options=labels,
            )
        except AnswerError as exc:
            turn.say(Reply(kind=ReplyKind.ERROR, text=exc.message, incident_id=incident.id))
            await _ask_again(turn, incident, spec.id)
            return
    await save_answer(turn, incident, spec.id, parsed.value, parsed.display)
    noted = turn.t("answer_noted", value=parsed.display)
    turn.say(
        Reply(kind=ReplyKind.TEXT, text="\n".join([noted, *parsed.notes]), incident_id=incident.id)
    )
    if spec.type in (FactType.CHOICE, FactType.YES_NO):
        await steps.apply_conditions(turn, incident)
        await plans.follow_moves(turn, incident)
    await _continue(turn, incident)


async def save_answer(
    turn: Turn,
    incident: Incident,
    fact_id: str,
    value: str,
    display: str,
    *,
    carried_from: str | None = None,
) -> None:
    """Store an answer and record it on the timeline (``carried_from``: the fact of the
    earlier plan it was carried over from)."""
    await turn.tx.set_fact(
        Fact(
            incident_id=incident.id,
            fact_id=fact_id,
            status=FactStatus.ANSWERED,
            value=value,
            updated_at=turn.now,
            updated_by=turn.actor,
        )
    )
    await turn.record(
        incident.id,
        FactAnswered(fact=fact_id, value=value, display=display, carried_from=carried_from),
    )


async def _fact_of(
    turn: Turn, incident_id: str | None, fact_id: str | None
) -> tuple[Incident, FactSpec]:
    """The incident, locked, and the fact a button or answer is about (or a refusal)."""
    incident = await turn.lock_incident(incident_id)
    await turn.ensure_participant(incident)
    try:
        return incident, turn.running_plan(incident).fact(fact_id or "")
    except KeyError:
        raise turn.fail("stale_button") from None


async def skip(turn: Turn, incident_id: str | None, fact_id: str | None) -> None:
    incident, spec = await _fact_of(turn, incident_id, fact_id)
    known = await turn.tx.get_facts(incident.id)
    if spec.id not in known or known[spec.id].status is FactStatus.UNKNOWN:
        await turn.tx.set_fact(
            Fact(
                incident_id=incident.id,
                fact_id=spec.id,
                status=FactStatus.UNKNOWN,
                value=None,
                updated_at=turn.now,
                updated_by=turn.actor,
            )
        )
        await turn.record(incident.id, FactUnknown(fact=spec.id))
    turn.say_text("fact_skipped")
    earlier = turn.pending.passed if isinstance(turn.pending, AwaitingFact) else ()
    await _continue(turn, incident, passed=(*earlier, spec.id))


async def _continue(turn: Turn, incident: Incident, *, passed: tuple[str, ...] = ()) -> None:
    if isinstance(turn.pending, AwaitingFact):
        await ask_next(turn, incident, refill=turn.pending.refill, passed=passed)
    # An answer given from an old question card while the person was elsewhere in the
    # conversation must not drag them back into the questions.


async def ask_again_after(turn: Turn, interrupted: Pending) -> None:
    """A command typed halfway through the questions (status, help) answers first; then
    the question it interrupted is asked again, so the remaining ones are not lost. Not
    when the command asked something itself (stop's confirmation, which incident)."""
    now = turn.pending
    if not (isinstance(interrupted, AwaitingFact) and isinstance(now, AwaitingFact)):
        return
    if now.fact_id != interrupted.fact_id:
        return
    if turn.replies and turn.replies[-1].kind is ReplyKind.QUESTION:
        return
    incident = await turn.tx.get_incident(interrupted.incident_id)
    if incident is None or incident.status is not IncidentStatus.OPEN:
        return
    known = await turn.tx.get_facts(incident.id)
    fact_id = interrupted.fact_id
    if fact_id in known and known[fact_id].status is FactStatus.ANSWERED:
        return
    if fact_id not in {f.id for f in turn.running_plan(incident).facts}:
        return  # its plan was switched away from meanwhile
    turn.say_text("question_again")
    await _ask_again(turn, incident, fact_id)


async def _ask_again(turn: Turn, incident: Incident, fact_id: str) -> None:
    playbook = turn.running_plan(incident)
    spec = playbook.fact(fact_id)
    asked = turn.pending
    if isinstance(asked, AwaitingFact):
        turn.expect(AwaitingFact(incident.id, spec.id, asked.refill, asked.passed))
    else:
        turn.expect(AwaitingFact(incident.id, spec.id))
    number = [f.id for f in playbook.facts].index(spec.id) + 1
    turn.say(
        cards.fact_question(
            spec, incident=incident, lang=turn.lang, number=number, total=len(playbook.facts)
        )
    )
