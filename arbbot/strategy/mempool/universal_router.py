"""Uniswap UniversalRouter v1.2 and v2 (`execute` calldata → the swaps it makes, in order; pure).

The router runs commands one after another and may hand one swap's output to the next through its own
balance (recipient ADDRESS_THIS, amount CONTRACT_BALANCE) or, inside V4_SWAP, through the PoolManager's
deltas (OPEN_DELTA). Those chains become one multi-hop swap whose legs name their venue (V2, V3, V4), with
each intermediate minimum kept on its leg. Anything whose effect on pools or on the router's balances cannot
be followed exactly makes the whole transaction undecodable (None): the caller must never act on a guess.
The router is assumed to hold nothing before the transaction (what it holds otherwise is dust that anyone
can sweep); the fork simulation that runs the victim before the backrun catches the rare exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode
from eth_utils import to_checksum_address

from arbbot.strategy.mempool import commands as c
from arbbot.strategy.mempool.common import legs_from_path, selector, v3_path
from arbbot.strategy.mempool.types import PendingSwap, SwapLeg
from arbbot.strategy.mempool.v4_ids import v4_pool_id

EXECUTE = selector("execute(bytes,bytes[],uint256)")
EXECUTE_NOW = selector("execute(bytes,bytes[])")
MAX_DEPTH = 4  # sub-plans inside sub-plans; real routes use one level
MAX_STEPS = 256  # commands plus V4 actions in one transaction
MAX_AMOUNT = 1 << 128  # no pool moves more; larger amounts are flags or nonsense
_POOL_KEY = "(address,address,uint24,int24,address)"
_EXACT_SINGLE = f"({_POOL_KEY},bool,uint128,uint128,bytes)"
_PATH = "(address,uint24,int24,address,bytes)[]"
_EXACT_MULTI = f"(address,{_PATH},uint128,uint128)"
_SWAP_IN = ["address", "uint256", "uint256", "bytes", "bool"]
_SWAP_IN_V2 = ["address", "uint256", "uint256", "address[]", "bool"]


class Undecodable(Exception):
    """The transaction does something this decoder does not follow exactly."""


@dataclass(frozen=True)
class _Chain:
    """A balance that is exactly the whole output of draft swap `index` (its amount is known only after
    the pools are applied)."""

    index: int


Entry = int | _Chain | None  # a known amount, a swap's whole output, or unknown


@dataclass
class _Draft:
    exact_in: bool
    amount: int
    limit: int
    legs: list[SwapLeg]
    group: int | None


@dataclass
class _State:
    table: c.CommandTable
    router: str
    weth: str | None
    kind: str
    ledger: dict[str, Entry] = field(default_factory=dict)  # what the router holds, by lower-case token
    drafts: list[_Draft] = field(default_factory=list)
    steps: int = 0
    group: int | None = None
    groups: int = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Undecodable("too many commands")

    # -- the router's balances ------------------------------------------------------------------------
    def credit(self, token: str, entry: Entry) -> None:
        key = token.lower()
        have = self.ledger.get(key, 0)
        if have == 0:
            self.ledger[key] = entry
        elif isinstance(have, int) and isinstance(entry, int):
            self.ledger[key] = have + entry
        else:
            self.ledger[key] = None

    def draw_all(self, token: str) -> Entry:
        key = token.lower()
        have = self.ledger.get(key, 0)
        self.ledger[key] = 0
        return have

    def draw(self, token: str, amount: int) -> None:
        key = token.lower()
        have = self.ledger.get(key, 0)
        if not isinstance(have, int) or have < amount:
            raise Undecodable(f"router pays {amount} of {token} it may not hold")
        self.ledger[key] = have - amount

    def is_router(self, recipient: str) -> bool:
        return recipient.lower() in (c.ADDRESS_THIS, self.router)

    def require_min(self, entry: Entry, minimum: int) -> None:
        """A check that what the router holds (or takes) reaches `minimum`."""
        if minimum == 0:
            return
        if isinstance(entry, _Chain):
            d = self.drafts[entry.index]
            d.limit = max(d.limit, minimum)
        elif isinstance(entry, int) and entry < minimum:
            raise Undecodable("a minimum the transaction cannot meet: it reverts")

    # -- swaps ----------------------------------------------------------------------------------------
    def exact_in(self, legs: tuple[SwapLeg, ...], amount: Entry, minimum: int) -> Entry:
        """An exact-input swap of `amount` (known, or chained from an earlier swap); its output entry."""
        if isinstance(amount, _Chain):
            d = self.drafts[amount.index]
            if not d.exact_in or d.group != self.group or amount.index != len(self.drafts) - 1:
                raise Undecodable("a chain this decoder does not follow")
            last = d.legs[-1]
            d.legs[-1] = SwapLeg(last.token_in, last.token_out, last.fee, last.pool_id, last.venue, d.limit)
            d.legs.extend(legs)
            d.limit = minimum
            return amount
        if not isinstance(amount, int) or not 0 < amount < MAX_AMOUNT:
            raise Undecodable("an amount that is not known")
        self.drafts.append(_Draft(True, amount, minimum, list(legs), self.group))
        return _Chain(len(self.drafts) - 1)

    def exact_out(self, legs: tuple[SwapLeg, ...], amount: int, maximum: int) -> None:
        if not 0 < amount < MAX_AMOUNT:
            raise Undecodable("an output amount that is not known")
        self.drafts.append(_Draft(False, amount, maximum, list(legs), self.group))

    def swaps(self, deadline: int) -> tuple[PendingSwap, ...]:
        return tuple(
            PendingSwap(self.kind, d.exact_in, d.amount, d.limit, tuple(d.legs), deadline, d.group, True)
            for d in self.drafts
        )


def _address(a: str) -> str:
    return to_checksum_address(a)


def _payer_amount(s: _State, token: str, amount: int, payer_is_user: bool) -> Entry:
    """The input of a V2/V3 exact-input command: from the user, or from the router's balance."""
    if payer_is_user:
        if amount == c.CONTRACT_BALANCE:
            raise Undecodable("the user pays the router's balance")
        return amount
    if amount == c.CONTRACT_BALANCE:
        return s.draw_all(token)
    s.draw(token, amount)
    return amount


def _v2_v3_swap(s: _State, name: str, raw: bytes) -> None:
    v2 = name in (c.V2_SWAP_EXACT_IN, c.V2_SWAP_EXACT_OUT)
    recipient, amount, limit, path, payer_is_user = decode(_SWAP_IN_V2 if v2 else _SWAP_IN, raw)
    if v2:
        if len(path) < 2:
            raise Undecodable("a V2 path of one token")
        legs = legs_from_path(list(path), "v2")
    else:
        found = v3_path(bytes(path), "v3")
        if found is None:
            raise Undecodable("a V3 path that is not one")
        legs = found
    exact_in = name in (c.V2_SWAP_EXACT_IN, c.V3_SWAP_EXACT_IN)
    if exact_in:
        if v2 and amount == c.ALREADY_PAID:
            raise Undecodable("tokens paid to the pair beforehand")
        out = s.exact_in(legs, _payer_amount(s, legs[0].token_in, amount, payer_is_user), limit)
        if s.is_router(recipient):
            s.credit(legs[-1].token_out, out)
        return
    if not v2:  # exactOutput's path runs from the output back to the input
        legs = tuple(SwapLeg(g.token_out, g.token_in, g.fee, venue="v3") for g in reversed(legs))
    if not payer_is_user:
        s.draw(legs[0].token_in, limit)  # at most `limit` leaves the router; what is left is not known
        s.ledger[legs[0].token_in.lower()] = None
    s.exact_out(legs, amount, limit)
    if s.is_router(recipient):
        # A V2 pair pays for the rounded-up input, which can be more than `amount`: not known here.
        s.credit(legs[-1].token_out, None if v2 else amount)


def _weth(s: _State) -> str:
    if s.weth is None:
        raise Undecodable("wrapping without knowing the router's WETH")
    return s.weth


def _wrap(s: _State, raw: bytes) -> None:
    recipient, amount = decode(["address", "uint256"], raw)
    if amount == c.CONTRACT_BALANCE:
        got = s.draw_all(c.ETH)
    else:
        s.draw(c.ETH, amount)
        got = amount
    if s.is_router(recipient):
        s.credit(_weth(s), got)


def _unwrap(s: _State, raw: bytes) -> None:
    recipient, minimum = decode(["address", "uint256"], raw)
    got = s.draw_all(_weth(s))
    s.require_min(got, minimum)
    if s.is_router(recipient):
        s.credit(c.ETH, got)


def _sweep(s: _State, raw: bytes) -> None:
    token, recipient, minimum = decode(["address", "address", "uint160"], raw)
    if s.is_router(recipient):
        return  # to itself: nothing moves
    s.require_min(s.draw_all(token), minimum)


def _transfer(s: _State, raw: bytes, portion: bool) -> None:
    token, recipient, amount = decode(["address", "address", "uint256"], raw)
    if s.is_router(recipient):
        return
    key = token.lower()
    have = s.ledger.get(key, 0)
    if have == 0:
        if not portion and amount != 0 and amount != c.CONTRACT_BALANCE:
            raise Undecodable(f"router pays {amount} of {token} it does not hold")
        return
    if portion:
        s.ledger[key] = None  # what is left depends on amounts known only after the pools are applied
    elif amount == c.CONTRACT_BALANCE:
        s.ledger[key] = 0
    elif isinstance(have, int):
        s.draw(token, amount)
    else:
        s.ledger[key] = None


def _permit2_transfer(s: _State, raw: bytes) -> None:
    token, recipient, amount = decode(["address", "address", "uint160"], raw)
    if s.is_router(recipient):
        s.credit(token, amount)


def _permit2_transfer_batch(s: _State, raw: bytes) -> None:
    (details,) = decode(["(address,address,uint160,address)[]"], raw)
    for _from, to, _amount, token in details:
        if s.is_router(to):
            s.ledger[token.lower()] = None  # the batch's sender is checked on chain; keep no amount


def _sub_plan(s: _State, raw: bytes, allow_revert: bool, depth: int) -> None:
    commands, inputs = decode(["bytes", "bytes[]"], raw)
    if not allow_revert:
        _run(s, bytes(commands), list(inputs), depth + 1)
        return
    if s.group is not None:
        raise Undecodable("an allow-revert sub-plan inside another")
    before = dict(s.ledger)
    s.group, s.groups = s.groups, s.groups + 1
    _run(s, bytes(commands), list(inputs), depth + 1)
    s.group = None
    for token in set(before) | set(s.ledger):  # what the sub-plan moved depends on whether it ran
        if before.get(token, 0) != s.ledger.get(token, 0):
            s.ledger[token] = None


def _v4_key_legs(key: tuple[Any, ...], zero_for_one: bool) -> SwapLeg:
    c0, c1, fee, spacing, hooks = key
    tin, tout = (c0, c1) if zero_for_one else (c1, c0)
    return SwapLeg(_address(tin), _address(tout), int(fee), v4_pool_id(c0, c1, fee, spacing, hooks), "v4")


def _v4_path(start: str, path: list[Any], reverse: bool = False) -> tuple[SwapLeg, ...]:
    if not path:
        raise Undecodable("an empty V4 path")
    legs = []
    if not reverse:
        cur = start
        for nxt, fee, spacing, hooks, _data in path:
            legs.append(
                SwapLeg(_address(cur), _address(nxt), int(fee), v4_pool_id(cur, nxt, fee, spacing, hooks), "v4")
            )
            cur = nxt
        return tuple(legs)
    # Exact output: path[i].intermediateCurrency is hop i's input; the last hop pays out `start`.
    outs = [p[0] for p in path[1:]] + [start]
    for (cin, fee, spacing, hooks, _data), cout in zip(path, outs, strict=True):
        legs.append(SwapLeg(_address(cin), _address(cout), int(fee), v4_pool_id(cin, cout, fee, spacing, hooks), "v4"))
    return tuple(legs)


def _v4_swap(s: _State, raw: bytes) -> None:
    """A V4_SWAP plan: v4-periphery V4Router actions over the PoolManager's deltas."""
    actions, params = decode(["bytes", "bytes[]"], raw)
    if len(actions) != len(params):
        raise Undecodable("actions and params differ in length")
    delta: dict[str, Entry] = {}  # the router's open delta per currency: + owed to it, - it owes

    def add(cur: str, entry: Entry) -> None:
        key = cur.lower()
        have = delta.get(key, 0)
        if have == 0:
            delta[key] = entry
        elif isinstance(have, int) and isinstance(entry, int):
            delta[key] = have + entry
        else:
            delta[key] = None

    def full_credit(cur: str) -> Entry:
        have = delta.get(cur.lower(), 0)
        if isinstance(have, int) and have < 0:
            raise Undecodable("credit taken where a debt is open: it reverts")
        delta[cur.lower()] = 0
        return have

    for action, p in zip(bytes(actions), params, strict=True):
        s.step()
        p = bytes(p)
        if action in (c.SWAP_EXACT_IN_SINGLE, c.SWAP_EXACT_IN):
            if action == c.SWAP_EXACT_IN_SINGLE:
                ((key, zero_for_one, amount, minimum, _h),) = decode([_EXACT_SINGLE], p)
                legs: tuple[SwapLeg, ...] = (_v4_key_legs(key, zero_for_one),)
            else:
                ((currency, path, amount, minimum),) = decode([_EXACT_MULTI], p)
                legs = _v4_path(currency, list(path))
            cin, cout = legs[0].token_in, legs[-1].token_out
            if amount == c.OPEN_DELTA:
                source: Entry = full_credit(cin)
            else:
                source = amount
                add(cin, -amount if isinstance(delta.get(cin.lower(), 0), int) else None)
            add(cout, s.exact_in(legs, source, minimum))
        elif action in (c.SWAP_EXACT_OUT_SINGLE, c.SWAP_EXACT_OUT):
            if action == c.SWAP_EXACT_OUT_SINGLE:
                ((key, zero_for_one, amount, maximum, _h),) = decode([_EXACT_SINGLE], p)
                legs = (_v4_key_legs(key, zero_for_one),)
            else:
                ((currency, path, amount, maximum),) = decode([_EXACT_MULTI], p)
                legs = _v4_path(currency, list(path), reverse=True)
            if amount == c.OPEN_DELTA:
                raise Undecodable("an exact output of the open debt")
            s.exact_out(legs, amount, maximum)
            delta[legs[0].token_in.lower()] = None  # the input is known only once the pools are applied
            add(legs[-1].token_out, amount)
        elif action == c.SETTLE:
            currency, amount, payer_is_user = decode(["address", "uint256", "bool"], p)
            if amount == c.CONTRACT_BALANCE:
                if payer_is_user:
                    raise Undecodable("the user pays the router's balance")
                add(currency, s.draw_all(currency))
            elif amount == c.OPEN_DELTA:
                delta[currency.lower()] = 0  # pays whatever is owed
            else:
                if not payer_is_user or int(currency, 16) == 0:  # native ether is paid from the router's own
                    s.draw(currency, amount)
                add(currency, amount)
        elif action == c.SETTLE_ALL:
            currency, _maximum = decode(["address", "uint256"], p)
            have = delta.get(currency.lower(), 0)
            if isinstance(have, int) and have > 0:
                raise Undecodable("settling a credit: it reverts")
            delta[currency.lower()] = 0
            if int(currency, 16) == 0:  # native ether is paid from the router's own: what is left is unknown
                if isinstance(have, int) and have < 0:
                    s.draw(c.ETH, -have)
                elif s.ledger.get(c.ETH, 0) != 0:
                    s.ledger[c.ETH] = None
        elif action == c.TAKE_ALL:
            currency, minimum = decode(["address", "uint256"], p)
            s.require_min(full_credit(currency), minimum)
        elif action == c.TAKE:
            currency, recipient, amount = decode(["address", "address", "uint256"], p)
            if amount == c.OPEN_DELTA:
                got = full_credit(currency)
            else:
                have = delta.get(currency.lower(), 0)
                if isinstance(have, int) and have < amount:
                    raise Undecodable("taking more than is owed: it reverts")
                delta[currency.lower()] = have - amount if isinstance(have, int) else None
                got = amount
            if s.is_router(recipient):
                s.credit(currency, got)
        elif action == c.TAKE_PORTION:
            currency, recipient, _bips = decode(["address", "address", "uint256"], p)
            delta[currency.lower()] = None
            if s.is_router(recipient):
                s.ledger[currency.lower()] = None
        else:
            raise Undecodable(f"V4 action {action:#x}: the router does not run it")


def _run(s: _State, commands: bytes, inputs: list[Any], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise Undecodable("sub-plans nested too deep")
    if len(commands) != len(inputs):
        raise Undecodable("commands and inputs differ in length")
    for command, raw in zip(commands, inputs, strict=True):
        s.step()
        name = s.table.kinds.get(command & s.table.type_mask)
        raw = bytes(raw)
        if name is None:
            raise Undecodable(f"command {command:#x}: not in the {s.table.version} table")
        if name in (c.V2_SWAP_EXACT_IN, c.V2_SWAP_EXACT_OUT, c.V3_SWAP_EXACT_IN, c.V3_SWAP_EXACT_OUT):
            _v2_v3_swap(s, name, raw)
        elif name == c.V4_SWAP:
            _v4_swap(s, raw)
        elif name == c.WRAP_ETH:
            _wrap(s, raw)
        elif name == c.UNWRAP_WETH:
            _unwrap(s, raw)
        elif name == c.SWEEP:
            _sweep(s, raw)
        elif name in (c.TRANSFER, c.PAY_PORTION):
            _transfer(s, raw, portion=name == c.PAY_PORTION)
        elif name == c.PERMIT2_TRANSFER_FROM:
            _permit2_transfer(s, raw)
        elif name == c.PERMIT2_TRANSFER_FROM_BATCH:
            _permit2_transfer_batch(s, raw)
        elif name == c.EXECUTE_SUB_PLAN:
            _sub_plan(s, raw, bool(command & c.ALLOW_REVERT), depth)
        elif name == c.OPAQUE:
            s.ledger = {k: None for k in (*s.ledger, c.ETH)}
        elif name == c.UNFOLLOWED:
            raise Undecodable(f"command {command:#x} changes pool state not followed here")
        # PERMIT2_PERMIT(_BATCH), BALANCE_CHECK_ERC20 and the other INERT commands: no effect to follow


def decode_universal_router(
    data: bytes, value: int, version: str, router: str, weth: str | None, kind: str
) -> tuple[PendingSwap, ...] | None:
    """Every swap an `execute` call makes, in order; None when there is none or one cannot be followed."""
    sel = data[:4]
    if sel == EXECUTE:
        commands, inputs, deadline = decode(["bytes", "bytes[]", "uint256"], data[4:])
    elif sel == EXECUTE_NOW:
        (commands, inputs), deadline = decode(["bytes", "bytes[]"], data[4:]), 2**256 - 1
    else:
        return None
    s = _State(c.TABLES[version], router.lower(), weth, kind, ledger={c.ETH: value})
    try:
        _run(s, bytes(commands), list(inputs), 0)
    except Undecodable:
        return None
    swaps = s.swaps(int(deadline))
    return swaps or None
