"""The module packages that make up the app: adding a module is one line in ``MODULES``.

Each ``survey_app/<module>/blueprint.py`` defines ``bp`` (a Blueprint whose views all carry
``@roles_required`` or ``@public_route``) and may define ``NAV``, the header links it contributes.
A link is shown to exactly the roles its endpoint admits, so the menu cannot drift from the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from flask import Flask, current_app, request

from survey_app.auth.access import access_of, user_role

MODULES: tuple[str, ...] = (
    "survey_app.core",
    "survey_app.auth",
    "survey_app.respond",
    "survey_app.fieldwork",
    "survey_app.designs",
    "survey_app.sampling",
    "survey_app.frames",
    "survey_app.surveys",
    "survey_app.results",
    "survey_app.callcentre",
)

_NAV_KEY = "survey_nav"


@dataclass(frozen=True)
class NavItem:
    """A header link: an endpoint without URL parameters and its (lazily translated) label."""

    endpoint: str
    label: object


def register_modules(app: Flask) -> None:
    """Import each module's blueprint inside the factory (no import-time app, no cycles)."""
    nav: list[NavItem] = []
    for name in MODULES:
        module = import_module(f"{name}.blueprint")
        app.register_blueprint(module.bp)
        nav.extend(getattr(module, "NAV", ()))
    app.extensions[_NAV_KEY] = tuple(nav)
    app.context_processor(lambda: {"nav_items": visible_nav_items})


def visible_nav_items() -> list[tuple[NavItem, bool]]:
    """The header links the signed-in user may follow, each with whether it is the current page."""
    role = user_role()
    if role is None:
        return []
    items = []
    for item in current_app.extensions[_NAV_KEY]:
        access = access_of(current_app.view_functions[item.endpoint])
        if access is not None and access.allows(role):
            items.append((item, request.endpoint == item.endpoint))
    return items
