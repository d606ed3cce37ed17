"""A real SMTP server (aiosmtpd) on 127.0.0.1: STARTTLS with a certificate made for the test,
AUTH LOGIN/PLAIN required after TLS, every accepted message recorded. Recipients can be
scripted to be refused for good (550) or for now (451)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.tls import localhost_certificate


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: str | None

    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> "550 …" or "451 …"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd calls hooks by these names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        login = (
            session.auth_data.login.decode()
            if isinstance(session.auth_data, LoginPassword)
            else None
        )
        content = envelope.original_content or b""
        tls = server._tls_protocol is not None
        self.received.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), content, tls, login)
        )
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's Controller on a port the system picks."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: Handler
    client_tls: ssl.SSLContext  # trusts the server's certificate

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@contextmanager
def smtp_server(
    directory: Path, username: str, password: str, starttls: bool = True
) -> Iterator[SmtpServer]:
    cert = localhost_certificate(directory)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert.cert, cert.key)

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == username
            and data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    handler = Handler()
    controller = _Controller(
        handler,
        hostname="127.0.0.1",
        port=0,
        tls_context=server_tls if starttls else None,
        require_starttls=starttls,
        authenticator=authenticate,
        auth_require_tls=starttls,
        auth_required=starttls,
    )
    controller.start()
    try:
        yield SmtpServer(
            "127.0.0.1", controller.port, handler, ssl.create_default_context(cafile=str(cert.cert))
        )
    finally:
        controller.stop()


@contextmanager
def silent_server(close: bool = False) -> Iterator[int]:
    """A TCP port that accepts connections and never greets (or closes them at once)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if close:
                conn.close()
            else:
                held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
