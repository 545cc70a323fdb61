"""Invitation and reminder e-mails: RFC 8058 headers, escaping, languages."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from channels.email import Invitation, build_message, render_invitation, unsubscribe_headers

UNSUBSCRIBE = "https://survey.example.org/u/tok123"


def invitation(**changes: object) -> Invitation:
    values: dict[str, object] = {
        "survey_title": "Customer satisfaction 2025",
        "respondent_name": "Li Wei",
        "link": "https://survey.example.org/s/abc?lang=en&x=1",
        "unsubscribe_link": UNSUBSCRIBE,
        "language": "en",
        "sender_organisation": "Acme Research",
    }
    values.update(changes)
    return Invitation(**values)  # type: ignore[arg-type]


def test_one_click_unsubscribe_headers_rfc8058() -> None:
    rendered = render_invitation(invitation())
    assert rendered.headers["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert rendered.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    "link",
    ["http://survey.example.org/u/1", "mailto:stop@example.org", "https://", "https://x.org/u\r\nBcc: a@b.c"],
)
def test_unsubscribe_link_must_be_https(link: str) -> None:
    with pytest.raises(ValueError, match="unsubscribe link"):
        unsubscribe_headers(link)


@pytest.mark.parametrize("link", ["javascript:alert(1)", "ftp://x.org/s", "/relative"])
def test_survey_link_must_be_absolute_http(link: str) -> None:
    with pytest.raises(ValueError, match="survey link"):
        render_invitation(invitation(link=link))


def test_html_escapes_names_and_titles() -> None:
    rendered = render_invitation(
        invitation(
            respondent_name="<script>alert('x')</script>",
            survey_title='Q&A <script>alert("t")</script>',
            sender_organisation="Smith & Sons <b>",
        )
    )
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in rendered.html
    assert "Q&amp;A &lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in rendered.html
    assert "Smith &amp; Sons &lt;b&gt;" in rendered.html
    assert 'href="https://survey.example.org/s/abc?lang=en&amp;x=1"' in rendered.html
    # the plain-text part is not HTML: it carries the words as they are
    assert "Dear <script>alert('x')</script>," in rendered.text


def test_subject_never_carries_line_breaks() -> None:
    rendered = render_invitation(invitation(survey_title="Survey\r\nBcc: victim@example.org"))
    assert rendered.subject == "Your opinion on Survey Bcc: victim@example.org"


@pytest.mark.parametrize(
    ("language", "reminder", "subject", "greeting"),
    [
        ("en", False, "Your opinion on Customer satisfaction 2025", "Dear Li Wei,"),
        ("en", True, "Reminder: your opinion on Customer satisfaction 2025", "Dear Li Wei,"),
        ("zh-Hans", False, "诚邀您参与：Customer satisfaction 2025", "Li Wei，您好："),
        ("zh-Hans", True, "提醒：诚邀您参与：Customer satisfaction 2025", "Li Wei，您好："),
        ("zh-Hant", False, "誠邀您參與：Customer satisfaction 2025", "Li Wei，您好："),
        ("zh-TW", True, "提醒：誠邀您參與：Customer satisfaction 2025", "Li Wei，您好："),
    ],
)
def test_languages(language: str, reminder: bool, subject: str, greeting: str) -> None:
    rendered = render_invitation(invitation(language=language, is_reminder=reminder))
    assert rendered.subject == subject
    assert rendered.text.startswith(greeting)
    assert f'<html lang="{language}">' in rendered.html
    assert rendered.headers["Content-Language"] == language


def test_anonymous_greeting() -> None:
    assert render_invitation(invitation(respondent_name=None)).text.startswith("Hello,")
    assert render_invitation(invitation(respondent_name="  ", language="zh-Hans")).text.startswith("您好：")


def test_plain_text_holds_both_links() -> None:
    text = render_invitation(invitation()).text
    assert "https://survey.example.org/s/abc?lang=en&x=1" in text
    assert UNSUBSCRIBE in text


def test_build_message_is_multipart_alternative_and_survives_serialisation() -> None:
    rendered = render_invitation(invitation(language="zh-Hans", survey_title="客户满意度调查"))
    message = build_message(rendered, sender="Acme <survey@example.org>", recipient="li@example.org")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["Subject"] == "诚邀您参与：客户满意度调查"
    assert parsed["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Content-Language"] == "zh-Hans"  # set_content() used to drop it
    assert parsed["To"] == "li@example.org"
    plain = parsed.get_body(("plain",))
    assert plain is not None
    assert "客户满意度调查" in plain.get_content()
