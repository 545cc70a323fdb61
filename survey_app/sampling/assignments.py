"""Writes of assignment: deal a survey's released cases to agents or vendors, move a case.

Who works a case is decided by the seeded, balanced, interpenetrated assignment of the pure
``sampling.design.assign`` / ``assign_pools`` (every assignee gets a random part of every stratum;
workloads differ by at most one overall and within each stratum); the run and its seed are stored.
Afterwards an assignment changes only through :func:`move_case`, which logs who, when and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert
from sqlmodel import Session

from survey_app.sampling import design, queries
from survey_app.sampling.models import Assignment, AssignmentRun, CaseMove
from survey_app.sampling.operations import SEED_LIMIT, new_seed
from survey_app.sampling.spec import SampleError
from survey_app.surveys.models import Survey


def assign_cases(
    session: Session,
    survey: Survey,
    *,
    assignee_kind: str,
    pools: Mapping[str, Sequence[int]],
    pool_by: str | None = None,
    seed: int | None = None,
    user_id: int | None = None,
    now: dt.datetime,
) -> AssignmentRun:
    """Assign every released, unassigned case at random, balanced overall and within strata.

    :param assignee_kind: ``agent`` (user ids of active agents) or ``vendor`` (vendor ids).
    :param pools: ``{"": [ids]}`` for one pool, or ``{key: [ids]}`` with ``pool_by``
        ``language`` (the case's interview language) to give each key's cases to its own pool.
    :raises SampleError: no draw or nothing to assign, unknown assignees, a key without a pool.
    """
    assert survey.id is not None
    draw = queries.get_draw(session, survey.id)
    if draw is None:
        raise SampleError(_l("Draw the sample before assigning cases."), "assignees")
    cases = queries.query_unassigned_cases(session, draw.id or 0)
    if not cases:
        raise SampleError(_l("Every released case is assigned already."), "assignees")
    _check_assignees(session, assignee_kind, pools)
    if seed is not None and not 0 <= seed < SEED_LIMIT:
        raise SampleError(_l("The seed must be a whole number from 0 to 2^63 - 1."), "seed")
    seed = new_seed() if seed is None else seed
    strata = [stratum for _, stratum, _ in cases]
    named = {key: [str(i) for i in ids] for key, ids in pools.items()}
    try:
        if pool_by is None:
            chosen = design.assign(strata, named.get("", []), seed)
            keys: list[str | None] = [None] * len(cases)
        elif pool_by == "language":
            pool_keys: list[str] = [language or "" for _, _, language in cases]
            keys = list(pool_keys)
            chosen = design.assign_pools(pool_keys, named, seed, case_strata=strata)
        else:
            raise SampleError(_l("Cases can be pooled by language only."), "pool_by")
    except ValueError as error:
        raise SampleError(str(error), "assignees") from None
    run = AssignmentRun(
        survey_id=survey.id,
        seed=seed,
        assignee_kind=assignee_kind,
        pool_by=pool_by,
        pools={k: list(v) for k, v in pools.items()},
        case_count=len(cases),
        created_by_id=user_id,
        created_at=now,
    )
    session.add(run)
    session.flush()
    session.execute(
        insert(Assignment),
        [
            {
                "case_id": case_id,
                "survey_id": survey.id,
                "run_id": run.id,
                "assignee_kind": assignee_kind,
                "assignee_id": int(worker),
                "pool": key,
                "as_drawn": True,
            }
            for (case_id, _, _), worker, key in zip(cases, chosen, keys, strict=True)
        ],
    )
    session.commit()
    return run


def _check_assignees(session: Session, kind: str, pools: Mapping[str, Sequence[int]]) -> None:
    ids = {i for members in pools.values() for i in members}
    if not ids:
        raise SampleError(_l("Choose at least one agent or vendor."), "assignees")
    if kind == "agent":
        known = {u.id for u in queries.query_agents(session)}
    elif kind == "vendor":
        known = set(queries.query_vendor_ids(session))
    else:
        raise SampleError(_l("Cases go to agents or to vendors."), "assignee_kind")
    unknown = sorted(ids - known)
    if unknown:
        listed = ", ".join(map(str, unknown))
        message = (
            _l("These are not active call agents: %(ids)s.", ids=listed)
            if kind == "agent"
            else _l("These vendors have no active user: %(ids)s.", ids=listed)
        )
        raise SampleError(message, "assignees")


def move_case(
    session: Session,
    survey: Survey,
    case_id: int,
    to_id: int,
    reason: str,
    *,
    user_id: int | None,
    now: dt.datetime,
) -> CaseMove:
    """Give an assigned case to another assignee of the same kind, logging who, when and why.

    :raises SampleError: no reason, the case is not assigned in this survey, or the target is unknown.
    """
    reason = reason.strip()
    if len(reason) < 5:
        raise SampleError(_l("Say why the case is moved (at least 5 characters)."), "reason")
    assignment = session.get(Assignment, case_id)
    if assignment is None or assignment.survey_id != survey.id:
        raise SampleError(_l("Case %(id)s is not assigned in this survey.", id=case_id), "case_id")
    if assignment.assignee_id == to_id:
        raise SampleError(_l("The case is already assigned there."), "to_id")
    _check_assignees(session, assignment.assignee_kind, {"": [to_id]})
    move = CaseMove(
        survey_id=assignment.survey_id,
        case_id=case_id,
        assignee_kind=assignment.assignee_kind,
        from_id=assignment.assignee_id,
        to_id=to_id,
        reason=reason,
        moved_by_id=user_id,
        moved_at=now,
    )
    assignment.assignee_id, assignment.as_drawn = to_id, False
    session.add_all([move, assignment])
    session.commit()
    return move
