"""Acknowledge from anywhere: the signed links pages carry, and what using one does."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from tocsin.app.incidents import IncidentService, Outcome
from tocsin.app.ports import Clock
from tocsin.core.acklinks import LIFETIME, AckClaim, BadAckLink, sign, verify
from tocsin.core.errors import DomainError


class AckLinks:
    def __init__(
        self,
        secret: bytes,
        public_url: str | None,
        clock: Clock,
        incidents: IncidentService,
        lifetime: timedelta = LIFETIME,
    ) -> None:
        self._secret = secret
        self._base = public_url.rstrip("/") if public_url else None
        self._clock = clock
        self._incidents = incidents
        self._lifetime = lifetime

    def token(self, number: int, who: str, page: str) -> str:
        claim = AckClaim(number, who, page, self._clock.now() + self._lifetime)
        return sign(self._secret, claim)

    def link(self, number: int, who: str, page: str) -> str | None:
        """The link a page to `who` carries; None without a public URL (the page then says
        to acknowledge in Tocsin)."""
        if self._base is None:
            return None
        return f"{self._base}/ack/{quote(self.token(number, who, page))}"

    def claim(self, token: str) -> AckClaim:
        return verify(self._secret, token, self._clock.now())

    def acknowledge(self, token: str, via: str) -> Outcome:
        """Acknowledge as the person paged. A used (or replayed) link refuses: the incident
        is acknowledged already, and nothing changes."""
        claim = self.claim(token)
        incident = self._incidents.get(claim.incident)
        if incident.acknowledged_at is not None or not incident.status.is_open:
            raise BadAckLink(
                f"{incident.id} was already acknowledged or is no longer open; nothing changed"
            )
        try:
            return self._incidents.acknowledge(claim.incident, claim.who, via=via)
        except DomainError as exc:
            raise BadAckLink(str(exc)) from None
