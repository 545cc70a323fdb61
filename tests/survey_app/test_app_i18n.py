"""Interface language: the selection order, the switcher, and complete catalogs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from survey_app.auth.models import Role, User
from survey_app.i18n import TRANSLATIONS_DIR, compile_catalogs, match_language

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("zh_Hans", "zh_Hant")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "pgettext": ((1, "c"), 2),
}


def html_lang(client: FlaskClient, path: str = "/login", **headers: str) -> str:
    body = client.get(path, headers=headers).get_data(as_text=True)
    return body.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.5", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-HK,en;q=0.5", "zh-Hant"),
        ("zh", "zh-Hans"),
        ("fr-FR,de;q=0.8", "en"),
        ("fr-FR,zh-Hant;q=0.3", "zh-Hant"),
    ],
)
def test_accept_language_picks_the_closest_interface_language(
    client: FlaskClient, accept: str, expected: str
) -> None:
    assert html_lang(client, **{"Accept-Language": accept}) == expected


def test_lang_parameter_switches_for_the_rest_of_the_visit(client: FlaskClient) -> None:
    assert html_lang(client, "/login?lang=zh_hant") == "zh-Hant"
    assert html_lang(client, "/login", **{"Accept-Language": "en"}) == "zh-Hant"
    assert html_lang(client, "/login?lang=klingon") == "zh-Hant"  # unknown choices are ignored


def test_a_choice_in_this_visit_beats_the_users_preference(
    client: FlaskClient, login: Callable[..., User], make_user: Callable[..., User]
) -> None:
    user = make_user(Role.analyst, preferred_language="zh-Hant")
    login(user)
    assert html_lang(client, "/", **{"Accept-Language": "en"}) == "zh-Hant"
    assert html_lang(client, "/?lang=zh-Hans") == "zh-Hans"


def test_the_switcher_links_keep_the_page_and_its_query(client: FlaskClient) -> None:
    body = client.get("/login?next=/admin/users").get_data(as_text=True)
    assert 'href="/login?next=%2Fadmin%2Fusers&amp;lang=zh-Hant"' in body
    assert 'lang="zh-Hant" hreflang="zh-Hant"' in body


def test_form_errors_from_wtforms_follow_the_script(client: FlaskClient) -> None:
    simplified = client.post("/login?lang=zh-Hans", data={}).get_data(as_text=True)
    traditional = client.post("/login?lang=zh-Hant", data={}).get_data(as_text=True)
    assert "该字段是必填字段。" in simplified
    assert "此欄位是必需的。" in traditional


@pytest.mark.parametrize(
    ("value", "expected"),
    [("zh-SG", "zh-Hans"), ("zh-MO", "zh-Hant"), ("en-GB", "en"), ("*", None), ("x-klingon", None)],
)
def test_match_language(value: str, expected: str | None) -> None:
    assert match_language(value) == expected


def test_every_interface_string_is_translated_in_both_chinese_catalogs() -> None:
    """Extracts the strings as `survey i18n extract` does; new UI text must come with translations."""
    method_map = [("survey_app/**.py", "python"), ("survey_app/**/templates/**.html", "jinja2")]
    options = {"survey_app/**/templates/**.html": {"trimmed": "true"}}
    wanted = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        wanted.add((context, msgid))
    assert len(wanted) > 50
    for locale in LOCALES:
        with (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        untranslated = sorted(
            msgid
            for context, msgid in wanted
            if not (entry := catalog.get(msgid, context=context)) or not entry.string or entry.fuzzy
        )
        assert not untranslated, f"{locale}: run `survey i18n update` and translate: {untranslated}"


def test_catalogs_are_compiled_when_missing_or_stale(tmp_path: Path) -> None:
    for locale in LOCALES:
        target = tmp_path / locale / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po", target)
    assert len(compile_catalogs(tmp_path)) == 2
    assert compile_catalogs(tmp_path) == []  # up to date
    po = tmp_path / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    os.utime(mo, (po.stat().st_mtime - 10, po.stat().st_mtime - 10))
    assert compile_catalogs(tmp_path) == [mo]
