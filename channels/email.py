"""Invitation and reminder e-mails: subject, plain text and HTML, with one-click unsubscribe.

E-mail is not an interview channel (the respondent answers on the web page behind the link), so
there is no ``render``/``parse`` pair here: :func:`render_invitation` returns the content and
:func:`build_message` a stdlib ``EmailMessage``. Sending belongs to the application's SMTP
transport.

Every message carries RFC 8058 one-click unsubscribe headers::

    List-Unsubscribe: <https://...>
    List-Unsubscribe-Post: List-Unsubscribe=One-Click

The unsubscribe link must be HTTPS and must accept a POST with the body
``List-Unsubscribe=One-Click`` (without cookies or a confirmation page); RFC 8058 also requires
the DKIM signature to cover both headers, which is the sending MTA's job. All interpolated
values are escaped in the HTML part, and header values lose line breaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

from markupsafe import Markup

from channels.texts import language_family

EMAIL_TEXTS: dict[str, dict[str, str]] = {
    "subject": {
        "en": "Your opinion on {title}",
        "zh-Hans": "诚邀您参与：{title}",
        "zh-Hant": "誠邀您參與：{title}",
    },
    "subject_reminder": {
        "en": "Reminder: your opinion on {title}",
        "zh-Hans": "提醒：诚邀您参与：{title}",
        "zh-Hant": "提醒：誠邀您參與：{title}",
    },
    "greeting": {"en": "Dear {name},", "zh-Hans": "{name}，您好：", "zh-Hant": "{name}，您好："},
    "greeting_anonymous": {"en": "Hello,", "zh-Hans": "您好：", "zh-Hant": "您好："},
    "invite": {
        "en": "{organisation} invites you to take part in the survey “{title}”.",
        "zh-Hans": "{organisation}诚邀您参与“{title}”调查。",
        "zh-Hant": "{organisation}誠邀您參與「{title}」調查。",
    },
    "remind": {
        "en": "We have not yet received your answers to the survey “{title}” from {organisation}. "
        "It is not too late to take part.",
        "zh-Hans": "我们尚未收到您对{organisation}“{title}”调查的回答，现在参与仍然来得及。",
        "zh-Hant": "我們尚未收到您對{organisation}「{title}」調查的回答，現在參與仍然來得及。",
    },
    "start": {"en": "Start the survey", "zh-Hans": "开始填写问卷", "zh-Hant": "開始填寫問卷"},
    "unsubscribe": {
        "en": "To stop receiving e-mails about this survey, unsubscribe",
        "zh-Hans": "如不希望再收到有关本调查的邮件，请退订",
        "zh-Hant": "如不希望再收到有關本調查的郵件，請退訂",
    },
    "thanks": {"en": "Thank you,", "zh-Hans": "谢谢！", "zh-Hant": "謝謝！"},
}


@dataclass(frozen=True, slots=True)
class Invitation:
    """Who is invited to what, in which language."""

    survey_title: str
    respondent_name: str | None
    link: str
    """The respondent's personal survey link (http or https)."""
    unsubscribe_link: str
    """The one-click unsubscribe endpoint (https, accepts POST)."""
    language: str
    sender_organisation: str
    is_reminder: bool = False


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """The content of one e-mail: subject, both bodies and the extra headers."""

    subject: str
    text: str
    html: str
    headers: Mapping[str, str]
    language: str


def _t(key: str, language: str, **params: str) -> str:
    variants = EMAIL_TEXTS[key]
    return variants.get(language, variants[language_family(language)]).format(**params)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _check_url(url: str, schemes: tuple[str, ...], what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.netloc or any(ch in url for ch in '\r\n<> "'):
        raise ValueError(f"{what} must be an absolute {' or '.join(schemes)} URL, got {url!r}")
    return url


def unsubscribe_headers(unsubscribe_link: str) -> dict[str, str]:
    """Return the RFC 8058 one-click unsubscribe headers for an HTTPS endpoint."""
    link = _check_url(unsubscribe_link, ("https",), "the unsubscribe link")
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def render_invitation(invitation: Invitation) -> RenderedEmail:
    """Return the subject, plain-text and HTML bodies and headers of an invitation or reminder."""
    language = invitation.language
    link = _check_url(invitation.link, ("https", "http"), "the survey link")
    headers = unsubscribe_headers(invitation.unsubscribe_link)
    title = _one_line(invitation.survey_title)
    organisation = _one_line(invitation.sender_organisation)
    name = _one_line(invitation.respondent_name or "")
    subject = _t("subject_reminder" if invitation.is_reminder else "subject", language, title=title)
    greeting = _t("greeting", language, name=name) if name else _t("greeting_anonymous", language)
    body = _t(
        "remind" if invitation.is_reminder else "invite", language, title=title, organisation=organisation
    )
    start, unsubscribe = _t("start", language), _t("unsubscribe", language)
    thanks = _t("thanks", language)
    plain = "\n".join(
        [
            greeting,
            "",
            body,
            "",
            f"{start}:",
            link,
            "",
            thanks,
            organisation,
            "",
            f"{unsubscribe}:",
            invitation.unsubscribe_link,
            "",
        ]
    )
    html = Markup(
        '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{subject}</title></head>\n'
        "<body>\n<p>{greeting}</p>\n<p>{body}</p>\n"
        '<p><a href="{link}">{start}</a></p>\n'
        "<p>{thanks}<br>{organisation}</p>\n"
        '<p style="font-size:small"><a href="{unsubscribe_link}">{unsubscribe}</a></p>\n</body></html>\n'
    ).format(
        lang=language,
        subject=subject,
        greeting=greeting,
        body=body,
        link=link,
        start=start,
        thanks=thanks,
        organisation=organisation,
        unsubscribe_link=invitation.unsubscribe_link,
        unsubscribe=unsubscribe,
    )
    headers["Content-Language"] = language
    return RenderedEmail(
        subject=_one_line(subject), text=plain, html=str(html), headers=headers, language=language
    )


def build_message(rendered: RenderedEmail, *, sender: str, recipient: str) -> EmailMessage:
    """Return a multipart/alternative message (plain text first, then HTML) ready for a transport."""
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = sender
    message["To"] = recipient
    # After the body: set_content() clears every Content-* header (Content-Language included).
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for name, value in rendered.headers.items():
        message[name] = value
    return message
