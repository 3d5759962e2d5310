"""Share requests: every refusal with its rule, decisions, fulfilment, the record of shares."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.models import AuditEntry
from alpr.db.session import Database
from alpr.policy import Policy, load_preset
from alpr.reads.images import ImageStore
from alpr.reads.service import IngestItem, ingest
from alpr.retention import evidence
from alpr.sharing import agencies, requests
from alpr.sharing.models import AgencyKind, RequestStatus, ShareRequest
from alpr.sharing.schemas import ShareRequestIn
from tests.helpers import CameraFactory, jpeg

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)
LAPD = load_preset("lapd")  # only law enforcement, and only under an agreement


def _agency(session: Session, name: str, kind: AgencyKind) -> None:
    agencies.register_agency(session, name=name, kind=kind, jurisdiction="somewhere",
                             contacts=None, actor="user:admin", now=T0)


def _request(agency: str = "Oakland PD", **changes: Any) -> ShareRequestIn:
    fields: dict[str, Any] = {
        "agency": agency, "requester_name": "Det. Ruiz", "received_via": "email",
        "right_to_know": "Peace officer, Penal Code 830.1", "case_number": "26-004512",
        "involvement": "Assigned investigator on the burglary", "purpose_category":
        "criminal_investigation", "purpose_text": "Burglary series, PC 459",
        "attests_no_immigration": True, "attests_no_reproductive_health": True,
        "attests_no_resharing": True} | changes
    return ShareRequestIn(**fields)


def _submit(session: Session, given: ShareRequestIn, policy: Policy, now: datetime = T0
            ) -> ShareRequest:
    return requests.submit(session, given=given, actor="user:admin", policy=policy, now=now)


REFUSALS = [
    # REQ S1 — never federal, out-of-state or private
    pytest.param("FBI", AgencyKind.FEDERAL, {}, "ca-public-agency", "not a California public",
                 id="federal"),
    pytest.param("Reno PD", AgencyKind.OUT_OF_STATE, {}, "ca-public-agency", "out of state",
                 id="out-of-state"),
    pytest.param("Acme Repo", AgencyKind.PRIVATE, {}, "ca-public-agency", "private",
                 id="private"),
    # REQ S1 — nor on behalf of one
    pytest.param("Oakland PD", AgencyKind.CA_LAW_ENFORCEMENT,
                 {"on_behalf_of_name": "HSI task force", "on_behalf_of_kind": "federal"},
                 "on-behalf-of", "on behalf of HSI task force (federal)", id="on-behalf-federal"),
    # REQ S2 — never for immigration enforcement
    pytest.param("Oakland PD", AgencyKind.CA_LAW_ENFORCEMENT,
                 {"purpose_text": "Locate subject for ICE detainer"}, "immigration",
                 "immigration", id="immigration"),
    # REQ S3 — never for prosecuting reproductive health care
    pytest.param("Oakland PD", AgencyKind.CA_LAW_ENFORCEMENT,
                 {"involvement": "Out-of-state abortion investigation"}, "reproductive-health",
                 "reproductive health", id="reproductive-health"),
    # REQ S2 REQ S3 — the written attestations
    pytest.param("Oakland PD", AgencyKind.CA_LAW_ENFORCEMENT, {"attests_no_immigration": False},
                 "attestation-immigration", "attest", id="no-immigration-attestation"),
    pytest.param("Oakland PD", AgencyKind.CA_LAW_ENFORCEMENT,
                 {"attests_no_reproductive_health": False}, "attestation-reproductive-health",
                 "reproductive health care", id="no-reproductive-attestation"),
    pytest.param("Oakland PD", AgencyKind.CA_LAW_ENFORCEMENT, {"attests_no_resharing": False},
                 "attestation-no-resharing", "not be shared further", id="no-resharing"),
    # REQ S6 — requests are written
    pytest.param("Oakland PD", AgencyKind.CA_LAW_ENFORCEMENT, {"received_via": "verbal"},
                 "written-request", "written request", id="verbal"),
]


@pytest.mark.parametrize(("name", "kind", "changes", "rule", "says"), REFUSALS)
def test_refusals_are_recorded_with_the_rule_and_audited(
    database: Database, policy: Policy, name: str, kind: AgencyKind, changes: dict[str, Any],
    rule: str, says: str,
) -> None:
    # REQ S1 REQ S2 REQ S3 REQ S6 — refused automatically, stored with the rule and audited
    with database.unit_of_work() as session:
        _agency(session, name, kind)
        request = _submit(session, _request(name, **changes), policy)
        audited = session.scalars(select(AuditEntry).where(
            AuditEntry.event == "share:refused")).one()
    assert (request.status, request.rule) == (RequestStatus.REFUSED, rule)
    assert says in (request.reason or "")
    assert request.decided_by == requests.RULES_ACTOR
    assert audited.outcome == "denied" and audited.details["rule"] == rule


def test_agreement_required_and_expired_agreement_refuses(database: Database) -> None:
    # REQ S7 — under LAPD's policy every share needs a current MOU; an ended one refuses
    with database.unit_of_work() as session:
        _agency(session, "Oakland PD", AgencyKind.CA_LAW_ENFORCEMENT)
        no_mou = _submit(session, _request(), LAPD)
        oakland = agencies.get_agency(session, "Oakland PD")
        agencies.record_agreement(session, agency_id=oakland.id, starts_at=T0 - timedelta(
            days=400), ends_at=T0 - timedelta(days=35), scope="ALPR data", standing_access=True,
            actor="user:admin", now=T0)
        expired = _submit(session, _request(), LAPD)
        agencies.record_agreement(session, agency_id=oakland.id, starts_at=T0 - timedelta(
            days=30), ends_at=T0 + timedelta(days=335), scope="ALPR data",
            standing_access=False, actor="user:admin", now=T0)
        current = _submit(session, _request(), LAPD)
        standing = _submit(session, _request(standing_access=True), LAPD)
    assert (no_mou.status, no_mou.rule) == ("refused", "agreement")
    assert expired.rule == "agreement" and "ended 2026-04-27" in (expired.reason or "")
    assert current.status == "pending" and current.agreement_id is not None
    # standing access needs an agreement that grants it
    assert standing.rule == "agreement" and "standing access" in (standing.reason or "")


def test_policy_narrows_recipient_kinds_but_never_widens(database: Database, policy: Policy
                                                         ) -> None:
    # REQ S1 — LAPD shares with law enforcement only; no policy word reaches federal
    with database.unit_of_work() as session:
        _agency(session, "Alameda County Clerk", AgencyKind.CA_LOCAL_AGENCY)
        request = _submit(session, _request("Alameda County Clerk"), LAPD)
    assert request.rule == "policy-recipient-kind"
    wide = policy.model_copy(update={"sharing": policy.sharing.model_copy(
        update={"allowed_recipient_kinds": ("ca_public_agency", "federal")})})
    assert not agencies.policy_allows(AgencyKind.FEDERAL, wide)
    assert agencies.policy_allows(AgencyKind.CA_PUBLIC_DEFENDER, wide)


def test_agreement_refused_for_non_california_agency(database: Database) -> None:
    # REQ S1 — no MOU can open sharing to a federal agency
    with database.unit_of_work() as session:
        _agency(session, "DHS", AgencyKind.FEDERAL)
        with pytest.raises(agencies.SharingError, match="ca-public-agency"):
            agencies.record_agreement(
                session, agency_id=agencies.get_agency(session, "DHS").id, starts_at=T0,
                ends_at=T0 + timedelta(days=30), scope="all", standing_access=True,
                actor="user:admin", now=T0)


def test_honored_request_is_exported_recorded_and_reported(
    database: Database, policy: Policy, images: ImageStore, make_camera: CameraFactory,
    tmp_path: Any,
) -> None:
    # REQ S4 REQ S5 REQ S6 REQ S8 — decision, evidence package, the record of shares, email kept
    make_camera()
    read_id = uuid.uuid4()
    key = evidence.evidence_key(tmp_path)
    with database.unit_of_work() as session:
        ingest(session, [IngestItem({"id": str(read_id), "plate": "7ABC123", "confidence": 0.9,
                                     "camera_id": "cam-1", "plate_image": "p",
                                     "captured_at": (T0 - timedelta(hours=1)).isoformat()},
                                    images={"plate_image": jpeg()})],
               actor="t", policy=policy, images=images, now=T0)
        _agency(session, "Alameda County DA", AgencyKind.CA_PROSECUTOR)
        request = _submit(session, _request("Alameda County DA", legal_process="da_discovery"),
                          policy)
        with pytest.raises(agencies.SharingError, match="pending, not honored"):
            requests.fulfil(session, request_id=request.id, read_ids=[read_id], actor="u",
                            organization=None, images=images, key=key, policy=policy, now=T0)
        requests.decide(session, request_id=request.id, honor=True, reason="need verified",
                        officer="user:sgt", policy=policy, now=T0)
        done = requests.fulfil(session, request_id=request.id, read_ids=[read_id],
                               actor="user:sgt", organization="OPD", images=images, key=key,
                               policy=policy, now=T0 + timedelta(minutes=5))
        mailed = requests.record_transfer(
            session, request_id=request.id, channel="email", message="Attached: 1 read.",
            reads=1, actor="user:sgt", policy=policy, now=T0 + timedelta(minutes=9))
        rows = requests.report(session)
        events = list(session.scalars(select(AuditEntry.event).where(
            AuditEntry.event.like("share:%") | (AuditEntry.event == "evidence:export"))
            .order_by(AuditEntry.id)))
    assert request.status == "honored" and request.decided_by == "user:sgt"
    assert done.package and evidence.verify_package(done.package, key=key) == []
    assert mailed.share and mailed.share.message == "Attached: 1 read."
    assert [(r.agency, r.reads, r.case_number, r.officer, r.channel, r.legal_process)
            for r in rows] == [
        ("Alameda County DA", 1, "26-004512", "user:sgt", "export", "da_discovery"),
        ("Alameda County DA", 1, "26-004512", "user:sgt", "email", "da_discovery")]
    assert events == ["share:request", "share:decision", "evidence:export", "share:export",
                      "share:transfer"]


def test_denied_request_and_agreement_ending_before_export(database: Database) -> None:
    # REQ S6 REQ S7 — an officer's denial is recorded; an MOU that ends in between stops the share
    with database.unit_of_work() as session:
        _agency(session, "Oakland PD", AgencyKind.CA_LAW_ENFORCEMENT)
        oakland = agencies.get_agency(session, "Oakland PD")
        agencies.record_agreement(session, agency_id=oakland.id, starts_at=T0 - timedelta(
            days=1), ends_at=T0 + timedelta(days=2), scope="ALPR", standing_access=False,
            actor="user:admin", now=T0)
        denied = _submit(session, _request(), LAPD)
        requests.decide(session, request_id=denied.id, honor=False, reason="no need shown",
                        officer="user:sgt", policy=LAPD, now=T0)
        late = _submit(session, _request(), LAPD)
        requests.decide(session, request_id=late.id, honor=True, reason="ok",
                        officer="user:sgt", policy=LAPD, now=T0)
        done = requests.record_transfer(session, request_id=late.id, channel="email",
                                        message="x", reads=1, actor="user:sgt", policy=LAPD,
                                        now=T0 + timedelta(days=3))
    assert (denied.status, denied.reason, denied.decided_by) == ("denied", "no need shown",
                                                                 "user:sgt")
    assert done.share is None and late.status == "refused" and late.rule == "agreement"
