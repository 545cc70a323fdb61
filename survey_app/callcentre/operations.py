"""Writes of the staff pages: vendors, agent profiles, putting a survey's cases in a vendor's queue."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import phonenumbers
from sqlalchemy import update
from sqlmodel import Session, col, select

from survey_app.auth.models import Role, User
from survey_app.callcentre import queries
from survey_app.callcentre.models import AgentProfile, Vendor
from survey_app.callcentre.queue import load_assignments
from survey_app.callcentre.schedule import zone

_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,31}$")
_HOUR = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class CallCentreError(ValueError):
    """A staff request that cannot be done; ``code`` names the problem, ``field`` the form field."""

    def __init__(self, code: str, field: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.field = field


def create_vendor(session: Session, *, name: str, click_to_call: bool) -> Vendor:
    """Add a vendor; names are unique. Commits."""
    name = name.strip()
    if not name:
        raise CallCentreError("name_required", "name")
    if session.exec(select(Vendor.id).where(Vendor.name == name)).first() is not None:
        raise CallCentreError("name_taken", "name")
    vendor = Vendor(name=name[:200], click_to_call=click_to_call)
    session.add(vendor)
    session.commit()
    return vendor


def _tags(values: Iterable[str], field: str) -> list[str]:
    tags = [v.strip() for v in values if v.strip()]
    for tag in tags:
        if not _TAG.match(tag):
            raise CallCentreError("bad_tag", field)
    return list(dict.fromkeys(tags))


def save_agent_profile(
    session: Session,
    agent: User,
    *,
    languages: Iterable[str],
    dialects: Iterable[str],
    skills: Iterable[str],
    work_start: str,
    work_end: str,
    timezone: str,
    phone: str = "",
) -> AgentProfile:
    """Create or update the profile of ``agent`` (a user with role agent and a vendor). Commits."""
    if agent.role != Role.agent or agent.vendor_id is None:
        raise CallCentreError("not_agent")
    langs = _tags(languages, "languages")
    if not langs:
        raise CallCentreError("languages_required", "languages")
    for value, field in ((work_start, "work_start"), (work_end, "work_end")):
        if not _HOUR.match(value.strip()):
            raise CallCentreError("bad_hour", field)
    if work_end.strip() <= work_start.strip():
        raise CallCentreError("hours_order", "work_end")
    if zone(timezone.strip()).key != timezone.strip():
        raise CallCentreError("bad_timezone", "timezone")
    number = _e164(phone)
    profile = session.get(AgentProfile, agent.id) or AgentProfile(user_id=agent.id, vendor_id=agent.vendor_id)  # type: ignore[arg-type]
    profile.vendor_id = agent.vendor_id
    profile.languages = langs
    profile.dialects = _tags(dialects, "dialects")
    profile.skills = _tags(skills, "skills")
    profile.work_start = work_start.strip()
    profile.work_end = work_end.strip()
    profile.timezone = timezone.strip()
    profile.phone = number
    session.add(profile)
    session.commit()
    return profile


def _e164(value: str) -> str | None:
    """The agent's click-to-call number in E.164 (None when left empty)."""
    if not value.strip():
        return None
    try:
        number = phonenumbers.parse(value.strip(), None)
    except phonenumbers.NumberParseException:
        raise CallCentreError("bad_phone", "phone") from None
    if not phonenumbers.is_valid_number(number):
        raise CallCentreError("bad_phone", "phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def touch_agent(session: Session, agent_id: int, *, now: dt.datetime) -> None:
    """Mark the agent as seen now (the supervisor page's "online"). Commits."""
    session.execute(
        update(AgentProfile)
        .where(col(AgentProfile.user_id) == agent_id)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def queue_survey(session: Session, *, survey_id: int, now: dt.datetime) -> int:
    """Put the survey's assigned cases (the sampling module's randomised assignment) in the call
    queue; cases already queued keep their state. Commits; returns how many were added."""
    rows = queries.query_assignments(session, survey_id)
    if not rows:
        raise CallCentreError("no_cases", "survey_id")
    return load_assignments(session, rows, now=now)
