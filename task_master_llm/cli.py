"""``flask llm ...``: maintenance commands. They print counts, never secrets."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from task_master_llm.extension import get_state

llm_cli = AppGroup("llm", help="LLM Model Registry maintenance.")


@llm_cli.command("rotate-key")
@click.option("--dry-run", is_flag=True, help="Count what would be re-encrypted; change nothing.")
def rotate_key(dry_run: bool) -> None:
    """Re-encrypt every provider key under LLM_ENCRYPTION_KEY.

    Old records are read with LLM_ENCRYPTION_KEY_PREVIOUS (comma-separated old keys).
    Safe to run again: records already under the current key are left alone.
    """
    from task_master_llm.rotation import rotate_collection

    state = get_state()
    report = rotate_collection(state.providers.collection, state.vault, dry_run=dry_run)
    click.echo(report.summary())
    if report.failed:
        raise SystemExit(1)
