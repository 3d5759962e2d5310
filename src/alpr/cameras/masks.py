"""Privacy masks and exclusion zones (REQ C4): what must never be read is dropped, not stored.

Two kinds, both polygons:

* an **image mask** belongs to one camera and is drawn in its image coordinates (pixels,
  origin top left): a plate whose box centre lies inside is never read (driveways, windows);
* a **geographic exclusion zone** is a polygon of [lat, lon] points, for one camera or the
  whole agency: a read whose location lies inside is never recorded (mobile units).

Masks are versioned: a change supersedes the current version and adds the next one; the
old versions are kept and every change is audited. A dropped read is only counted, per
camera and day (`camera_masked_counts`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.admin import check_administrator
from alpr.cameras.models import Camera, MaskedReadCount, MaskKind, PrivacyMask
from alpr.cameras.service import CameraError, get_camera
from alpr.db.base import utcnow
from alpr.search.geo import in_polygon

Point = tuple[float, float]
MASKED_REASON = "inside a privacy mask (counted, not stored)"


def point_in_polygon(point: Point, polygon: Sequence[Point]) -> bool:
    """Points are (x, y) or (lat, lon) pairs (zones are small: planar is fine)."""
    return in_polygon(point[0], point[1], polygon)


def check_polygon(kind: MaskKind, points: Sequence[Sequence[float]]) -> list[Point]:
    """The polygon as a list of pairs, or CameraError saying what is wrong with it."""
    if len(points) < 3:
        raise CameraError("a polygon needs at least 3 points")
    polygon: list[Point] = []
    for point in points:
        if len(point) != 2:
            raise CameraError("each point is a pair: [x, y] pixels or [lat, lon]")
        a, b = float(point[0]), float(point[1])
        if kind is MaskKind.GEO and not (-90 <= a <= 90 and -180 <= b <= 180):
            raise CameraError(f"[{a}, {b}] is not a [lat, lon] point")
        if kind is MaskKind.IMAGE and (a < 0 or b < 0):
            raise CameraError(f"[{a}, {b}]: image coordinates are pixels, never negative")
        polygon.append((a, b))
    return polygon


@dataclass(frozen=True)
class CameraMasks:
    """The masks in force for one camera: its image masks and the zones that apply to it."""

    image: tuple[tuple[Point, ...], ...] = ()
    geo: tuple[tuple[Point, ...], ...] = ()

    def hides_box(self, box: Sequence[float]) -> bool:
        """Whether the centre of an [x, y, w, h] box (pixels) lies inside an image mask."""
        x, y, w, h = box
        centre = (x + w / 2, y + h / 2)
        return any(point_in_polygon(centre, polygon) for polygon in self.image)

    def hides_location(self, lat: float, lon: float) -> bool:
        return any(point_in_polygon((lat, lon), polygon) for polygon in self.geo)

    def __bool__(self) -> bool:
        return bool(self.image or self.geo)


def masks_for(session: Session, camera: Camera) -> CameraMasks:
    """The current masks of a camera, with its agency's agency-wide exclusion zones."""
    rows = session.scalars(
        select(PrivacyMask).where(
            PrivacyMask.superseded_at.is_(None),
            PrivacyMask.polygon.is_not(None),
            or_(
                PrivacyMask.camera_id == camera.id,
                (PrivacyMask.camera_id.is_(None)) & (PrivacyMask.agency == camera.agency),
            ),
        )
    )
    image: list[tuple[Point, ...]] = []
    geo: list[tuple[Point, ...]] = []
    for row in rows:
        polygon = tuple((float(a), float(b)) for a, b in json.loads(row.polygon or "[]"))
        (image if row.kind == MaskKind.IMAGE else geo).append(polygon)
    return CameraMasks(image=tuple(image), geo=tuple(geo))


def count_masked(session: Session, camera_id: str, day: date, count: int = 1) -> None:
    """Add to a camera's masked-read count for a day (an upsert, safe between workers)."""
    if count <= 0:
        return
    values = {"camera_id": camera_id, "day": day, "count": count}
    table = MaskedReadCount
    if session.get_bind().dialect.name == "postgresql":
        pg = postgresql.insert(table).values(values)
        session.execute(pg.on_conflict_do_update(
            index_elements=["camera_id", "day"], set_={"count": MaskedReadCount.count + count}))
    else:
        lite = sqlite.insert(table).values(values)
        session.execute(lite.on_conflict_do_update(
            index_elements=["camera_id", "day"], set_={"count": MaskedReadCount.count + count}))


def masked_counts(session: Session, camera_id: str | None = None) -> list[MaskedReadCount]:
    query = select(MaskedReadCount).order_by(MaskedReadCount.day, MaskedReadCount.camera_id)
    if camera_id is not None:
        query = query.where(MaskedReadCount.camera_id == camera_id)
    return list(session.scalars(query))


def current_mask(session: Session, name: str) -> PrivacyMask | None:
    return session.scalar(
        select(PrivacyMask).where(PrivacyMask.name == name, PrivacyMask.superseded_at.is_(None))
    )


def mask_history(session: Session, name: str) -> list[PrivacyMask]:
    return list(session.scalars(
        select(PrivacyMask).where(PrivacyMask.name == name).order_by(PrivacyMask.version)))


def list_masks(session: Session, *, camera_id: str | None = None) -> list[PrivacyMask]:
    """The masks in force (removed ones excluded), optionally those of one camera."""
    query = select(PrivacyMask).where(
        PrivacyMask.superseded_at.is_(None), PrivacyMask.polygon.is_not(None)
    ).order_by(PrivacyMask.name)
    if camera_id is not None:
        query = query.where(PrivacyMask.camera_id == camera_id)
    return list(session.scalars(query))


def set_mask(
    session: Session,
    *,
    name: str,
    kind: MaskKind,
    polygon: Sequence[Sequence[float]] | None,
    actor: str,
    reason: str,
    camera_id: str | None = None,
    agency: str | None = None,
    now: datetime | None = None,
) -> PrivacyMask:
    """Add the next version of mask `name` (the first one creates it; `polygon=None` removes).

    The caller must hold cameras:manage; a camera's own administrators list is checked here.
    """
    now = now or utcnow()
    points = check_polygon(kind, polygon) if polygon is not None else None
    camera = get_camera(session, camera_id) if camera_id is not None else None
    if camera is not None:
        check_administrator(camera, actor)
        agency = camera.agency
    elif kind is MaskKind.IMAGE:
        raise CameraError("an image mask belongs to one camera: give its camera")
    if not agency:
        raise CameraError("an agency-wide exclusion zone needs its agency")
    previous = current_mask(session, name)
    if previous is None and points is None:
        raise CameraError(f"no mask {name!r} to remove")
    if previous is not None:
        if (previous.kind, previous.camera_id) != (kind.value, camera_id):
            raise CameraError(f"mask {name!r} is a {previous.kind} mask of another scope")
        previous.superseded_at = now
        session.flush()
    row = PrivacyMask(
        name=name, version=(previous.version + 1) if previous else 1, kind=kind.value,
        camera_id=camera_id, agency=agency, reason=reason, created_by=actor, created_at=now,
        polygon=json.dumps(points) if points is not None else None,
    )
    session.add(row)
    session.flush()
    record(
        session, event=AuditEvent.CAMERA_MASK_CHANGE, actor=actor, organization=agency, now=now,
        details={
            "mask": name, "kind": kind.value, "camera_id": camera_id, "version": row.version,
            "reason": reason,
            "before": json.loads(previous.polygon) if previous and previous.polygon else None,
            "after": points,
        },
    )
    return row
