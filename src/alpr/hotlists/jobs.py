"""Hot-list jobs: import from the drop folder (at least daily, per policy), purge expired.

Drop-folder convention: `svs.tbl`, `sfr.tbl`, `slr.tbl` (CA DOJ CLEW extracts) load the
lists of the same name; `ncic*.txt` loads the list `ncic`. A list missing from the
database is created with the file's source. Imported files move to `processed/`, refused
ones to `refused/`, each with a time stamp; the active list is kept when a file is refused
(a broken layout, no loadable record, or a list shrinking past `hotlists.import_max_drop`:
an ALPR Administrator may then load the refused file with `alpr hotlists import
--force-reason`). The `hotlist-cancellation-notify` job sends the notices of records in
error (hotlists.cancellations). The files are imported after the job's run commits, each in short
transactions of its own (importing.import_staged); the purge job also deletes the rows an
import that died left behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.db.session import unit_of_work
from alpr.hotlists import cancellations, importing, service
from alpr.hotlists.models import HotList
from alpr.hotlists.profiles import Profile, ProfileError, file_lines, iter_records, open_list_file
from alpr.hotlists.webhooks import deliver_due
from alpr.jobs.registry import JOB_ACTOR, Job, JobContext, register


@dataclass(frozen=True)
class DropFile:
    path: Path
    list_name: str
    source: str
    profile: Profile


def recognise(path: Path) -> DropFile | None:
    stem, suffix = path.stem.lower(), path.suffix.lower()
    if suffix == ".tbl" and stem in ("svs", "sfr", "slr"):
        return DropFile(path, stem, "SVS" if stem == "svs" else "CA_DOJ", Profile(f"clew-{stem}"))
    if suffix == ".txt" and stem.startswith("ncic"):
        return DropFile(path, "ncic", "NCIC", Profile.NCIC)
    return None


def find_drop_files(session: Session, context: JobContext) -> str:
    """The job's run (in its transaction): note the files to import once it has committed."""
    inbox = context.settings.hotlist_inbox
    if not inbox.is_dir():
        return f"no drop folder at {inbox}"
    drops = [drop for path in sorted(p for p in inbox.iterdir() if p.is_file())
             if (drop := recognise(path)) is not None]
    context.carry["drops"] = drops
    return f"{len(drops)} file(s) in the drop folder"


def import_drop_folder(context: JobContext) -> str:
    """Import each file noted, in short transactions of its own (importing.import_staged), so
    ingest goes on meanwhile; one file's refusal never undoes another's import."""
    inbox = context.settings.hotlist_inbox
    done = []
    for drop in context.carry.get("drops", []):
        path = drop.path
        stamp = context.now.strftime("%Y%m%dT%H%M%S")
        try:
            with unit_of_work() as session:
                if session.scalar(select(HotList).where(HotList.name == drop.list_name)) is None:
                    service.create_list(session, name=drop.list_name, source=drop.source,
                                        actor=JOB_ACTOR, policy=context.policy, now=context.now)
            with open_list_file(path) as handle:  # streamed, as the CLI does
                records = iter_records(file_lines(handle), drop.profile, [],
                                       today=context.now.date())
                result = importing.import_staged(
                    list_name=drop.list_name, parsed=records, actor=JOB_ACTOR,
                    policy=context.policy, file_name=path.name, now=context.now)
        except importing.ImportBusy as error:  # left in the inbox for the next run
            done.append(f"{path.name}: not now ({error})")
            continue
        except (ProfileError, service.HotlistError) as error:
            with unit_of_work() as session:
                record(session, event=AuditEvent.HOTLIST_IMPORT_REFUSED, actor=JOB_ACTOR,
                       outcome=Outcome.FAILURE, now=context.now,
                       details={"list": drop.list_name, "file": path.name,
                                "reason": str(error),
                                "forceable": getattr(error, "forceable", False)})
            _move(path, inbox / "refused", stamp)
            done.append(f"{path.name}: refused ({error})")
            continue
        _move(path, inbox / "processed", stamp)
        done.append(f"{path.name}: {result.loaded} loaded, {result.problem_count} bad lines")
    return "; ".join(done) or "nothing to import"


def _move(path: Path, folder: Path, stamp: str) -> None:
    folder.mkdir(exist_ok=True)
    target, n = folder / f"{stamp}-{path.name}", 1
    while target.exists():  # never overwrite an earlier file kept with the same stamp
        n += 1
        target = folder / f"{stamp}-{n}-{path.name}"
    path.rename(target)


def purge(session: Session, context: JobContext) -> str:
    return f"{service.purge_expired(session, actor=JOB_ACTOR, now=context.now)} expired entries"


def deliver_webhooks(session: Session, context: JobContext) -> str:
    return deliver_due(session, now=context.now)


def deliver_cancellations(session: Session, context: JobContext) -> str:
    return cancellations.deliver_due(session, now=context.now, settings=context.settings)


register(Job("hotlist-import", "Import hot-list files from the drop folder",
             lambda policy: policy.hotlists.import_at_least_every, find_drop_files,
             after_commit=import_drop_folder))
register(Job("hotlist-purge", "Delete hot-list entries past their lifetime (REQ H5)",
             lambda _policy: timedelta(hours=1), purge))
register(Job("hotlist-cancellation-notify", "Send the cancellation notices of records in"
             " error (REQ A4)", lambda _policy: timedelta(minutes=1), deliver_cancellations))
register(Job("webhook-delivery", "Send queued alerts to webhooks, with retries",
             lambda _policy: timedelta(seconds=5), deliver_webhooks))
