"""The UPTD PPA service chain: the statuses a ticket passes through, and what each means."""

from __future__ import annotations

from flows.core import N_

CHAIN = ("baru", "diterima", "asesmen", "penjangkauan", "pendampingan", "dirujuk", "selesai")
OUT_OF_SCOPE = "bukan_kewenangan"
STATUSES = (*CHAIN, OUT_OF_SCOPE)
CLOSED = ("selesai", OUT_OF_SCOPE)
NEEDS_REASON = ("bukan_kewenangan", "dirujuk", "selesai")

STATUS_LABELS = {
    "baru": N_("status.baru"),
    "diterima": N_("status.diterima"),
    "asesmen": N_("status.asesmen"),
    "penjangkauan": N_("status.penjangkauan"),
    "pendampingan": N_("status.pendampingan"),
    "dirujuk": N_("status.dirujuk"),
    "selesai": N_("status.selesai"),
    "bukan_kewenangan": N_("status.bukan_kewenangan"),
}
STATUS_MEANINGS = {
    "baru": N_("status.meaning.baru"),
    "diterima": N_("status.meaning.diterima"),
    "asesmen": N_("status.meaning.asesmen"),
    "penjangkauan": N_("status.meaning.penjangkauan"),
    "pendampingan": N_("status.meaning.pendampingan"),
    "dirujuk": N_("status.meaning.dirujuk"),
    "selesai": N_("status.meaning.selesai"),
    "bukan_kewenangan": N_("status.meaning.bukan_kewenangan"),
}


def next_statuses(current: str) -> list[str]:
    """Forward along the chain (stages may be skipped), or out of scope; closed is closed."""
    if current in CLOSED or current not in CHAIN:
        return []
    return [*CHAIN[CHAIN.index(current) + 1 :], OUT_OF_SCOPE]
