"""Owner (and guardian) operations on a deployed ArbExecutor, one transaction per option given:

ape run admin --executor 0x… --pause                      # owner or guardian
ape run admin --executor 0x… --unpause                    # owner
ape run admin --executor 0x… --max-builder-share-bps 8000
ape run admin --executor 0x… --guardian 0x…               # 0x000…0 removes it
ape run admin --executor 0x… --revoke-all-callers         # every approved hot key at once
ape run admin --executor 0x… --transfer-ownership 0x…     # then, signed by the new owner:
ape run admin --executor 0x… --accept-ownership
"""

from __future__ import annotations

import click
from ape import project
from ape.cli import ConnectedProviderCommand

from scripts._signer import address, signer


@click.command(cls=ConnectedProviderCommand)
@click.option("--executor", required=True, help="ArbExecutor address.")
@click.option("--pause", is_flag=True, help="Stop execute() for everyone (owner or guardian).")
@click.option("--unpause", is_flag=True, help="Let execute() run again (owner).")
@click.option("--max-builder-share-bps", type=click.IntRange(0, 10_000), default=None, help="New builder-share cap.")
@click.option("--guardian", default=None, help="New guardian (the zero address removes it).")
@click.option("--revoke-all-callers", is_flag=True, help="Revoke every approved caller at once.")
@click.option("--transfer-ownership", "new_owner", default=None, help="Start handing ownership to this address.")
@click.option("--accept-ownership", is_flag=True, help="Accept a pending transfer (signed by the new owner).")
def cli(
    ecosystem,
    network,
    provider,
    executor: str,
    pause: bool,
    unpause: bool,
    max_builder_share_bps: int | None,
    guardian: str | None,
    revoke_all_callers: bool,
    new_owner: str | None,
    accept_ownership: bool,
) -> None:
    if pause and unpause:
        raise click.UsageError("--pause and --unpause: give one")
    actions = [pause, unpause, max_builder_share_bps is not None, guardian is not None, revoke_all_callers,
               new_owner is not None, accept_ownership]  # fmt: skip
    if not any(actions):
        raise click.UsageError("nothing to do: give at least one action (see --help)")
    contract = project.ArbExecutor.at(address(executor, "--executor"))
    who = signer()
    if accept_ownership:
        contract.acceptOwnership(sender=who)
        click.echo(f"owner is now {who.address}; every approved caller was revoked")
    if max_builder_share_bps is not None:
        contract.setMaxBuilderShare(max_builder_share_bps, sender=who)
        click.echo(f"max builder share {max_builder_share_bps} bps")
    if guardian is not None:
        contract.setGuardian(address(guardian, "--guardian"), sender=who)
        click.echo(f"guardian {address(guardian, '--guardian')}")
    if revoke_all_callers:
        contract.revokeAllCallers(sender=who)
        click.echo("every approved caller revoked")
    if pause:
        contract.pause(sender=who)
        click.echo("paused")
    if unpause:
        contract.unpause(sender=who)
        click.echo("unpaused")
    if new_owner is not None:
        contract.transferOwnership(address(new_owner, "--transfer-ownership"), sender=who)
        click.echo(f"ownership transfer to {address(new_owner, '--transfer-ownership')} started; it must accept")
