"""Whether the person behind an actor string ("user:NAME") holds a role now.

Some steps need a named role, not just a permission (an ALPR Administrator forcing an
import, a commander approving access to deleted reads). The check reads the account, so
the same rule holds for the API, the CLI and the console, and an account that is no
longer active holds no role.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.users.models import AccountStatus, User
from alpr.users.permissions import Role


def username_of(actor: str) -> str | None:
    kind, _, name = actor.partition(":")
    return name if kind == "user" and name else None


def holds_role(session: Session, actor: str, role: Role) -> bool:
    name = username_of(actor)
    if name is None:
        return False
    user = session.scalar(select(User).where(User.username == name))
    return (user is not None and user.status == AccountStatus.ACTIVE.value
            and role.value in (user.roles or []))
