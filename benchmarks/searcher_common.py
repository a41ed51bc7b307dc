"""Shared setup of the searcher benchmarks: the executor deployed from contracts/src."""

from __future__ import annotations

from pathlib import Path

from web3 import Web3

from arbbot.devnet.compiler import compile_files
from arbbot.devnet.manifest import Manifest

SOURCE = Path(__file__).resolve().parents[1] / "contracts" / "src" / "ArbExecutor.sol"


def deploy_executor(w3: Web3, manifest: Manifest) -> str:
    art = compile_files([SOURCE])["ArbExecutor"]
    tx = (
        w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        .constructor(manifest.token("WETH").address)
        .transact({"from": w3.eth.accounts[0]})
    )
    return str(w3.eth.wait_for_transaction_receipt(tx)["contractAddress"])
