"""Receipt logs into transfers, swaps, flash loans and the executor's event. Pure: the caller supplies
what needs the chain (each pool's token0/token1, the WETH address)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from arbbot.audit import abi
from arbbot.audit.abi import Log
from arbbot.audit.types import Executed, FlashLoan, Swap, Transfer
from arbbot.chain.executed import executed_in

ZERO = "0x0000000000000000000000000000000000000000"  # stands for native ETH in WETH wraps and unwraps


def _same(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def transfers(logs: Iterable[Log], weth: str | None) -> list[Transfer]:
    """ERC-20 Transfers, plus WETH Deposit/Withdrawal as transfers from/to ZERO (WETH9 emits no
    Transfer for them). ERC-721 transfers (token id indexed: four topics) are left out."""
    out: list[Transfer] = []
    for log in logs:
        t = log.topics
        if t and t[0] == abi.TRANSFER and len(t) == 3 and len(log.data) >= 32:
            amount = int.from_bytes(log.data[:32], "big")
            out.append(Transfer(log.address, abi.topic_address(t[1]), abi.topic_address(t[2]), amount, log.index))
        elif weth is not None and _same(log.address, weth) and len(t) == 2 and len(log.data) >= 32:
            amount = int.from_bytes(log.data[:32], "big")
            who = abi.topic_address(t[1])
            if t[0] == abi.WETH_DEPOSIT:
                out.append(Transfer(log.address, ZERO, who, amount, log.index))
            elif t[0] == abi.WETH_WITHDRAWAL:
                out.append(Transfer(log.address, who, ZERO, amount, log.index))
    return out


# (topics, data bytes) of every pool and lender event decoded here. A log carrying one of these first topics in
# another shape is not that event (any contract can emit any topic): it is left out, never decoded from whatever
# bytes are there, and never allowed to stop the audit.
_SHAPES = {
    abi.V2_SWAP: (3, 128),
    abi.V3_SWAP: (3, 160),
    abi.PANCAKE_V3_SWAP: (3, 224),
    abi.V4_SWAP: (3, 192),
    abi.V3_FLASH: (3, 128),
    abi.BALANCER_FLASH_LOAN: (3, 64),
    abi.AAVE_FLASH_LOAN: (4, 128),
}


def well_formed(log: Log) -> bool:
    """False for a log that carries the first topic of a pool or lender event decoded here in another shape
    (topic count or data length); True for every other log."""
    shape = _SHAPES.get(log.topics[0]) if log.topics else None
    return shape is None or (len(log.topics), len(log.data)) == shape


_POOL_EVENTS = (abi.V2_SWAP, abi.V3_SWAP, abi.PANCAKE_V3_SWAP, abi.V3_FLASH)
_SWAP_KINDS = {abi.V2_SWAP: "uniswap_v2", abi.V3_SWAP: "uniswap_v3", abi.PANCAKE_V3_SWAP: "pancakeswap_v3"}


def swap_pools(logs: Iterable[Log]) -> list[str]:
    """Pool contracts that emitted a V2/V3 (or PancakeSwap V3) Swap or a V3 Flash, in log order (each once):
    their tokens are needed. V4 pools are not contracts (see `v4_swap_ids`)."""
    seen: dict[str, None] = {}
    for log in filter(well_formed, logs):
        if log.topics and log.topics[0] in _POOL_EVENTS:
            seen.setdefault(log.address, None)
    return list(seen)


def v4_swap_ids(logs: Iterable[Log]) -> list[str]:
    """Ids (0x + 64 hex, lower-case) of the V4 pools that swapped, in log order (each once)."""
    seen: dict[str, None] = {}
    for log in filter(well_formed, logs):
        if len(log.topics) == 3 and log.topics[0] == abi.V4_SWAP:
            seen.setdefault(log.topics[1].lower(), None)
    return list(seen)


def _v2_amounts(log: Log) -> tuple[int, int, int, int]:
    a0in, a1in, a0out, a1out = abi.words(log.data, ["uint256"] * 4)
    return a0in, a1in, a0out, a1out


def _is_flash_swap(a0in: int, a1in: int, a0out: int, a1out: int) -> bool:
    """A V2 swap paying out and taking back the same token: a flash swap (a loan), not a trade."""
    return (a0out > 0 and a0in > 0 and a1in == 0 and a1out == 0) or (
        a1out > 0 and a1in > 0 and a0in == 0 and a0out == 0
    )


def swaps(
    logs: Iterable[Log],
    pool_tokens: Mapping[str, tuple[str, str]],
    venues: Mapping[str, str] | None = None,
    v4_pools: Mapping[str, tuple[str, str]] | None = None,
) -> list[Swap]:
    """V2, V3, PancakeSwap V3 and V4 Swap events in log order. `pool_tokens` maps each pool contract
    (checksummed) to its (token0, token1); a pool missing from it raises KeyError naming the pool.
    `v4_pools` maps a V4 pool id (lower-case) to its (currency0, currency1); V4 swaps of other ids are left
    out (the PoolManager's events carry no tokens)."""
    venues = venues or {}
    v4 = v4_pools or {}
    out: list[Swap] = []
    for log in filter(well_formed, logs):
        if not log.topics:
            continue
        if log.topics[0] == abi.V4_SWAP and len(log.topics) == 3:
            pool_id = log.topics[1].lower()
            if pool_id not in v4:
                continue
            t0, t1 = v4[pool_id]
            a0, a1 = abi.words(log.data[:64], ["int128", "int128"])
            # The swapper's side: negative = paid into the pool (token in), positive = received.
            leg = (t0, t1, -a0, a1) if a0 < 0 else (t1, t0, -a1, a0)
            out.append(Swap(pool_id, "uniswap_v4", *leg, abi.topic_address(log.topics[2]), log.index,
                            venues.get(pool_id, "")))  # fmt: skip
            continue
        kind = _SWAP_KINDS.get(log.topics[0])
        if kind is None:
            continue
        if log.address not in pool_tokens:
            raise KeyError(f"pool {log.address}: token0/token1 unknown")
        t0, t1 = pool_tokens[log.address]
        if kind == "uniswap_v2":
            a0in, a1in, a0out, a1out = _v2_amounts(log)
            if _is_flash_swap(a0in, a1in, a0out, a1out):
                continue  # a loan: see flash_loans
            recipient = abi.topic_address(log.topics[2])
            leg = (t0, t1, a0in, a1out) if a0in > 0 and a1out > 0 else (t1, t0, a1in, a0out)
        else:
            a0, a1 = abi.words(log.data[:64], ["int256", "int256"])
            recipient = abi.topic_address(log.topics[2])
            # Pool's view: positive = paid into the pool (token in), negative = paid out.
            leg = (t0, t1, a0, -a1) if a0 > 0 else (t1, t0, a1, -a0)
        token_in, token_out, amount_in, amount_out = leg
        out.append(
            Swap(log.address, kind, token_in, token_out, amount_in, amount_out, recipient, log.index,  # type: ignore[arg-type]
                 venues.get(log.address, ""))
        )  # fmt: skip
    return out


def flash_loans(
    logs: Iterable[Log], recipient: str, pool_tokens: Mapping[str, tuple[str, str]] | None = None
) -> list[FlashLoan]:
    """Loans to `recipient`: Balancer V2 and Aave V3 FlashLoan events, Uniswap V3 Flash events and
    Uniswap V2 flash swaps (the pair pays out and takes back the same token; fee = back - out).
    The Uniswap ones need the pool's tokens from `pool_tokens`; pools missing there are skipped."""
    tokens = pool_tokens or {}
    out: list[FlashLoan] = []
    for log in filter(well_formed, logs):
        t = log.topics
        if not t:
            continue
        if t[0] == abi.BALANCER_FLASH_LOAN and len(t) == 3 and _same(abi.topic_address(t[1]), recipient):
            amount, fee = abi.words(log.data, ["uint256", "uint256"])
            out.append(FlashLoan(log.address, "balancer", abi.topic_address(t[2]), amount, fee, log.index))
        elif t[0] == abi.AAVE_FLASH_LOAN and len(t) == 4 and _same(abi.topic_address(t[1]), recipient):
            _initiator, amount, _mode, premium = abi.words(log.data, ["address", "uint256", "uint8", "uint256"])
            out.append(FlashLoan(log.address, "aave_v3", abi.topic_address(t[2]), amount, premium, log.index))
        elif t[0] == abi.V3_FLASH and len(t) == 3 and _same(abi.topic_address(t[2]), recipient):
            if log.address not in tokens:
                continue
            a0, a1, paid0, paid1 = abi.words(log.data, ["uint256"] * 4)
            for token, amount, paid in zip(tokens[log.address], (a0, a1), (paid0, paid1), strict=True):
                if amount:
                    out.append(FlashLoan(log.address, "uniswap_v3", token, amount, paid, log.index))
        elif t[0] == abi.V2_SWAP and len(t) == 3 and _same(abi.topic_address(t[2]), recipient):
            a0in, a1in, a0out, a1out = _v2_amounts(log)
            if log.address not in tokens or not _is_flash_swap(a0in, a1in, a0out, a1out):
                continue
            t0, t1 = tokens[log.address]
            token, lent, back = (t0, a0out, a0in) if a0out else (t1, a1out, a1in)
            out.append(FlashLoan(log.address, "uniswap_v2", token, lent, back - lent, log.index))
    return out


def executed(logs: Iterable[Log], executor: str) -> Executed | None:
    """The executor's Executed event (the last one, should there be several); a malformed one is not taken."""
    return executed_in(logs, executor)
