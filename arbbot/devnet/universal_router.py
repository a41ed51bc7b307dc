"""Calldata for UniversalRouter 2.x swaps through Uniswap V4 (what wallets send), for the replica's traffic
and tests. Command and action codes are those of the npm artifacts the replica deploys
(universal-router 2.1.0 Commands, v4-periphery 1.0.3 Actions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from eth_abi import encode

from arbbot.devnet import artifacts
from arbbot.errors import DevnetError

if TYPE_CHECKING:
    from web3 import Web3

    from arbbot.devnet.manifest import Manifest

V4_SWAP = 0x10
SWAP_EXACT_IN_SINGLE, SWAP_EXACT_IN = 0x06, 0x07
SETTLE_ALL, TAKE_ALL = 0x0C, 0x0F
POOL_KEY = "(address,address,uint24,int24,address)"
EXACT_IN_SINGLE = f"({POOL_KEY},bool,uint128,uint128,bytes)"
PATH_KEY = "(address,uint24,int24,address,bytes)"
EXACT_IN = f"(address,{PATH_KEY}[],uint128,uint128)"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class PoolKey:
    """A Uniswap V4 pool key: the two currencies sorted by address (the zero address is native ether), the fee in
    hundredths of a basis point, the tick spacing and the hooks contract.
    """

    currency0: str
    currency1: str
    fee: int
    tick_spacing: int
    hooks: str = ZERO_ADDRESS

    def as_tuple(self) -> tuple[str, str, int, int, str]:
        """The key in the ABI tuple order of `POOL_KEY`, for encoding."""
        return (self.currency0, self.currency1, self.fee, self.tick_spacing, self.hooks)


@dataclass(frozen=True)
class RouterCall:
    """The arguments of one UniversalRouter `execute` call: one command byte per input, the ABI-encoded inputs, and the
    wei to send with it.
    """

    commands: bytes
    inputs: list[bytes]
    value: int  # native ether sent with the call (the input, when it is ether)


def v4_exact_in_single(key: PoolKey, zero_for_one: bool, amount_in: int, min_out: int) -> RouterCall:
    """One V4 pool, exact input: SWAP_EXACT_IN_SINGLE, SETTLE_ALL the input, TAKE_ALL the output."""
    c_in, c_out = (key.currency0, key.currency1) if zero_for_one else (key.currency1, key.currency0)
    params = [
        encode([EXACT_IN_SINGLE], [(key.as_tuple(), zero_for_one, amount_in, min_out, b"")]),
        encode(["address", "uint256"], [c_in, amount_in]),
        encode(["address", "uint256"], [c_out, min_out]),
    ]
    actions = bytes([SWAP_EXACT_IN_SINGLE, SETTLE_ALL, TAKE_ALL])
    plan = encode(["bytes", "bytes[]"], [actions, params])
    return RouterCall(bytes([V4_SWAP]), [plan], amount_in if int(c_in, 16) == 0 else 0)


def v4_exact_in(currency_in: str, path: list[tuple[str, int, int, str]], amount_in: int, min_out: int) -> RouterCall:
    """Several V4 pools, exact input; `path` holds (intermediate or output currency, fee, spacing, hooks)."""
    params = [
        encode([EXACT_IN], [(currency_in, [(c, f, s, h, b"") for c, f, s, h in path], amount_in, min_out)]),
        encode(["address", "uint256"], [currency_in, amount_in]),
        encode(["address", "uint256"], [path[-1][0], min_out]),
    ]
    actions = bytes([SWAP_EXACT_IN, SETTLE_ALL, TAKE_ALL])
    plan = encode(["bytes", "bytes[]"], [actions, params])
    return RouterCall(bytes([V4_SWAP]), [plan], amount_in if int(currency_in, 16) == 0 else 0)


# -- any UniversalRouter plan (v1.2 and v2 share these command numbers and input layouts) ------------------
V3_SWAP_EXACT_IN, V3_SWAP_EXACT_OUT, PERMIT2_TRANSFER_FROM, SWEEP, TRANSFER, PAY_PORTION = (
    0x00,
    0x01,
    0x02,
    0x04,
    0x05,
    0x06,
)
V2_SWAP_EXACT_IN, V2_SWAP_EXACT_OUT, WRAP_ETH, UNWRAP_WETH = 0x08, 0x09, 0x0B, 0x0C
EXECUTE_SUB_PLAN = 0x21
ALLOW_REVERT = 0x80
SWAP_EXACT_OUT_SINGLE, SWAP_EXACT_OUT, SETTLE, TAKE = 0x08, 0x09, 0x0B, 0x0E
MSG_SENDER = "0x0000000000000000000000000000000000000001"
ADDRESS_THIS = "0x0000000000000000000000000000000000000002"
CONTRACT_BALANCE = 1 << 255
OPEN_DELTA = 0


@dataclass
class Plan:
    """Commands and their inputs, in order (what `execute` and EXECUTE_SUB_PLAN take)."""

    commands: bytearray
    inputs: list[bytes]

    @classmethod
    def new(cls) -> Plan:
        """An empty plan."""
        return cls(bytearray(), [])

    def add(self, command: int, data: bytes, allow_revert: bool = False) -> Plan:
        """Append a command and its encoded input; with `allow_revert` the command's failure does not revert the whole
        call (the ALLOW_REVERT flag). Returns the plan, for chaining.
        """
        self.commands.append(command | (ALLOW_REVERT if allow_revert else 0))
        self.inputs.append(data)
        return self

    def encoded(self) -> bytes:
        """The plan ABI-encoded as (bytes commands, bytes[] inputs): the input of an EXECUTE_SUB_PLAN command."""
        return encode(["bytes", "bytes[]"], [bytes(self.commands), self.inputs])

    def call(self, value: int = 0) -> RouterCall:
        """The plan as a top-level `execute` call sending `value` wei."""
        return RouterCall(bytes(self.commands), list(self.inputs), value)


def v2_swap(recipient: str, amount: int, limit: int, path: list[str], payer_is_user: bool) -> bytes:
    """V2_SWAP_EXACT_IN (amount in, min out) or V2_SWAP_EXACT_OUT (amount out, max in) input."""
    return encode(
        ["address", "uint256", "uint256", "address[]", "bool"], [recipient, amount, limit, path, payer_is_user]
    )


def v3_path(tokens: list[str], fees: list[int]) -> bytes:
    """A V3 packed path: the first token's 20 bytes, then for each hop its 3-byte fee (hundredths of a basis point) and
    the next token. Pass the tokens output-first for an exact-output swap.
    """
    out = bytes.fromhex(tokens[0][2:])
    for fee, token in zip(fees, tokens[1:], strict=True):
        out += fee.to_bytes(3, "big") + bytes.fromhex(token[2:])
    return out


def v3_swap(recipient: str, amount: int, limit: int, path: bytes, payer_is_user: bool) -> bytes:
    """V3_SWAP_EXACT_IN / V3_SWAP_EXACT_OUT input (an exact-output path runs from the output back)."""
    return encode(["address", "uint256", "uint256", "bytes", "bool"], [recipient, amount, limit, path, payer_is_user])


def wrap_eth(recipient: str, amount: int) -> bytes:
    """WRAP_ETH input: wrap `amount` wei of the router's ether to WETH for `recipient` (`CONTRACT_BALANCE` wraps all it
    holds).
    """
    return encode(["address", "uint256"], [recipient, amount])


def unwrap_weth(recipient: str, amount_min: int) -> bytes:
    """UNWRAP_WETH input: unwrap all the router's WETH to ether for `recipient`, reverting below `amount_min` wei."""
    return encode(["address", "uint256"], [recipient, amount_min])


def sweep(token: str, recipient: str, amount_min: int) -> bytes:
    """SWEEP input: send the router's whole balance of `token` (the zero address: ether) to `recipient`, reverting below
    `amount_min` raw units.
    """
    return encode(["address", "address", "uint160"], [token, recipient, amount_min])


def v4_plan(actions: list[tuple[int, bytes]]) -> bytes:
    """A V4_SWAP input: v4-periphery actions and their params."""
    return encode(["bytes", "bytes[]"], [bytes(a for a, _ in actions), [p for _, p in actions]])


def v4_exact_in_single_params(key: PoolKey, zero_for_one: bool, amount_in: int, min_out: int) -> bytes:
    """The params of a SWAP_EXACT_IN_SINGLE action: exactly `amount_in` into one pool, reverting below `min_out` out
    (raw units).
    """
    return encode([EXACT_IN_SINGLE], [(key.as_tuple(), zero_for_one, amount_in, min_out, b"")])


def v4_exact_in_params(currency_in: str, path: list[tuple[str, int, int, str]], amount_in: int, min_out: int) -> bytes:
    """The params of a SWAP_EXACT_IN action over several pools; `path` holds (next currency, fee, tick spacing, hooks)
    per hop.
    """
    return encode([EXACT_IN], [(currency_in, [(c, f, s, h, b"") for c, f, s, h in path], amount_in, min_out)])


def v4_exact_out_single_params(key: PoolKey, zero_for_one: bool, amount_out: int, max_in: int) -> bytes:
    """The params of a SWAP_EXACT_OUT_SINGLE action: exactly `amount_out` out of one pool, reverting above `max_in` in
    (raw units); the same tuple layout as the exact-input one.
    """
    return encode([EXACT_IN_SINGLE], [(key.as_tuple(), zero_for_one, amount_out, max_in, b"")])


def currency_amount(currency: str, amount: int) -> bytes:
    """SETTLE_ALL (max) and TAKE_ALL (min) params."""
    return encode(["address", "uint256"], [currency, amount])


def settle(currency: str, amount: int, payer_is_user: bool) -> bytes:
    """SETTLE action params: pay `amount` of `currency` to the pool manager (`OPEN_DELTA`: whatever is owed), from the
    user through Permit2 when `payer_is_user`, else from the router's balance.
    """
    return encode(["address", "uint256", "bool"], [currency, amount, payer_is_user])


def take(currency: str, recipient: str, amount: int) -> bytes:
    """TAKE action params: take `amount` of `currency` (`OPEN_DELTA`: all that is owed) from the pool manager to
    `recipient`.
    """
    return encode(["address", "address", "uint256"], [currency, recipient, amount])


def deploy_universal_router_v1_2(w3: Web3, manifest: Manifest, sender: str) -> str:
    """UniversalRouter 1.6.0 (the v1.2 command table) next to the replica's 2.1.0: same Permit2, WETH, V2
    factory and V3 factory; no NFT market exists here, so those addresses are zero (never called)."""
    art = artifacts.load("UniversalRouterV1_2")
    zero = ZERO_ADDRESS
    params = (
        artifacts.PERMIT2_ADDRESS, manifest.token("WETH").address, *([zero] * 14),
        manifest.venues["uniswap_v2"].factory, manifest.contracts["UniswapV3Factory"],
        bytes.fromhex(artifacts.UNISWAP_V2_PAIR_INIT_CODE_HASH[2:]),
        bytes.fromhex(artifacts.UNISWAP_V3_POOL_INIT_CODE_HASH[2:]),
    )  # fmt: skip
    tx = w3.eth.contract(abi=art.abi, bytecode=art.bytecode).constructor(params).transact({"from": sender})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    if receipt["status"] != 1 or not receipt["contractAddress"]:
        raise DevnetError("deploying UniversalRouter 1.6.0 failed")
    return str(receipt["contractAddress"])
