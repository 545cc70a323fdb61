"""Reading a frame for a draw: stratum of every contact, with contact governance applied.

One grouped ``SELECT`` over the frame's contacts: the database reads the stratification variables
(JSON attributes with ``->>`` / ``json_extract``), applies the exclusions and returns, per stratum
and exclusion, a count and the contact ids as one array (``array_agg``; ``group_concat`` on
SQLite), so a million contacts never become a million Python rows. The eligible ids are put back
in id order, so the same frame always gives the same arrays and the same seeded draw. Two rules
exclude a contact before allocation, counted per stratum:

- **opt-out / do-not-contact**: its e-mail or phone is a ``fieldwork.models.OptOut`` address;
- **contact frequency**: its e-mail or phone was drawn (by any survey) or sent an invitation in the
  last ``N`` days.

Excluded contacts are outside the population the weights refer to: ``N_h`` is the eligible count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from flask_babel import lazy_gettext as _l
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, CompoundSelect, case, func, or_, union
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from survey_app.fieldwork.models import CONTACTED_STATES, ContactAttempt, FieldworkCase, OptOut
from survey_app.frames.models import Contact, ContactRules, Frame, FrameStatus
from survey_app.sampling.models import SampleDraw, SampledUnit
from survey_app.sampling.spec import CONTACT_FIELDS, MAX_LABEL, SampleError, stratum_label
from survey_app.surveys.models import Case

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FrameSnapshot:
    """The eligible contacts of a frame and the per-stratum counts (strata in label order)."""

    frame: Frame
    labels: list[str]
    #: Eligible contacts: their ids (frame order) and stratum codes (index into ``labels``).
    contact_ids: NDArray[np.int64]
    codes: NDArray[np.intp]
    frame_counts: list[int]
    excluded_opt_out: list[int]
    excluded_frequency: list[int]

    @property
    def population(self) -> dict[str, int]:
        """Eligible ``N_h`` per stratum."""
        counts = np.bincount(self.codes, minlength=len(self.labels))
        return {label: int(counts[h]) for h, label in enumerate(self.labels)}


def frame_variables(frame: Frame) -> list[str]:
    """The stratification variables a frame offers: contact fields, then its attributes."""
    attributes = (frame.column_map or {}).get("attributes") or {}
    return [*CONTACT_FIELDS, *sorted(attributes)]


def get_drawable_frame(session: Session, frame_id: int) -> Frame:
    """The frame, if it exists and its import finished.

    :raises SampleError: no such frame, or it is still importing / failed.
    """
    frame = session.get(Frame, frame_id)
    if frame is None:
        raise SampleError(_l("There is no frame %(id)s.", id=frame_id), "frame_id")
    if frame.status != FrameStatus.ready:
        raise SampleError(
            _l(
                "Frame %(name)s cannot be sampled: its import has not finished successfully.", name=frame.name
            ),
            "frame_id",
        )
    return frame


def default_frequency_days(session: Session) -> int:
    """The organisation's contact-frequency rule (``frames.models.ContactRules``), 0 when unset."""
    rules = session.get(ContactRules, 1)
    return rules.frequency_days if rules else 0


def read_frame(
    session: Session,
    frame_id: int,
    by: Sequence[str],
    *,
    frequency_days: int,
    now: dt.datetime,
    progress: Progress | None = None,
) -> FrameSnapshot:
    """Stratify a frame's contacts by ``by`` and drop the excluded ones (see the module docstring).

    :raises SampleError: the frame cannot be drawn from, or a variable is not one of the frame's.
    """
    frame = get_drawable_frame(session, frame_id)
    known = frame_variables(frame)
    unknown = [name for name in by if name not in known]
    if unknown:
        raise SampleError(
            _l(
                "%(names)s is not a variable of this frame; use one of: %(known)s.",
                names=", ".join(unknown),
                known=", ".join(known),
            ),
            "by",
        )
    if progress:
        progress(0, frame.contact_count)
    columns = [_variable(name) for name in by]
    flag = _exclusion_flag(now - dt.timedelta(days=frequency_days) if frequency_days else None)
    statement = (
        sa_select(*columns, flag, func.count(), _id_list(session))
        .where(col(Contact.frame_id) == frame.id)
        .group_by(*columns, flag)
    )
    counts: dict[str, list[int]] = {}  # label -> [eligible, opted out, frequency rule]
    eligible: dict[str, list[NDArray[np.int64]]] = {}
    for row in session.execute(statement):
        *values, state, count, ids = row
        label = stratum_label(values)
        if len(label) > MAX_LABEL:
            raise SampleError(
                _l(
                    "Stratum labels must be at most %(max)d characters: %(label)s.",
                    max=MAX_LABEL,
                    label=label[:60],
                ),
                "by",
            )
        counts.setdefault(label, [0, 0, 0])[state] += count
        if state == 0:
            eligible.setdefault(label, []).append(_ids(ids))
    snapshot = _snapshot(frame, counts, eligible)
    if progress:
        progress(frame.contact_count, frame.contact_count)
    return snapshot


def _snapshot(
    frame: Frame, counts: dict[str, list[int]], eligible: dict[str, list[NDArray[np.int64]]]
) -> FrameSnapshot:
    """Put the eligible contacts back in frame (id) order, each with its stratum code."""
    labels = sorted(counts)
    parts = [(h, ids) for h, label in enumerate(labels) for ids in eligible.get(label, [])]
    ids = np.concatenate([p for _, p in parts]) if parts else np.zeros(0, dtype=np.int64)
    codes = (
        np.concatenate([np.full(len(p), h, dtype=np.intp) for h, p in parts])
        if parts
        else np.zeros(0, dtype=np.intp)
    )
    order = np.argsort(ids, kind="stable")
    return FrameSnapshot(
        frame=frame,
        labels=labels,
        contact_ids=ids[order],
        codes=codes[order],
        frame_counts=[sum(counts[label]) for label in labels],
        excluded_opt_out=[counts[label][1] for label in labels],
        excluded_frequency=[counts[label][2] for label in labels],
    )


def _exclusion_flag(since: dt.datetime | None) -> ColumnElement[int]:
    """0 eligible, 1 opted out / do not contact, 2 drawn or invited since ``since`` (None: rule off)."""
    # Opt-outs and delivery details keep e-mails lower-cased; frames lower only the domain.
    email = func.lower(col(Contact.email))
    phone = col(Contact.phone_e164)
    opted = select(col(OptOut.address))
    whens: list[tuple[ColumnElement[bool], int]] = [(or_(email.in_(opted), phone.in_(opted)), 1)]
    if since is not None:
        recent = recent_addresses(since)
        whens.append((or_(email.in_(recent), phone.in_(recent)), 2))
    return case(*whens, else_=0)


def _id_list(session: Session) -> ColumnElement[Any]:
    """The contact ids of a group in one value: an array on PostgreSQL, a comma list elsewhere."""
    if session.get_bind().dialect.name == "postgresql":
        return func.array_agg(col(Contact.id))
    return func.group_concat(col(Contact.id))


def _ids(value: object) -> NDArray[np.int64]:
    if isinstance(value, str):
        return np.array(value.split(","), dtype=np.int64)
    return np.asarray(value, dtype=np.int64)


def _variable(name: str) -> ColumnElement[Any]:
    if name in CONTACT_FIELDS:
        return cast(ColumnElement[Any], getattr(Contact, name))
    attribute: ColumnElement[Any] = col(Contact.attributes)[name].as_string()
    return attribute


def recent_addresses(since: dt.datetime) -> CompoundSelect[Any]:
    """E-mails and phones drawn by any survey, or sent an invitation, since ``since`` (a subquery)."""
    drawn = (
        select(SampledUnit.contact_id)
        .join(SampleDraw, col(SampleDraw.id) == col(SampledUnit.draw_id))
        .where(col(SampleDraw.drawn_at) >= since)
    )
    recent_cases = select(Case.id).where(col(Case.created_at) >= since, col(Case.is_test).is_not(True))
    return union(
        select(func.lower(col(Contact.email))).where(col(Contact.id).in_(drawn)),
        select(col(Contact.phone_e164)).where(col(Contact.id).in_(drawn)),
        select(col(FieldworkCase.email)).where(col(FieldworkCase.case_id).in_(recent_cases)),
        select(col(FieldworkCase.phone_e164)).where(col(FieldworkCase.case_id).in_(recent_cases)),
        select(col(ContactAttempt.address)).where(
            col(ContactAttempt.sent_at) >= since, col(ContactAttempt.state).in_(CONTACTED_STATES)
        ),
    )
