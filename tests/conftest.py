"""Shared fixtures: an app on a fresh, migrated database, on SQLite and on PostgreSQL.

Any test that uses ``app`` (or ``client``, ``db_session``, ``make_user``, ``login``) runs once per
selected backend, e.g. ``test_login[sqlite]`` and ``test_login[postgresql]``:

    pytest                       # both (default; SURVEY_TEST_DB=both)
    pytest --db=sqlite           # or SURVEY_TEST_DB=sqlite
    SURVEY_TEST_POSTGRES_URL=postgresql+psycopg://user@host:5432/db pytest --db=postgresql

PostgreSQL unreachable: its tests are skipped with the reason, except when ``CI=true``, where
they fail. Each test session (each xdist worker) creates its own database ``survey_test_<pid>_<hex>``
next to the one in the URL, migrates it once, and drops it at the end; after each test every
table is emptied. On SQLite a migrated template file is copied for each test.

Do not keep an app context pushed around ``client`` requests (``with app.app_context():
client.get(...)``): Flask would reuse it, and with it ``g``, the database session and the signed-in
user, across requests. Fixtures here push contexts only for the duration of one call.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from sqlmodel import Session

from survey_app import create_app, schema
from survey_app.auth.models import VENDOR_ROLES, Role, User
from survey_app.auth.operations import create_user
from survey_app.config import sqlite_url
from survey_app.db import get_engine, open_session

BACKENDS = ("sqlite", "postgresql")
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: The password ``make_user`` gives accounts unless told otherwise.
DEFAULT_PASSWORD = "correct horse battery staple"
#: Settings every test app gets; a test adds or overrides with @pytest.mark.app_config(...).
TEST_SETTINGS: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    # CSRF is tested on its own (and in the route matrix); other tests post forms without tokens.
    "WTF_CSRF_ENABLED": False,
    # scrypt costs ~50 ms per hash; one PBKDF2 round keeps hundreds of sign-ins fast.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
}
_UNSET: Any = object()


# --- options -----------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql", "both"),
        default=None,
        help="database backend(s) for tests using the app fixture (default: $SURVEY_TEST_DB or both)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "app_config(**settings): extra create_app() settings for this test's app fixture"
    )
    config.addinivalue_line(
        "markers", "postgresql_only(reason): run this app test on PostgreSQL only (a PostgreSQL feature)"
    )


def selected_backends(config: pytest.Config) -> list[str]:
    choice = config.getoption("--db") or os.environ.get("SURVEY_TEST_DB", "both")
    if choice == "both":
        return list(BACKENDS)
    if choice not in BACKENDS:
        raise pytest.UsageError(f"SURVEY_TEST_DB must be sqlite, postgresql or both, got {choice!r}")
    return [choice]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Parametrising the name (rather than a fixture's params) lets --db choose at run time.
    if "db_backend" in metafunc.fixturenames:
        backends = selected_backends(metafunc.config)
        if metafunc.definition.get_closest_marker("postgresql_only"):
            backends = [backend for backend in backends if backend == "postgresql"]
        metafunc.parametrize("db_backend", backends)


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment() -> Iterator[None]:
    """Keep the developer's own DATABASE_URL, SECRET_KEY and SURVEY_* out of the tests."""
    names = [
        n for n in os.environ if n in ("DATABASE_URL", "SECRET_KEY", "FLASK_DEBUG") or n.startswith("SURVEY_")
    ]
    with pytest.MonkeyPatch.context() as mp:
        for name in names:
            if not name.startswith("SURVEY_TEST_"):
                mp.delenv(name)
        yield


# --- databases ---------------------------------------------------------------------------------


def build_test_app(database_url: str, instance_path: Path, **settings: Any) -> Flask:
    """An app with the test settings on ``database_url``; ``settings`` override them."""
    config = {**TEST_SETTINGS, "SURVEY_INSTANCE_PATH": str(instance_path), "DATABASE_URL": database_url}
    return create_app({**config, **settings})


def _migrate(url: str, instance_path: Path) -> None:
    app = build_test_app(url, instance_path)
    engine = get_engine(app)
    schema.upgrade(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; each test gets a copy."""
    directory = tmp_path_factory.mktemp("sqlite-template")
    path = directory / "template.db"
    app = build_test_app(sqlite_url(path), directory)
    engine = get_engine(app)
    schema.upgrade(engine)
    with engine.connect() as connection:
        # Fold the WAL into the main file, so copying that one file copies everything.
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def _postgres_admin_engine() -> sa.Engine:
    url = os.environ.get("SURVEY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@pytest.fixture(scope="session")
def _postgres_server() -> Iterator[sa.Engine]:
    """An autocommit connection to the server, for creating and dropping test databases."""
    engine = _postgres_admin_engine()
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        shown = engine.url.render_as_string(hide_password=True)
        reason = (
            f"PostgreSQL not reachable at {shown} (set SURVEY_TEST_POSTGRES_URL, or --db=sqlite): "
            f"{exc.orig or exc}"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    yield engine
    engine.dispose()


class _PostgresDatabases:
    """Creates uniquely named databases on the test server and drops them all at the end."""

    def __init__(self, server: sa.Engine) -> None:
        self.server = server
        self.prefix = f"survey_test_{os.getpid()}_{secrets.token_hex(3)}"
        self.counter = itertools.count()
        self.created: list[str] = []

    def create(self) -> str:
        name = f"{self.prefix}_{next(self.counter)}"
        assert re.fullmatch(r"[a-z0-9_]+", name)  # safe to put into SQL below
        with self.server.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.server.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.server.connect() as connection:
            for name in self.created:
                # FORCE: a test that leaked a connection must not leave the database behind.
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _postgres_databases(_postgres_server: sa.Engine) -> Iterator[_PostgresDatabases]:
    databases = _PostgresDatabases(_postgres_server)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def _postgres_migrated(
    _postgres_databases: _PostgresDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, sa.Engine]]:
    """This session's PostgreSQL database, migrated to head once, and an engine for emptying it."""
    url = _postgres_databases.create()
    _migrate(url, tmp_path_factory.mktemp("pg-instance"))
    cleaner = sa.create_engine(url)
    yield url, cleaner
    cleaner.dispose()


@functools.cache
def _migrated_tables(url: str) -> tuple[sa.Table, ...]:
    """The tables the migrations created, children before parents.

    Read from the database rather than from the models: a test may import models whose migration
    does not exist yet, and emptying a table that is not there would fail every later test.
    """
    metadata = sa.MetaData()
    engine = sa.create_engine(url)
    metadata.reflect(engine)
    engine.dispose()
    return tuple(t for t in reversed(metadata.sorted_tables) if t.name != "alembic_version")


def _empty_all_tables(url: str, engine: sa.Engine) -> None:
    # DELETE rather than TRUNCATE: on tables that are mostly empty it is far cheaper, as TRUNCATE
    # rewrites every table. Ids keep counting up; tests must not assume them.
    with engine.begin() as connection:
        for table in _migrated_tables(url):
            connection.execute(table.delete())


@pytest.fixture
def database_url(request: pytest.FixtureRequest, db_backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a database at head with no rows, private to this test."""
    if db_backend == "sqlite":
        path = tmp_path / "survey.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield sqlite_url(path)
        return
    url, cleaner = request.getfixturevalue("_postgres_migrated")
    yield url
    _empty_all_tables(url, cleaner)


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, db_backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no tables at all (not migrated), private to this test.

    On PostgreSQL it is a new schema in the session's database, first on the search path: a schema
    takes milliseconds to create and drop, a database about a second.
    """
    if db_backend == "sqlite":
        yield sqlite_url(tmp_path / "empty.db")
        return
    url, cleaner = request.getfixturevalue("_postgres_migrated")
    name = f"empty_{next(_SCHEMA_NUMBERS)}"
    with cleaner.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    yield make_url(url).update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(False)
    with cleaner.begin() as connection:
        # A connection the test leaked would block the drop for ever; the database goes at the end anyway.
        connection.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
        connection.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')


_SCHEMA_NUMBERS = itertools.count(1)


# --- app, client and data ----------------------------------------------------------------------


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A new app on this test's database; ``@pytest.mark.app_config(KEY=value)`` adds settings."""
    marker = request.node.get_closest_marker("app_config")
    application = build_test_app(database_url, tmp_path / "instance", **(marker.kwargs if marker else {}))
    yield application
    get_engine(application).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """A session on the test's database for arranging and checking rows (commit to share them
    with requests; objects stay usable after commit)."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Factory: ``make_user(role=Role.researcher, *, vendor_id=..., email=..., password=...,
    display_name=..., is_active=True, preferred_language=None) -> User`` (committed).

    Vendor managers and agents get ``vendor_id=1`` unless given one; e-mails are unique per test.
    """
    numbers = itertools.count(1)

    def make(
        role: Role | str = Role.researcher,
        *,
        vendor_id: int | None = _UNSET,
        email: str | None = None,
        password: str = DEFAULT_PASSWORD,
        display_name: str | None = None,
        is_active: bool = True,
        preferred_language: str | None = None,
    ) -> User:
        role = Role(role)
        if vendor_id is _UNSET:
            vendor_id = 1 if role in VENDOR_ROLES else None
        number = next(numbers)
        with app.app_context(), open_session(app) as session:
            return create_user(
                session,
                email=email or f"{role.value}{number}@example.org",
                display_name=display_name or f"{role.value.replace('_', ' ').title()} {number}",
                role=role,
                password=password,
                vendor_id=vendor_id,
                preferred_language=preferred_language,
                is_active=is_active,
            )

    return make


_CSRF_FIELD = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str | None:
    """The CSRF token of the first form in a page, or None when CSRF is off."""
    match = _CSRF_FIELD.search(html)
    return match.group(1) if match else None


def sign_in(client: FlaskClient, email: str, password: str = DEFAULT_PASSWORD, **extra: str) -> Any:
    """Post the login form the way a browser does (fetching the CSRF token when CSRF is on)."""
    page = client.get("/login")
    data = {"email": email, "password": password, **extra}
    token = csrf_token_from(page.get_data(as_text=True))
    if token:
        data["csrf_token"] = token
    return client.post("/login", data=data)


@pytest.fixture
def login(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """Sign a client in: ``login(Role.admin)`` creates a user with that role (``vendor_id=`` as in
    ``make_user``), ``login(user)`` uses an existing one; ``client=`` picks another client than the
    ``client`` fixture. Returns the user."""

    def do(
        who: Role | str | User = Role.researcher,
        *,
        vendor_id: int | None = _UNSET,
        password: str = DEFAULT_PASSWORD,
        client: FlaskClient = client,
    ) -> User:
        user = who if isinstance(who, User) else make_user(who, vendor_id=vendor_id)
        response = sign_in(client, user.email, password)
        assert response.status_code == 302, f"login as {user.email} failed: {response.status_code}"
        return user

    return do
