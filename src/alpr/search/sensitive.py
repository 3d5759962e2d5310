"""Sensitive locations (clinics, places of worship, permitted protests) from the policy's
`[[search.sensitive_locations]]`: which ones a search's area or its results touch.

A search that touches one is refused unless its purpose gives a court-order reference
(alpr.search.service); the audit entry names the places touched, and the periodic audit
flags such searches (alpr.reports.checks).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from alpr.policy.model import SensitiveLocation
from alpr.search.geo import Area, overlaps
from alpr.search.schemas import SearchQuery


class Located(Protocol):
    @property
    def lat(self) -> float | None: ...
    @property
    def lon(self) -> float | None: ...


@dataclass(frozen=True)
class Touched:
    location: SensitiveLocation
    by: str  # "area": the search area overlaps it; "results": reads found inside it
    reads: int = 0

    def describe(self) -> str:
        how = ("the search area overlaps it" if self.by == "area"
               else f"{self.reads} result(s) lie within it")
        return f"{self.location.name!r} ({self.location.kind}): {how}"

    def as_details(self) -> dict[str, Any]:
        return {"name": self.location.name, "kind": self.location.kind, "by": self.by,
                "reads": self.reads}


def location_area(location: SensitiveLocation) -> Area:
    if location.polygon is not None:
        return Area(polygon=tuple(location.polygon))
    assert location.lat is not None and location.lon is not None
    return Area(center=(location.lat, location.lon), radius_m=location.radius_m or 0.0)


def query_area(query: SearchQuery | dict[str, Any]) -> Area | None:
    """The canvass area of a query (or of a query as the audit log recorded it)."""
    given = query if isinstance(query, SearchQuery) else _recorded(query)
    if given is None:
        return None
    if given.near is not None:
        return Area(center=(given.near.lat, given.near.lon), radius_m=given.near.radius_m)
    if given.polygon:
        return Area(polygon=tuple(given.polygon))
    return None


def _recorded(query: dict[str, Any]) -> SearchQuery | None:
    try:
        return SearchQuery.model_validate(query)
    except ValueError:
        return None  # an entry written by an older version: nothing to re-check


def touched(query: SearchQuery | dict[str, Any], reads: Iterable[Located],
            locations: Sequence[SensitiveLocation]) -> list[Touched]:
    """The sensitive locations the query's area overlaps, then those holding results."""
    if not locations:
        return []
    area = query_area(query)
    found = [Touched(loc, "area") for loc in locations
             if area is not None and overlaps(area, location_area(loc))]
    named = {t.location.name for t in found}
    points = [(r.lat, r.lon) for r in reads if r.lat is not None and r.lon is not None]
    for loc in locations:
        if loc.name in named:
            continue
        shape = location_area(loc)
        inside = sum(1 for lat, lon in points if shape.contains(lat, lon))
        if inside:
            found.append(Touched(loc, "results", inside))
    return found
