"""Seed the 38 provinces, 514 kab/kota, 7 285 kecamatan and the starter UPT directory.

Data ships in the package (storage/data; idn-area under ODbL). Existing rows are left alone,
so an operator's later `upt import` is never overwritten.

Revision ID: 0002
Revises: 0001
"""

import csv
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

DATA = Path(__file__).resolve().parents[2] / "data"

regions = sa.table(
    "regions",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("level", sa.String),
    sa.column("parent_code", sa.String),
)
upts = sa.table(
    "upts",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("level", sa.String),
    sa.column("region_code", sa.String),
    sa.column("timezone", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def upgrade() -> None:
    conn = op.get_bind()
    have = {code for (code,) in conn.execute(sa.select(regions.c.code))}
    levels = [
        ("idn-area/provinces.csv", "provinsi", None),
        ("idn-area/regencies.csv", "kabkota", "province_code"),
        ("idn-area/districts.csv", "kecamatan", "regency_code"),
    ]
    for file, level, parent in levels:
        batch = [
            {
                "code": r["code"],
                "name": r["name"],
                "level": level,
                "parent_code": r[parent] if parent else None,
            }
            for r in _rows(file)
            if r["code"] not in have
        ]
        if batch:
            op.bulk_insert(regions, batch)

    now = datetime.now(UTC)
    have_upts = {code for (code,) in conn.execute(sa.select(upts.c.code))}
    batch = [
        {
            "code": r["code"],
            "name": r["name"],
            "level": r["level"],
            "region_code": r["region_code"] or None,
            "timezone": r["timezone"],
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for r in _rows("upt-directory.csv")
        if r["code"] not in have_upts
    ]
    if batch:
        op.bulk_insert(upts, batch)


def downgrade() -> None:
    codes = [r["code"] for r in _rows("upt-directory.csv")]
    op.execute(upts.delete().where(upts.c.code.in_(codes)))
    op.execute(regions.delete().where(regions.c.level == "kecamatan"))
    op.execute(regions.delete().where(regions.c.level == "kabkota"))
    op.execute(regions.delete().where(regions.c.level == "provinsi"))
