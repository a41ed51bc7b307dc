"""An executor that exists only in the simulation fork: its runtime code and storage placed at a fixed
address, owned by the simulated caller. Lets a dry run evaluate a chain before anything is deployed on
it; never used to send anything (the address has no code on the real chain).

The runtime code and the owner/cap storage come from running the real constructor in a throwaway
in-process EVM, so the placed contract is byte for byte what a deployment would leave on chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pyrevm
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

# Recognisable and derived, so it cannot collide with a deployment by any key.
PLACED_EXECUTOR = to_checksum_address(keccak(b"arbbot: executor placed in a dry-run fork")[12:])
PLACED_OWNER = to_checksum_address(keccak(b"arbbot: owner of the placed executor")[12:])
GAS_MONEY = 10**24  # the simulated caller's ETH in the fork (it pays gas there, nowhere else)


@dataclass(frozen=True)
class Placement:
    """A contract to put into a simulation fork only: its address, runtime code, storage slots and the ETH
    balances (wei) to give accounts there.
    """

    address: str
    code: bytes
    storage: Mapping[int, int] = field(default_factory=dict)
    balances: Mapping[str, int] = field(default_factory=dict)  # ETH to give accounts in the fork


def placed_executor(creation_code: bytes, weth: str, max_builder_share_bps: int = 10_000,
                    owner: str = PLACED_OWNER) -> Placement:  # fmt: skip
    """ArbExecutor(weth, cap) as deployed by `owner`, ready to be placed at PLACED_EXECUTOR."""
    evm = pyrevm.EVM()
    evm.set_balance(owner, GAS_MONEY)
    args = encode(["address", "uint16"], [to_checksum_address(weth), max_builder_share_bps])
    deployed = evm.deploy(owner, creation_code + args)
    runtime = evm.basic(deployed).code
    if not runtime:
        raise ValueError("the executor's constructor left no code")
    code = bytes(runtime)
    # Every storage slot the constructor wrote (the packed owner/pause/cap/epoch word is slot 0).
    storage = {slot: int(evm.storage(deployed, slot)) for slot in range(4)}
    return Placement(PLACED_EXECUTOR, code, {k: v for k, v in storage.items() if v}, {owner: GAS_MONEY})
