"""Reading a shell snippet without running it: its commands, the variables it uses and the
ones it sets, and what keeps it from parsing (an open quote, an unclosed `$(`).

Not a shell: enough of bash's quoting to find `$NAME` and `${NAME}` where bash would expand
them (not inside single quotes or comments), the commands for classification (including those
inside `$(…)` and backticks), and the redirections that write a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=")
DECLARERS = frozenset({"export", "local", "declare", "readonly", "typeset"})
KEYWORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time"}
)
SPECIAL = frozenset("@*#?$!-0123456789")
# What the shell or Tocsin's clean environment provides: never a step's own variable.
PROVIDED = frozenset(
    {
        "HOME", "PATH", "LANG", "PWD", "OLDPWD", "USER", "LOGNAME", "SHELL", "HOSTNAME", "IFS",
        "RANDOM", "SECONDS", "LINENO", "UID", "EUID", "PPID", "BASHPID", "BASH", "BASH_VERSION",
        "BASH_SOURCE", "FUNCNAME", "PIPESTATUS", "REPLY", "OPTARG", "OPTIND", "TMPDIR",
        "EPOCHSECONDS", "EPOCHREALTIME", "SHLVL", "TERM", "COLUMNS", "LINES",
    }
)  # fmt: skip
QUIET_TARGETS = frozenset({"/dev/null", "/dev/stderr", "/dev/stdout"})


@dataclass(frozen=True, slots=True)
class Command:
    words: tuple[str, ...]  # quotes removed; an expansion is kept as written
    line: int  # 0-based, within the snippet


@dataclass
class Scan:
    commands: list[Command] = field(default_factory=list)
    used: list[str] = field(default_factory=list)  # in order of first use
    assigned: set[str] = field(default_factory=set)
    writes: list[tuple[int, str]] = field(default_factory=list)  # (line, target of > or >>)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong)
    comments: list[tuple[int, str]] = field(default_factory=list)

    @property
    def variables(self) -> tuple[str, ...]:
        """What the snippet needs from outside: used, not set by itself, not the shell's."""
        return tuple(v for v in self.used if v not in self.assigned and v not in PROVIDED)


def scan(text: str) -> Scan:
    scanner = _Scanner(text)
    scanner.sequence(None)
    return scanner.out


class _Scanner:
    def __init__(self, text: str) -> None:
        self.t = text
        self.i = 0
        self.line = 0
        self.out = Scan()
        self.heredocs: list[tuple[str, bool]] = []  # (delimiter, expands)

    # -- the command list ------------------------------------------------------------------

    def sequence(self, closer: str | None) -> None:
        """Commands until `closer` (`)` of `$(`, a backtick) or the end of the text."""
        words: list[str] = []
        word: list[str] = []
        in_word = False
        start = self.line
        redirect = False

        def end_word() -> None:
            nonlocal in_word, redirect
            if in_word:
                text = "".join(word)
                if redirect:
                    self._write_target(text)
                    redirect = False
                else:
                    words.append(text)
            word.clear()
            in_word = False

        def end_command() -> None:
            nonlocal start
            end_word()
            if words:
                self._command(list(words), start)
            words.clear()
            start = self.line

        opened = self.line
        while self.i < len(self.t):
            c = self.t[self.i]
            if closer is not None and c == closer:
                self.i += 1
                end_command()
                return
            if c == "\\":
                nxt = self.t[self.i + 1 : self.i + 2]
                if nxt == "\n":
                    self.line += 1
                else:
                    word.append(nxt)
                    in_word = True
                self.i += 2
            elif c == "#" and not in_word:
                end = self.t.find("\n", self.i)
                end = len(self.t) if end < 0 else end
                self.out.comments.append((self.line, self.t[self.i + 1 : end].strip()))
                self.i = end
            elif c == "'":
                word.append(self._single_quoted())
                in_word = True
            elif c == '"':
                word.append(self._double_quoted())
                in_word = True
            elif c == "$":
                word.append(self._dollar())
                in_word = True
            elif c == "`":
                self.i += 1
                self._nested("`")
                word.append("`…`")
                in_word = True
            elif c == "\n":
                end_command()
                self.i += 1
                self.line += 1
                self._skip_heredocs()
                start = self.line
            elif c in " \t":
                end_word()
                self.i += 1
            elif c in ";&|()":
                end_command()
                self.i += 1
                if c == "(":
                    self._nested(")")
            elif c in "<>":
                if in_word and "".join(word).isdigit():  # 2>&1: a file descriptor
                    word.clear()
                    in_word = False
                end_word()
                op = self._operator()
                if op in ("<<", "<<-"):
                    self._heredoc()
                else:
                    redirect = ">" in op and not op.endswith("&")
            else:
                word.append(c)
                in_word = True
                self.i += 1
        end_command()
        if closer is not None:
            what = "`" if closer == "`" else "$( or ("
            self.out.problems.append((opened, f"{what} opened here is never closed"))

    def _nested(self, closer: str) -> None:
        self.sequence(closer)

    def _command(self, words: list[str], line: int) -> None:
        while words and words[0] in KEYWORDS:
            words.pop(0)
        if not words:
            return
        if words[0] in ("for", "select") and len(words) > 1:
            self.out.assigned.add(words[1])
            return
        while words and (m := ASSIGNMENT.match(words[0])):
            self.out.assigned.add(m.group(1))
            words.pop(0)
        if not words:
            return
        head = words[0]
        if head in DECLARERS or head in ("read", "mapfile", "readarray"):
            for arg in words[1:]:
                if arg.startswith("-"):
                    continue
                m = NAME.match(arg)
                if m:
                    self.out.assigned.add(m.group(0))
        self.out.commands.append(Command(tuple(words), line))

    # -- quoting and expansions ------------------------------------------------------------

    def _single_quoted(self) -> str:
        end = self.t.find("'", self.i + 1)
        if end < 0:
            self.out.problems.append((self.line, "a single quote (') is never closed"))
            end = len(self.t)
        text = self.t[self.i + 1 : end]
        self.line += text.count("\n")
        self.i = end + 1
        return text

    def _double_quoted(self) -> str:
        opened = self.line
        self.i += 1
        parts: list[str] = []
        while self.i < len(self.t):
            c = self.t[self.i]
            if c == '"':
                self.i += 1
                return "".join(parts)
            if c == "\\":
                parts.append(self.t[self.i + 1 : self.i + 2])
                self.i += 2
                continue
            if c == "$":
                parts.append(self._dollar())
                continue
            if c == "`":
                self.i += 1
                self._nested("`")
                parts.append("`…`")
                continue
            if c == "\n":
                self.line += 1
            parts.append(c)
            self.i += 1
        self.out.problems.append((opened, 'a double quote (") is never closed'))
        return "".join(parts)

    def _dollar(self) -> str:
        start = self.i
        nxt = self.t[self.i + 1 : self.i + 2]
        if self.t.startswith("$((", self.i):
            end = self.t.find("))", self.i)
            if end < 0:
                self.out.problems.append((self.line, "$(( is never closed"))
                end = len(self.t)
            self.i = end + 2
            return self.t[start : self.i]
        if nxt == "(":
            self.i += 2
            self._nested(")")
            return "$(…)"
        if nxt == "{":
            return self._braced(start)
        if nxt == "'":
            self.i += 1
            return self._single_quoted()
        m = NAME.match(self.t, self.i + 1)
        if m:
            self._use(m.group(0))
            self.i = m.end()
            return self.t[start : self.i]
        self.i += 2 if nxt and nxt in SPECIAL else 1
        return self.t[start : self.i]

    def _braced(self, start: int) -> str:
        depth, j = 0, self.i + 1
        while j < len(self.t):
            if self.t[j] == "{":
                depth += 1
            elif self.t[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= len(self.t):
            self.out.problems.append((self.line, "${ is never closed"))
        inner = self.t[self.i + 2 : j]
        m = NAME.match(inner.lstrip("#!"))
        if m:
            self._use(m.group(0))
        for ref in re.finditer(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", inner):
            self._use(ref.group(1))
        self.i = j + 1
        return self.t[start : self.i]

    def _use(self, name: str) -> None:
        if name not in self.out.used:
            self.out.used.append(name)

    # -- redirections and here-documents --------------------------------------------------

    def _operator(self) -> str:
        start = self.i
        while self.i < len(self.t) and self.t[self.i] in "<>&|-":
            if self.t[self.i] == "-" and not self.t.startswith("<<", self.i - 2):
                break
            self.i += 1
        op = self.t[start : self.i]
        while self.i < len(self.t) and self.t[self.i] in " \t":
            self.i += 1
        return op

    def _write_target(self, target: str) -> None:
        if target not in QUIET_TARGETS and not target.startswith("&"):
            self.out.writes.append((self.line, target))

    def _heredoc(self) -> None:
        m = re.match(r"-?\s*(['\"]?)([A-Za-z0-9_]+)\1", self.t[self.i :])
        if m:
            self.heredocs.append((m.group(2), not m.group(1)))
            self.i += m.end()

    def _skip_heredocs(self) -> None:
        while self.heredocs:
            delimiter, expands = self.heredocs.pop(0)
            pattern = re.compile(rf"^[ \t]*{re.escape(delimiter)}[ \t]*$", re.MULTILINE)
            m = pattern.search(self.t, self.i)
            end = m.start() if m else len(self.t)
            body = self.t[self.i : end]
            if expands:
                for ref in re.finditer(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", body):
                    self._use(ref.group(1))
            if m is None:
                self.out.problems.append((self.line, f"here-document {delimiter} never ends"))
            self.line += body.count("\n") + (1 if m else 0)
            self.i = m.end() + 1 if m else len(self.t)
