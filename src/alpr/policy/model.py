"""The agency policy file as typed data: every number an agency chooses, none of them in code.

Models are strict (a TOML string is never silently taken for a number), refuse unknown keys
(a misspelt key must not fall back to a default) and are frozen (one policy per process).
docs/policy.md explains each key; floor.py holds the legal minimums no policy may lower.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from alpr.policy.duration import Duration

_CONFIG = ConfigDict(extra="forbid", frozen=True, strict=True)


def _as_tuple(value: object) -> object:
    # TOML arrays arrive as lists; tuples keep the frozen policy immutable all the way down.
    return tuple(value) if isinstance(value, list) else value


def _is_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    return pattern


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Texts = Annotated[tuple[Text, ...], BeforeValidator(_as_tuple)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
# NCIC originating agency identifier: state code and seven characters (e.g. CA0190000).
Ori = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}[0-9A-Z]{7}$")]
Regex = Annotated[str, AfterValidator(_is_regex)]

# The vocabularies other domains act on; an unknown value is a typo, not a new rule.
HotlistSource = Literal["SVS", "NCIC", "CA_DOJ", "AMBER", "SILVER", "BOLO"]
# NCIC vehicle-file record types (shared/HOTLIST-FORMATS.md): A Amber alert, C supervised
# release, F felony vehicle, H protection order, K protective interest, L violent person,
# M missing person, P stolen plate, R stolen Canadian vehicle, T gang/terrorist member,
# V stolen vehicle, W wanted person, X sex offender.
NcicRecordType = Literal["A", "C", "F", "H", "K", "L", "M", "P", "R", "T", "V", "W", "X"]
ReferenceKind = Literal["case_number", "code_section", "last_name", "court_order"]


class AgencySection(BaseModel):
    model_config = _CONFIG

    name: Text
    ori: Ori | None = None
    source: Text  # the policy document this file implements
    custodian: Text | None = None  # official custodian's title, §1798.90.51(b)(2)(E)


class RetentionSection(BaseModel):
    model_config = _CONFIG

    delete_after: Duration  # reads not held for a case are permanently deleted after this
    logical_delete_after: Duration | None = None  # hidden from Data Users after this
    # Reads that matched a hot list, where the policy keeps them longer (None: delete_after).
    hit_reads_delete_after: Duration | None = None
    minimum_keep: Duration | None = None  # no read may be purged sooner
    audit_records_keep: Duration  # access records (§1798.90.52)
    audit_results_keep: Duration | None = None  # None: audit reports are kept indefinitely
    hold_reverify_every: Duration | None = None  # None: holds last until released
    downloaded_data_destroy_after: Duration | None = None  # None: records schedule applies


class HotlistSection(BaseModel):
    model_config = _CONFIG

    entry_lifetime: Duration  # an entry not renewed by import or re-entry expires after this
    import_at_least_every: Duration
    allowed_sources: Annotated[tuple[HotlistSource, ...], BeforeValidator(_as_tuple)]
    allowed_ncic_record_types: Annotated[
        tuple[NcicRecordType, ...], BeforeValidator(_as_tuple)
    ] = ()
    bolo_reasons: Texts = ()  # the only categories a custom BOLO entry may name
    manual_entries_require_approval: bool = True
    # An import that would drop more than this share of a list's entries is refused unless
    # an ALPR Administrator forces it with a reason (a truncated or wrong file, REQ H2).
    import_max_drop: Annotated[float, Field(gt=0, le=1)] = 0.5
    # What an officer may record as the outcome of a verified alert (REQ A3; 004 C.2.A(2)).
    disposition_codes: Texts = (
        "arrest",
        "vehicle recovered",
        "citation",
        "field interview",
        "unable to locate",
        "hit not confirmed",
        "record in error",
    )


class UserSection(BaseModel):
    model_config = _CONFIG

    authorized_classifications: Texts
    training_interval: Duration
    reorientation_after_unused: Duration
    inactivity_suspension: Duration  # ALPR authorization suspended when unused this long
    authorization_review_every: Duration
    misuse_suspension: Duration
    deleted_after_separation: Duration | None = None  # None: kept disabled, never deleted


class PermittedPurpose(BaseModel):
    model_config = _CONFIG

    code: Code
    label: Text
    requires: Annotated[tuple[ReferenceKind, ...], BeforeValidator(_as_tuple)] = ()  # all
    requires_one_of: Annotated[tuple[ReferenceKind, ...], BeforeValidator(_as_tuple)] = ()


def _as_points(value: object) -> object:
    # [[lat, lon], ...] from TOML: a tuple of pairs, so strict validation and freezing work.
    if isinstance(value, list):
        return tuple(tuple(point) if isinstance(point, list) else point for point in value)
    return value


Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
SensitiveKind = Literal["clinic", "worship", "protest", "other"]


class SensitiveLocation(BaseModel):
    """A place whose visitors a search must not expose without a court order (clinics,
    places of worship, permitted protests): a circle (lat, lon, radius_m) or a polygon."""

    model_config = _CONFIG

    name: Text
    kind: SensitiveKind
    lat: Latitude | None = None
    lon: Longitude | None = None
    radius_m: Annotated[float, Field(gt=0, le=50_000)] | None = None
    polygon: Annotated[tuple[tuple[Latitude, Longitude], ...],
                       BeforeValidator(_as_points)] | None = None  # [[lat, lon], ...]

    @model_validator(mode="after")
    def _one_shape(self) -> SensitiveLocation:
        circle = (self.lat, self.lon, self.radius_m)
        if self.polygon is not None:
            if any(v is not None for v in circle):
                raise ValueError(f"{self.name}: give lat/lon/radius_m or polygon, not both")
            if len(self.polygon) < 3:
                raise ValueError(f"{self.name}: a polygon needs at least 3 [lat, lon] points")
        elif any(v is None for v in circle):
            raise ValueError(f"{self.name}: give lat, lon and radius_m (or a polygon)")
        return self


# The rules of alpr/search/lexicons/*.toml a policy may add phrases to (never remove).
LexiconRule = Literal[
    "immigration", "reproductive-health", "first-amendment", "personal-use",
    "protected-characteristics", "on-behalf-of", "criminal-history", "ssn", "date-of-birth",
    "driver-licence", "phone", "email", "address",
]


class CaseNumberFormat(BaseModel):
    """One accepted layout of the agency's case numbers, with an example that fits it."""

    model_config = _CONFIG

    pattern: Regex  # matched against the whole case number, letters in any case
    example: Text
    label: Text | None = None  # e.g. "DR number"

    @model_validator(mode="after")
    def _example_fits(self) -> CaseNumberFormat:
        if not re.fullmatch(self.pattern, self.example, flags=re.IGNORECASE):
            raise ValueError(f"example {self.example!r} does not match pattern {self.pattern!r}")
        return self


class LexiconAddition(BaseModel):
    """More phrases an agency refuses under one legal rule (docs/policy.md)."""

    model_config = _CONFIG

    rule: LexiconRule
    refuse: Annotated[tuple[Text, ...], BeforeValidator(_as_tuple), Field(min_length=1)]


class CodeAbbreviation(BaseModel):
    """A code a purpose's code section may name, beyond the California codes."""

    model_config = _CONFIG

    code: Text  # e.g. "Oakland Municipal Code"
    abbreviations: Texts  # e.g. ["OMC"]


class SearchSection(BaseModel):
    model_config = _CONFIG

    permitted_purposes: Annotated[tuple[PermittedPurpose, ...], BeforeValidator(_as_tuple)]
    standard: Text  # the attested standard, e.g. "reasonable suspicion"
    case_number_pattern: Regex | None = None  # older single format; prefer case_number_formats
    case_number_formats: Annotated[tuple[CaseNumberFormat, ...],
                                   BeforeValidator(_as_tuple)] = ()
    refused_bare_terms: Texts
    lexicon_additions: Annotated[tuple[LexiconAddition, ...], BeforeValidator(_as_tuple)] = ()
    code_abbreviations: Annotated[tuple[CodeAbbreviation, ...], BeforeValidator(_as_tuple)] = ()
    logically_deleted_access_offenses: Texts = ()
    # How long a command approval to see logically deleted reads lasts (REQ Q7, R2).
    deleted_access_approval_lifetime: Duration = Duration(hours=24)
    prohibited_uses: Texts = ()
    # Searches touching these need a court-order reference in the purpose (see docs/policy.md).
    sensitive_locations: Annotated[tuple[SensitiveLocation, ...],
                                   BeforeValidator(_as_tuple)] = ()

    @model_validator(mode="after")
    def _unique_codes(self) -> SearchSection:
        codes = [purpose.code for purpose in self.permitted_purposes]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValueError(f"permitted purpose codes must be unique: {', '.join(repeated)}")
        return self


class SharingSection(BaseModel):
    model_config = _CONFIG

    # Free text on purpose: floor.py names what SB 34 allows, so a wrong kind is reported
    # with the law it breaks instead of as a bare typo.
    allowed_recipient_kinds: Texts
    require_agreement_for_standing_access: bool = True
    require_agreement_for_any_sharing: bool = False
    require_written_request: bool = True
    require_reproductive_health_attestation: bool = True
    allow_immigration_enforcement: bool = False
    public_records_aggregate_only: bool = True
    # Target for notifying residents and the Attorney General of a breach (Civ. Code
    # §1798.29 says "most expedient time possible", no day count): the incident tasks' due date.
    breach_notice_within: Duration = Duration(days=30)
    # A plate on an MQTT topic reaches every subscriber of the broker (home-automation
    # systems, dashboards): only where the written policy allows it, and only when the
    # server is also configured to (ALPR_MQTT_PUBLISH_PLATES).
    plates_on_mqtt: bool = False


class SecuritySection(BaseModel):
    """Defaults are the CJIS Security Policy baseline (shared/SECURITY-BASELINE.md)."""

    model_config = _CONFIG

    mfa_required: bool = True  # IA-2
    reauthenticate_every: Duration = Duration(hours=12)  # IA-11
    idle_lock_after: Duration = Duration(minutes=30)  # AC-11
    idle_disconnect_after: Duration = Duration(hours=1)  # SC-10
    password_min_length: int = 8  # IA-5(1)
    password_max_age: Duration = Duration(years=1)  # IA-5(1)
    lockout_failures: int = 5  # AC-7
    lockout_window: Duration = Duration(minutes=15)  # AC-7
    audit_failure_alert_within: Duration = Duration(hours=1)  # AU-5
    incident_report_within: Duration = Duration(hours=1)  # IR-6
    account_inactivity_disable: Duration = Duration(days=90)  # AC-2
    # U12: access only from agency-issued devices registered by an administrator.
    require_registered_devices: bool = False


class AuditSection(BaseModel):
    """Periodic audits (REQ L3, L6): schedule, sample statistics and the automatic rules."""

    model_config = _CONFIG

    every: Duration = Duration(months=1)  # a periodic audit of the searches since the last
    confidence: float = 0.95  # the sample lets the auditor state this confidence ...
    margin: float = 0.05  # ... that the share of bad searches is within this margin
    usual_hours_start: int = 6  # searches outside [start, end) local time are flagged
    usual_hours_end: int = 22
    timezone: Text = "America/Los_Angeles"
    max_searches_per_day: int = 50  # more searches by one user in one day are flagged
    min_reference_length: int = 4  # a case number shorter than this is flagged as weak
    read_accuracy_sample: int = 50  # reads an operator confirms against their images (L6)


class Policy(BaseModel):
    model_config = _CONFIG

    agency: AgencySection
    retention: RetentionSection
    hotlists: HotlistSection
    users: UserSection
    search: SearchSection
    sharing: SharingSection
    security: SecuritySection = SecuritySection()
    audits: AuditSection = AuditSection()

    def purpose(self, code: str) -> PermittedPurpose | None:
        """The permitted purpose with this code, or None when the policy does not permit it."""
        return next((p for p in self.search.permitted_purposes if p.code == code), None)
