"""/statistik's chart: one PNG that reads on a phone. Four panels one above the other (status,
category, kab/kota, services given), at most six bars each, this month beside last month,
large type, the scope and the month in the title. Drawn headless (Agg), in memory."""

from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")  # no display, ever: set before pyplot is imported

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from flows.core import N_, Day, Msg  # noqa: E402
from handlers.render import Renderer  # noqa: E402
from handlers.reports.figures import Figures, label_of, pairs  # noqa: E402

PANELS = (
    ("status", N_("stats.by_status")),
    ("category", N_("stats.by_category")),
    ("kabkota", N_("stats.by_kabkota")),
    ("service", N_("stats.services")),
)
NOW_COLOUR, LAST_COLOUR = "#1f6f8b", "#b8d8e3"
WIDTH, HEIGHT, DPI = 8.0, 14.0, 100  # 800 × 1400 px: one column, as a phone holds it
LABEL_CHARS = 24
TITLE_CHARS = 48


def png(f: Figures, renderer: Renderer, locale: str = "id") -> bytes:
    def words(msgid: str, **params: object) -> str:
        return renderer.param(Msg(msgid, params), locale)  # type: ignore[arg-type]

    month = renderer.param(Day(f.month.isoformat(), N_("format.month")), locale)
    last = renderer.param(Day(f.last_month.isoformat(), N_("format.month")), locale)
    scope = f.scope.name or words(N_("stats.all_units"))
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    title = words(N_("stats.chart_title"), scope=scope, month=month)
    lines = [line for part in title.split("\n") for line in textwrap.wrap(part, TITLE_CHARS)]
    fig.suptitle("\n".join(lines), fontsize=20)
    axes = fig.subplots(len(PANELS), 1)
    for ax, (breakdown, heading) in zip(axes.flat, PANELS, strict=True):
        rows = pairs(f, breakdown)[::-1]  # the largest on top
        ax.set_title(words(heading), fontsize=18, loc="left")
        if not rows:
            ax.text(
                0.5,
                0.5,
                words(N_("stats.none")),
                ha="center",
                va="center",
                fontsize=16,
                transform=ax.transAxes,
            )
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        names = [_short(renderer.param(label_of(f, breakdown, k), locale)) for k, _, _ in rows]
        ys = range(len(rows))
        ax.barh([y + 0.2 for y in ys], [now for _, now, _ in rows], 0.4, color=NOW_COLOUR)
        ax.barh([y - 0.2 for y in ys], [ago for _, _, ago in rows], 0.4, color=LAST_COLOUR)
        ax.set_yticks(list(ys), names, fontsize=16)
        ax.tick_params(axis="x", labelsize=14)
        ax.xaxis.get_major_locator().set_params(integer=True)
    legend = [Patch(color=NOW_COLOUR, label=month), Patch(color=LAST_COLOUR, label=last)]
    fig.legend(handles=legend, loc="outside lower center", ncols=2, fontsize=16)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"
