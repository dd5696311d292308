"""CPU time and memory of a process from /proc (Linux), no psutil needed."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (children not included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After "pid (comm)": state is field 3, utime 14 and stime 15 (1-based, man proc).
    return (int(fields[11]) + int(fields[12])) / _TICKS


def memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KiB: resident now and the peak."""
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


@dataclass
class CpuMeter:
    """CPU% of a process over a window (100% = one core)."""

    pid: int
    _cpu: float = 0.0
    _wall: float = 0.0

    def start(self) -> None:
        self._cpu, self._wall = self._read(), time.perf_counter()

    def percent(self) -> float:
        wall = time.perf_counter() - self._wall
        return 100.0 * (self._read() - self._cpu) / wall if wall > 0 else 0.0

    def _read(self) -> float:
        return cpu_seconds(self.pid) if self.pid != os.getpid() else time.process_time()
