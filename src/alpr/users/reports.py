"""Reports for the ALPR Administrator: authorized users, trainings and reviews due,
suspended accounts (REQ U1, U4, U6, U7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.policy import Policy
from alpr.users.lifecycle import last_training
from alpr.users.models import AccountStatus, User


@dataclass(frozen=True)
class Due:
    username: str
    full_name: str
    due: datetime | None  # None: never done


@dataclass(frozen=True)
class AccessReport:
    authorized: list[User]
    training_due: list[Due]
    review_due: list[Due]
    suspended: list[User]


def access_report(session: Session, *, policy: Policy, now: datetime,
                  within_days: int = 30) -> AccessReport:
    """Who is authorized now, and whose training or review falls due within `within_days`."""
    horizon = now + timedelta(days=within_days)
    users = list(session.scalars(select(User).where(User.status != AccountStatus.DELETED)
                                 .order_by(User.username)))
    active = [u for u in users if u.status == AccountStatus.ACTIVE]
    training_due, review_due = [], []
    for user in active:
        trained = last_training(session, user)
        due = policy.users.training_interval.after(trained) if trained else None
        if due is None or due <= horizon:
            training_due.append(Due(user.username, user.full_name, due))
        reviewed = user.reviewed_at or user.approved_at
        review = policy.users.authorization_review_every.after(reviewed) if reviewed else None
        if review is None or review <= horizon:
            review_due.append(Due(user.username, user.full_name, review))
    return AccessReport(
        authorized=active, training_due=training_due, review_due=review_due,
        suspended=[u for u in users if u.status == AccountStatus.SUSPENDED])
