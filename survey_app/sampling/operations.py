"""Writes of sampling: draw a survey's sample, release replicates, assign cases, move a case.

Each operation validates, writes and commits, or raises :class:`SampleError` and writes nothing.
Nobody chooses who is asked or by whom: units come from the seeded draw of the pure
``sampling.design`` module, assignees from its seeded balanced assignment; after a draw no case can be
added by hand (``surveys.operations.create_personal_links`` checks ``queries.has_draw``) and an
assignment changes only through :func:`move_case`, which logs who, when and why.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from survey_app.fieldwork.models import FieldworkCase
from survey_app.frames.models import Contact
from survey_app.sampling import bulk, design, queries
from survey_app.sampling.models import (
    SampleDraw,
    SampledUnit,
    SampleReplicate,
    SampleStratum,
)
from survey_app.sampling.spec import DesignSpec, SampleError
from survey_app.surveys.models import Case, Survey
from survey_app.surveys.tokens import new_token, token_hash

#: Seeds are drawn below 2**63 so they fit a signed 64-bit column.
SEED_LIMIT = 2**63
MAX_REPLICATES = 100
#: Contacts looked up per query when replicates become cases.
CHUNK = 1000
Progress = Callable[[str, int, int], None]


def new_seed() -> int:
    """A fresh random seed (recorded with what it produced)."""
    return secrets.randbelow(SEED_LIMIT)


def draw_sample(
    session: Session,
    survey: Survey,
    spec: DesignSpec,
    *,
    now: dt.datetime,
    seed: int | None = None,
    replicates: int = 1,
    release: int | None = None,
    drawn_by_id: int | None = None,
    expected_digest: str | None = None,
    progress: Progress | None = None,
) -> SampleDraw:
    """Draw the survey's stratified sample and store it; release the first ``release`` replicates.

    :param seed: ``numpy.random.default_rng`` seed (default: a fresh random one, stored).
    :param replicates: random replicate groups the sample is released in.
    :param release: groups released now (default: all); the rest stay drawn but uncontacted.
    :param expected_digest: ``SamplePlan.digest`` of the table the researcher saw: refuse to draw
        from a different one (the frame or the exclusions changed in between).
    :raises SampleError: already drawn, hand-made cases exist, bad settings, infeasible design.
    """
    assert survey.id is not None
    if seed is not None and not 0 <= seed < SEED_LIMIT:
        raise SampleError(_l("The seed must be a whole number from 0 to 2^63 - 1."), "seed")
    if not 1 <= replicates <= MAX_REPLICATES:
        raise SampleError(_l("Use 1 to %(max)d replicates.", max=MAX_REPLICATES), "replicates")
    release = replicates if release is None else release
    if not 0 <= release <= replicates:
        raise SampleError(_l("Release between 0 and %(max)d replicates now.", max=replicates), "release")
    existing = queries.get_draw(session, survey.id)
    if existing is not None:
        raise SampleError(_l("This survey's sample has already been drawn."), "design")
    hand_made = session.exec(
        select(func.count()).where(Case.survey_id == survey.id, col(Case.is_test).is_not(True))
    ).one()
    if hand_made:
        raise SampleError(
            _l(
                "This survey already has %(num)d respondents added by hand; a sample cannot be drawn for it.",
                num=hand_made,
            ),
            "design",
        )
    reader = (lambda done, total: progress("read", done, total)) if progress else None
    plan = queries.plan_sample(session, spec, now=now, progress=reader)
    if expected_digest is not None and expected_digest != plan.digest:
        raise SampleError(
            _l(
                "The frame or the exclusions changed since the allocation was shown: "
                "check the new table, then draw."
            ),
            "design",
        )
    seed = new_seed() if seed is None else seed
    result = design.draw(
        plan.snapshot.codes, plan.allocation, seed, replicates=replicates, labels=plan.snapshot.labels
    )
    row = SampleDraw(
        survey_id=survey.id,
        frame_id=spec.frame_id,
        seed=seed,
        method=spec.method,
        strata_by=list(spec.by),
        design={
            "spec": spec.to_dict(),
            "allocation": plan.allocation.to_dict(),
            "draw": result.metadata(),
            "exclusions": plan.exclusions(),
        },
        frequency_days=spec.frequency_days,
        replicates=replicates,
        n_target=plan.allocation.n,
        n_issued=len(result),
        drawn_by_id=drawn_by_id,
        drawn_at=now,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    strata: dict[str, SampleStratum] = {}
    for position, (table, excluded) in enumerate(zip(plan.allocation.strata, plan.exclusions(), strict=True)):
        strata[table.stratum] = SampleStratum(
            draw_id=row.id,
            position=position,
            stratum=table.stratum,
            frame_count=excluded["frame"],
            excluded_opt_out=excluded["opt_out"],
            excluded_frequency=excluded["frequency"],
            population=table.population,
            n_target=table.n,
            n_issued=table.issued,
            take_all=table.take_all,
            design_weight=table.design_weight,
        )
    session.add_all(strata.values())
    for number in range(1, replicates + 1):
        released = number <= release
        session.add(
            SampleReplicate(
                draw_id=row.id,
                number=number,
                size=int((result.replicate == number).sum()),
                released_at=now if released else None,
                released_by_id=drawn_by_id if released else None,
            )
        )
    units = list(
        zip(
            plan.snapshot.contact_ids[result.indices].tolist(),
            result.strata.tolist(),
            result.replicate.tolist(),
            strict=True,
        )
    )
    # Released units become cases first, so each unit row is written once, with its case.
    released_units = [unit for unit in units if unit[2] <= release]
    case_ids = iter(_release_units(session, survey, strata, released_units, now=now, progress=progress))
    unit_rows = [
        {"draw_id": row.id, "contact_id": c, "stratum": h, "replicate": r,
         "case_id": next(case_ids) if r <= release else None}
        for c, h, r in units
    ]  # fmt: skip
    bulk.insert_rows(session, SampledUnit.__table__, unit_rows)  # type: ignore[attr-defined]
    session.commit()
    return row


def release_replicates(
    session: Session, survey: Survey, count: int, *, now: dt.datetime, user_id: int | None = None
) -> list[int]:
    """Release the next ``count`` unreleased replicate groups (in number order) to fieldwork.

    :returns: the numbers of the groups released.
    :raises SampleError: no draw, or fewer unreleased groups than ``count``.
    """
    assert survey.id is not None
    draw = queries.get_draw(session, survey.id)
    if draw is None:
        raise SampleError(_l("Draw the sample before releasing replicates."), "count")
    waiting = [r.number for r in queries.query_replicates(session, draw.id or 0) if r.released_at is None]
    if not 1 <= count <= len(waiting):
        raise SampleError(
            _l("Choose between 1 and %(max)d replicates to release.", max=len(waiting))
            if waiting
            else _l("Every replicate has been released already."),
            "count",
        )
    numbers = waiting[:count]
    _release(session, survey, draw, numbers, now=now, user_id=user_id)
    session.commit()
    return numbers


def _release(
    session: Session,
    survey: Survey,
    draw: SampleDraw,
    numbers: Sequence[int],
    *,
    now: dt.datetime,
    user_id: int | None,
) -> None:
    """Turn the units of replicate groups ``numbers`` into cases (and reweight their strata)."""
    assert draw.id is not None
    units = session.execute(
        sa_select(
            col(SampledUnit.id),
            col(SampledUnit.contact_id),
            col(SampledUnit.stratum),
            col(SampledUnit.replicate),
        )
        .where(col(SampledUnit.draw_id) == draw.id, col(SampledUnit.replicate).in_(list(numbers)))
        .order_by(col(SampledUnit.id))
    ).all()
    strata = {s.stratum: s for s in queries.query_strata(session, draw.id)}
    case_ids = _release_units(session, survey, strata, [tuple(u[1:]) for u in units], now=now)
    if units:  # one executemany UPDATE by primary key
        links = [{"id": unit[0], "case_id": case_id} for unit, case_id in zip(units, case_ids, strict=True)]
        session.execute(update(SampledUnit), links)
    session.execute(
        update(SampleReplicate)
        .where(col(SampleReplicate.draw_id) == draw.id, col(SampleReplicate.number).in_(list(numbers)))
        .values(released_at=now, released_by_id=user_id)
    )
    for name in {unit[2] for unit in units}:  # earlier releases of these strata get the new weight
        session.execute(
            update(Case)
            .where(col(Case.survey_id) == survey.id, col(Case.stratum) == name)
            .where(col(Case.is_test).is_not(True))
            .values(design_weight=_weight(strata[name]))
        )


def _weight(stratum: SampleStratum) -> float:
    """The released replicates are a stratified SRS of their own: weight N_h / released_h."""
    return stratum.population / stratum.released


def _release_units(
    session: Session,
    survey: Survey,
    strata: Mapping[str, SampleStratum],
    units: Sequence[tuple[int, str, int]],
    *,
    now: dt.datetime,
    progress: Progress | None = None,
) -> list[int]:
    """Make a case per ``(contact id, stratum, replicate)`` and count it as released; return case ids."""
    for _, name, _ in units:
        strata[name].released += 1
    for stratum in strata.values():
        session.add(stratum)
    case_ids: list[int] = []
    for start in range(0, len(units), CHUNK):
        case_ids += _make_cases(session, survey, units[start : start + CHUNK], strata, now)
        if progress:
            progress("write", len(case_ids), len(units))
    return case_ids


def _make_cases(
    session: Session,
    survey: Survey,
    units: Sequence[tuple[int, str, int]],
    strata: Mapping[str, SampleStratum],
    now: dt.datetime,
) -> list[int]:
    """Insert a case and its delivery details per unit; return the case ids, in unit order."""
    fields: list[Any] = [Contact.id, Contact.name, Contact.email, Contact.phone_e164, Contact.language]
    fields += [Contact.timezone, Contact.attributes]
    wanted = col(Contact.id).in_([unit[0] for unit in units])
    found: Sequence[Any] = session.execute(sa_select(*fields).where(wanted)).all()
    contacts = {row[0]: row for row in found}
    rows: list[dict[str, Any]] = []
    details: list[dict[str, Any]] = []
    for contact_id, stratum, replicate in units:
        _, name, email, phone, language, timezone, attributes = contacts[contact_id]
        rows.append(
            {"survey_id": survey.id, "token_hash": token_hash(new_token()), "contact_id": contact_id,
             "language": language if language in survey.languages else None,
             "context": {**(attributes or {}), "name": name or ""}, "stratum": stratum,
             "design_weight": _weight(strata[stratum]), "is_test": False, "created_at": now}
        )  # fmt: skip
        details.append(
            # Fieldwork pauses and resumes a release (wave) as a whole.
            {"survey_id": survey.id, "email": (email or "").lower() or None, "phone_e164": phone,
             "wave": replicate, "timezone": timezone, "name": (name or "")[:200] or None,
             "preferred_channel": None, "link_issued_at": None}
        )  # fmt: skip
    ids = bulk.insert_rows(session, Case.__table__, rows)  # type: ignore[attr-defined]
    for detail, case_id in zip(details, ids, strict=True):
        detail["case_id"] = case_id
    bulk.insert_rows(session, FieldworkCase.__table__, details, new_ids=False)  # type: ignore[attr-defined]
    return ids
