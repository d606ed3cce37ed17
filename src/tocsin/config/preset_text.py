"""The commented text shared by every preset tocsin.yaml.

Comment style: `# text` (one space, then text) explains; every other comment line, such as
`#key: value` or `#  - item`, is an example that works once its `#` is deleted.
"""

from __future__ import annotations

HEADER = """\
# tocsin.yaml: how __ORGANIZATION_TEXT__ runs incidents (incident response as code).
# Tocsin reads this file at start-up; a mistake is reported with its line and how to fix it.
# `# text` lines explain; `#key: value` lines are examples: delete the # to use them.
# Secrets never go in this file: `notifiers:` names the environment variables that hold them.

version: 1  # the format of this file
organization: __ORGANIZATION__  # shown in messages and on the web pages

# Severities, most severe first. For each one:
# * key: what people type and read, as in `--severity __FIRST__`
# * label, emoji: shown with the key, as in "__TITLE__"
# * description: when to pick it; examples: typical incidents
# * response_target: time to acknowledge before escalation moves on
# * update_every: how often responders owe a status update (leave out for none)
# * postmortem: required: true makes one due within due_within (48h when left out)
# * paging: true (the default) pages the on-call person; false only posts to the channels
# Durations are written 30s, 15m, 1h, 1h30m or 2d.
"""

TAIL = """\
# The severity used when none is given. Left out, Tocsin asks for one.
#default_severity: __DEFAULT__

# Services: what can break. `name` is used in commands and alert routing.
#services:
#  - name: payments-api
#    description: Card payments and refunds
#    owner: ann  # a handle from people below
#    tier: 1  # 1 (most critical) to 4
#    tenants: [acme]  # tenants it serves, to scope incidents to some of them
#    health_urls:  # checked before an incident is resolved
#      - https://api.example.com/health

# People: who responds. `handle` is the short name used everywhere else. email, slack,
# telegram and phone (SMS and voice calls, in quotes) are shorthands; contact_methods adds
# any method with a label: kind is email, slack, slack_webhook, telegram, sms, voice, ntfy or
# webhook. notification_rules page in steps (at once, then after 5 minutes, ...) naming kinds
# or labels; without rules every method is used at once. on_holiday hands the person's
# shifts to someone else (dates in their time zone, `to` included).
#people:
#  - handle: ann
#    name: Ann Example
#    email: ann@example.com
#    slack: U012AB3CD  # Slack member id
#    telegram: "123456789"  # Telegram user id
#    phone: "+49 170 1234567"  # in quotes, or YAML reads it as a number
#    timezone: Europe/Berlin  # an IANA time zone name
#    contact_methods:
#      - {kind: ntfy, address: ann-pages, label: push}
#    notification_rules:
#      - {after: 0m, methods: [push, slack]}
#      - {after: 5m, methods: [voice]}  # a phone call if nobody acknowledged yet
#  - handle: bob
#    name: Bob Example
#    email: bob@example.com
#    phone: "+1 555 010 0199"
#    timezone: America/New_York
#    on_holiday: {from: 2026-12-24, to: 2026-12-31, handed_to: ann}
__PEOPLE_EXTRA__
# Schedules: who is on call when. A layer hands on call to the next person in `people` every
# `rotation` (daily, weekly, 2w, or a length like 36h) at `handoff`, local time in the
# schedule's time_zone, from the local date `start`; a shift across a clock change is as long
# as the wall clock says. `restrictions` keep a layer to weekly windows (days, from, to); a
# later layer wins where it has someone. `tocsin oncall` says who is on call now.
__SCHEDULES__
# Channels: where announcements and updates go (and what an escalation step's
# channel:NAME posts to). A channel says where: a Slack channel id, a Telegram chat, e-mail
# recipients, or the name of an outbound webhook. How Tocsin reaches each service is
# `notifiers:` below, the one place for servers and secrets.
#channels:
#  - {name: incidents, type: slack, channel: C0123INCIDENTS}  # posted as the Slack bot
#  - {name: oncall-chat, type: telegram, chat_id: "-1001234567890"}
#  - {name: status-mail, type: email, to: [status@example.com]}
#  - {name: audit, type: webhook}  # notifiers.webhooks.audit

# Notifiers: how Tocsin reaches Slack, Telegram, SMTP, Twilio (SMS and calls), ntfy and
# webhooks. The *_env keys hold the NAMES of environment variables, never the secrets
# themselves; `tocsin config check` names each one that is unset. A channel left out is
# not used: a page to someone reached only through it goes to their next method.
#notifiers:
#  slack: {bot_token_env: SLACK_BOT_TOKEN, signing_secret_env: SLACK_SIGNING_SECRET}
#  telegram: {bot_token_env: TELEGRAM_BOT_TOKEN}
#  email:
#    host: smtp.example.com
#    from: tocsin@example.com
#    username_env: SMTP_USERNAME
#    password_env: SMTP_PASSWORD
#  twilio:
#    account_sid_env: TWILIO_ACCOUNT_SID
#    auth_token_env: TWILIO_AUTH_TOKEN
#    from_number_env: TWILIO_FROM_NUMBER
#  ntfy: {base_url: "https://ntfy.sh"}
#  webhooks:
#    audit: {url: "https://hooks.example.com/tocsin", secret_env: TOCSIN_WEBHOOK_SECRET}

# Escalation: who is paged, and when, while nobody acknowledges. A step notifies
# schedule:NAME (whoever is on call then), person:HANDLE or channel:NAME, `after` the
# incident was declared, optionally only for some severities or with customer impact.
__ESCALATION__
# Messages: Tocsin renders one, ready to paste, when an incident is declared, acknowledged,
# updated, mitigated and resolved. `messages` picks the built-in ones: p1-p4 writes the blocks
# of the P1-P4 runbook (🚨 INCIDENT, ✅ RESOLVED), sev1-sev3 the sentences of the SEV-1 runbook
# ("Investigating …", "Mitigated by …", "Resolved. Root cause was …").
messages: __MESSAGES__

# Message templates (Jinja2): announcement, acknowledged, update, mitigated, resolved.
# Leave one out to use the built-in message; write one to replace it, for example:
#templates:
__TEMPLATE_EXAMPLE__

# Alert routing: integrations (`tocsin integration add`) send alerts; routes, tried in order,
# give each a service, a severity and whether to declare an incident (auto, suggest, never).
# An alert no route matches takes `default`: critical and error alerts (__SECOND__ or more
# severe) declare an incident at once, so none goes unseen; warnings and below are suggested
# on the dashboard and by `tocsin alert suggestions`, for a person to declare or dismiss.
# A declared incident pages by its escalation policy (above). Write `auto_declare_at: null`
# under default to only suggest.
#routing:
#  routes:
#    - match: ["service=payments-api", "env=~prod.*"]
#      severity_map: {critical: __FIRST__}
#      declare: auto
#  default:
#    declare: suggest
#    auto_declare_at: __SECOND__  # this severity or a more severe one declares at once

# Storage: a SQLite file by default; the TOCSIN_DATABASE_URL environment variable wins over url.
database:
#  url: postgresql+psycopg://tocsin@localhost/tocsin
  sqlite_synchronous: NORMAL  # FULL survives power loss on SQLite, at some speed
"""
