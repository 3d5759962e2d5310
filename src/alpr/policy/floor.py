"""The legal floor: what SB 34 and the CJIS baseline demand whatever the agency's policy says.

The only numbers in code are here; a policy may be stricter, never looser. An "error" means
the policy is below the floor and must not be used; a "warning" names a choice worth a look.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from alpr.policy.duration import Duration
from alpr.policy.model import Policy

Severity = Literal["error", "warning"]

# Civ. Code §1798.90.55(b) and §1798.90.5(f): only California public agencies.
CA_PUBLIC_RECIPIENT_KINDS = frozenset({"ca_public_agency", "ca_law_enforcement", "ca_prosecutor"})
AUDIT_RECORDS_MIN = Duration(years=1)  # CJIS AU-11
AUDIT_RESULTS_RECOMMENDED = Duration(years=3)  # 000 429.8, 003 429.8
AUTHORIZATION_REVIEW_MAX = Duration(years=1)  # CJIS AC-2; 000/003 429.4 "annually"
HOTLIST_IMPORT_MAX = Duration(days=1)  # 004 B.1 "a minimum of once a day"
PASSWORD_MIN_LENGTH = 8  # CJIS IA-5(1)
LOCKOUT_MAX_FAILURES = 5  # CJIS AC-7
ACCOUNT_INACTIVITY_CJIS = Duration(days=90)  # CJIS AC-2; seed policies use 12 months

# security key -> (limit, the policy value must be at most the limit?, CJIS control)
CJIS_PERIODS: dict[str, tuple[Duration, bool, str]] = {
    "reauthenticate_every": (Duration(hours=12), True, "IA-11"),
    "idle_lock_after": (Duration(minutes=30), True, "AC-11"),
    "idle_disconnect_after": (Duration(hours=1), True, "SC-10"),
    "password_max_age": (Duration(years=1), True, "IA-5(1)"),
    "lockout_window": (Duration(minutes=15), False, "AC-7"),  # a shorter window locks less
    "audit_failure_alert_within": (Duration(hours=1), True, "AU-5"),
    "incident_report_within": (Duration(hours=1), True, "IR-6"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    key: str  # dotted policy key, e.g. "retention.audit_records_keep"
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


Rule = Callable[[Policy], Iterable[Finding]]


def check_policy(policy: Policy) -> list[Finding]:
    """Every way `policy` falls below (error) or strays from (warning) the legal floor."""
    return [finding for rule in RULES for finding in rule(policy)]


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.severity == "error"]


def _periods_positive(policy: Policy) -> Iterator[Finding]:
    # A zero period deletes at once or re-checks constantly: always a slip, never a choice.
    for section in ("retention", "hotlists", "users", "security"):
        for name, value in getattr(policy, section):
            if isinstance(value, Duration) and not value:
                yield Finding(f"{section}.{name}", "must be longer than zero")


# --- retention ---------------------------------------------------------------------------


def _logical_before_permanent(policy: Policy) -> Iterator[Finding]:
    logical, permanent = policy.retention.logical_delete_after, policy.retention.delete_after
    if logical and logical.at_least(permanent):
        yield Finding(
            "retention.logical_delete_after",
            f"logical deletion ({logical}) must come before permanent deletion ({permanent})",
        )


def _minimum_within_delete(policy: Policy) -> Iterator[Finding]:
    minimum, permanent = policy.retention.minimum_keep, policy.retention.delete_after
    if minimum and not permanent.at_least(minimum):
        yield Finding(
            "retention.minimum_keep",
            f"reads would be deleted ({permanent}) before the minimum keep ({minimum})",
        )


def _audit_records_kept(policy: Policy) -> Iterator[Finding]:
    keep = policy.retention.audit_records_keep
    if keep and not keep.at_least(AUDIT_RECORDS_MIN):
        yield Finding(
            "retention.audit_records_keep",
            f"access records must be kept at least {AUDIT_RECORDS_MIN} (CJIS AU-11), not {keep}",
        )


def _audit_results_kept(policy: Policy) -> Iterator[Finding]:
    keep = policy.retention.audit_results_keep
    if keep and not keep.at_least(AUDIT_RESULTS_RECOMMENDED):
        yield Finding(
            "retention.audit_results_keep",
            f"audit results are kept {keep}; 000 and 003 429.8 keep them "
            f"{AUDIT_RESULTS_RECOMMENDED}",
            "warning",
        )


# --- hot lists ---------------------------------------------------------------------------


def _hotlists_imported_daily(policy: Policy) -> Iterator[Finding]:
    every = policy.hotlists.import_at_least_every
    if not HOTLIST_IMPORT_MAX.at_least(every):
        yield Finding(
            "hotlists.import_at_least_every",
            f"hot lists older than a day raise stale alerts; imported every {every}",
            "warning",
        )


def _listed_sources_are_bounded(policy: Policy) -> Iterator[Finding]:
    # An empty list must never read as "anything goes", so a source needs its bounds.
    hotlists = policy.hotlists
    bounds = {
        "BOLO": ("bolo_reasons", hotlists.bolo_reasons),
        "NCIC": ("allowed_ncic_record_types", hotlists.allowed_ncic_record_types),
    }
    for source, (key, values) in bounds.items():
        if source in hotlists.allowed_sources and not values:
            yield Finding(f"hotlists.{key}", f"{source} is an allowed source: list its {key}")
        elif values and source not in hotlists.allowed_sources:
            yield Finding(f"hotlists.{key}", f"unused: {source} is not allowed", "warning")


# --- users -------------------------------------------------------------------------------


def _classifications_named(policy: Policy) -> Iterator[Finding]:
    if not policy.users.authorized_classifications:
        yield Finding(
            "users.authorized_classifications",
            "name who may use the system (Civ. Code §1798.90.51(b)(2)(B), §1798.90.53(b)(2)(B))",
        )


def _authorizations_reviewed_yearly(policy: Policy) -> Iterator[Finding]:
    every = policy.users.authorization_review_every
    if not AUTHORIZATION_REVIEW_MAX.at_least(every):
        yield Finding(
            "users.authorization_review_every",
            f"accounts must be reviewed at least every {AUTHORIZATION_REVIEW_MAX} (CJIS AC-2)",
        )


# --- search ------------------------------------------------------------------------------


def _purposes_stated(policy: Policy) -> Iterator[Finding]:
    if not policy.search.permitted_purposes:
        yield Finding(
            "search.permitted_purposes",
            "state at least one authorized purpose (Civ. Code §1798.90.51(b)(2)(A))",
        )


def _bare_terms_refused(policy: Policy) -> Iterator[Finding]:
    if not policy.search.refused_bare_terms:
        yield Finding(
            "search.refused_bare_terms",
            'list the bare purposes to refuse, at least "investigation" (000 429.4)',
        )


def _case_number_formats(policy: Policy) -> Iterator[Finding]:
    rules = policy.search
    if not rules.case_number_formats and not rules.case_number_pattern:
        yield Finding(
            "search.case_number_formats",
            "none set: a case number is checked only for a placeholder ('-', 'N/A', '1');"
            " list the agency's formats (000/003 429.4 internal case number)",
            "warning",
        )


def _lexicon_additions_readable(policy: Policy) -> Iterator[Finding]:
    # Imported here: the policy package stays below the domains that read it.
    from alpr.search.textnorm import words

    for index, addition in enumerate(policy.search.lexicon_additions):
        for phrase in addition.refuse:
            if not any(ch.isalnum() for word in words(phrase) for ch in word):
                yield Finding(f"search.lexicon_additions[{index}]",
                              f"{phrase!r} has no letters or digits to match")


def _prohibited_use_not_a_purpose(policy: Policy) -> Iterator[Finding]:
    prohibited = {_words(use) for use in policy.search.prohibited_uses}
    for index, purpose in enumerate(policy.search.permitted_purposes):
        if {_words(purpose.label), _words(purpose.code)} & prohibited:
            yield Finding(
                f"search.permitted_purposes[{index}]",
                f"{purpose.label!r} is a prohibited use and cannot be a purpose",
            )


def _words(text: str) -> str:
    return " ".join(text.replace("_", " ").casefold().split())


def _offenses_need_logical_delete(policy: Policy) -> Iterator[Finding]:
    offenses = policy.search.logically_deleted_access_offenses
    if offenses and policy.retention.logical_delete_after is None:
        yield Finding(
            "search.logically_deleted_access_offenses",
            "unused: retention.logical_delete_after is not set",
            "warning",
        )


# --- sharing -----------------------------------------------------------------------------


def _recipients_ca_public(policy: Policy) -> Iterator[Finding]:
    allowed = ", ".join(sorted(CA_PUBLIC_RECIPIENT_KINDS))
    for kind in policy.sharing.allowed_recipient_kinds:
        if kind not in CA_PUBLIC_RECIPIENT_KINDS:
            yield Finding(
                "sharing.allowed_recipient_kinds",
                f"{kind!r} is not a California public agency; Civ. Code §1798.90.55(b) "
                f"allows sharing only with one ({allowed})",
            )


def _no_immigration_enforcement(policy: Policy) -> Iterator[Finding]:
    if policy.sharing.allow_immigration_enforcement:
        yield Finding(
            "sharing.allow_immigration_enforcement",
            "must be false: Gov. Code §7284.6 (SB 54) bars immigration enforcement use",
        )


def _sharing_safeguards(policy: Policy) -> Iterator[Finding]:
    advice = {
        "require_reproductive_health_attestation": "no written attestation (004 C.3(6))",
        "require_agreement_for_standing_access": "standing access without an MOU (002, 004 I)",
        "public_records_aggregate_only": "records requests may get more than aggregates (004 H)",
    }
    for key, risk in advice.items():
        if not getattr(policy.sharing, key):
            yield Finding(f"sharing.{key}", f"false: {risk}", "warning")


# --- security (CJIS) ---------------------------------------------------------------------


def _mfa_required(policy: Policy) -> Iterator[Finding]:
    if not policy.security.mfa_required:
        yield Finding("security.mfa_required", "must be true (CJIS IA-2; 000 and 003 429.9)")


def _password_length(policy: Policy) -> Iterator[Finding]:
    length = policy.security.password_min_length
    if length < PASSWORD_MIN_LENGTH:
        yield Finding(
            "security.password_min_length",
            f"must be at least {PASSWORD_MIN_LENGTH} (CJIS IA-5(1)), not {length}",
        )


def _lockout_failures(policy: Policy) -> Iterator[Finding]:
    failures = policy.security.lockout_failures
    if not 1 <= failures <= LOCKOUT_MAX_FAILURES:
        yield Finding(
            "security.lockout_failures",
            f"must be 1 to {LOCKOUT_MAX_FAILURES} (CJIS AC-7), not {failures}",
        )


def _cjis_periods(policy: Policy) -> Iterator[Finding]:
    for name, (limit, at_most, control) in CJIS_PERIODS.items():
        value: Duration = getattr(policy.security, name)
        key = f"security.{name}"
        if at_most and not limit.at_least(value):
            yield Finding(key, f"must be at most {limit} (CJIS {control}), not {value}")
        elif not at_most and not value.at_least(limit):
            yield Finding(key, f"must be at least {limit} (CJIS {control}), not {value}")


def _account_inactivity(policy: Policy) -> Iterator[Finding]:
    after = policy.security.account_inactivity_disable
    if not ACCOUNT_INACTIVITY_CJIS.at_least(after):
        yield Finding(
            "security.account_inactivity_disable",
            f"CJIS AC-2 disables inactive accounts after {ACCOUNT_INACTIVITY_CJIS}, not {after}",
            "warning",
        )


RULES: tuple[Rule, ...] = (
    _periods_positive,
    _logical_before_permanent,
    _minimum_within_delete,
    _audit_records_kept,
    _audit_results_kept,
    _hotlists_imported_daily,
    _listed_sources_are_bounded,
    _classifications_named,
    _authorizations_reviewed_yearly,
    _purposes_stated,
    _bare_terms_refused,
    _prohibited_use_not_a_purpose,
    _case_number_formats,
    _lexicon_additions_readable,
    _offenses_need_logical_delete,
    _recipients_ca_public,
    _no_immigration_enforcement,
    _sharing_safeguards,
    _mfa_required,
    _password_length,
    _lockout_failures,
    _cjis_periods,
    _account_inactivity,
)
