"""The SMTP transport on its own: sign-in, configuration errors, reply classification."""

from __future__ import annotations

import socket
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from survey_app.config import Settings
from survey_app.integrations.smtp import (
    MailNotConfigured,
    PermanentMailError,
    SmtpTransport,
    TemporaryMailError,
    mail_problems,
)

# The loopback server below takes AUTH without TLS on purpose (no certificate in the test suite).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


class Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's naming)
        self.messages.append(envelope.content)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"mailer",
        b"s3cret",
    )
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def auth_server():
    sink, port = Sink(), free_port()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_require_tls=False,  # loopback test only: production uses STARTTLS or SSL
        auth_required=True,
    )
    controller.start()
    yield sink, port
    controller.stop()


def settings(port: int, **values: object) -> Settings:
    base = {
        "DATABASE_URL": "sqlite://",
        "SURVEY_SMTP_HOST": "127.0.0.1",
        "SURVEY_SMTP_PORT": port,
        "SURVEY_SMTP_SECURITY": "none",
        "SURVEY_MAIL_FROM": "survey@example.org",
    }
    return Settings.model_validate({**base, **values})


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "survey@example.org", "ann@example.org", "Hello"
    mail.set_content("Hello")
    return mail


def test_signs_in_with_the_configured_account(auth_server) -> None:
    sink, port = auth_server
    with SmtpTransport(
        settings(port, SURVEY_SMTP_USERNAME="mailer", SURVEY_SMTP_PASSWORD="s3cret")
    ) as transport:
        transport.send(message())
        transport.send(message())  # the same connection
    assert len(sink.messages) == 2


def test_a_refused_sign_in_is_temporary_and_names_the_server(auth_server) -> None:
    _sink, port = auth_server
    transport = SmtpTransport(settings(port, SURVEY_SMTP_USERNAME="mailer", SURVEY_SMTP_PASSWORD="wrong"))
    with pytest.raises(TemporaryMailError, match="cannot connect or sign in to the SMTP server"):
        transport.send(message())


def test_a_server_that_wants_sign_in_refuses_anonymous_mail(auth_server) -> None:
    _sink, port = auth_server
    with pytest.raises(PermanentMailError) as error, SmtpTransport(settings(port)) as transport:
        transport.send(message())
    assert error.value.code == 530


def test_nobody_listening_is_temporary() -> None:
    with pytest.raises(TemporaryMailError, match="cannot connect"):
        SmtpTransport(settings(free_port())).send(message())


def test_missing_settings_are_named() -> None:
    empty = Settings.model_validate({"DATABASE_URL": "sqlite://"})
    assert mail_problems(empty) == ["SURVEY_SMTP_HOST", "SURVEY_MAIL_FROM"]
    with pytest.raises(
        MailNotConfigured, match="E-mail is not configured: set SURVEY_SMTP_HOST, SURVEY_MAIL_FROM"
    ):
        SmtpTransport(empty)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SURVEY_SMTP_SECURITY", "tls", "must be starttls, ssl or none"),
        ("SURVEY_SMTP_PORT", "70000", "must be a TCP port"),
    ],
)
def test_bad_smtp_settings_are_refused_clearly(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        settings(25, **{name: value})


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command line tool)."""
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the openssl command is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def trust(certificate, monkeypatch):
    """Make the transport trust the test certificate (as a system CA would trust a real one)."""
    import ssl

    cert, _key = certificate
    original = ssl.create_default_context

    def context(*args: object, **kwargs: object) -> ssl.SSLContext:
        return original(cafile=cert)

    monkeypatch.setattr("survey_app.integrations.smtp.ssl.create_default_context", context)


@pytest.mark.usefixtures("trust")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_starttls_and_ssl_with_sign_in(certificate, security: str) -> None:
    import ssl

    cert, key = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # (create_default_context is patched)
    server_context.load_cert_chain(cert, key)
    sink, port = Sink(), free_port()
    # aiosmtpd does not count implicit TLS as TLS for AUTH (it is): allow AUTH there explicitly.
    tls = (
        {"tls_context": server_context, "require_starttls": True}
        if security == "starttls"
        else {"auth_require_tls": False}
    )
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_required=True,
        ssl_context=server_context if security == "ssl" else None,
        server_hostname="127.0.0.1",
        **tls,
    )
    controller.start()
    try:
        config = settings(
            port, SURVEY_SMTP_SECURITY=security, SURVEY_SMTP_USERNAME="mailer", SURVEY_SMTP_PASSWORD="s3cret"
        )
        with SmtpTransport(config) as transport:
            transport.send(message())
    finally:
        controller.stop()
    assert len(sink.messages) == 1


def test_an_untrusted_certificate_is_refused(certificate) -> None:
    import ssl

    cert, key = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # (create_default_context is patched)
    server_context.load_cert_chain(cert, key)
    sink, port = Sink(), free_port()
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, tls_context=server_context, require_starttls=True
    )
    controller.start()
    try:
        with pytest.raises(TemporaryMailError, match="cannot connect or sign in"):
            SmtpTransport(settings(port, SURVEY_SMTP_SECURITY="starttls")).send(message())
    finally:
        controller.stop()
    assert sink.messages == []
