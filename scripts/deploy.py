"""Deploy ArbExecutor: `ape run deploy --network ethereum:sepolia:https://… --weth 0x…`.

The signer becomes the executor's owner. Prints the address (and writes it as JSON with --out).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from ape import project
from ape.cli import ConnectedProviderCommand

from scripts._signer import address, signer

# Canonical WETH per chain id; any other chain (the replica included) needs --weth.
KNOWN_WETH = {
    1: "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
    11155111: "0xfFf9976782d46CC05630D1f6eBAb18b2324d6B14",
    17000: "0x94373a4919B3240D86eA41593D5eBa789FEF3848",
}


@click.command(cls=ConnectedProviderCommand)
@click.option("--weth", default=None, help="WETH address (defaults to the canonical one on known chains).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write {address,…} JSON.")
def cli(ecosystem, network, provider, weth: str | None, out: Path | None) -> None:
    chain_id = provider.chain_id
    if weth is None:
        if chain_id not in KNOWN_WETH:
            raise click.UsageError(f"--weth is required on chain {chain_id} (no canonical WETH known)")
        weth = KNOWN_WETH[chain_id]
    weth = address(weth, "--weth")
    owner = signer()
    executor = project.ArbExecutor.deploy(weth, sender=owner)
    click.echo(f"ArbExecutor {executor.address} owner {owner.address} weth {weth} chain {chain_id}")
    if out is not None:
        doc = {"address": executor.address, "owner": owner.address, "weth": weth, "chain_id": chain_id}
        out.write_text(json.dumps(doc, indent=2) + "\n")
