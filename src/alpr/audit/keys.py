"""The two audit keys, both kept outside the database.

- The chain key (HMAC-SHA256) chains entries, so rewriting the log needs it:
  `ALPR_AUDIT_KEY` (hex, at least 32 bytes) or `<data dir>/audit.key` (created once, 0600).
- The signing key (Ed25519) signs tree heads; its public half is published on the
  transparency page: `ALPR_AUDIT_SIGNING_KEY_FILE` (a PEM file) or
  `<data dir>/audit-signing.pem` (created once, 0600).

Someone with superuser rights on the database but not on the server's files or
environment cannot forge either.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from alpr.config import get_settings

CHAIN_KEY_ENV = "ALPR_AUDIT_KEY"
SIGNING_KEY_ENV = "ALPR_AUDIT_SIGNING_KEY_FILE"


class AuditKeyError(RuntimeError):
    """A configured audit key is unusable."""


def chain_key(data_dir: Path | None = None) -> bytes:
    """The HMAC key of the chain (the same key signs retention checkpoints)."""
    configured = os.environ.get(CHAIN_KEY_ENV, "").strip()
    if configured:
        return _hex_key(configured)
    from alpr.audit.retention import audit_key

    return audit_key(data_dir or get_settings().data_dir)


@cache
def _hex_key(text: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError as error:
        raise AuditKeyError(f"{CHAIN_KEY_ENV} must be hex") from error
    if len(key) < 32:
        raise AuditKeyError(f"{CHAIN_KEY_ENV} must hold at least 32 bytes (64 hex digits)")
    return key


def signing_key_path(data_dir: Path | None = None) -> Path:
    configured = os.environ.get(SIGNING_KEY_ENV, "").strip()
    if configured:
        return Path(configured)
    return (data_dir or get_settings().data_dir) / "audit-signing.pem"


def signing_key(data_dir: Path | None = None) -> Ed25519PrivateKey:
    path = signing_key_path(data_dir)
    if not path.exists():
        if os.environ.get(SIGNING_KEY_ENV):
            raise AuditKeyError(f"{SIGNING_KEY_ENV} names {path}, which does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        path.write_bytes(pem)
        path.chmod(0o600)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(f"{path} is not an Ed25519 private key")
    return key


def public_key_pem(data_dir: Path | None = None) -> str:
    return signing_key(data_dir).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(data_dir: Path | None = None) -> str:
    """SHA-256 of the raw public key: names the key a head was signed with."""
    raw = signing_key(data_dir).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()
