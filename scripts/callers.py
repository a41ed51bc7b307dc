"""Approve or revoke searcher hot keys: `ape run callers --executor 0x… --add 0x… --remove 0x…`."""

from __future__ import annotations

import click
from ape import project
from ape.cli import ConnectedProviderCommand

from scripts._signer import address, signer


@click.command(cls=ConnectedProviderCommand)
@click.option("--executor", required=True, help="ArbExecutor address.")
@click.option("--add", "add", multiple=True, help="Caller to approve (repeatable).")
@click.option("--remove", "remove", multiple=True, help="Caller to revoke (repeatable).")
def cli(ecosystem, network, provider, executor: str, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
    if not add and not remove:
        raise click.UsageError("nothing to do: give --add and/or --remove")
    contract = project.ArbExecutor.at(address(executor, "--executor"))
    owner = signer()
    for who, allowed in [(a, True) for a in add] + [(r, False) for r in remove]:
        caller = address(who, "--add" if allowed else "--remove")
        contract.setCaller(caller, allowed, sender=owner)
        click.echo(f"{'approved' if allowed else 'revoked'} {caller}")
