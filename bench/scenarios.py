"""What the bench runs: its loads, scenario names, targets and knobs (environment)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.load import REPORT_FLOW, Load
from bench.procs import BIN

PG = os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
REPORTERS_B = int(os.environ.get("BENCH_REPORTERS_B", "1000"))
TICKETS = int(os.environ.get("BENCH_TICKETS", "1000000"))
PROFILE = os.environ.get("BENCH_PROFILE", "") not in ("", "0")
PROFILE_FILE = Path(tempfile.gettempdir()) / "lapor-bench-profile.txt"
ONLY = os.environ.get("BENCH_ONLY", "")  # "a": warm-up and (a) only; "e": (e) only
ONLY_A = ONLY == "a"
REPORT_CMD = [str(BIN / "lapor-ppa"), "run"]
DRAFTS = 10_000
RESUME_BATCH = 2_000

WARMUP = Load(reporters=20, think_mean=0.0, warmup=0.0, window=4.0)
SATURATION = Load(reporters=200, think_mean=0.0, warmup=5.0, window=40.0 * SCALE)
# People arrive over one flow's length (17 steps × 2 s): started together, their Kirims and
# status checks would land in step as a wave that the window measures instead of the
# steady state; the warm-up covers the ramp.
PEOPLE_THINK = 2.0
PEOPLE_RAMP = len(REPORT_FLOW) * PEOPLE_THINK
PEOPLE = Load(
    reporters=REPORTERS_B,
    think_mean=PEOPLE_THINK,
    warmup=PEOPLE_RAMP + 6.0,
    window=60.0 * SCALE,
    ramp=PEOPLE_RAMP,
)

TARGET_THROUGHPUT = 0.35
TARGET_P99 = 2.0
TARGET_LOOKUP_MS = 2.0
TARGET_RSS = 1.5
RSS_GROWTH_MIB = 5.0  # allowed growth per further RESUME_BATCH drafts resumed

A, B, D1, D2 = "(a) saturation", "(b) people", "(d) drafts 1", "(d) drafts 2"
A_SQLITE = "(a) on SQLite"
