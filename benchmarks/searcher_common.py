"""Shared setup of the searcher benchmarks: the executor deployed from contracts/src."""

from __future__ import annotations

from web3 import Web3

from arbbot.devnet import executor
from arbbot.devnet.manifest import Manifest


def deploy_executor(w3: Web3, manifest: Manifest) -> str:
    return str(executor.deploy_executor(w3, manifest).address)
