"""Previews: clicking through the web pages with real validation, and the SMS, IVR and agent views."""

from __future__ import annotations

import random
import re
import string

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from survey_app.designs.models import QuestionnaireVersion
from survey_app.surveys.models import Interview
from tests.survey_app.designs.helpers import form_data, html, reload, sample


def start(client: FlaskClient, record, lang: str = "en") -> tuple[str, str]:
    url = f"/questionnaires/{record.id}/preview?language={lang}"
    response = client.get(url)
    assert response.status_code == 200
    return url, html(response)


def submit(client: FlaskClient, url: str, page: str, changes: dict) -> tuple[str, str]:
    """Post the page like a browser (its hidden fields included); return the address and next page."""
    response = client.post(url, data=form_data(page, "", changes))
    assert response.status_code == 200
    return url, html(response)


def state_of(page: str) -> str:
    match = re.search(r'name="_preview_state" value="([^"]+)"', page)
    assert match, "the preview page carries its state in a hidden field"
    return match.group(1)


def test_web_preview_walks_with_real_validation(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    url, page = start(client, record)
    assert "Preview" in page
    assert "nothing is saved" in page
    assert "How satisfied are you, Alex?" in page  # a sample contact is piped in
    assert "What went wrong?" not in page  # depends on this page's answer: next step
    url, page = submit(client, url, page, {})
    assert "Please answer this question." in page
    url, page = submit(client, url, page, {"sat": "1"})
    assert "What went wrong?" in page
    url, page = submit(client, url, page, {"_action": "back"})
    assert re.search(r'<input[^>]* checked [^>]*value="1"', page)  # the answer is kept to change
    url, page = submit(client, url, page, {"sat": "5"})
    assert "Which channels do you use?" in page  # sat 5 skips "what went wrong"
    url, page = submit(client, url, page, {"channels": ["web", "__dont_know"], "age": "40"})
    assert "Don&#39;t know" in page
    assert "age" in page
    url, page = submit(client, url, page, {"channels": "web", "age": "12"})
    assert "18" in page
    url, page = submit(client, url, page, {"channels": "web", "age": "40"})
    assert "Thank you, Alex!" in page
    assert reload(db_session, record).draft_revision == 1
    assert db_session.exec(select(func.count()).select_from(Interview)).one() == 0
    assert db_session.exec(select(func.count()).select_from(QuestionnaireVersion)).one() == 0


def test_web_preview_in_chinese(client: FlaskClient, researcher, make_questionnaire) -> None:
    record = make_questionnaire()
    url, page = start(client, record, "zh-Hans")
    assert "Alex，您满意吗？" in page
    assert '<html lang="zh-Hans">' in page
    assert "下一页" in page
    url, page = submit(client, url, page, {})
    assert "请回答此题。" in page
    # The preview's language links stay in the preview (?language=), not the site's ?lang= switch.
    assert f'href="/questionnaires/{record.id}/preview?language=en"' in page
    assert "?lang=" not in page
    # Previewing in Chinese does not switch the researcher's own pages to Chinese.
    assert '<html lang="en">' in html(client.get(f"/questionnaires/{record.id}"))
    sms = html(client.get(f"/questionnaires/{record.id}/preview/sms?language=zh-Hans"))
    assert "满意吗？回复1-5" in sms
    assert '<html lang="en">' in sms


def test_web_preview_restarts_when_the_state_is_tampered_or_outdated(
    client: FlaskClient, researcher, make_questionnaire
) -> None:
    record = make_questionnaire()
    url, page = start(client, record)
    url, page = submit(client, url, page, {"sat": "5"})
    assert "Which channels do you use?" in page
    tampered = html(client.post(url, data=form_data(page, "", {"_preview_state": "x" + state_of(page)})))
    assert "The draft has changed since this preview started" in tampered
    assert "How satisfied are you, Alex?" in tampered  # back on the first page
    client.post(
        f"/questionnaires/{record.id}/definition",
        data={"text": "id: trial\ntitle: Trial\npages: []\n", "format": "yaml", "draft_revision": 1},
    )
    outdated = client.post(url, data=form_data(page, "", {}))
    assert "The draft has errors, so it cannot be previewed" in html(outdated)


def test_outdated_preview_starts_again(client: FlaskClient, researcher, make_questionnaire) -> None:
    record = make_questionnaire()
    url, page = start(client, record)
    structure = f"/questionnaires/{record.id}/structure"
    client.post(structure, data={"draft_revision": 1, "action": "down", "page": 1, "question": 0})
    response = client.post(url, data=form_data(page, "", {"sat": "5"}))
    assert response.status_code == 200
    assert "The draft has changed since this preview started" in html(response)


def test_web_preview_state_stays_out_of_the_address_with_long_answers(
    client: FlaskClient, researcher, make_questionnaire
) -> None:
    # A long typed answer used to travel in the page address and outgrow a server's request line.
    record = make_questionnaire()
    url, page = start(client, record)
    url, page = submit(client, url, page, {"sat": "1"})
    assert "What went wrong?" in page
    rng = random.Random(3)  # varied text: the signed state is compressed
    words = ("".join(rng.choices(string.ascii_letters + string.digits, k=9)) for _ in range(480))
    long_answer = "The parcel arrived late and damaged: " + " ".join(words)  # under the 5,000 limit
    url, page = submit(client, url, page, {"why": long_answer})
    assert "Which channels do you use?" in page, page[
        page.find("error-summary") : page.find("error-summary") + 600
    ]
    assert url == f"/questionnaires/{record.id}/preview?language=en"
    assert len(state_of(page)) > 4096  # it would not have fitted in a request line
    url, page = submit(client, url, page, {"_action": "back"})
    assert long_answer in page  # the answer came back from the state


@pytest.mark.parametrize(
    ("lang", "sms", "encoding", "options"),
    [("en", "Satisfied? Reply 1-5", "GSM-7", "1 Web"), ("zh-Hans", "满意吗？回复1-5", "UCS-2", "1 网站")],
)
def test_sms_preview(
    client: FlaskClient, researcher, make_questionnaire, lang, sms, encoding, options
) -> None:
    record = make_questionnaire()
    page = html(client.get(f"/questionnaires/{record.id}/preview/sms?language={lang}"))
    assert sms in page
    assert encoding in page
    assert "1 segment" in page
    assert options in page  # a question without an SMS text: the adapter composes it


@pytest.mark.parametrize(
    ("lang", "prompt", "voice", "intro"),
    [
        ("en", "Press 1 to 5.", "Polly.Joanna", "Hello Alex, a short survey."),
        ("zh-Hans", "请按1到5。", "Polly.Zhiyu", "Alex您好，这是一个简短的调查。"),
    ],
)
def test_ivr_preview(client: FlaskClient, researcher, make_questionnaire, lang, prompt, voice, intro) -> None:
    record = make_questionnaire()
    page = html(client.get(f"/questionnaires/{record.id}/preview/ivr?language={lang}"))
    assert prompt in page
    assert voice in page
    assert intro in page
    assert "<kbd>1</kbd>" in page
    assert "<kbd>8</kbd>" in page


@pytest.mark.parametrize(
    ("lang", "intro", "instruction"),
    [
        ("en", "Hello Alex, a short survey.", "Read the ends only"),
        ("zh-Hans", "Alex您好，这是一个简短的调查。", "只读两端"),
    ],
)
def test_agent_preview(client: FlaskClient, researcher, make_questionnaire, lang, intro, instruction) -> None:
    record = make_questionnaire()
    page = html(client.get(f"/questionnaires/{record.id}/preview/agent?language={lang}"))
    assert intro in page
    assert instruction in page
    assert "<kbd>D</kbd>" in page  # special answers keyed for the agent, not read out


@pytest.mark.parametrize("channel", ["sms", "ivr", "agent"])
def test_previews_of_a_draft_with_errors_show_the_errors(
    client: FlaskClient, researcher, make_questionnaire, channel: str
) -> None:
    document = sample()
    document["pages"][0]["questions"][1]["show_if"] = "nope > 1"
    record = make_questionnaire(document)
    for url in (f"/questionnaires/{record.id}/preview/{channel}", f"/questionnaires/{record.id}/preview"):
        page = html(client.get(url))
        assert "The draft has errors, so it cannot be previewed" in page
        assert "pages[0].questions[1].show_if" in page
