"""Passwords, one-time codes and tokens (CJIS IA-2, IA-5; shared/SECURITY-BASELINE.md).

Passwords: at least the policy's length, any printable characters, no composition rules,
refused when on the common-password list; stored only as argon2id hashes. One-time codes:
TOTP, each code accepted once. Tokens: random, shown once, stored as SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from functools import lru_cache
from importlib import resources

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with a random 16-byte salt per hash
TOKEN_PREFIX = "alpr_usr_"  # noqa: S105 (a prefix, not a secret)
DEVICE_PREFIX = "alpr_dev_"


class PasswordRejected(ValueError):  # noqa: N818 (a refusal, not a program error)
    """A new password that does not meet the rules; the message says which."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("alpr.users").joinpath("common-passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_new_password(password: str, *, min_length: int, username: str) -> None:
    if len(password) < min_length:
        raise PasswordRejected(f"a password needs at least {min_length} characters")
    if not password.isprintable():
        raise PasswordRejected("a password may contain only printable characters")
    lowered = password.lower()
    if lowered in common_passwords() or lowered == username.lower():
        raise PasswordRejected("this password is too common; choose another")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, *, username: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def totp_step(secret: str, code: str, *, now: datetime) -> int | None:
    """The time step the code belongs to (±1 step of clock drift), or None if wrong."""
    totp = pyotp.TOTP(secret)
    moment = int(now.timestamp())
    for drift in (0, -1, 1):
        at = moment + drift * totp.interval
        if secrets.compare_digest(totp.at(at), code.strip()):
            return at // totp.interval
    return None


def new_token(prefix: str = TOKEN_PREFIX) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    """The CSRF token of a console session: a MAC keyed by the session's own secret token,
    so it is bound to that session and cannot be made up without the HttpOnly cookie."""
    return hmac.new(session_token.encode(), b"alpr-csrf-v1", hashlib.sha256).hexdigest()
