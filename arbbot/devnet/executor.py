"""ArbExecutor (the package's shipped build of contracts/src/ArbExecutor.sol) deployed on a node: the
replica's, the demo's, the tests' and the benchmarks' one way of getting an executor."""

from __future__ import annotations

from web3 import Web3
from web3.contract import Contract

from arbbot import compiled
from arbbot.artifact import Artifact
from arbbot.devnet.manifest import Manifest
from arbbot.errors import DevnetError


def executor_artifact() -> Artifact:
    """ArbExecutor's shipped compiled artifact (ABI and bytecode from the package's build data)."""
    return compiled.executor()


def deploy_executor(
    w3: Web3, manifest: Manifest, owner: str | None = None, max_builder_share_bps: int = 10_000
) -> Contract:
    """Deploy ArbExecutor for the manifest's WETH; `owner` (default: the node's first account) owns it.

    The builder-share cap defaults to 100% here (tests and the demo choose their share freely); a real
    deployment sets its own (`ape run deploy --max-builder-share-bps`)."""
    art = executor_artifact()
    sender = owner or w3.eth.accounts[0]
    weth = manifest.token("WETH").address
    tx = w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor(weth, max_builder_share_bps)
    receipt = w3.eth.wait_for_transaction_receipt(tx.transact({"from": sender}), timeout=30)
    address = receipt["contractAddress"]
    if receipt["status"] != 1 or address is None:
        raise DevnetError(f"deploying ArbExecutor failed (transaction {receipt['transactionHash'].to_0x_hex()})")
    return w3.eth.contract(address=address, abi=art.abi)


def executor_creation_code() -> bytes:
    """ArbExecutor's creation bytecode (constructor arguments not included)."""
    return bytes.fromhex(executor_artifact().bytecode.removeprefix("0x"))
