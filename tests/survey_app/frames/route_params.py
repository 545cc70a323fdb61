"""Role-matrix parameters of the frames module (merged by ``tests/route_params.py``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from survey_app.fieldwork.models import OptOut
from survey_app.frames.models import Frame, FrameStatus
from tests.route_params import RouteContext


def _frame(ctx: RouteContext) -> dict[str, int]:
    frame = Frame(name="Matrix frame", status=FrameStatus.ready)
    ctx.db_session.add(frame)
    ctx.db_session.commit()
    assert frame.id is not None
    return {"frame_id": frame.id}


def _opt_out(ctx: RouteContext) -> dict[str, int]:
    # A role's request may remove the previous entry: each call makes a new address.
    entry = OptOut(address=f"matrix-{secrets.token_hex(4)}@example.com", source="staff")
    ctx.db_session.add(entry)
    ctx.db_session.commit()
    assert entry.id is not None
    return {"opt_out_id": entry.id}


ROUTE_PARAMS: dict[str, Mapping[str, Any] | Callable[[RouteContext], Mapping[str, Any]]] = {
    "frames.show": _frame,
    "frames.issues_csv": _frame,
    # A role's request may delete the frame: a new one per call (the callable runs per request).
    "frames.requeue": _frame,
    "frames.delete": _frame,
    "frames.remove_address": _opt_out,
}
