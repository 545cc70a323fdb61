"""URL parameters of the call-centre endpoints for the role × route matrix."""

from __future__ import annotations

from typing import Any

from survey_app.auth.models import Role
from survey_app.callcentre.models import Vendor
from tests.route_params import RouteCase


def _vendor(ctx: Any) -> dict[str, int]:
    vendor = Vendor(name="Matrix vendor")
    ctx.db_session.add(vendor)
    ctx.db_session.commit()
    return {"vendor_id": vendor.id}


def _agent(ctx: Any) -> dict[str, int]:
    params = _vendor(ctx)
    agent = ctx.make_user(Role.agent, vendor_id=params["vendor_id"])
    return {**params, "user_id": agent.id}


ROUTE_PARAMS: dict[str, Any] = {
    "callcentre.vendor": _vendor,
    "callcentre.agent": _agent,
    # Click-to-call webhooks: unsigned requests (the matrix's) get 403 from the signature check.
    "callcentre.bridge": RouteCase(also_allowed=frozenset({403}), csrf_exempt=True),
    "callcentre.bridge_status": RouteCase(also_allowed=frozenset({403}), csrf_exempt=True),
    "callcentre.recording_status": RouteCase(also_allowed=frozenset({403}), csrf_exempt=True),
}
