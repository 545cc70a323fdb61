"""How to call each endpoint in the role × route matrix (``tests/survey_app/test_roles_matrix.py``).

The matrix requests every endpoint in ``app.url_map`` as every role and as an anonymous visitor.
An endpoint whose URL has parameters needs an entry here, or the matrix fails and names it. An
entry is one of:

- a dict of URL parameters: ``"reports.show": {"report_id": 1}``;
- a callable ``(RouteContext) -> dict``, to create the row the URL points at::

      "auth.edit_user": lambda ctx: {"user_id": ctx.make_user(Role.agent).id},

- a :class:`RouteCase`, when the request needs more (form data, headers) or the endpoint is a
  public one that legitimately refuses the matrix's plain request (a webhook checking its
  signature answers 403; say so with ``also_allowed={403}``) or takes no CSRF token.

Each module keeps its entries beside its tests, in ``tests/survey_app/<module>/route_params.py``
(a ``ROUTE_PARAMS`` dict); they are merged here, so engineers working on different modules never
edit the same file. Endpoints without URL parameters need no entry. A missing row (404) is
acceptable to the matrix, but a real one exercises the view further, so prefer callables that
create it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlmodel import Session

from survey_app.auth.models import Role, User

Params = Mapping[str, Any] | Callable[["RouteContext"], Mapping[str, Any]]


@dataclass(frozen=True)
class RouteContext:
    """What a parameter callable may use: the test app, a session and the user factory."""

    app: Flask
    db_session: Session
    make_user: Callable[..., User]


@dataclass(frozen=True)
class RouteCase:
    params: Params = field(default_factory=dict)
    #: Form fields sent with POST/PUT/PATCH/DELETE requests (default: none).
    data: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None
    #: Statuses an allowed caller may get besides the usual ones (e.g. 403 from a signature check).
    also_allowed: frozenset[int] = frozenset()
    #: The endpoint is exempt from CSRF on purpose (webhooks authenticate by signature).
    csrf_exempt: bool = False


ROUTE_PARAMS: dict[str, Mapping[str, Any] | Callable[[RouteContext], Mapping[str, Any]] | RouteCase] = {
    "static": {"filename": "app.css"},
    "auth.edit_user": lambda ctx: {"user_id": ctx.make_user(Role.researcher).id},
    "auth.reset_password": lambda ctx: {"user_id": ctx.make_user(Role.researcher).id},
    # Respondent links: an unknown token answers 404 to everyone, signed in or not.
    "respond.personal": {"token": "unknown-token"},
    "respond.open_link": {"token": "unknown-token"},
    "respond.resume": {"token": "unknown-token"},
}


def _merge_module_entries() -> None:
    for path in sorted((Path(__file__).parent / "survey_app").glob("*/route_params.py")):
        module = importlib.import_module(f"tests.survey_app.{path.parent.name}.route_params")
        clash = set(ROUTE_PARAMS) & set(module.ROUTE_PARAMS)
        if clash:
            raise RuntimeError(f"{path}: endpoints already registered elsewhere: {sorted(clash)}")
        ROUTE_PARAMS.update(module.ROUTE_PARAMS)


_merge_module_entries()


def route_case(endpoint: str) -> RouteCase:
    """The registry entry for ``endpoint`` as a :class:`RouteCase` (empty when there is none)."""
    entry = ROUTE_PARAMS.get(endpoint, {})
    return entry if isinstance(entry, RouteCase) else RouteCase(params=entry)


def resolve_params(case: RouteCase, ctx: RouteContext) -> dict[str, Any]:
    params = case.params(ctx) if callable(case.params) else case.params
    return dict(params)
