"""``flask llm ...``: maintenance commands. They print counts, never secrets."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from task_master_llm.errors import LlmRegistryError
from task_master_llm.talon import DISABLED_MESSAGE
from task_master_llm.web.context import current_services

llm_cli = AppGroup("llm", help="LLM Model Registry maintenance.")


@llm_cli.command("rotate-key")
@click.option("--dry-run", is_flag=True, help="Count what would be re-encrypted; change nothing.")
def rotate_key(dry_run: bool) -> None:
    """Re-encrypt every provider key under LLM_ENCRYPTION_KEY.

    Old records are read with LLM_ENCRYPTION_KEY_PREVIOUS (comma-separated old keys).
    Safe to run again: records already under the current key are left alone.
    """
    report = current_services().rotation.run(dry_run=dry_run)
    click.echo(report.summary())
    if report.failed:
        raise SystemExit(1)


@llm_cli.command("migrate-agents")
@click.option("--dry-run", is_flag=True, help="Report what would be bound; change nothing.")
def migrate_agents(dry_run: bool) -> None:
    """Bind legacy agents (a "provider/model" string) to registered models.

    Matches "providerType/providerModelId", or a bare id with exactly one registered match.
    Prints matched, unmatched and ambiguous counts. Safe to run twice.
    """
    click.echo(current_services().migration.run(dry_run=dry_run).summary())


@llm_cli.command("sync-agents")
@click.option("--failed", "which", flag_value="owed", default=True,
              help="Everything owed (the default): agents not synced or behind their "
                   "provider's key, credentials the gateway lacks, deletes not yet done.")
@click.option("--all", "which", flag_value="all", help="Push every agent and credential.")
@click.option("--verify", "which", flag_value="verify",
              help="Read every agent and the credential store back and compare; exit 1 "
                   "when anything differs.")
@click.option("--repair", "which", flag_value="repair",
              help="--verify, then push what differs and read back again.")
def sync_agents(which: str) -> None:
    """Converge the Talon gateway to the registry and print the counts.

    Prints names and field names only, never values. Exits 1 when something failed, is
    still owed or (with --verify) differs.
    """
    services = current_services()
    if not services.talon.enabled:
        click.echo(f"{DISABLED_MESSAGE}; nothing to do.")
        return
    reconciler = services.reconciler
    if which in ("verify", "repair"):
        verified = reconciler.verify(repair=which == "repair")
        click.echo(verified.summary())
        if not verified.ok:
            raise SystemExit(1)
        return
    report = reconciler.run(everything=which == "all")
    click.echo(report.summary())
    if not report.ok:
        raise SystemExit(1)


@llm_cli.command("discover")
@click.option("--provider", "provider_id", default=None, metavar="ID",
              help="Only this provider (default: every provider with registered models).")
@click.option("--apply", is_flag=True,
              help="Update the facts of listed models and mark the ones no longer listed "
                   "lifecycle.status gone (without it: report only).")
def discover(provider_id: str | None, apply: bool) -> None:
    """Re-discover providers and print the diff against the registry (for cron).

    Per provider: new, changed, unchanged and gone counts. A failed, empty or incomplete
    listing never marks anything gone and says so. Gone models are never deleted; a model
    that is listed again is active again. Exits 1 when a provider's discovery failed.
    """
    try:
        report = current_services().rediscovery.run(provider_id=provider_id, apply=apply)
    except LlmRegistryError as err:  # an unknown or malformed --provider id
        click.echo(err.message, err=True)
        raise SystemExit(2) from None
    click.echo(report.summary())
    if not report.ok:
        raise SystemExit(1)


@llm_cli.command("check-providers")
def check_providers() -> None:
    """Test every provider with the free calls of the Test button (for cron).

    Each result (time, outcome, error kind, latency) goes into the provider's capped
    history (TASK_MASTER_LLM_HEALTH_HISTORY checks). A provider whose last
    TASK_MASTER_LLM_HEALTH_FAILURES checks failed becomes invalid; the next success makes
    it valid again. Each provider's stored model count is recounted too (models other
    code wrote or deleted). Exits 1 when a check failed.
    """
    services = current_services()
    report = services.health.check_all()
    click.echo(report.summary())
    corrected = services.providers.recount_models()
    if corrected:
        click.echo(f"model counts corrected: {corrected} provider(s)")
    if not report.ok:
        raise SystemExit(1)
