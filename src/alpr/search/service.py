"""Search stored reads — the only way out of the reads table — with purpose and audit.

Every search and every view of a read or an image validates the purpose first and writes
its audit entry in the same transaction as the access (REQ L1): if the audit write fails,
the transaction fails and nothing is returned.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from itertools import product
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.models import Read
from alpr.reads.plates import confusion_key, exact_key
from alpr.search import deleted_access, sensitive
from alpr.search.geo import EARTH_M, distance_m, in_polygon
from alpr.search.purpose import Purpose
from alpr.search.schemas import ReadOut, SearchQuery

MAX_GEO_CANDIDATES = 50_000
_WILDCARDS = re.compile(r"^[A-Z0-9*?]{1,10}$")


class SearchError(ValueError):
    """A search that cannot run as asked; the message says why."""


class SensitiveLocationRefused(SearchError):  # noqa: N818 (a refusal the user sees)
    """The search touches a sensitive location and the purpose names no court order."""

    rule = "sensitive-location"

    def __init__(self, touched: list[sensitive.Touched]) -> None:
        super().__init__("this search touches a sensitive location: "
                         + "; ".join(t.describe() for t in touched)
                         + " — give the court order or warrant authorizing it (purpose"
                         f" court_order) [rule: {self.rule}]")
        self.touched = touched


@dataclass(frozen=True)
class Caller:
    actor: str
    organization: str | None
    may_see_deleted: bool = False


@dataclass(frozen=True)
class SearchResult:
    reads: list[ReadOut]
    has_more: bool
    audit_id: int
    total: int = 0


def access_for(session: Session, caller: Caller, approval_id: int | None, now: datetime,
               plate: str | None = None) -> deleted_access.DeletedAccess:
    """The caller's view of logically deleted reads (the one rule, search.deleted_access)."""
    try:
        return deleted_access.resolve(session, approval_id=approval_id, actor=caller.actor,
                                      may_see_deleted=caller.may_see_deleted, now=now,
                                      plate=plate)
    except deleted_access.DeletedAccessRefused as error:
        raise SearchError(str(error)) from error


def search(session: Session, *, query: SearchQuery, purpose: Purpose, caller: Caller,
           policy: Policy, now: datetime, deleted_approval_id: int | None = None) -> SearchResult:
    access = access_for(session, caller, deleted_approval_id, now,
                        plate=query.plate or ("" if deleted_approval_id else None))
    statement = _filtered(query).where(access.condition())
    offset = (query.page - 1) * query.page_size
    if query.near or query.polygon:
        candidates = session.scalars(statement.limit(MAX_GEO_CANDIDATES + 1)).all()
        if len(candidates) > MAX_GEO_CANDIDATES:
            raise SearchError("too many reads in that area and time: narrow the time range")
        inside = [r for r in candidates if _inside(r, query)]
        page, total = inside[offset : offset + query.page_size + 1], len(inside)
    else:
        page = list(session.scalars(statement.offset(offset).limit(query.page_size + 1)))
        total = session.scalar(select(func.count()).select_from(
            statement.order_by(None).subquery())) or 0
    has_more = len(page) > query.page_size
    shown = page[: query.page_size]
    touched = sensitive.touched(query, shown, policy.search.sensitive_locations)
    if touched and not purpose.court_order:
        raise SensitiveLocationRefused(touched)
    reads = [_out(r) for r in shown]
    entry = record(session, event=AuditEvent.SEARCH_QUERY, actor=caller.actor, now=now,
                   organization=caller.organization, purpose=purpose.summary(), details={
                       "query": query.model_dump(mode="json", exclude_defaults=True),
                       "purpose_category": purpose.category, "case_number": purpose.case_number,
                       "on_behalf_of": purpose.on_behalf_of, "results": len(reads),
                       "total": total,
                       "court_order": purpose.court_order,
                       "sensitive_locations": [t.as_details() for t in touched],
                       "deleted_approval_id": access.approval_id})
    return SearchResult(reads, has_more, entry.id, total)


SORTS: dict[str, tuple[Any, ...]] = {
    "newest": (Read.captured_at.desc(),), "oldest": (Read.captured_at.asc(),),
    "plate": (Read.plate_normalized, Read.captured_at.desc()),
    "camera": (Read.camera_id, Read.captured_at.desc()),
}


def _filtered(query: SearchQuery) -> Select[Read]:
    statement = select(Read)
    if query.plate:
        statement = statement.where(_plate_condition(query.plate, query.confusion))
    if query.since:
        statement = statement.where(Read.captured_at >= query.since)
    if query.until:
        statement = statement.where(Read.captured_at < query.until)
    if query.cameras:
        statement = statement.where(Read.camera_id.in_(query.cameras))
    if query.vehicle_color:
        statement = statement.where(func.lower(Read.vehicle_color) == query.vehicle_color.lower())
    if query.vehicle_make:
        statement = statement.where(func.lower(Read.vehicle_make) == query.vehicle_make.lower())
    box = _bounding_box(query)
    if box:
        south, west, north, east = box
        statement = statement.where(Read.lat.between(south, north), Read.lon.between(west, east))
    return statement.order_by(*SORTS[query.sort], Read.id)


def _plate_condition(text: str, confusion: bool) -> Any:
    plate = re.sub(r"[\s\-.·]", "", text.upper())
    if not _WILDCARDS.match(plate):
        raise SearchError("plate: letters, digits, * (any run) and ? (one character), at most 10")
    if confusion:
        key = confusion_key(exact_key(plate))
        if "*" in key or "?" in key:
            return Read.plate_confusion.like(key.replace("*", "%").replace("?", "_"))
        return Read.plate_confusion == key
    if "*" in plate or "?" in plate:
        return Read.plate_normalized.like(plate.replace("*", "%").replace("?", "_"))
    return Read.plate_normalized.in_(_o_and_zero(plate))


def _o_and_zero(plate: str) -> list[str]:
    """Every spelling of the plate with O and 0 swapped (US agencies treat them as one)."""
    options = [("O", "0") if char in "O0" else (char,) for char in plate]
    spellings = ["".join(choice) for choice in product(*options)]
    return spellings[:64]


def _bounding_box(query: SearchQuery) -> tuple[float, float, float, float] | None:
    if query.near:
        dlat = math.degrees(query.near.radius_m / EARTH_M)
        dlon = dlat / max(math.cos(math.radians(query.near.lat)), 1e-6)
        return (query.near.lat - dlat, query.near.lon - dlon,
                query.near.lat + dlat, query.near.lon + dlon)
    if query.polygon:
        lats = [lat for lat, _ in query.polygon]
        lons = [lon for _, lon in query.polygon]
        return min(lats), min(lons), max(lats), max(lons)
    return None


def _inside(read: Read, query: SearchQuery) -> bool:
    if read.lat is None or read.lon is None:
        return False  # a read without a position lies in no area
    if query.near:
        return distance_m(query.near.lat, query.near.lon, read.lat, read.lon) <= query.near.radius_m
    return query.polygon is None or in_polygon(read.lat, read.lon, query.polygon)


def _out(read: Read) -> ReadOut:
    out = ReadOut.model_validate(read)
    return out.model_copy(update={"has_plate_image": read.plate_image is not None,
                                  "has_vehicle_image": read.vehicle_image is not None,
                                  "logically_deleted": read.logically_deleted_at is not None})


def view_read(session: Session, *, read_id: uuid.UUID, purpose: Purpose, caller: Caller,
              now: datetime, image: str | None = None, images: ImageStore | None = None,
              deleted_approval_id: int | None = None) -> tuple[ReadOut, bytes | None]:
    """One read (and optionally one of its images), audited as a read access. A logically
    deleted read is "no read" unless the approval named opens its plate."""
    access = access_for(session, caller, deleted_approval_id, now)
    read = session.scalar(select(Read).where(Read.id == read_id))
    if read is None or not access.allows(read):
        raise SearchError(f"no read {read_id}")
    data = None
    if image is not None:
        digest = {"plate": read.plate_image, "vehicle": read.vehicle_image}.get(image)
        if digest is None or images is None:
            raise SearchError(f"read {read_id} has no {image} image")
        data = images.get(digest, read.captured_at.date())
    record(session, event=AuditEvent.READ_IMAGE if image else AuditEvent.READ_VIEW,
           actor=caller.actor, organization=caller.organization, purpose=purpose.summary(),
           now=now, details={"read_id": str(read_id), "plate": read.plate_normalized,
                             "image": image, "on_behalf_of": purpose.on_behalf_of,
                             "case_number": purpose.case_number,
                             "deleted_approval_id": access.approval_id})
    return _out(read), data
