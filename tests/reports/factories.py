"""Rows planted for the audit and report tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.hotlists.models import HotList, HotListEntry
from alpr.sharing.models import Agency, Share, ShareRequest


def search(session: Session, *, actor: str = "user:alice", at: datetime,
           category: str = "criminal_investigation", case: str | None = "26-004512",
           on_behalf_of: str = "Det. Reyes", purpose: str | None = None) -> int:
    return record(session, event=AuditEvent.SEARCH_QUERY, actor=actor, now=at,
                  organization="Test PD", purpose=purpose or f"Criminal investigation; case {case}",
                  details={"query": {"plate": "7ABC123"}, "purpose_category": category,
                           "case_number": case, "on_behalf_of": on_behalf_of,
                           "results": 1}).id


def share(session: Session, *, agency: str, at: datetime, standing: bool = False) -> Share:
    request = share_request(session, agency=agency, at=at, standing=standing)
    row = Share(request_id=request.id, agency_id=request.agency_id, shared_at=at,
                channel="export", reads=3, case_number="26-1", officer="user:officer")
    session.add(row)
    session.flush()
    return row


def share_request(session: Session, *, agency: str, at: datetime, standing: bool = False,
                  status: str = "honored") -> ShareRequest:
    found = session.query(Agency).filter_by(name=agency).one_or_none()
    if found is None:
        found = Agency(name=agency, kind="ca_law_enforcement", jurisdiction="CA",
                       created_by="t", created_at=at)
        session.add(found)
        session.flush()
    request = ShareRequest(
        agency_id=found.id, requester_name="Sgt. Lee", received_at=at, received_via="email",
        right_to_know="PC 830.1", case_number="26-1", involvement="assisting",
        purpose_category="criminal_investigation", purpose_text="Burglary series",
        legal_process="none", standing_access=standing, attests_no_immigration=True,
        attests_no_reproductive_health=True, attests_no_resharing=True, status=status,
        recorded_by="t")
    session.add(request)
    session.flush()
    return request


def hotlist_entry(session: Session, *, at: datetime, source: str = "SVS",
                  origin: str = "import", status: str = "active", plate: str = "4HOT111",
                  entered_by: str | None = None, decided_by: str | None = None
                  ) -> HotListEntry:
    hotlist = session.query(HotList).filter_by(name=source).one_or_none()
    if hotlist is None:
        hotlist = HotList(name=source, source=source, created_at=at)
        session.add(hotlist)
        session.flush()
    entry = HotListEntry(list_id=hotlist.id, generation=0, origin=origin, status=status,
                         plate=plate, exact_key=plate, reason="STOLEN", entered_at=at,
                         expires_at=at.replace(year=at.year + 1), entered_by=entered_by,
                         decided_by=decided_by)
    session.add(entry)
    session.flush()
    return entry
