"""The automatic checks of a periodic audit; each returns findings (REQ L3, L6, H6).

The rules, all read from the policy (`[audits]`, `[search]`, `[retention]`, `[sharing]`):

- weak-purpose: a search whose purpose category is no longer permitted, whose purpose text
  names a forbidden purpose or a personal identifier (the same rules as
  alpr.search.purpose), whose case number is a bare vague term, shorter than
  `audits.min_reference_length` or off the agency format, or that names nobody it was for.
- off-hours: a user's searches at hours outside [usual_hours_start, usual_hours_end) in
  `audits.timezone`; high-volume: more than `audits.max_searches_per_day` in one day.
- account: an active account whose training or periodic review has lapsed.
- retention: reads older than the retention period still stored, not held, not a hit kept
  longer.
- share-agreement: a share with no agreement covering the day it was made.
- hotlist-approval: an active manual hot-list entry nobody else approved.
- sensitive-location: a search whose area or results touched a sensitive location
  (`search.sensitive_locations`): a violation without a court-order reference, else for
  review (is the order real and does it cover the search?); a search refused there is
  listed for review too (who tried to look?).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditEntry
from alpr.hotlists.models import Alert, EntryOrigin, EntryStatus, HotListEntry
from alpr.policy import Policy
from alpr.reads.models import Read
from alpr.retention.holds import held_condition
from alpr.search.references import case_number_problem
from alpr.search.screening import screen
from alpr.search.sensitive import touched
from alpr.sharing.models import Agency, Agreement, Share, ShareRequest
from alpr.users.lifecycle import access_problems, last_training
from alpr.users.models import AccountStatus, User


@dataclass(frozen=True)
class Found:
    check: str
    severity: str  # violation: a rule was broken; review: a person should look
    subject: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def searches(session: Session, since: datetime, until: datetime) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.event == AuditEvent.SEARCH_QUERY.value, AuditEntry.at >= since,
        AuditEntry.at < until).order_by(AuditEntry.id)))


def weak_purpose_reasons(details: dict[str, Any], purpose_text: str | None, policy: Policy
                         ) -> list[str]:
    """Why a recorded search purpose is weak (empty: it looks specific)."""
    reasons = []
    category = str(details.get("purpose_category") or "")
    permitted = policy.purpose(category)
    if permitted is None:
        reasons.append(f"category {category!r} is not a permitted purpose")
    text = purpose_text or ""
    # The same screening as a purpose given now (prohibited uses, identifiers).
    hit = screen({"purpose": text}, scopes={"purpose": frozenset({"all", "identifiers"})},
                 policy=policy, case_number=str(details.get("case_number") or "") or None)
    if hit is not None:
        reasons.append(f"purpose names {hit.title} ({hit.found!r}) [rule: {hit.rule}]")
    case = str(details.get("case_number") or "").strip()
    vague = {term.lower() for term in policy.search.refused_bare_terms}
    if case:
        if re.sub(r"[^a-z0-9/ ]", "", case.lower()).strip() in vague:
            reasons.append(f"case number {case!r} is a vague term")
        if len(re.sub(r"[^A-Za-z0-9]", "", case)) < policy.audits.min_reference_length:
            reasons.append(f"case number {case!r} is too short to be real")
        if case_number_problem(case, policy):
            reasons.append(f"case number {case!r} does not match the agency format")
    elif permitted is not None and "case_number" in permitted.requires:
        reasons.append("no case number although the category requires one")
    if len(str(details.get("on_behalf_of") or "").strip()) < 2:
        reasons.append("does not say whom the search was for")
    return reasons


def weak_purposes(entries: list[AuditEntry], policy: Policy) -> list[Found]:
    return [Found("weak-purpose", "review", f"search {e.id}", "; ".join(reasons),
                  {"audit_entry": e.id, "actor": e.actor, "at": e.at.isoformat()})
            for e in entries if (reasons := weak_purpose_reasons(e.details, e.purpose, policy))]


def unusual_activity(entries: list[AuditEntry], policy: Policy) -> list[Found]:
    rules = policy.audits
    zone = ZoneInfo(rules.timezone)
    off_hours: dict[str, list[int]] = defaultdict(list)
    per_day: Counter[tuple[str, str]] = Counter()
    for entry in entries:
        local = entry.at.astimezone(zone)
        if not rules.usual_hours_start <= local.hour < rules.usual_hours_end:
            off_hours[entry.actor].append(entry.id)
        per_day[(entry.actor, f"{local:%Y-%m-%d}")] += 1
    found = [Found("off-hours", "review", actor, f"{len(ids)} searches outside"
                   f" {rules.usual_hours_start:02d}:00–{rules.usual_hours_end:02d}:00",
                   {"audit_entries": ids}) for actor, ids in sorted(off_hours.items())]
    found += [Found("high-volume", "review", actor, f"{count} searches on {day} (more than"
                    f" {rules.max_searches_per_day})", {"day": day, "searches": count})
              for (actor, day), count in sorted(per_day.items())
              if count > rules.max_searches_per_day]
    return found


def lapsed_accounts(session: Session, policy: Policy, now: datetime) -> list[Found]:
    found = []
    for user in session.scalars(select(User).where(User.status == AccountStatus.ACTIVE)
                                .order_by(User.username)):
        problems = access_problems(user, trained_at=last_training(session, user),
                                   policy=policy, now=now)
        if problems:
            found.append(Found("account", "violation", f"user:{user.username}",
                               "active account that may not have access: "
                               + "; ".join(problems)))
    return found


def overdue_reads(session: Session, policy: Policy, now: datetime) -> int:
    """Reads older than the retention period still stored, not held nor hits kept longer."""
    rules = policy.retention
    cutoff = rules.delete_after.before(now)
    hit_cutoff = (rules.hit_reads_delete_after or rules.delete_after).before(now)
    is_hit = exists().where(Alert.read_id == Read.id, Alert.read_captured_at == Read.captured_at)
    must_stay = or_(held_condition(), and_(is_hit, Read.captured_at >= hit_cutoff))
    return session.scalar(select(func.count()).select_from(Read).where(
        Read.captured_at < cutoff, not_(must_stay))) or 0


def retention(session: Session, policy: Policy, now: datetime) -> list[Found]:
    overdue = overdue_reads(session, policy, now)
    if not overdue:
        return []
    return [Found("retention", "violation", "reads", f"{overdue} reads older than"
                  f" {policy.retention.delete_after} are still stored (not held)",
                  {"reads": overdue})]


def shares_without_agreement(session: Session, policy: Policy, since: datetime,
                             until: datetime) -> list[Found]:
    rows = session.execute(select(Share, ShareRequest, Agency)
                           .join(ShareRequest, ShareRequest.id == Share.request_id)
                           .join(Agency, Agency.id == Share.agency_id)
                           .where(Share.shared_at >= since, Share.shared_at < until)
                           .order_by(Share.id)).all()
    found = []
    for share, request, agency in rows:
        covered = session.scalar(select(func.count()).select_from(Agreement).where(
            Agreement.agency_id == agency.id, Agreement.starts_at <= share.shared_at,
            Agreement.ends_at > share.shared_at))
        if covered:
            continue
        required = policy.sharing.require_agreement_for_any_sharing or (
            request.standing_access and policy.sharing.require_agreement_for_standing_access)
        found.append(Found("share-agreement", "violation" if required else "review",
                           f"share {share.id}", f"shared with {agency.name} on"
                           f" {share.shared_at:%Y-%m-%d} without an agreement in force",
                           {"share": share.id, "agency": agency.name,
                            "agreement_required": required}))
    return found


def unapproved_hotlist_entries(session: Session, policy: Policy) -> list[Found]:
    if not policy.hotlists.manual_entries_require_approval:
        return []
    entries = session.scalars(select(HotListEntry).where(
        HotListEntry.origin == EntryOrigin.MANUAL.value,
        HotListEntry.status == EntryStatus.ACTIVE.value).order_by(HotListEntry.id))
    return [Found("hotlist-approval", "violation", f"hotlist entry {e.id}",
                  "active manual entry " + ("approved by the person who entered it"
                                            if e.decided_by else "never approved"),
                  {"entry": e.id, "entered_by": e.entered_by, "decided_by": e.decided_by})
            for e in entries if not e.decided_by or e.decided_by == e.entered_by]


def sensitive_searches(session: Session, entries: list[AuditEntry], policy: Policy,
                       since: datetime, until: datetime) -> list[Found]:
    locations = policy.search.sensitive_locations
    found = []
    for e in entries:
        recorded = list(e.details.get("sensitive_locations") or [])
        # Re-check the recorded area against today's list: catches searches made before a
        # place was listed, or written without the check.
        recorded_names = {str(t.get("name")) for t in recorded}
        recorded += [t.as_details() for t in touched(e.details.get("query") or {}, [], locations)
                     if t.location.name not in recorded_names]
        if not recorded:
            continue
        order = e.details.get("court_order")
        places = ", ".join(f"{t.get('name')} ({t.get('kind')})" for t in recorded)
        found.append(Found(
            "sensitive-location", "review" if order else "violation", f"search {e.id}",
            (f"search under court order {order!r} touched {places}: check the order" if order
             else f"search without a court order touched {places}"),
            {"audit_entry": e.id, "actor": e.actor, "court_order": order,
             "locations": recorded}))
    refused = session.scalars(select(AuditEntry).where(
        AuditEntry.event == AuditEvent.SEARCH_REFUSED.value, AuditEntry.at >= since,
        AuditEntry.at < until).order_by(AuditEntry.id))
    found += [Found("sensitive-location", "review", f"refused search {e.id}",
                    f"{e.actor} tried a search at a sensitive location without a court order",
                    {"audit_entry": e.id, "actor": e.actor})
              for e in refused if "[rule: sensitive-location]" in str(e.details.get("reason"))]
    return found


def run_checks(session: Session, entries: list[AuditEntry], *, policy: Policy,
               since: datetime, until: datetime, now: datetime) -> list[Found]:
    return [*weak_purposes(entries, policy), *unusual_activity(entries, policy),
            *lapsed_accounts(session, policy, now), *retention(session, policy, now),
            *shares_without_agreement(session, policy, since, until),
            *unapproved_hotlist_entries(session, policy),
            *sensitive_searches(session, entries, policy, since, until)]
