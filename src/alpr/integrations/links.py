"""Which alpr camera a foreign camera is: links (source, external id) → camera, audited.

An OpenALPR agent names its cameras by agent and number ("AGENT01/4711"), Plate Recognizer
by a free `camera_id`, Frigate by its camera name. `resolve` answers, in order: the
linked camera; a registered alpr camera of that very id; the authenticated sender. A
camera of another agency than the sender's is never written to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.models import Camera, CameraLink
from alpr.cameras.service import CameraError, check_administrator, get_camera
from alpr.db.base import utcnow
from alpr.integrations.mapping import MappingError

SOURCES = ("openalpr", "platerecognizer", "frigate")


def link_camera(session: Session, *, source: str, external_id: str, camera_id: str,
                actor: str, now: datetime | None = None) -> CameraLink:
    if source not in SOURCES:
        raise CameraError(f"source must be one of {', '.join(SOURCES)}")
    external_id = external_id.strip()
    if not external_id or len(external_id) > 200:
        raise CameraError("external id: 1 to 200 characters")
    camera = get_camera(session, camera_id)
    check_administrator(camera, actor)
    now = now or utcnow()
    link = session.get(CameraLink, (source, external_id))
    before = link.camera_id if link else None
    if link is None:
        link = CameraLink(source=source, external_id=external_id, camera_id=camera_id,
                          created_at=now, created_by=actor)
        session.add(link)
    else:
        link.camera_id, link.created_at, link.created_by = camera_id, now, actor
    session.flush()
    record(session, event=AuditEvent.CAMERA_LINK, actor=actor, organization=camera.agency,
           now=now, details={"source": source, "external_id": external_id,
                             "camera_id": camera_id, "before": before})
    return link


def unlink_camera(session: Session, *, source: str, external_id: str, actor: str) -> None:
    link = session.get(CameraLink, (source, external_id))
    if link is None:
        raise CameraError(f"no link for {source} camera {external_id!r}")
    camera = get_camera(session, link.camera_id)
    check_administrator(camera, actor)
    session.delete(link)
    record(session, event=AuditEvent.CAMERA_LINK, actor=actor, organization=camera.agency,
           details={"source": source, "external_id": external_id, "camera_id": None,
                    "before": link.camera_id})


def list_links(session: Session, source: str | None = None) -> list[CameraLink]:
    query = select(CameraLink).order_by(CameraLink.source, CameraLink.external_id)
    if source:
        query = query.where(CameraLink.source == source)
    return list(session.scalars(query))


class CameraResolver:
    """Resolves foreign camera names for one batch (each name looked up once)."""

    def __init__(self, session: Session, source: str, sender: Camera | None = None,
                 configured: dict[str, str] | None = None, agency: str | None = None) -> None:
        self.session, self.source, self.sender = session, source, sender
        self.configured = configured or {}
        # Whose cameras may be written to: the sending camera's agency, or the caller's.
        self.agency = sender.agency if sender is not None else agency
        self._found: dict[str, str] = {}

    def __call__(self, external_id: str | None) -> str:
        key = external_id or ""
        if key not in self._found:
            self._found[key] = self._resolve(external_id)
        return self._found[key]

    def _resolve(self, external_id: str | None) -> str:
        camera: Camera | None = None
        if external_id:
            link = self.session.get(CameraLink, (self.source, external_id))
            named = self.configured.get(external_id) or (link.camera_id if link else None)
            camera = self.session.get(Camera, named or external_id)
            if named and camera is None:
                raise MappingError(f"camera: {self.source} camera {external_id!r} is linked"
                                   f" to {named!r}, which is not registered")
        if camera is None:
            camera = self.sender
        if camera is None:
            raise MappingError(
                f"camera: no alpr camera for {self.source} camera {external_id!r}; link one"
                f" (alpr integrations link {self.source} {external_id or 'ID'} CAMERA)")
        if self.agency is not None and camera.agency != self.agency:
            raise MappingError(f"camera: {self.source} camera {external_id!r} is {camera.id!r}"
                               f" of {camera.agency!r}, not of the sender's agency")
        return camera.id
