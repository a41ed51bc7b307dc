"""Executor gas on the replica: whole cycles on a Balancer flash loan, against the same pool swaps done
bare and against a naive executor that routes every hop through Router02 / SwapRouter.

Cases: 2-hop V2->V2, 2-hop V2->V3, 3-hop cycle, each sized at its exact optimum.

Overhead = executor transaction gas - bare gas, where bare gas is what the pool swaps alone cost: each
step (token transfer into a V2 pair, pair.swap, or a V3 pool.swap through a minimal callback contract)
is sent as its own transaction on the same state, and their gas is summed without the per-transaction
21,000 base, plus one 21,000 base. Outputs go straight into the next V2 pair, as the executor does.
For scale, each row also gives what a Balancer flash loan costs by itself: a minimal contract that
borrows the same amount and repays it at once, minus the 21,000 base.

Steady state: every account involved (executor, naive executor, the bare path's sender and V3 helper)
already holds a little of each token of the cycle, as a working searcher contract does after its first
trade; without it each first write of a zero balance costs an extra ~17,000 gas in every variant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from web3 import HTTPProvider, Web3
from web3.contract import Contract

from arbbot.chain.anvil import rpc as raw_rpc
from arbbot.chain.rpc import RpcClient
from arbbot.devnet import artifacts, compiler, snapshot
from arbbot.devnet.compiler import compile_files
from arbbot.devnet.manifest import Manifest, PoolEntry
from arbbot.execution.route import Capital, Hop, Route, encode
from arbbot.progress import LogProgress
from arbbot.state import lens
from arbbot.state.models import v2_model, v3_model
from arbbot.strategy.sizing import bracketed_optimum

ROOT = Path(__file__).resolve().parents[1]
BASE_TX = 21_000
OVERHEAD_GOAL = 25_000
RATIO_GOAL = 0.8
NAIVE_PLAN = "(address,uint256,uint256,(bool,address,address,uint24)[])"


@dataclass(frozen=True)
class Leg:
    pool: PoolEntry
    token_in: str  # symbol
    token_out: str  # symbol


@dataclass(frozen=True)
class Measured:
    name: str
    executor: int
    bare: int
    naive: int
    loan: int  # the Balancer flash loan alone (borrow and repay at once), without its 21,000 base
    unguarded: int  # the executor before the hostile-caller checks (contracts/test/baseline), same route


class _Bench:
    def __init__(self, url: str, m: Manifest) -> None:
        self.url, self.m = url, m
        self.w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 60}))
        self.owner = self.w3.eth.accounts[0]
        self.minter = Web3.to_checksum_address(m.deployer)
        arts = compile_files(
            [
                ROOT / "contracts" / "src" / "ArbExecutor.sol",
                ROOT / "contracts" / "test" / "baseline" / "NaiveExecutor.sol",
                ROOT / "contracts" / "test" / "baseline" / "BareV3Swapper.sol",
                ROOT / "contracts" / "test" / "baseline" / "BareFlashLoan.sol",
                ROOT / "contracts" / "test" / "baseline" / "ArbExecutorUnguarded.sol",
            ]
        )
        weth = m.token("WETH").address
        self.executor = self._deploy(arts["ArbExecutor"], weth, 10_000)
        self.unguarded = self._deploy(arts["ArbExecutorUnguarded"], weth)
        self.naive = self._deploy(arts["NaiveExecutor"], m.contracts["BalancerVault"])
        self.swapper = self._deploy(arts["BareV3Swapper"])
        self.loaner = self._deploy(arts["BareFlashLoan"])
        self.erc20_abi = compiler.replica_contracts()["ReplicaToken"].abi
        self.weth_abi = artifacts.load("WETH9").abi
        self.pair_abi = artifacts.load("UniswapV2Pair").abi
        self.quotes = self._models()

    # --- setup -------------------------------------------------------------------------------------

    def _deploy(self, art: Any, *args: object) -> Contract:
        tx = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor(*args).transact({"from": self.owner})
        address = self.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
        return self.w3.eth.contract(address=address, abi=art.abi)

    def _models(self) -> dict[str, Any]:
        m, rpc = self.m, RpcClient(self.url)
        v2 = [p for p in m.pools if p.kind == "uniswap_v2"]
        v3 = [p for p in m.pools if p.kind == "uniswap_v3"]
        res, st = lens.read_v2(rpc, [p.address for p in v2]), lens.read_v3(rpc, [p.address for p in v3])
        t = m.token
        out: dict[str, Any] = {}
        for p in v2:
            out[p.address] = v2_model(p.address, t(p.token0).address, t(p.token1).address, res[p.address])
        for p in v3:
            out[p.address] = v3_model(p.address, t(p.token0).address, t(p.token1).address, p.fee, st[p.address])
        return out

    def _tx(self, call: Any, sender: str | None = None) -> int:
        receipt = self.w3.eth.wait_for_transaction_receipt(
            call.transact({"from": sender or self.owner, "gas": 3_000_000, "maxPriorityFeePerGas": 0})
        )
        if receipt["status"] != 1:
            raise RuntimeError(f"benchmark step reverted: {receipt['transactionHash'].hex()}")
        return int(receipt["gasUsed"])

    def _give(self, symbol: str, to: str, amount: int) -> None:
        token = self.m.token(symbol).address
        if symbol == "WETH":
            weth = self.w3.eth.contract(address=token, abi=self.weth_abi)
            self.w3.eth.wait_for_transaction_receipt(
                self.w3.eth.send_transaction({"from": self.owner, "to": token, "value": amount})
            )
            if to != self.owner:
                self._tx(weth.functions.transfer(to, amount))
        else:
            self._tx(self.w3.eth.contract(address=token, abi=self.erc20_abi).functions.mint(to, amount), self.minter)

    def _snapshot(self) -> str:
        return str(raw_rpc(self.url, "evm_snapshot"))

    def _revert(self, snap: str) -> None:
        raw_rpc(self.url, "evm_revert", [snap])

    # --- one case ----------------------------------------------------------------------------------

    def _outs(self, legs: Sequence[Leg], amount: int) -> list[int]:
        outs, x = [], amount
        for leg in legs:
            x = self.quotes[leg.pool.address].quote_exact_in(self.m.token(leg.token_in).address, x)
            outs.append(x)
        return outs

    def measure(self, name: str, legs: Sequence[Leg]) -> Measured:
        start = legs[0].token_in
        amount, profit = bracketed_optimum(
            lambda x: self._outs(legs, x)[-1] - x, max_input=10**30, min_input=10 ** (self.m.token(start).decimals - 3)
        )
        if profit <= 0:
            raise RuntimeError(f"{name}: the cycle is not profitable on this replica")
        outs = self._outs(legs, amount)
        snap = self._snapshot()
        try:
            # Steady state: dust of every cycle token wherever the variants keep balances.
            for sym in {leg.token_in for leg in legs}:
                for holder in (
                    self.executor.address,
                    self.unguarded.address,
                    self.naive.address,
                    self.swapper.address,
                    self.loaner.address,
                    self.owner,
                ):
                    self._give(sym, holder, 1)
            inner = self._snapshot()
            gas_exec = self._tx(self.executor.functions.execute(self._route(legs, amount)))
            self._revert(inner)
            inner = self._snapshot()
            gas_unguarded = self._tx(self.unguarded.functions.execute(self._route(legs, amount)))
            self._revert(inner)
            inner = self._snapshot()
            gas_naive = self._tx(self.naive.functions.execute(self._plan(legs, amount)))
            self._revert(inner)
            inner = self._snapshot()
            vault, token = self.m.contracts["BalancerVault"], self.m.token(start).address
            loan = self._tx(self.loaner.functions.borrow(vault, token, amount)) - BASE_TX
            self._revert(inner)
            bare = self._bare(legs, amount, outs)
        finally:
            self._revert(snap)
        return Measured(name, gas_exec, bare, gas_naive, loan, gas_unguarded)

    def _route(self, legs: Sequence[Leg], amount: int) -> bytes:
        t = self.m.token
        hops = tuple(
            Hop(
                leg.pool.address,
                t(leg.token_out).address,
                leg.pool.kind == "uniswap_v3",
                leg.token_in == leg.pool.token0,
            )
            for leg in legs
        )
        lender = self.m.contracts["BalancerVault"]
        return encode(Route(Capital.BALANCER, lender, t(legs[0].token_in).address, amount, 0, 0, hops))

    def _plan(self, legs: Sequence[Leg], amount: int) -> bytes:
        t, steps = self.m.token, []
        for leg in legs:
            v3 = leg.pool.kind == "uniswap_v3"
            router = self.m.contracts["SwapRouter"] if v3 else self.m.venues[leg.pool.venue].router
            steps.append((v3, router, t(leg.token_out).address, leg.pool.fee if v3 else 0))
        return abi_encode([NAIVE_PLAN], [(t(legs[0].token_in).address, amount, 0, steps)])

    def _bare(self, legs: Sequence[Leg], amount: int, outs: list[int]) -> int:
        """The same swaps with nothing around them, one transaction per step."""
        t = self.m.token
        first = legs[0]
        holder = self.swapper.address if first.pool.kind == "uniswap_v3" else self.owner
        self._give(first.token_in, holder, amount)  # setup, not measured
        steps: list[Callable[[], int]] = []
        if first.pool.kind == "uniswap_v2":
            token = self.w3.eth.contract(address=t(first.token_in).address, abi=self.erc20_abi)
            steps.append(lambda: self._tx(token.functions.transfer(first.pool.address, amount)))
        amount_in = amount
        for i, leg in enumerate(legs):
            nxt = legs[i + 1] if i + 1 < len(legs) else None
            if nxt is None:
                to = self.owner
            elif nxt.pool.kind == "uniswap_v2":
                to = nxt.pool.address
            else:
                to = self.swapper.address
            zero_for_one = leg.token_in == leg.pool.token0
            if leg.pool.kind == "uniswap_v2":
                pair = self.w3.eth.contract(address=leg.pool.address, abi=self.pair_abi)
                out = outs[i]
                call = pair.functions.swap(0 if zero_for_one else out, out if zero_for_one else 0, to, b"")
            else:
                call = self.swapper.functions.swap(
                    leg.pool.address, zero_for_one, amount_in, t(leg.token_in).address, to
                )
            steps.append(lambda call=call: self._tx(call))
            amount_in = outs[i]
        return BASE_TX + sum(step() - BASE_TX for step in steps)


def _leg(m: Manifest, kind: str, venue: str, a: str, b: str, fee: int | None = None) -> Leg:
    pool = next(
        p
        for p in m.pools
        if p.kind == kind and p.venue == venue and {p.token0, p.token1} == {a, b} and (fee is None or p.fee == fee)
    )
    return Leg(pool, a, b)


def cases(m: Manifest) -> list[tuple[str, list[Leg]]]:
    v2, v3 = "uniswap_v2", "uniswap_v3"
    return [
        # WETH is ~1.5% cheaper on sushiswap: sell it on uniswap_v2, buy it back on sushiswap.
        ("2-hop V2->V2", [_leg(m, v2, "uniswap_v2", "WETH", "USDC"), _leg(m, v2, "sushiswap", "USDC", "WETH")]),
        # Borrow USDC: buy cheap WETH on sushiswap, sell it on the 0.05% V3 pool where WETH is dear.
        ("2-hop V2->V3", [_leg(m, v2, "sushiswap", "USDC", "WETH"), _leg(m, v3, "uniswap_v3", "WETH", "USDC", 500)]),
        # WETH -> USDC (V3 0.05%) -> DAI -> WETH, where DAI buys WETH cheaply.
        (
            "3-hop V3->V2->V2",
            [
                _leg(m, v3, "uniswap_v3", "WETH", "USDC", 500),
                _leg(m, v2, "uniswap_v2", "USDC", "DAI"),
                _leg(m, v2, "uniswap_v2", "DAI", "WETH"),
            ],
        ),
    ]


def measure_all() -> list[Measured]:
    node, m = snapshot.start("default", progress=LogProgress())
    try:
        bench = _Bench(node.url, m)
        return [bench.measure(name, legs) for name, legs in cases(m)]
    finally:
        node.stop()


def run() -> list[dict[str, str]]:
    rows = []
    for r in measure_all():
        overhead, ratio = r.executor - r.bare, r.executor / r.naive
        rows.append(
            {
                "benchmark": f"executor gas, {r.name} cycle on a Balancer flash loan",
                "figure": (
                    f"{r.executor:,} gas; overhead {overhead:,} over the bare swaps ({r.bare:,}); "
                    f"a Balancer flash loan alone (borrow, repay) costs {r.loan:,}; "
                    f"the hostile-caller checks cost {r.executor - r.unguarded:+,} "
                    f"(unguarded executor: {r.unguarded:,})"
                ),
                "baseline": f"naive Router02/SwapRouter executor: {r.naive:,} gas",
                "ratio": (
                    f"{ratio:.2f}x naive (goal <= {RATIO_GOAL}x); "
                    f"overhead {'within' if overhead <= OVERHEAD_GOAL else 'over'} the {OVERHEAD_GOAL:,} goal"
                ),
            }
        )
    return rows
