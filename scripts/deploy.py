"""Deploy ArbExecutor: `ape run deploy --network ethereum:sepolia:https://…` (or mainnet, hoodi, the replica).

The signer becomes the executor's owner. Prints the address (and writes it as JSON with --out). WETH
defaults to the canonical one where a chain has one (mainnet, Sepolia); elsewhere (Hoodi, the replica,
any other chain) --weth is required. Retired testnets (Holesky, Goerli) are refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from ape import project
from ape.cli import ConnectedProviderCommand

from arbbot.chain.presets import PRESETS, RETIRED, retired_message
from scripts._signer import address, signer

# Canonical WETH per chain id (arbbot.chain.presets); any other chain (the replica included) needs --weth.
KNOWN_WETH = {chain_id: p.weth for chain_id, p in PRESETS.items() if p.weth}


@click.command(cls=ConnectedProviderCommand)
@click.option("--weth", default=None, help="WETH address (defaults to the canonical one on known chains).")
@click.option(
    "--max-builder-share-bps",
    type=click.IntRange(0, 10_000),
    default=9_000,
    show_default=True,
    help="Largest builder share (bps of profit) an approved caller may pay; the owner can change it later.",
)
@click.option("--guardian", default=None, help="Address that may pause the executor (never unpause or withdraw).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write {address,…} JSON.")
def cli(
    ecosystem, network, provider, weth: str | None, max_builder_share_bps: int, guardian: str | None, out: Path | None
) -> None:
    chain_id = provider.chain_id
    if chain_id in RETIRED:
        raise click.UsageError(f"chain id {chain_id}: {retired_message(chain_id)}")
    if weth is None:
        if chain_id not in KNOWN_WETH:
            name = PRESETS[chain_id].name if chain_id in PRESETS else f"chain {chain_id}"
            raise click.UsageError(f"--weth is required on {name} (chain id {chain_id}): it has no canonical WETH")
        weth = KNOWN_WETH[chain_id]
    weth = address(weth, "--weth")
    guardian = address(guardian, "--guardian") if guardian is not None else None
    owner = signer()
    executor = project.ArbExecutor.deploy(weth, max_builder_share_bps, sender=owner)
    if guardian is not None:
        executor.setGuardian(guardian, sender=owner)
    click.echo(
        f"ArbExecutor {executor.address} owner {owner.address} weth {weth} chain {chain_id} "
        f"max builder share {max_builder_share_bps} bps" + (f" guardian {guardian}" if guardian else "")
    )
    if out is not None:
        doc = {
            "address": executor.address,
            "owner": owner.address,
            "weth": weth,
            "chain_id": chain_id,
            "max_builder_share_bps": max_builder_share_bps,
            "guardian": guardian,
        }
        out.write_text(json.dumps(doc, indent=2) + "\n")
