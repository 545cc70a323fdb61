"""Every endpoint, every role: declared rules are the enforced rules.

The endpoint list comes from ``app.url_map`` at collection time, so endpoints added by later
modules are included automatically; URL parameters come from ``tests/route_params.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from survey_app import create_app
from survey_app.auth.access import access_of, is_static_endpoint
from survey_app.auth.models import Role, User
from tests.conftest import TEST_SETTINGS
from tests.route_params import ROUTE_PARAMS, RouteCase, RouteContext, resolve_params, route_case

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_REDIRECTS = 5


def _route_map_app() -> Flask:
    # No database is touched: the app is only built to read its URL map.
    return create_app({**TEST_SETTINGS, "DATABASE_URL": "sqlite://"})


MAP_APP = _route_map_app()
ENDPOINTS = sorted({rule.endpoint for rule in MAP_APP.url_map.iter_rules()})
POST_ENDPOINTS = sorted(
    {
        rule.endpoint
        for rule in MAP_APP.url_map.iter_rules()
        if (rule.methods or set()) & WRITE_METHODS and not is_static_endpoint(rule.endpoint)
    }
)
#: Webhooks authenticate by signature instead (their own tests send unsigned and tampered requests).
CSRF_CHECKED_ENDPOINTS = [endpoint for endpoint in POST_ENDPOINTS if not route_case(endpoint).csrf_exempt]


def test_every_endpoint_declares_who_may_use_it() -> None:
    undeclared = [
        endpoint
        for endpoint, view in MAP_APP.view_functions.items()
        if not is_static_endpoint(endpoint) and access_of(view) is None
    ]
    assert not undeclared, f"add @roles_required(...) or @public_route to: {undeclared}"


def test_every_endpoint_with_url_parameters_has_sample_values() -> None:
    missing = sorted(
        {rule.endpoint for rule in MAP_APP.url_map.iter_rules() if rule.arguments}
        - {endpoint for endpoint, entry in ROUTE_PARAMS.items()}
    )
    assert not missing, f"add sample URL parameters to tests/route_params.py for: {missing}"


def test_route_params_registry_has_no_stale_entries() -> None:
    stale = sorted(set(ROUTE_PARAMS) - set(ENDPOINTS))
    assert not stale, f"tests/route_params.py names endpoints that no longer exist: {stale}"


def test_every_nav_item_is_a_declared_parameterless_endpoint() -> None:
    for item in MAP_APP.extensions["survey_nav"]:
        rules = list(MAP_APP.url_map.iter_rules(item.endpoint))
        assert rules, item.endpoint
        assert not any(rule.arguments for rule in rules), item.endpoint
        assert access_of(MAP_APP.view_functions[item.endpoint]) is not None, item.endpoint


def _clients(app: Flask, login: Callable[..., User]) -> dict[Role | None, FlaskClient]:
    clients: dict[Role | None, FlaskClient] = {None: app.test_client()}
    for role in Role:
        clients[role] = app.test_client()
        login(role, client=clients[role])
    return clients


def _url(app: Flask, rule: Rule, params: dict[str, object]) -> str:
    values = {name: params[name] for name in rule.arguments}
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values, force_external=False)


def _follow(client: FlaskClient, response: TestResponse, start: str, method: str) -> TestResponse:
    """Follow redirects by hand, so a loop is reported instead of hanging or raising.

    A post redirecting to the same address (post/redirect/get) is not a loop; a GET doing so is.
    """
    seen = [start] if method == "GET" else []
    while 300 <= response.status_code < 400:
        target = urlsplit(response.headers["Location"])
        path = target.path + (f"?{target.query}" if target.query else "")
        if path in seen or len(seen) > MAX_REDIRECTS:
            pytest.fail(f"redirect loop: {' -> '.join([*seen, path])}")
        seen.append(path)
        response = client.get(path)
    return response


def _is_login_redirect_back(response: TestResponse, url: str, method: str) -> bool:
    """A redirect to the login page that returns to ``url`` afterwards (GET only: posts are not replayed)."""
    if response.status_code != 302:
        return False
    target = urlsplit(response.headers["Location"])
    expected_next = [url] if method == "GET" else None
    return target.path == "/login" and parse_qs(target.query).get("next") == expected_next


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_role_matrix(
    endpoint: str, app: Flask, login: Callable[..., User], db_session: Session, make_user: Callable[..., User]
) -> None:
    access = access_of(app.view_functions[endpoint])
    public = is_static_endpoint(endpoint) or (access is not None and access.public)
    assert access is not None or public, f"{endpoint} has no access declaration"
    case: RouteCase = route_case(endpoint)
    ctx = RouteContext(app=app, db_session=db_session, make_user=make_user)
    clients = _clients(app, login)
    problems: list[str] = []
    for rule in app.url_map.iter_rules(endpoint):
        url = _url(app, rule, resolve_params(case, ctx))
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}, key=lambda m: m != "GET")
        for who, client in clients.items():
            allowed = public or (access is not None and access.allows(who))
            for method in methods:
                data = case.data if method in WRITE_METHODS else None
                response = client.open(url, method=method, data=data or {}, headers=case.headers or {})
                label = f"{method} {url} as {who.value if who else 'anonymous'}: {response.status_code}"
                final = _follow(client, response, url, method)
                if final.status_code >= 500:
                    problems.append(f"{label} -> ends in {final.status_code}")
                elif not allowed and who is None:
                    if not _is_login_redirect_back(response, url, method):
                        problems.append(f"{label}, expected a redirect to the login page")
                elif not allowed:
                    if response.status_code != 403:
                        problems.append(f"{label}, expected 403")
                elif response.status_code == 403 and 403 not in case.also_allowed:
                    problems.append(f"{label}, but the role is allowed")
                elif method == "GET" and _is_login_redirect_back(response, url, method):
                    # (Only GET is checked: a post's redirect to the login page carries no ?next=,
                    # just like a sign-out's.)
                    problems.append(f"{label}, sent to the login page although allowed")
    assert not problems, "\n".join(problems)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
@pytest.mark.parametrize("endpoint", CSRF_CHECKED_ENDPOINTS)
def test_writes_without_csrf_token_are_refused(
    endpoint: str, app: Flask, login: Callable[..., User], db_session: Session, make_user: Callable[..., User]
) -> None:
    case = route_case(endpoint)
    access = access_of(app.view_functions[endpoint])
    assert access is not None
    client = app.test_client()
    if not access.public:
        login(sorted(access.roles)[0], client=client)
    ctx = RouteContext(app=app, db_session=db_session, make_user=make_user)
    for rule in app.url_map.iter_rules(endpoint):
        url = _url(app, rule, resolve_params(case, ctx))
        for method in sorted((rule.methods or set()) & WRITE_METHODS):
            response = client.open(url, method=method, data=dict(case.data or {}))
            assert response.status_code == 400, f"{method} {url} without a CSRF token: {response.status_code}"
            assert "security token" in response.get_data(as_text=True)
