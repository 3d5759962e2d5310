"""The `alpr` command: each domain adds its own commands here.

Domains are imported only when their command runs: `alpr --help` lists them from the table
below without loading FastAPI, matplotlib or the recognition models (bench/cli.py measures it).
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

# name → (module:attribute, one-line help). The attribute is a Typer app (a command group)
# or a plain function (a single command).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("alpr.db.cli:app", "Database schema."),
    "policy": ("alpr.policy.cli:app", (
        "The agency policy file: show it, check it against the SB 34 floor, list presets."
    )),
    "cameras": ("alpr.cameras.cli:app", "The camera registry."),
    "reads": ("alpr.reads.cli:app", "Plate reads."),
    "audit": ("alpr.audit.cli:app", "The tamper-evident audit log."),
    "hotlists": ("alpr.hotlists.cli:app", "Hot lists: imports, manual entries, approval, flags."),
    "alerts": ("alpr.hotlists.cli:alerts_app", "Alerts raised by hot-list hits."),
    "jobs": ("alpr.jobs.cli:app", "Periodic jobs: imports, expiry, webhook delivery."),
    "users": ("alpr.users.cli:app", "Accounts: approval, training, reviews, suspension."),
    "devices": ("alpr.users.device_cli:app", "Agency-issued devices allowed to sign in (REQ U12)."),
    "retention": ("alpr.retention.cli:app", "Retention: purge and logical deletion."),
    "holds": ("alpr.retention.cli:holds_app", "Holds that keep reads past their period."),
    "evidence": (
        "alpr.retention.evidence_cli:app", "Evidence packages and the record of downloads."
    ),
    "keys": ("alpr.reads.keys_cli:app", "Encryption keys for images at rest."),
    "agencies": ("alpr.sharing.cli:agencies_app", "Agencies and interagency agreements (MOU)."),
    "shares": ("alpr.sharing.cli:shares_app", "Share requests, exports and the record of shares."),
    "incidents": ("alpr.sharing.cli:incidents_app", "Breach incidents and their notifications."),
    "audits": ("alpr.reports.cli:audits_app", "Periodic and operator audits (REQ L3–L6)."),
    "reports": (
        "alpr.reports.cli:reports_app", "The annual report and the operator audit (REQ P1, L6)."
    ),
    "edge": (
        "alpr.capture.edge_cli:app", "Patrol unit: offline hot-list matching, spooled upload."
    ),
    "login": ("alpr.users.cli:login_command", "Sign in for the CLI (password + TOTP)."),
    "logout": ("alpr.users.cli:logout_command", "End the CLI session."),
    "search": ("alpr.search.cli:search_command", "Search stored reads, with a purpose."),
    "deleted-access": ("alpr.search.cli:deleted_access_app", (
        "Command approvals to see logically deleted reads (REQ Q7).")),
    "ingest": ("alpr.capture.cli:ingest_command", "Read plates from images, video or streams."),
    "recognize": ("alpr.recognition.cli:recognize", "Read plates in photos (no storage)."),
    "integrations": ("alpr.integrations.cli:app", (
        "Foreign cameras (OpenALPR, Plate Recognizer, Frigate) and their links to alpr "
        "cameras.")),
    "broker": ("alpr.broker.cli:app",
               "The NATS JetStream broker (ALPR_BROKER_URL): streams, queue state."),
    "worker": ("alpr.broker.cli:worker_command",
               "Store queued reads from the broker (scale out; docs/scale-out.md)."),
    "mqtt": ("alpr.integrations.cli:mqtt_command",
             "Frigate LPR events in, alerts and camera health out, over MQTT."),
}


def _load(name: str) -> Any:
    module_name, attribute = LAZY_COMMANDS[name][0].split(":")
    target: Any = getattr(importlib.import_module(module_name), attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    single = typer.Typer()
    single.command(name)(target)
    return typer.main.get_command(single)


class LazyGroup(TyperGroup):
    """Lists lazy commands from their table entry; imports one only when it is run."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            # A stand-in with the short help: listing never imports the domain.
            return TyperCommand(cmd_name, help=LAZY_COMMANDS[cmd_name][1])
        if cmd_name not in self.commands:
            self.commands[cmd_name] = _load(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    cls=LazyGroup,
    help="alpr: licence plate recognition with California SB 34 enforced in software.",
    no_args_is_help=True,
)



@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    jobs: Annotated[bool, typer.Option(
        help="Run the periodic jobs in this process (--no-jobs when `alpr jobs loop` runs "
             "them elsewhere)")] = True,
    jobs_interval: Annotated[float, typer.Option(help="Seconds between job checks")] = 5.0,
) -> None:
    """Serve the HTTP API and the console, with the periodic jobs unless told --no-jobs."""
    import uvicorn

    from alpr.api.app import create_app
    from alpr.config import get_settings
    from alpr.integrations.cli import start_service
    from alpr.jobs.background import JobThread

    application = create_app()
    worker = JobThread(jobs_interval) if jobs else None
    if worker:
        worker.start()
    mqtt = start_service(get_settings())  # when ALPR_MQTT_HOST is set
    try:
        uvicorn.run(application, host=host, port=port)
    finally:
        if mqtt is not None:
            mqtt.stop()
        if worker:
            worker.stop()


@app.command()
def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Exit after the job")] = False,
    count: Annotated[int, typer.Option(help="Reads in the sample batch", min=3)] = 12,
    video: Annotated[bool, typer.Option(help="Also recognize a generated traffic clip")] = True,
    host: Annotated[str, typer.Option(help="Address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on")] = 8000,
) -> None:
    """Run the main job on a generated camera batch, then serve the API."""
    from alpr.console import console
    from alpr.demo.accounts import ensure_demo_accounts, ensure_demo_device, print_demo_accounts
    from alpr.demo.run import run_demo

    run_demo(count=count, video=video)
    print_demo_accounts(ensure_demo_accounts(), f"http://{host}:{port}/", ensure_demo_device())
    if not no_serve:
        console.print(f"serving the console on http://{host}:{port}/ and the API on"
                      f" http://{host}:{port}/docs (Ctrl-C to stop)")
        serve(host=host, port=port)


if __name__ == "__main__":
    app()
