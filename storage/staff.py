"""UPT staff: invites, membership, who may act on which ticket, and the audit log."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Keys
from storage.models import AuditEntry, Staff, StaffInvite, Upt, utcnow

INVITE_TTL = timedelta(hours=72)
ROLES = ("petugas", "koordinator")


class InviteError(enum.Enum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ALREADY_STAFF = "already_staff"
    OTHER_UPT = "other_upt"


def looks_like_invite(token: str) -> bool:
    """Invite tokens are 43 URL-safe characters; shorter deep-link words are campaign tags."""
    return len(token) >= 32 and all(c.isalnum() or c in "-_" for c in token)


async def create_invite(
    session: AsyncSession, keys: Keys, upt_code: str, role: str, now: datetime | None = None
) -> tuple[str, Upt]:
    """A single-use token (43 chars of A-Za-z0-9_-); only its keyed hash is stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    upt = await session.scalar(select(Upt).where(Upt.code == upt_code))
    if upt is None:
        raise LookupError(f"no UPT with code {upt_code!r} (see `lapor-ppa upt list`)")
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    session.add(
        StaffInvite(
            token_hash=keys.invite_hash(token),
            upt_id=upt.id,
            role=role,
            expires_at=now + INVITE_TTL,
            created_at=now,
        )
    )
    return token, upt


async def redeem_invite(
    session: AsyncSession,
    keys: Keys,
    token: str,
    telegram_user_id: int,
    display_name: str,
    now: datetime | None = None,
) -> Staff | InviteError:
    now = now or utcnow()
    invite = await session.scalar(
        select(StaffInvite)
        .where(StaffInvite.token_hash == keys.invite_hash(token))
        .with_for_update()
    )
    if invite is None:
        return InviteError.UNKNOWN
    if invite.used_at is not None:
        return InviteError.USED
    if _aware(invite.expires_at) <= now:
        return InviteError.EXPIRED
    # One UPT per person: every button, prompt and /hubungkan then means exactly one unit.
    existing = await session.scalar(
        select(Staff).where(Staff.telegram_user_id == telegram_user_id, Staff.status != "revoked")
    )
    if existing is not None:
        return (
            InviteError.ALREADY_STAFF if existing.upt_id == invite.upt_id else InviteError.OTHER_UPT
        )
    # A koordinator invite is trusted as issued; a petugas waits for a koordinator, so a
    # forwarded link alone never hands a stranger victims' narratives.
    status = "active" if invite.role == "koordinator" else "pending"
    staff = Staff(
        upt_id=invite.upt_id,
        telegram_user_id=telegram_user_id,
        display_name=display_name[:120],
        role=invite.role,
        status=status,
        created_at=now,
        changed_at=now,
    )
    session.add(staff)
    await session.flush()
    invite.used_at, invite.used_by_id = now, staff.id
    return staff


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything here is UTC.
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def active_membership(session: AsyncSession, telegram_user_id: int) -> Staff | None:
    return await session.scalar(
        select(Staff)
        .where(Staff.telegram_user_id == telegram_user_id, Staff.status == "active")
        .order_by(Staff.id)
        .limit(1)
    )


async def is_active_member(session: AsyncSession, upt_id: int, telegram_user_id: int) -> bool:
    return bool(
        await session.scalar(
            select(func.count())
            .select_from(Staff)
            .where(
                Staff.upt_id == upt_id,
                Staff.telegram_user_id == telegram_user_id,
                Staff.status == "active",
            )
        )
    )


async def members(
    session: AsyncSession, upt_id: int, *, role: str | None = None, status: str = "active"
) -> list[Staff]:
    stmt = select(Staff).where(Staff.upt_id == upt_id, Staff.status == status)
    if role:
        stmt = stmt.where(Staff.role == role)
    return list((await session.scalars(stmt.order_by(Staff.id))).all())


async def set_status(
    session: AsyncSession, staff_id: int, status: str, approver: Staff | None = None
) -> Staff | None:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        return None
    staff.status, staff.changed_at = status, utcnow()
    if approver is not None:
        staff.approved_by_id = approver.id
    return staff


async def list_staff(session: AsyncSession) -> list[tuple[Staff, Upt]]:
    rows = await session.execute(
        select(Staff, Upt).join(Upt, Upt.id == Staff.upt_id).order_by(Staff.id)
    )
    return [(s, u) for s, u in rows.all()]


def audit(
    session: AsyncSession,
    actor: str,
    action: str,
    ticket_id: int | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            actor=actor, action=action, ticket_id=ticket_id, detail=detail[:300] if detail else None
        )
    )


async def audit_for_ticket(session: AsyncSession, ticket_id: int) -> list[AuditEntry]:
    return list(
        (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.ticket_id == ticket_id).order_by(AuditEntry.id)
            )
        ).all()
    )
