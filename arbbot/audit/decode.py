"""Receipt logs into transfers, swaps, flash loans and the executor's event. Pure: the caller supplies
what needs the chain (each pool's token0/token1, the WETH address)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Literal

from eth_utils import to_checksum_address

from arbbot.audit import abi
from arbbot.audit.abi import Log
from arbbot.audit.types import Executed, FlashLoan, Swap, Transfer
from arbbot.chain import pool_events
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


# The pool and lender events the audit reads. A log carrying one of these first topics in another shape (topic count,
# data length, a word out of its type's range) is not that event (any contract can emit any topic): it is left out,
# never decoded from whatever bytes are there, and never allowed to stop the audit. arbbot.chain.pool_events decodes.
_AUDITED = (
    pool_events.V2Swap,
    pool_events.V3Swap,
    pool_events.PancakeV3Swap,
    pool_events.V4Swap,
    pool_events.BalancerSwap,
    pool_events.V3Flash,
    pool_events.BalancerFlashLoan,
    pool_events.AaveFlashLoan,
)
_AUDITED_TOPICS = frozenset(cls.TOPIC for cls in _AUDITED)


def _event(log: Log) -> pool_events.PoolEvent | None:
    """The audited event `log` carries; None for any other log and for a malformed one."""
    if not log.topics or log.topics[0] not in _AUDITED_TOPICS:
        return None
    return pool_events.try_decode(log.topics, log.data)


def well_formed(log: Log) -> bool:
    """False for a log that carries the first topic of a pool or lender event decoded here in another shape
    (topic count, data length or a word out of range); True for every other log."""
    return not log.topics or log.topics[0] not in _AUDITED_TOPICS or _event(log) is not None


def _events(logs: Iterable[Log]) -> Iterator[tuple[Log, pool_events.PoolEvent]]:
    for log in logs:
        event = _event(log)
        if event is not None:
            yield log, event


_POOL_EVENTS = (pool_events.V2Swap, pool_events.V3Swap, pool_events.PancakeV3Swap, pool_events.V3Flash)


def swap_pools(logs: Iterable[Log]) -> list[str]:
    """Pool contracts that emitted a V2/V3 (or PancakeSwap V3) Swap or a V3 Flash, in log order (each once):
    their tokens are needed. V4 pools are not contracts (see `v4_swap_ids`)."""
    seen: dict[str, None] = {}
    for log, event in _events(logs):
        if isinstance(event, _POOL_EVENTS):
            seen.setdefault(log.address, None)
    return list(seen)


def balancer_swap_ids(logs: Iterable[Log]) -> list[str]:
    """Ids (0x + 64 hex, lower-case) of the Balancer pools named by a Vault `Swap` in the logs, each once, in order."""
    seen: dict[str, None] = {}
    for _log, event in _events(logs):
        if isinstance(event, pool_events.BalancerSwap) and event.pool_id is not None:
            seen.setdefault(event.pool_id, None)
    return list(seen)


def v4_swap_ids(logs: Iterable[Log]) -> list[str]:
    """Ids (0x + 64 hex, lower-case) of the V4 pools that swapped, in log order (each once)."""
    seen: dict[str, None] = {}
    for _log, event in _events(logs):
        if isinstance(event, pool_events.V4Swap) and event.pool_id is not None:
            seen.setdefault(event.pool_id, None)
    return list(seen)


def _is_flash_swap(a0in: int, a1in: int, a0out: int, a1out: int) -> bool:
    """A V2 swap paying out and taking back the same token: a flash swap (a loan), not a trade."""
    return (a0out > 0 and a0in > 0 and a1in == 0 and a1out == 0) or (
        a1out > 0 and a1in > 0 and a0in == 0 and a0out == 0
    )


def _checksummed(address: str | None) -> str:
    # Every event here is decoded with its indexed topics (never withheld), so the address is present.
    return to_checksum_address(address or ZERO)


def swaps(
    logs: Iterable[Log],
    pool_tokens: Mapping[str, tuple[str, str]],
    venues: Mapping[str, str] | None = None,
    v4_pools: Mapping[str, tuple[str, str]] | None = None,
    balancer_pools: Mapping[str, str] | None = None,
) -> list[Swap]:
    """V2, V3, PancakeSwap V3 and V4 Swap events in log order. `pool_tokens` maps each pool contract
    (checksummed) to its (token0, token1); a pool missing from it raises KeyError naming the pool.
    `v4_pools` maps a V4 pool id (lower-case) to its (currency0, currency1); V4 swaps of other ids are left
    out (the PoolManager's events carry no tokens). `balancer_pools` maps a Balancer pool id (lower-case) to the
    Vault the route sends it to: the Vault's `Swap` events are taken only for those ids and only from that Vault
    (any contract can emit the topic)."""
    venues = venues or {}
    v4 = v4_pools or {}
    balancer = {k.lower(): v for k, v in (balancer_pools or {}).items()}
    out: list[Swap] = []
    for log, event in _events(logs):
        if isinstance(event, pool_events.BalancerSwap):
            pool_id = event.pool_id or ""
            if pool_id not in balancer or not _same(balancer[pool_id], log.address):
                continue
            out.append(Swap(pool_id, "balancer_v2", _checksummed(event.token_in), _checksummed(event.token_out),
                            event.amount_in, event.amount_out, ZERO, log.index, venues.get(pool_id, "")))  # fmt: skip
            continue
        if isinstance(event, pool_events.V4Swap):
            pool_id = event.pool_id or ""
            if pool_id not in v4:
                continue
            t0, t1 = v4[pool_id]
            a0, a1 = event.amount0, event.amount1
            # The swapper's side: negative = paid into the pool (token in), positive = received.
            leg = (t0, t1, -a0, a1) if a0 < 0 else (t1, t0, -a1, a0)
            out.append(Swap(pool_id, "uniswap_v4", *leg, _checksummed(event.sender), log.index,
                            venues.get(pool_id, "")))  # fmt: skip
            continue
        kind: Literal["uniswap_v2", "uniswap_v3", "pancakeswap_v3"]
        if isinstance(event, pool_events.V2Swap):
            kind = "uniswap_v2"
        elif isinstance(event, pool_events.V3Swap):
            kind = "uniswap_v3"
        elif isinstance(event, pool_events.PancakeV3Swap):
            kind = "pancakeswap_v3"
        else:
            continue
        if log.address not in pool_tokens:
            raise KeyError(f"pool {log.address}: token0/token1 unknown")
        t0, t1 = pool_tokens[log.address]
        if isinstance(event, pool_events.V2Swap):
            a0in, a1in, a0out, a1out = event.amount0_in, event.amount1_in, event.amount0_out, event.amount1_out
            if _is_flash_swap(a0in, a1in, a0out, a1out):
                continue  # a loan: see flash_loans
            recipient = _checksummed(event.to)
            leg = (t0, t1, a0in, a1out) if a0in > 0 and a1out > 0 else (t1, t0, a1in, a0out)
        else:
            a0, a1 = event.amount0, event.amount1
            recipient = _checksummed(event.recipient)
            # Pool's view: positive = paid into the pool (token in), negative = paid out.
            leg = (t0, t1, a0, -a1) if a0 > 0 else (t1, t0, a1, -a0)
        token_in, token_out, amount_in, amount_out = leg
        out.append(
            Swap(log.address, kind, token_in, token_out, amount_in, amount_out, recipient, log.index,
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
    for log, event in _events(logs):
        if isinstance(event, pool_events.BalancerFlashLoan) and _same(event.recipient or "", recipient):
            token = _checksummed(event.token)
            out.append(FlashLoan(log.address, "balancer", token, event.amount, event.fee_amount, log.index))
        elif isinstance(event, pool_events.AaveFlashLoan) and _same(event.target or "", recipient):
            token = _checksummed(event.asset)
            out.append(FlashLoan(log.address, "aave_v3", token, event.amount, event.premium, log.index))
        elif isinstance(event, pool_events.V3Flash) and _same(event.recipient or "", recipient):
            if log.address not in tokens:
                continue
            lent = (event.amount0, event.amount1)
            for token, amount, paid in zip(tokens[log.address], lent, (event.paid0, event.paid1), strict=True):
                if amount:
                    out.append(FlashLoan(log.address, "uniswap_v3", token, amount, paid, log.index))
        elif isinstance(event, pool_events.V2Swap) and _same(event.to or "", recipient):
            a0in, a1in, a0out, a1out = event.amount0_in, event.amount1_in, event.amount0_out, event.amount1_out
            if log.address not in tokens or not _is_flash_swap(a0in, a1in, a0out, a1out):
                continue
            t0, t1 = tokens[log.address]
            token, lent_amount, back = (t0, a0out, a0in) if a0out else (t1, a1out, a1in)
            out.append(FlashLoan(log.address, "uniswap_v2", token, lent_amount, back - lent_amount, log.index))
    return out


def executed(logs: Iterable[Log], executor: str) -> Executed | None:
    """The executor's Executed event (the last one, should there be several); a malformed one is not taken."""
    return executed_in(logs, executor)
