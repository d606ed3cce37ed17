"""Is a shell step a diagnostic (it only reads) or a mitigation (it changes something)?

Each command of the step is judged by its program and, for the CLIs that say it in a word
(aws, kubectl, git, systemctl, docker, terraform), by its operation; `curl` by its method. One
change makes the whole step a mitigation, and so does a command Tocsin does not know: the
reason names the command and its line, and the author overrides it in the fence
(```` ```bash {kind=diagnostic} ````). A comment that tells the reader to KILL, DROP or
TRUNCATE something counts as a change too: the step is where that is done by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tocsin.core.shell import Command, Scan, scan

READERS = frozenset(
    {
        "cat", "head", "tail", "less", "more", "grep", "egrep", "fgrep", "zgrep", "rg", "awk",
        "jq", "yq", "echo", "printf", "date", "sleep", "true", "false", "ls", "wc", "sort",
        "uniq", "cut", "tr", "ps", "pgrep", "top", "df", "du", "free", "uptime", "dig",
        "nslookup", "host", "ping", "traceroute", "netstat", "ss", "whoami", "id", "hostname",
        "uname", "which", "test", "[", "[[", "column", "base64", "sha256sum", "md5sum", "stat",
        "file", "journalctl", "lsof", "vmstat", "iostat", "nc", "openssl", "expr", "seq",
        "basename", "dirname", "realpath", "readlink", "diff", "cmp", "zcat", "gunzip", "nproc",
        "getent", "curl", "wget", "http", "https", "xxd", "od", "tac", "nl", "paste", "join",
        "comm", "fold", "fmt", "sed", "find", "cd", "pwd", "set", "shopt", "exit", "return",
        "type", "command", "hash", "wait", ":", "env", "printenv", "case", "esac",
    }
)  # fmt: skip
WRAPPERS = frozenset({"sudo", "time", "nohup", "nice", "exec", "command", "builtin", "xargs"})
CHANGERS = frozenset(
    {
        "rm", "rmdir", "mv", "cp", "dd", "chmod", "chown", "chgrp", "ln", "mkdir", "touch", "kill",
        "pkill", "killall", "reboot", "shutdown", "halt", "poweroff", "restart", "tee", "truncate",
        "shred", "install", "crontab", "iptables", "useradd", "userdel", "passwd", "mount",
        "umount", "service", "npm", "yarn", "pnpm", "make", "ansible-playbook", "helm", "scp",
        "rsync", "ssh", "psql", "mysql", "redis-cli", "mongo", "mongosh",
    }
)  # fmt: skip
AWS_READ = re.compile(
    r"^(describe|get|list|lookup|filter|search|scan|query|select|batch-get|head|wait|tail"
    r"|ls|preview|estimate|validate|simulate|test-metric|decode|help)(-|$)"
)
GIT_READ = frozenset({"log", "show", "diff", "status", "blame", "rev-parse", "describe",
                      "shortlog", "ls-files", "ls-remote", "grep", "reflog", "fetch"})  # fmt: skip
KUBECTL_READ = frozenset({"get", "describe", "logs", "top", "explain", "version", "api-resources",
                          "cluster-info", "events", "auth", "diff"})  # fmt: skip
SYSTEMCTL_READ = frozenset({"status", "show", "list-units", "list-timers", "is-active",
                            "is-enabled", "is-failed", "cat", "list-unit-files"})  # fmt: skip
DOCKER_READ = frozenset({"ps", "logs", "inspect", "images", "stats", "top", "version", "info",
                         "events", "port", "history", "diff"})  # fmt: skip
TERRAFORM_READ = frozenset({"plan", "show", "output", "validate", "fmt", "state", "version",
                            "providers", "graph"})  # fmt: skip
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CURL_DATA = re.compile(r"^(-d|--data.*|-F|--form.*|-T|--upload-file|--json)$")
_Rule = Callable[[list[str]], "Verdict"]
SQL_CHANGE = re.compile(r"\b(KILL|DROP|TRUNCATE|DELETE\s+FROM|UPDATE\s+\S+\s+SET|ALTER)\b")


@dataclass(frozen=True, slots=True)
class Verdict:
    changes: bool
    reason: str


def classify(snippet: str | Scan) -> Verdict:
    """The first command that changes something decides; otherwise every one reads."""
    found = scan(snippet) if isinstance(snippet, str) else snippet
    reads: list[str] = []
    for command in found.commands:
        verdict = judge(command)
        if verdict.changes:
            return Verdict(True, f"{verdict.reason} (line {command.line + 1})")
        reads.append(verdict.reason)
    for line, target in found.writes:
        return Verdict(True, f"writes a file: > {target} (line {line + 1})")
    for line, text in found.comments:
        m = SQL_CHANGE.search(text)
        if m:
            return Verdict(True, f"a comment says to {m.group(1)} (line {line + 1})")
    if not reads:
        return Verdict(False, "no command")
    return Verdict(False, "reads only: " + ", ".join(dict.fromkeys(reads)))


def judge(command: Command) -> Verdict:
    words = _unwrapped(list(command.words))
    if not words:
        return Verdict(False, "nothing")
    program = words[0].rsplit("/", 1)[-1] if not words[0].startswith(".") else words[0]
    rule = _RULES.get(program)
    if rule is not None:
        return rule(words)
    if program in CHANGERS:
        return Verdict(True, f"{program} changes things")
    if program in READERS:
        return Verdict(False, program)
    return Verdict(True, f"unknown command {program}: treated as a change")


def _unwrapped(words: list[str]) -> list[str]:
    while words and (words[0] in WRAPPERS or (words[0] == "env" and len(words) > 1)):
        head = words.pop(0)
        while words and (words[0].startswith("-") or (head == "env" and "=" in words[0])):
            words.pop(0)
        if head == "nice" and words and words[0].isdigit():
            words.pop(0)
    if words and words[0] == "timeout":
        words = [w for w in words[1:] if not w.startswith("-")][1:]
    return words


def _operation(words: list[str], skip_values: frozenset[str] = frozenset()) -> list[str]:
    """The words that are not options (and not the values of options that take one)."""
    rest, skip = [], False
    for word in words[1:]:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in skip_values
        else:
            rest.append(word)
    return rest


def _aws(words: list[str]) -> Verdict:
    ops = _operation(words, frozenset({"--region", "--profile", "--output", "--endpoint-url"}))
    if len(ops) < 2:
        return Verdict(False, "aws " + " ".join(ops))
    service, op = ops[0], ops[1]
    if service == "s3" and op in ("ls", "presign"):
        return Verdict(False, f"aws s3 {op}")
    if AWS_READ.match(op):
        return Verdict(False, f"aws {service} {op}")
    return Verdict(True, f"aws {service} {op} changes AWS")


def _curl(words: list[str]) -> Verdict:
    method = None
    for i, word in enumerate(words):
        if word in ("-X", "--request") and i + 1 < len(words):
            method = words[i + 1].upper()
        elif word.startswith("-X") and len(word) > 2:
            method = word[2:].upper()
        elif CURL_DATA.match(word) and method is None:
            method = "POST"
        elif word in ("-I", "--head"):
            method = method or "HEAD"
    if method in WRITE_METHODS:
        return Verdict(True, f"{words[0]} -X {method}")
    return Verdict(False, f"{words[0]} {method or 'GET'}")


def _by_subcommand(reads: frozenset[str], what: str, skip: frozenset[str] = frozenset()) -> _Rule:
    def rule(words: list[str]) -> Verdict:
        ops = _operation(words, skip)
        sub = ops[0] if ops else ""
        if sub in reads or not sub:
            return Verdict(False, f"{words[0]} {sub}".strip())
        return Verdict(True, f"{words[0]} {sub} changes {what}")

    return rule


def _watch(words: list[str]) -> Verdict:
    inner = _operation(words, frozenset({"-n", "--interval", "-d"}))
    return classify(" ".join(inner)) if inner else Verdict(False, "watch")


def _shell(words: list[str]) -> Verdict:
    if "-c" in words and words.index("-c") + 1 < len(words):
        return classify(words[words.index("-c") + 1])
    return Verdict(True, f"{words[0]} runs a script: treated as a change")


def _sed(words: list[str]) -> Verdict:
    in_place = any(w == "-i" or w.startswith(("-i", "--in-place")) for w in words[1:])
    return Verdict(True, "sed -i edits a file") if in_place else Verdict(False, "sed")


def _find(words: list[str]) -> Verdict:
    if any(w in ("-delete", "-exec", "-execdir", "-ok") for w in words):
        return Verdict(True, "find -delete/-exec acts on files")
    return Verdict(False, "find")


_RULES: dict[str, _Rule] = {
    "aws": _aws,
    "curl": _curl,
    "http": lambda w: Verdict(
        any(x.upper() in WRITE_METHODS for x in w[1:2]), f"http {' '.join(w[1:2])}"
    ),
    "git": _by_subcommand(GIT_READ, "the repository", frozenset({"-C", "-c"})),
    "kubectl": _by_subcommand(KUBECTL_READ, "the cluster", frozenset({"-n", "--namespace"})),
    "systemctl": _by_subcommand(SYSTEMCTL_READ, "a service"),
    "docker": _by_subcommand(DOCKER_READ, "containers"),
    "terraform": _by_subcommand(TERRAFORM_READ, "infrastructure"),
    "watch": _watch,
    "bash": _shell,
    "sh": _shell,
    "sed": _sed,
    "find": _find,
}
