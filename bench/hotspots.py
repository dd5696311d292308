"""Summarise a py-spy `--format raw` profile (collapsed stacks) into hot spots.

Usage: ``python -m bench.hotspots STACKS.txt [N]``. The bench writes such a file for the
report bot during scenario (a) when BENCH_PROFILE=1.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from functools import cache
from pathlib import Path

# py-spy frames look like "function (path/to/file.py:123)".
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*):(?P<line>\d+)\)$")
OURS = ("bot/", "handlers/", "storage/", "flows/")


@cache
def _short(frame: str) -> str:
    m = _FRAME.match(frame)
    if not m:
        return frame
    path = m["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{m['func']} ({path}:{m['line']})"


@cache
def _ours(frame: str) -> bool:
    m = _FRAME.match(frame)
    return bool(m) and "site-packages" not in m["file"] and any(o in m["file"] for o in OURS)


def summarise(path: Path, top: int = 15) -> str:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    package: Counter[str] = Counter()
    own_line: Counter[str] = Counter()  # innermost frame of our code in each sample
    total = 0
    for raw in path.read_text().splitlines():
        stack, _, count_text = raw.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        self_time[_short(frames[-1])] += count
        for frame in set(frames):
            inclusive[_short(frame)] += count
        leaf = _FRAME.match(frames[-1])
        file = leaf["file"] if leaf else "?"
        name = (
            file.split("site-packages/", 1)[1].split("/", 1)[0]
            if "site-packages/" in file
            else ("project" if any(o in file for o in OURS) else file.rsplit("/", 1)[-1])
        )
        package[name] += count
        ours = [f for f in frames if _ours(f)]
        if ours:
            own_line[_short(ours[-1])] += count
    if total == 0:
        return "(empty profile)"

    def table(title: str, counter: Counter[str]) -> list[str]:
        lines = [f"{title}:"]
        for name, count in counter.most_common(top):
            lines.append(f"  {100 * count / total:5.1f}%  {name}")
        return lines

    out = [f"{total} samples"]
    out += table("self time by package (leaf frame)", package)
    out += table("self time by function", self_time)
    out += table(
        "inclusive time, project code only",
        Counter(
            {
                k: v
                for k, v in inclusive.items()
                if any(o in k for o in OURS) and "site-packages" not in k
            }
        ),
    )
    out += table("innermost project frame of each sample", own_line)
    return "\n".join(out)


if __name__ == "__main__":
    print(summarise(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 15))
