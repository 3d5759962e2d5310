"""The `alpr` command: each domain adds its own commands here."""

from __future__ import annotations

from typing import Annotated

import typer

from alpr.audit.cli import app as audit_app
from alpr.broker.cli import app as broker_app
from alpr.broker.cli import worker_command
from alpr.cameras.cli import app as cameras_app
from alpr.capture.cli import ingest_command
from alpr.capture.edge_cli import app as edge_app
from alpr.db.cli import app as db_app
from alpr.hotlists.cli import alerts_app
from alpr.hotlists.cli import app as hotlists_app
from alpr.jobs.cli import app as jobs_app
from alpr.policy.cli import app as policy_app
from alpr.reads.cli import app as reads_app
from alpr.reads.keys_cli import app as keys_app
from alpr.recognition.cli import recognize as recognize_images
from alpr.reports.cli import audits_app, reports_app
from alpr.retention.cli import app as retention_app
from alpr.retention.cli import holds_app
from alpr.retention.evidence_cli import app as evidence_app
from alpr.search.cli import search_command
from alpr.sharing.cli import agencies_app, incidents_app, shares_app
from alpr.users.cli import app as users_app
from alpr.users.cli import login_command, logout_command

app = typer.Typer(
    help="alpr: licence plate recognition with California SB 34 enforced in software.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(policy_app, name="policy")
app.add_typer(cameras_app, name="cameras")
app.add_typer(reads_app, name="reads")
app.add_typer(audit_app, name="audit")
app.add_typer(hotlists_app, name="hotlists")
app.add_typer(alerts_app, name="alerts")
app.add_typer(jobs_app, name="jobs")
app.add_typer(users_app, name="users")
app.add_typer(retention_app, name="retention")
app.add_typer(holds_app, name="holds")
app.add_typer(evidence_app, name="evidence")
app.add_typer(keys_app, name="keys")
app.add_typer(agencies_app, name="agencies")
app.add_typer(shares_app, name="shares")
app.add_typer(incidents_app, name="incidents")
app.add_typer(audits_app, name="audits")
app.add_typer(reports_app, name="reports")
app.command("login")(login_command)
app.command("search")(search_command)
app.command("logout")(logout_command)
app.add_typer(edge_app, name="edge")
app.command("ingest")(ingest_command)
app.command("recognize")(recognize_images)
app.add_typer(broker_app, name="broker")
app.command("worker")(worker_command)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
) -> None:
    """Serve the HTTP API."""
    import uvicorn

    from alpr.api.app import create_app

    uvicorn.run(create_app(), host=host, port=port)


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
    from alpr.demo.accounts import ensure_demo_accounts, print_demo_accounts
    from alpr.demo.run import run_demo

    run_demo(count=count, video=video)
    print_demo_accounts(ensure_demo_accounts(), f"http://{host}:{port}/")
    if not no_serve:
        console.print(f"serving the console on http://{host}:{port}/ and the API on"
                      f" http://{host}:{port}/docs (Ctrl-C to stop)")
        serve(host=host, port=port)


if __name__ == "__main__":
    app()
