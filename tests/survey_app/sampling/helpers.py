"""Helpers of the sampling app tests: a ready frame of contacts and a survey to draw for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from survey_app.frames.models import Contact, Frame, FrameStatus
from survey_app.sampling.spec import DesignSpec

#: Stratum sizes of the default test frame (region attribute).
REGIONS = {"north": 60, "south": 30, "islands": 10}


def make_frame(
    session: Session, regions: dict[str, int] | None = None, *, name: str = "Customers", prefix: str = "c"
) -> Frame:
    """A ready frame: contact k of region r has e-mail ``{prefix}{k}@example.org`` and a phone."""
    regions = regions or REGIONS
    frame = Frame(
        name=name,
        status=FrameStatus.ready,
        column_map={"fields": {"email": "E-mail"}, "attributes": {"region": "Region", "segment": "Segment"}},
        contact_count=sum(regions.values()),
    )
    session.add(frame)
    session.flush()
    rows: list[dict[str, Any]] = []
    k = 0
    for region, count in regions.items():
        for i in range(count):
            k += 1
            rows.append(
                {
                    "frame_id": frame.id,
                    "row_number": k + 1,
                    "external_id": f"X{k}",
                    "name": f"Person {k}",
                    "email": f"{prefix}{k}@example.org",
                    "phone_e164": f"+86138{k:08d}",
                    "language": "zh-Hans" if i % 2 else "en",
                    "timezone": "Asia/Shanghai",
                    "stakeholder_group": "end_customer",
                    "attributes": {"region": region, "segment": "retail" if i % 3 else "business"},
                }
            )
    session.execute(insert(Contact), rows)
    session.commit()
    return frame


def spec(frame: Frame, **fields: Any) -> DesignSpec:
    """A proportional design by region, n = 20, unless told otherwise."""
    values: dict[str, Any] = {"frame_id": frame.id, "by": ("region",), "method": "proportional", "n": 20}
    return DesignSpec(**{**values, **fields})


def now() -> dt.datetime:
    return dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
