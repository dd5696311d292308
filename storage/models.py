"""Typed SQLAlchemy models. Words and ids people give us are stored encrypted."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.crypto import EncryptedJSON, EncryptedText

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class Region(Base):
    """Province, kab/kota or kecamatan, keyed by Kemendagri code ("35", "35.15", "35.15.01")."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(10))  # provinsi | kabkota | kecamatan
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)


class Upt(Base):
    """A receiving unit: a kab/kota or province UPTD PPA, or the national channel."""

    __tablename__ = "upts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10))  # kabkota | provinsi | nasional
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    timezone: Mapped[str] = mapped_column(String(40))
    # A connected Telegram group; the staff issue adds people too.
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    bot_admin: Mapped[bool | None] = mapped_column(Boolean)  # in that group; None: not known
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A re-issued code not yet known to have arrived: both work until it is confirmed.
    code_hash_next: Mapped[str | None] = mapped_column(String(64), unique=True)
    # One draft makes at most one ticket, however often Kirim arrives.
    draft_key: Mapped[str] = mapped_column(String(40), unique=True)
    reporter_role: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(30))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    occurred: Mapped[str] = mapped_column(String(20))
    narrative: Mapped[str] = mapped_column(EncryptedText)
    details: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="baru")
    upt_id: Mapped[int] = mapped_column(ForeignKey("upts.id"), index=True)
    locale: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Only when the reporter asked for updates is their chat id kept, encrypted.
    reporter_chat_id: Mapped[str | None] = mapped_column(EncryptedText)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    feedback_score: Mapped[int | None] = mapped_column(Integer)
    feedback_comment: Mapped[str | None] = mapped_column(EncryptedText)
    followup_stopped: Mapped[bool] = mapped_column(Boolean, default=False)  # the reporter said stop
    sla_from_at: Mapped[datetime | None]  # set by a re-route: the SLA clock starts again


class TicketEvent(Base):
    """The ticket's history: creation, routing, every status change."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # created | routed | status
    status: Mapped[str | None] = mapped_column(String(20))
    upt_id: Mapped[int | None] = mapped_column(ForeignKey("upts.id"))
    actor: Mapped[str] = mapped_column(String(40), default="system")
    note: Mapped[str | None] = mapped_column(EncryptedText)
    shareable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReporterLink(Base):
    """Links a keyed hash of the reporter's Telegram id to their tickets; never the raw id."""

    __tablename__ = "reporter_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporter_ref: Mapped[str] = mapped_column(String(64), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Draft(Base):
    """Where a reporter is in the conversation, with their unfinished answers (encrypted)."""

    __tablename__ = "drafts"

    reporter_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProcessedUpdate(Base):
    """Telegram update ids already handled, recorded in the same transaction as their work."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CaseCounter(Base):
    """Per prefix and year, the last case-number sequence handed out."""

    __tablename__ = "case_counters"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # "3515-2026"
    last: Mapped[int] = mapped_column(Integer, default=0)


Index("ix_tickets_status_upt", Ticket.status, Ticket.upt_id)


# --- UPT staff, the outbox and the audit log (issue 4) --------------------------------------


class Staff(Base):
    """A UPT staff member. Staff are not anonymous: the UPT knows its own people."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upt_id: Mapped[int] = mapped_column(ForeignKey("upts.id"), index=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(12))  # petugas | koordinator
    status: Mapped[str] = mapped_column(String(10))  # pending | active | revoked
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    monthly_summary: Mapped[bool] = mapped_column(Boolean, default=True)  # koordinators


class StaffInvite(Base):
    """A one-time deep-link token; only its keyed hash is kept."""

    __tablename__ = "staff_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    upt_id: Mapped[int] = mapped_column(ForeignKey("upts.id"))
    role: Mapped[str] = mapped_column(String(12))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketOwner(Base):
    """UPTs with rights on a ticket: the routed one, and levels added by escalation."""

    __tablename__ = "ticket_owners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    upt_id: Mapped[int] = mapped_column(ForeignKey("upts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # primary | escalated
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketCard(Base):
    """Where a ticket's card was posted, so it can edit itself."""

    __tablename__ = "ticket_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    upt_id: Mapped[int] = mapped_column(ForeignKey("upts.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffPrompt(Base):
    """A ForceReply question to one staff member; only their reply to it is taken."""

    __tablename__ = "staff_prompts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(20))  # question | note | reason | reroute
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class TicketMessage(Base):
    """The anonymous thread between staff and reporter, and internal notes."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # question | answer | note
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    shown_at: Mapped[datetime | None]  # a question first seen by the reporter


class OutboxMessage(Base):
    """A message owed to someone, written in the same transaction as its cause."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What to do, in no channel's terms (flows/outbound.py): send | edit | delete | photo |
    # file | remove_member. "bot_api" is a row from before 0006: `method` + Telegram params.
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20), default="telegram")
    locale: Mapped[str] = mapped_column(String(10), default="id")  # rendered in it when sent
    method: Mapped[str | None] = mapped_column(String(30))  # "bot_api" rows only
    # 1: a new urgent card, sent before new normal cards to the same chat.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    chat_id: Mapped[str] = mapped_column(EncryptedText)  # a reporter's chat id is a secret
    chat_key: Mapped[str] = mapped_column(String(64), index=True)  # keyed hash: order, pacing
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    purpose: Mapped[str] = mapped_column(String(20))  # card | card_edit | notice | …
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    upt_id: Mapped[int | None] = mapped_column(ForeignKey("upts.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    result_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(200))
    # A worker sending it holds it until then; a killed worker's rows are taken over after.
    claimed_until: Mapped[datetime | None]


Index("ix_outbox_due", OutboxMessage.status, OutboxMessage.not_before_at)


class AuditEntry(Base):
    """Every staff action and every refused one: who, what, which ticket, when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(60))  # "staff:12", "operator", "non-staff"
    action: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    detail: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstanceFact(Base):
    """Facts about this installation, such as which key its data was written with."""

    __tablename__ = "instance_facts"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class InboxUpdate(Base):
    """An update Telegram sent, recorded before Telegram is told it arrived and deleted once
    handled, so a crash never loses what someone wrote. Encrypted, without names; `person` is
    the sender's keyed hash, so /hapus finds their rows."""

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    person: Mapped[str | None] = mapped_column(String(64), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The worker that received it holds it until then (renewed while it works on it); past
    # that, another worker hands it over again.
    taken_until: Mapped[datetime | None]


class Lease(Base):
    """A named claim with an expiry: held while its holder renews it, free once it lapses (a
    killed process blocks nobody for longer than the lease)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime]


class EvidenceMark(Base):
    """One evidence identifier of a ticket (an account, a link, a number, a group name) as a
    keyed hash: tickets sharing one are linked reports. `platform` says where, for counts."""

    __tablename__ = "evidence_marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    mark: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    platform: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseRecord(Base):
    """What a unit recorded about a case in SIMFONI's terms (flows/casework/record.py):
    codes only, never words anyone typed. `violence` None: never recorded (the category's
    kind is shown). One row per ticket, made on the first change."""

    __tablename__ = "case_records"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    violence: Mapped[list[str] | None] = mapped_column(JSON)
    referrals: Mapped[list[str]] = mapped_column(JSON, default=list)
    sex: Mapped[str | None] = mapped_column(String(20))
    age_band: Mapped[str | None] = mapped_column(String(20))
    age: Mapped[int | None] = mapped_column(Integer)
    education: Mapped[str | None] = mapped_column(String(20))
    disability: Mapped[str | None] = mapped_column(String(20))
    victims: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CaseService(Base):
    """A service given for a case, on a date (the unit's calendar day)."""

    __tablename__ = "case_services"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    service: Mapped[str] = mapped_column(String(20), primary_key=True)
    given_on: Mapped[date] = mapped_column(Date, index=True)


class MonthlySummary(Base):
    """A koordinator's monthly summary is owed once: the row is the proof, whichever worker
    wrote it first (its primary key refuses a second)."""

    __tablename__ = "monthly_summaries"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
