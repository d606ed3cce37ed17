"""Adapters made from plain settings and an environment: bootstrap.py reads `notifiers:` in
tocsin.yaml and hands each channel's values here. A channel whose secret variable is unset is
left out (`tocsin config check` names it), so a caller falls back to the next method."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tocsin.app.ports import Clock, Notifier
from tocsin.integrations.notifiers.email import EmailNotifier, SmtpSettings
from tocsin.integrations.notifiers.http import Timeouts
from tocsin.integrations.notifiers.ntfy import NtfyNotifier
from tocsin.integrations.notifiers.slack import SlackNotifier, SlackWebhookNotifier
from tocsin.integrations.notifiers.telegram import TelegramNotifier
from tocsin.integrations.notifiers.twilio import TwilioSmsNotifier, TwilioVoiceNotifier
from tocsin.integrations.notifiers.webhook import Webhook, WebhookNotifier

__all__ = ["SmtpSettings", "Timeouts", "Wiring"]

Secret = Callable[[str | None], str | None]  # variable name -> its value, None when unset


@dataclass(frozen=True, slots=True)
class Wiring:
    secret: Secret
    timeouts: Timeouts
    clock: Clock

    def slack(
        self, base_url: str, token_env: str | None, webhooks: Mapping[str, str]
    ) -> list[Notifier]:
        out: list[Notifier] = []
        token = self.secret(token_env)
        if token:
            out.append(SlackNotifier(token, base_url, self.timeouts, self.clock))
        urls = {name: url for name, env in webhooks.items() if (url := self.secret(env))}
        if urls:
            out.append(SlackWebhookNotifier(urls, self.timeouts, self.clock))
        return out

    def telegram(self, base_url: str, token_env: str) -> list[Notifier]:
        token = self.secret(token_env)
        return [TelegramNotifier(token, base_url, self.timeouts, self.clock)] if token else []

    def twilio(self, base_url: str, sid_env: str, token_env: str, from_env: str) -> list[Notifier]:
        sid, token, number = self.secret(sid_env), self.secret(token_env), self.secret(from_env)
        if not (sid and token and number):
            return []
        return [
            TwilioSmsNotifier(sid, token, number, base_url, self.timeouts, self.clock),
            TwilioVoiceNotifier(sid, token, number, base_url, self.timeouts, self.clock),
        ]

    def email(
        self, settings: SmtpSettings, username_env: str | None, password_env: str | None
    ) -> list[Notifier]:
        if username_env is not None:
            username, password = self.secret(username_env), self.secret(password_env)
            if not (username and password):
                return []
            settings = dataclasses.replace(settings, username=username, password=password)
        return [EmailNotifier(settings, self.timeouts, self.clock)]

    def ntfy(self, base_url: str, token_env: str | None) -> list[Notifier]:
        token = self.secret(token_env)
        if token_env is not None and not token:
            return []
        return [NtfyNotifier(base_url, token, self.timeouts, self.clock)]

    def webhooks(self, hooks: Mapping[str, tuple[str, str | None]], source: str) -> list[Notifier]:
        ready = {
            name: Webhook(url, self.secret(env))
            for name, (url, env) in hooks.items()
            if env is None or self.secret(env)
        }
        return [WebhookNotifier(ready, source, self.timeouts, self.clock)] if ready else []
