"""Evidence packages (REQ R6) and the record of every download (REQ R7).

A package is a zip: `reads.json`, the images, and `manifest.json` listing the SHA-256 of
every file with who exported it, when, the case number and the purpose; `manifest.sig` is
an HMAC-SHA256 of the manifest with the agency's evidence key. `verify_package` recomputes
everything, so one changed byte anywhere is found. The export is an audited read access
(it needs a valid purpose) and is recorded as a download with its destruction deadline.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import uuid
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.policy import Policy
from alpr.reads.images import ImageStore
from alpr.reads.models import Read
from alpr.retention.models import Download
from alpr.search.deleted_access import LIVE_ONLY, DeletedAccess
from alpr.search.purpose import Purpose
from alpr.search.schemas import ReadOut


class EvidenceError(ValueError):
    """An export or a package that cannot be used; the message says why."""


def evidence_key(data_dir: Path) -> bytes:
    from alpr.audit.retention import audit_key

    return audit_key(data_dir / "evidence")


def export_package(
    session: Session, *, read_ids: Sequence[uuid.UUID], purpose: Purpose, actor: str,
    organization: str | None, images: ImageStore, key: bytes, policy: Policy, now: datetime,
    access: DeletedAccess = LIVE_ONLY,
) -> tuple[bytes, Download]:
    """Package the reads the caller may see (`access`, search.deleted_access)."""
    reads = list(session.scalars(select(Read).where(Read.id.in_(read_ids), access.condition())))
    if not reads:
        raise EvidenceError("none of these reads exist")
    files: dict[str, bytes] = {
        "reads.json": json.dumps([ReadOut.model_validate(r).model_dump(mode="json")
                                  | {"plate_image": r.plate_image, "vehicle_image": r.vehicle_image}
                                  for r in reads], indent=2).encode()}
    for read in reads:
        for digest in (read.plate_image, read.vehicle_image):
            if digest:
                files[f"images/{digest}"] = images.get(digest, read.captured_at.date())
    manifest = {
        "case_number": purpose.case_number, "purpose": purpose.summary(),
        "on_behalf_of": purpose.on_behalf_of, "exported_by": actor,
        "organization": organization, "exported_at": now.isoformat(),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in files.items():
            package.writestr(name, data)
        package.writestr("manifest.json", manifest_bytes)
        package.writestr("manifest.sig", _sign(key, manifest_bytes))
    destroy = policy.retention.downloaded_data_destroy_after
    download = Download(kind="evidence", case_number=purpose.case_number or "", reads=len(reads),
                        exported_by=actor, exported_at=now,
                        destroy_by=destroy.after(now) if destroy else None,
                        sha256=hashlib.sha256(buffer.getvalue()).hexdigest())
    session.add(download)
    session.flush()
    record(session, event=AuditEvent.EVIDENCE_EXPORT, actor=actor, organization=organization,
           purpose=purpose.summary(), now=now, details={
               "download_id": download.id, "reads": [str(r.id) for r in reads],
               "plates": sorted({r.plate_normalized for r in reads}),
               "case_number": purpose.case_number, "on_behalf_of": purpose.on_behalf_of,
               "sha256": download.sha256})
    return buffer.getvalue(), download


def _sign(key: bytes, manifest: bytes) -> str:
    return hmac.new(key, manifest, hashlib.sha256).hexdigest()


def verify_package(data: bytes, *, key: bytes) -> list[str]:
    """Every problem found in a package; an empty list means it is intact."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        manifest_bytes = package.read("manifest.json")
        signature = package.read("manifest.sig").decode()
        manifest = json.loads(manifest_bytes)
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        return [f"not an evidence package: {error}"]
    problems = []
    if not hmac.compare_digest(_sign(key, manifest_bytes), signature):
        problems.append("manifest signature does not match: the manifest was changed")
    names = set(package.namelist()) - {"manifest.json", "manifest.sig"}
    for name, expected in manifest["files"].items():
        if name not in names:
            problems.append(f"{name}: missing")
        elif hashlib.sha256(package.read(name)).hexdigest() != expected:
            problems.append(f"{name}: content changed (SHA-256 differs)")
    problems += [f"{name}: not in the manifest" for name in sorted(names - set(manifest["files"]))]
    return problems


def all_downloads(session: Session) -> list[Download]:
    return list(session.scalars(select(Download).order_by(Download.id)))


def is_overdue(download: Download, now: datetime) -> bool:
    """Past its destruction deadline and not recorded as destroyed (REQ R7)."""
    return (download.destroy_by is not None and download.destroy_by <= now
            and download.destroyed_at is None)


def overdue_downloads(session: Session, *, now: datetime) -> list[Download]:
    """Downloads past their destruction deadline and not recorded as destroyed (REQ R7)."""
    return list(session.scalars(select(Download).where(
        Download.destroy_by.is_not(None), Download.destroy_by <= now,
        Download.destroyed_at.is_(None)).order_by(Download.destroy_by)))


def record_destroyed(session: Session, *, download_id: int, actor: str, now: datetime
                     ) -> Download:
    download = session.get(Download, download_id)
    if download is None:
        raise EvidenceError(f"no download {download_id}")
    download.destroyed_at, download.destroyed_by = now, actor
    record(session, event=AuditEvent.DOWNLOAD_DESTROYED, actor=actor, now=now,
           details={"download_id": download_id, "case_number": download.case_number})
    return download
