"""Candidate simulation on an anvil fork: slower than pyrevm, but every transaction of a sequence is a
real transaction in a real block, so gas is exact after a victim too.

One anvil process forks the node; `at(block)` moves it to that block (anvil_reset) and returns a
simulator whose runs are mined in a throwaway next block and rolled back (evm_snapshot / evm_revert).
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import to_checksum_address

from arbbot.chain.anvil import AnvilNode
from arbbot.chain.rpc import RpcClient
from arbbot.sim.candidate import CandidateSim, PreTx, SimLog, execute_calldata, parse_executed
from arbbot.sim.fork import DEFAULT_COINBASE, SimulationError, next_base_fee
from arbbot.sim.placed import Placement


def _int(v: object) -> int:
    return int(v, 16) if isinstance(v, str) else int(v)  # type: ignore[call-overload]


class AnvilForkSimulator:
    """Candidate simulation on one anvil process forking `rpc_url`: slower than pyrevm, but gas is exact for any
    sequence because every transaction is mined in a real (throwaway) block.

    `at(block)` starts or resets the fork; `close` stops the anvil process this simulator started.
    """

    def __init__(self, rpc_url: str, coinbase: str | None = None) -> None:
        self.rpc_url = rpc_url
        self.coinbase = to_checksum_address(coinbase or DEFAULT_COINBASE)
        self.node: AnvilNode | None = None
        self.rpc: RpcClient | None = None

    def at(self, block: int) -> _AtBlock:
        """The fork moved to `block` (the first call starts anvil; later ones reset it)."""
        if self.node is None:
            # No dev accounts: anvil would give each of them its default balance in the fork, and on a dev chain
            # the searcher's key is one of them: a simulation could spend ETH the real account does not have.
            self.node = AnvilNode(fork_url=self.rpc_url, fork_block_number=block, accounts=0).start()
            self.rpc = RpcClient(self.node.url)
        else:
            assert self.rpc is not None
            self.rpc.call("anvil_reset", [{"forking": {"jsonRpcUrl": self.rpc_url, "blockNumber": block}}])
        return _AtBlock(self, block)

    def close(self) -> None:
        """Stop the anvil process (by its PID) if one was started; safe to call twice."""
        if self.node is not None:
            self.node.stop()
            self.node = None


class _AtBlock:
    def __init__(self, owner: AnvilForkSimulator, block: int) -> None:
        assert owner.rpc is not None
        self.rpc = owner.rpc
        self.coinbase = owner.coinbase
        header = self.rpc.call("eth_getBlockByNumber", [hex(block), False])
        if not isinstance(header, dict):
            raise SimulationError(f"block {block} not found on the anvil fork")
        self.block = block
        self.timestamp = _int(header["timestamp"]) + 12
        self.base_fee = next_base_fee(
            _int(header.get("baseFeePerGas") or 0), _int(header["gasUsed"]), _int(header["gasLimit"])
        )

    def place(self, placement: Placement) -> None:
        self.rpc.call("anvil_setCode", [placement.address, "0x" + placement.code.hex()])
        for slot, value in placement.storage.items():
            self.rpc.call("anvil_setStorageAt", [placement.address, hex(slot), "0x" + value.to_bytes(32, "big").hex()])
        for holder, wei in placement.balances.items():
            self.rpc.call("anvil_setBalance", [holder, hex(wei)])

    def _send(self, sender: str, to: str, data: bytes, value: int, gas: int) -> str:
        self.rpc.call("anvil_impersonateAccount", [sender])
        tx = {"from": sender, "to": to, "data": "0x" + data.hex(), "value": hex(value), "gas": hex(gas),
              "maxFeePerGas": hex(self.base_fee), "maxPriorityFeePerGas": "0x0"}  # fmt: skip
        return str(self.rpc.call("eth_sendTransaction", [tx]))

    def run(
        self,
        executor: str,
        caller: str,
        route: bytes,
        pre: Sequence[PreTx] = (),
        gas: int = 3_000_000,
        value: int = 0,
    ) -> CandidateSim:
        return self.run_sequence(executor, caller, [route], pre, gas, [value])[0]

    def run_sequence(
        self,
        executor: str,
        caller: str,
        routes: Sequence[bytes],
        pre: Sequence[PreTx] = (),
        gas: int = 3_000_000,
        values: Sequence[int] = (),
    ) -> list[CandidateSim]:
        """Every transaction in one mined block, in order: gas is exact for each."""
        values = list(values) or [0] * len(routes)
        rpc = self.rpc
        snap = rpc.call("evm_snapshot")
        try:
            rpc.call("evm_setAutomine", [False])
            # Before sending: anvil checks each tx's fee cap against the next block's base fee, and its
            # fee tracker is not rolled back by evm_revert.
            rpc.call("anvil_setNextBlockBaseFeePerGas", [hex(self.base_fee)])
            for tx in pre:
                if tx.raw:
                    rpc.call("eth_sendRawTransaction", [tx.raw])
                else:
                    self._send(tx.sender, tx.to, tx.data, tx.value, tx.gas)
            ours = [
                self._send(caller, executor, execute_calldata(r), v, gas) for r, v in zip(routes, values, strict=True)
            ]
            rpc.call("anvil_setCoinbase", [self.coinbase])
            rpc.call("evm_setNextBlockTimestamp", [self.timestamp])
            rpc.call("evm_mine")
            return [self._outcome(h, executor, v) for h, v in zip(ours, values, strict=True)]
        finally:
            rpc.call("evm_revert", [snap])
            rpc.call("anvil_dropAllTransactions")
            rpc.call("evm_setAutomine", [True])

    def _outcome(self, tx_hash: str, executor: str, value: int = 0) -> CandidateSim:
        receipt = self.rpc.call("eth_getTransactionReceipt", [tx_hash])
        if not isinstance(receipt, dict):
            return CandidateSim(False, 0, True, None, "not mined (a pre-tx or ours was refused)")
        gas_used = _int(receipt["gasUsed"])
        if _int(receipt["status"]) != 1:
            return CandidateSim(False, gas_used, True, None, "reverted")
        logs = [
            SimLog(to_checksum_address(lg["address"]), [bytes.fromhex(t[2:]) for t in lg["topics"]],
                   bytes.fromhex(lg["data"][2:]))
            for lg in receipt.get("logs", [])
        ]  # fmt: skip
        executed = parse_executed(logs, executor, value)
        if executed is None:
            return CandidateSim(False, gas_used, True, None, "no Executed event")
        return CandidateSim(True, gas_used, True, executed)
