"""Optional profiling of the server under load with py-spy (not a project dependency).

`py-spy record --format raw` writes collapsed stacks ("frame;frame;... count"); `summarize`
turns them into the functions with the most samples, on their own (self) and with what they
call (inclusive), which is what the README's hot-spot section is made of.
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

_LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


@contextlib.contextmanager
def recording(py_spy: str, pid: int, out: Path, *, mode: str, rate: int = 200) -> Iterator[None]:
    """Sample `pid` while the block runs; collapsed stacks go to `out`.

    mode "cpu": threads running Python (py-spy's default), "gil": only the thread holding the
    GIL (what one worker process can do at most), "idle": every thread, waiting ones too.
    """
    command = [py_spy, "record", "--pid", str(pid), "--format", "raw", "--output", str(out)]
    command += ["--rate", str(rate), "--nonblocking"]
    if mode == "gil":
        command.append("--gil")
    elif mode == "idle":
        command.append("--idle")
    log = out.with_suffix(".log").open("w")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _short(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match.group("file")
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match.group('func')} ({path})"


def summarize(raw: Path, top: int = 25) -> str:
    """The `top` functions by self and by inclusive samples, as text."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        count = int(match.group("count"))
        frames = [_short(f) for f in match.group("stack").split(";") if f]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    if not total:
        return f"{raw}: no samples\n"
    lines = [f"{raw.name}: {total} samples", "  self:"]
    lines += [f"    {100 * c / total:5.1f}%  {name}" for name, c in own.most_common(top)]
    lines.append("  inclusive:")
    lines += [f"    {100 * c / total:5.1f}%  {name}" for name, c in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"
