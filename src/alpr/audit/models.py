"""The audit_log table. The database refuses UPDATE and DELETE on it (see the migration)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from alpr.db.base import Base, JsonDict, UtcDateTime

GENESIS_HASH = "0" * 64


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(128), index=True)
    organization: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JsonDict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # CJIS AU-3: where the request came from (address is `source`).
    user_agent: Mapped[str | None] = mapped_column(String(300))
    device: Mapped[str | None] = mapped_column(String(128))
    # 1: plain SHA-256 chain (before issue 18.5); 2: HMAC-SHA256 under the audit key.
    chain_version: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="1")


class AuditLeaf(Base):
    """The Merkle-tree leaf of one entry, in append order. Kept when retention removes the
    entry itself, so every published tree head stays provable."""

    __tablename__ = "audit_leaves"

    idx: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                     primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                          unique=True)
    leaf_hash: Mapped[str] = mapped_column(String(64))


class TreeHead(Base):
    """A signed tree head (RFC 6962 §3.5): the log's size and root, signed with Ed25519."""

    __tablename__ = "audit_tree_heads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                           index=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class AuditCheckpoint(Base):
    """Where the chain continues after entries past their retention were removed.

    The first remaining entry's prev_hash must equal `up_to_hash`; the signature (HMAC
    with the agency's audit key) shows the checkpoint itself was written by the system.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    up_to_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    up_to_hash: Mapped[str] = mapped_column(String(64))
    removed: Mapped[int] = mapped_column(Integer)
    older_than: Mapped[datetime] = mapped_column(UtcDateTime)
    signature: Mapped[str] = mapped_column(String(64))
