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
    files = _contents(session, reads, images=images, purpose=purpose, actor=actor,
                      organization=organization, now=now)
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


README = """Evidence package exported from alpr (ALPR data under Civil Code 1798.90.5-.55).

report.pdf   the reads, their images, the purpose and who exported them, for a reader
reads.json   the same reads as data; each names its image files
images/      plate crops and vehicle images: PLATE_TIMEUTC_READ_KIND.EXT
manifest.json  the SHA-256 of every file, with the case, purpose, exporter and time
manifest.sig   HMAC-SHA256 of manifest.json with the agency's evidence key

To check it: `alpr evidence verify PACKAGE.zip` at the agency (any changed byte is found);
anyone can compare the SHA-256 of each file with manifest.json (sha256sum).
"""


def _contents(session: Session, reads: Sequence[Read], *, images: ImageStore, purpose: Purpose,
              actor: str, organization: str | None, now: datetime) -> dict[str, bytes]:
    """reads.json, the images under names a person can read, report.pdf and a README."""
    from alpr.cameras.models import Camera
    from alpr.search import report

    files: dict[str, bytes] = {}
    entries, shown = [], []
    for read in reads:
        out = ReadOut.model_validate(read).model_copy(update={
            "has_plate_image": read.plate_image is not None,
            "has_vehicle_image": read.vehicle_image is not None,
            "logically_deleted": read.logically_deleted_at is not None})
        named: dict[str, str | None] = {}
        for kind, digest in (("plate", read.plate_image), ("vehicle", read.vehicle_image)):
            named[f"{kind}_image_file"] = None
            if digest:
                data = images.get(digest, read.captured_at.date())
                name = (f"images/{read.plate_normalized}_{read.captured_at:%Y%m%dT%H%M%SZ}_"
                        f"{str(read.id)[:8]}_{kind}.{_extension(data)}")
                files[name], named[f"{kind}_image_file"] = data, name
        entries.append(out.model_dump(mode="json") | named
                       | {"plate_image_sha256": read.plate_image,
                          "vehicle_image_sha256": read.vehicle_image})
        shown.append((out, named))
    files["reads.json"] = json.dumps(entries, indent=2).encode()
    cameras = {row.id: row.name for row in session.execute(select(Camera.id, Camera.name))}
    by_id = {str(out.id): named for out, named in shown}

    def image(read: ReadOut, kind: str) -> bytes | None:
        name = by_id[str(read.id)][f"{kind}_image_file"]
        return files[name] if name else None

    header = report.CaseHeader(
        title=f"ALPR evidence package — case {purpose.case_number or '(none)'}",
        facts=[("Purpose", purpose.summary()), ("Case number", purpose.case_number or "—"),
               ("Done for", purpose.on_behalf_of or "—"),
               ("Exported by", f"{actor} ({organization or 'no agency'})"),
               ("Integrity", "SHA-256 of every file in manifest.json, signed in manifest.sig")])
    files["report.pdf"] = report.to_pdf(header, [out for out, _ in shown], cameras,
                                        images=image, generated_at=now)
    files["README.txt"] = README.encode()
    return files


def _extension(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "png"
    if data[8:12] == b"WEBP":
        return "webp"
    return "jpg"


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
