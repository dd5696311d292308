"""Secrets at rest: keys derived from SECRET_KEY, field encryption and keyed hashes.

One secret feeds HKDF with a distinct label per purpose, so a leaked hash key never decrypts
narratives and the same Telegram id hashes differently from a ticket code. The raw key never
enters the database or the logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

_SALT = b"lapor-ppa/v1"

__all__ = ["InvalidToken", "Keys", "EncryptedText", "EncryptedJSON", "configure_keys"]


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose).derive(secret)


@dataclass(frozen=True, slots=True)
class Keys:
    fernet: Fernet
    reporter_key: bytes
    code_key: bytes
    evidence_key: bytes
    invite_key: bytes
    chat_key_key: bytes
    check: str  # stored in the database: tells whether this key is the one its data needs

    @classmethod
    def derive(cls, secret_key: str) -> Keys:
        if len(secret_key) < 16:
            raise ValueError("SECRET_KEY must be at least 16 characters")
        raw = secret_key.encode()
        field_key = base64.urlsafe_b64encode(_derive(raw, b"field-encryption"))
        return cls(
            fernet=Fernet(field_key),
            reporter_key=_derive(raw, b"reporter-link"),
            code_key=_derive(raw, b"ticket-code"),
            evidence_key=_derive(raw, b"evidence-identifier"),
            invite_key=_derive(raw, b"staff-invite"),
            chat_key_key=_derive(raw, b"outbox-chat-key"),
            check=hmac.new(
                _derive(raw, b"key-check"), b"lapor-ppa: the key of this database", hashlib.sha256
            ).hexdigest(),
        )

    def reporter_ref(self, user_id: int) -> str:
        """The pseudonymous link to a Telegram account; the raw id is never stored."""
        return hmac.new(self.reporter_key, str(user_id).encode(), hashlib.sha256).hexdigest()

    def code_hash(self, canonical_code: str) -> str:
        """Only this is stored, so a database copy cannot be used to look tickets up."""
        return hmac.new(self.code_key, canonical_code.encode(), hashlib.sha256).hexdigest()

    def evidence_mark(self, identity: str) -> str:
        """An evidence identifier (flows/evidence.identity) as a keyed hash: reports naming
        the same account or link are found together, and no identifier is stored in clear."""
        return hmac.new(self.evidence_key, identity.encode(), hashlib.sha256).hexdigest()

    def invite_hash(self, token: str) -> str:
        return hmac.new(self.invite_key, token.encode(), hashlib.sha256).hexdigest()

    def chat_key(self, chat_id: int) -> str:
        """Groups outbox rows by recipient without storing who the recipient is."""
        return hmac.new(self.chat_key_key, str(chat_id).encode(), hashlib.sha256).hexdigest()

    def encrypt(self, data: bytes) -> bytes:
        return self.fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        return self.fernet.decrypt(token)


_active: Keys | None = None


def configure_keys(keys: Keys) -> None:
    """Set the keys the Encrypted column types use (once, at start-up)."""
    global _active
    _active = keys


def _keys() -> Keys:
    if _active is None:
        raise RuntimeError("storage keys are not configured")
    return _active


class EncryptedText(TypeDecorator[str]):
    """A text column stored as Fernet ciphertext; callers only ever see plaintext."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        return None if value is None else _keys().encrypt(value.encode())

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        return None if value is None else _keys().decrypt(bytes(value)).decode()


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored as Fernet ciphertext."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        return _keys().encrypt(json.dumps(value, separators=(",", ":")).encode())

    def process_result_value(self, value: bytes | None, dialect: Any) -> Any:
        return None if value is None else json.loads(_keys().decrypt(bytes(value)))
