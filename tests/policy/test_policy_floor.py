"""The legal floor: what `alpr policy check` refuses whatever the agency's file says."""

from typing import Any

import pytest

from alpr.policy import Policy, check_policy, default_policy, load_preset
from alpr.policy.floor import Finding, errors


def amend(section: str, base: Policy | None = None, **values: Any) -> Policy:
    """The default policy (or `base`) with some values of one section changed, validated."""
    data = (base or default_policy()).model_dump(mode="json")
    data[section].update(values)
    return Policy.model_validate(data)


def found(policy: Policy, key: str, severity: str = "error") -> list[Finding]:
    return [f for f in check_policy(policy) if f.key == key and f.severity == severity]


def test_the_default_policy_is_clean() -> None:
    assert check_policy(default_policy()) == []


@pytest.mark.parametrize("keep", ["0 days", "6 months", "364 days", "365 days", "11 months"])
def test_audit_records_kept_under_a_year_is_an_error(keep: str) -> None:
    # REQ L2: access records kept at least one year (CJIS AU-11), whatever the policy says
    assert found(amend("retention", audit_records_keep=keep), "retention.audit_records_keep")


@pytest.mark.parametrize("keep", ["1 year", "12 months", "366 days", "5 years"])
def test_audit_records_kept_a_year_or_more_pass(keep: str) -> None:
    # REQ L2
    assert not found(amend("retention", audit_records_keep=keep), "retention.audit_records_keep")


def test_short_audit_results_retention_is_a_warning() -> None:
    # REQ L2: audit results three years in 000/003; shorter is allowed but flagged
    policy = amend("retention", audit_results_keep="1 year")
    assert found(policy, "retention.audit_results_keep", "warning")
    assert errors(check_policy(policy)) == []


def test_reads_must_be_deleted_after_a_positive_period() -> None:
    # REQ R1
    [finding] = found(amend("retention", delete_after="0 days"), "retention.delete_after")
    assert finding.message == "must be longer than zero"


def test_logical_deletion_comes_before_permanent_deletion() -> None:
    # REQ R2
    lapd = load_preset("lapd")
    late = amend("retention", lapd, logical_delete_after="5 years 24 hours 1 minute")
    assert found(late, "retention.logical_delete_after")
    assert not found(lapd, "retention.logical_delete_after")


def test_minimum_keep_cannot_exceed_the_deletion_period() -> None:
    # REQ R1: 001 keeps reads at least one year and purges at two
    city = load_preset("city-pd-2455")
    assert found(amend("retention", city, minimum_keep="3 years"), "retention.minimum_keep")
    assert not found(city, "retention.minimum_keep")


@pytest.mark.parametrize(
    "kinds", [["federal_agency"], ["ca_public_agency", "private_entity"], ["out_of_state_agency"]]
)
def test_sharing_outside_california_public_agencies_is_an_error(kinds: list[str]) -> None:
    # REQ S1: Civ. Code §1798.90.55(b)
    [finding] = found(
        amend("sharing", allowed_recipient_kinds=kinds), "sharing.allowed_recipient_kinds"
    )
    assert "not a California public agency" in finding.message
    assert "1798.90.55(b)" in finding.message


def test_california_public_recipients_pass() -> None:
    # REQ S1
    kinds = ["ca_public_agency", "ca_law_enforcement", "ca_prosecutor"]
    assert not found(
        amend("sharing", allowed_recipient_kinds=kinds), "sharing.allowed_recipient_kinds"
    )


def test_immigration_enforcement_can_never_be_allowed() -> None:
    # REQ S2: Gov. Code §7284.6
    policy = amend("sharing", allow_immigration_enforcement=True)
    [finding] = found(policy, "sharing.allow_immigration_enforcement")
    assert "7284.6" in finding.message


def test_dropping_sharing_safeguards_is_flagged() -> None:
    # REQ S3 REQ S7 REQ S9
    policy = amend(
        "sharing",
        require_reproductive_health_attestation=False,
        require_agreement_for_standing_access=False,
        public_records_aggregate_only=False,
    )
    warned = {f.key for f in check_policy(policy) if f.severity == "warning"}
    assert warned == {
        "sharing.require_reproductive_health_attestation",
        "sharing.require_agreement_for_standing_access",
        "sharing.public_records_aggregate_only",
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("password_min_length", 7),
        ("mfa_required", False),
        ("lockout_failures", 6),
        ("lockout_failures", 0),
        ("lockout_window", "10 minutes"),
        ("idle_lock_after", "31 minutes"),
        ("idle_disconnect_after", "2 hours"),
        ("reauthenticate_every", "13 hours"),
        ("password_max_age", "2 years"),
        ("audit_failure_alert_within", "2 hours"),
        ("incident_report_within", "1 day"),
        ("reauthenticate_every", "0 hours"),
    ],
)
def test_security_looser_than_cjis_is_an_error(key: str, value: Any) -> None:
    # REQ U11 REQ X2: CJIS baseline may be tightened, never loosened
    assert found(amend("security", **{key: value}), f"security.{key}")


def test_security_tighter_than_cjis_passes() -> None:
    # REQ U11
    tighter = amend(
        "security",
        password_min_length=15,
        lockout_failures=3,
        lockout_window="1 hour",
        idle_lock_after="10 minutes",
        reauthenticate_every="8 hours",
    )
    assert check_policy(tighter) == []


def test_account_inactivity_past_cjis_is_a_warning_only() -> None:
    # REQ U6: seed policies say 12 months, CJIS AC-2 says 90 days: a policy choice
    policy = amend("security", account_inactivity_disable="12 months")
    assert found(policy, "security.account_inactivity_disable", "warning")
    assert errors(check_policy(policy)) == []


def test_purposes_and_refused_terms_are_required() -> None:
    # REQ Q1 REQ Q2: a search states a purpose; "investigation" alone is refused
    assert found(amend("search", permitted_purposes=[]), "search.permitted_purposes")
    assert found(amend("search", refused_bare_terms=[]), "search.refused_bare_terms")


def test_a_prohibited_use_cannot_be_a_purpose() -> None:
    # REQ Q8
    oakland = load_preset("oakland")
    purposes = [*oakland.model_dump(mode="json")["search"]["permitted_purposes"]]
    purposes.append({"code": "personal_use", "label": "Personal  use"})
    [finding] = found(
        amend("search", oakland, permitted_purposes=purposes), "search.permitted_purposes[6]"
    )
    assert "prohibited use" in finding.message


def test_classifications_must_be_named_and_reviewed_yearly() -> None:
    # REQ U3 REQ U7
    assert found(amend("users", authorized_classifications=[]), "users.authorized_classifications")
    assert found(
        amend("users", authorization_review_every="2 years"), "users.authorization_review_every"
    )
    assert found(amend("users", misuse_suspension="0 days"), "users.misuse_suspension")


def test_hot_list_sources_need_their_bounds() -> None:
    # REQ H1: BOLO reasons are limited by policy; an empty list never means "any"
    bolo = amend("hotlists", allowed_sources=["SVS", "BOLO"], bolo_reasons=[])
    assert found(bolo, "hotlists.bolo_reasons")
    ncic = amend("hotlists", allowed_ncic_record_types=[])
    assert found(ncic, "hotlists.allowed_ncic_record_types")
    unused = amend("hotlists", allowed_sources=["SVS"])
    assert found(unused, "hotlists.allowed_ncic_record_types", "warning")


def test_hot_lists_imported_less_than_daily_is_flagged() -> None:
    # REQ H2 REQ H5
    assert found(
        amend("hotlists", import_at_least_every="2 days"),
        "hotlists.import_at_least_every",
        "warning",
    )
    assert found(amend("hotlists", entry_lifetime="0 days"), "hotlists.entry_lifetime")


def test_logically_deleted_offenses_without_logical_deletion_are_flagged() -> None:
    # REQ Q7
    policy = amend("search", logically_deleted_access_offenses=["Court order"])
    assert found(policy, "search.logically_deleted_access_offenses", "warning")


def test_findings_read_as_key_and_message() -> None:
    finding = Finding("security.mfa_required", "must be true")
    assert str(finding) == "security.mfa_required: must be true"
    assert finding.severity == "error"
