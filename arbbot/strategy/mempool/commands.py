"""UniversalRouter command tables, keyed by router version (numbers from the npm packages' Commands.sol:
`@uniswap/universal-router` 1.4.x–1.6.0 for mainnet's "V1_2" router, whose table they share, and 2.1.0
for v2). Each command is classed by what it does to the pools this bot follows."""

from __future__ import annotations

from dataclasses import dataclass

ALLOW_REVERT = 0x80

# What a command does, as far as pool state and the router's own balances go.
V3_SWAP_EXACT_IN, V3_SWAP_EXACT_OUT = "V3_SWAP_EXACT_IN", "V3_SWAP_EXACT_OUT"
V2_SWAP_EXACT_IN, V2_SWAP_EXACT_OUT = "V2_SWAP_EXACT_IN", "V2_SWAP_EXACT_OUT"
PERMIT2_TRANSFER_FROM, PERMIT2_TRANSFER_FROM_BATCH = "PERMIT2_TRANSFER_FROM", "PERMIT2_TRANSFER_FROM_BATCH"
PERMIT2_PERMIT, PERMIT2_PERMIT_BATCH = "PERMIT2_PERMIT", "PERMIT2_PERMIT_BATCH"
SWEEP, TRANSFER, PAY_PORTION = "SWEEP", "TRANSFER", "PAY_PORTION"
WRAP_ETH, UNWRAP_WETH = "WRAP_ETH", "UNWRAP_WETH"
BALANCE_CHECK_ERC20 = "BALANCE_CHECK_ERC20"
EXECUTE_SUB_PLAN = "EXECUTE_SUB_PLAN"
V4_SWAP = "V4_SWAP"
# No effect on any pool followed here, no balance of the router's that a later swap could read.
INERT = "INERT"
# Moves the router's tokens or ether to places not modelled: balances become unknown, pools untouched.
OPAQUE = "OPAQUE"
# Changes pool state this decoder does not follow (liquidity): the transaction cannot be modelled.
UNFOLLOWED = "UNFOLLOWED"

_COMMON = {
    0x00: V3_SWAP_EXACT_IN, 0x01: V3_SWAP_EXACT_OUT, 0x02: PERMIT2_TRANSFER_FROM, 0x03: PERMIT2_PERMIT_BATCH,
    0x04: SWEEP, 0x05: TRANSFER, 0x06: PAY_PORTION,
    0x08: V2_SWAP_EXACT_IN, 0x09: V2_SWAP_EXACT_OUT, 0x0A: PERMIT2_PERMIT, 0x0B: WRAP_ETH, 0x0C: UNWRAP_WETH,
    0x0D: PERMIT2_TRANSFER_FROM_BATCH, 0x0E: BALANCE_CHECK_ERC20,
    0x21: EXECUTE_SUB_PLAN,
}  # fmt: skip


@dataclass(frozen=True)
class CommandTable:
    """One UniversalRouter version's command table: the command-type mask and, per command number, its class (what it
    does to followed pools and balances) and its name.
    """

    version: str
    type_mask: int
    kinds: dict[int, str]
    names: dict[int, str]

    def kind(self, command: int) -> str | None:
        """The class of `command` (flags such as allow-revert masked off), or `None` for a number this version lacks."""
        return self.kinds.get(command & self.type_mask)


_V1_2_NFT = {
    0x10: "SEAPORT_V1_5", 0x11: "LOOKS_RARE_V2", 0x12: "NFTX", 0x13: "CRYPTOPUNKS", 0x15: "OWNER_CHECK_721",
    0x16: "OWNER_CHECK_1155", 0x17: "SWEEP_ERC721", 0x18: "X2Y2_721", 0x19: "SUDOSWAP", 0x1A: "NFT20",
    0x1B: "X2Y2_1155", 0x1C: "FOUNDATION", 0x1D: "SWEEP_ERC1155", 0x1E: "ELEMENT_MARKET", 0x20: "SEAPORT_V1_4",
    0x22: "APPROVE_ERC20",
}  # fmt: skip
_OWNER_CHECKS = {0x15, 0x16}
V1_2 = CommandTable(
    "v1_2",
    0x3F,
    {**_COMMON, **{c: (INERT if c in _OWNER_CHECKS or c == 0x22 else OPAQUE) for c in _V1_2_NFT}},
    {**{c: k for c, k in _COMMON.items()}, **_V1_2_NFT},
)
_V2_EXTRA = {0x10: "V4_SWAP", 0x11: "V3_POSITION_MANAGER_PERMIT", 0x12: "V3_POSITION_MANAGER_CALL",
             0x13: "V4_INITIALIZE_POOL", 0x14: "V4_POSITION_MANAGER_CALL", 0x40: "ACROSS_V4_DEPOSIT_V3"}  # fmt: skip
V2 = CommandTable(
    "v2",
    0x7F,  # 2.1.0's COMMAND_TYPE_MASK (0x40.. holds third-party integrations)
    {**_COMMON, 0x10: V4_SWAP, 0x11: INERT, 0x12: UNFOLLOWED, 0x13: INERT, 0x14: UNFOLLOWED, 0x40: OPAQUE},
    {**{c: k for c, k in _COMMON.items()}, **_V2_EXTRA},
)
TABLES = {"v1_2": V1_2, "v2": V2}

# v4-periphery 1.0.3 Actions (what UniversalRouter 2.1.0's V4_SWAP runs).
SWAP_EXACT_IN_SINGLE, SWAP_EXACT_IN, SWAP_EXACT_OUT_SINGLE, SWAP_EXACT_OUT = 0x06, 0x07, 0x08, 0x09
SETTLE, SETTLE_ALL, SETTLE_PAIR = 0x0B, 0x0C, 0x0D
TAKE, TAKE_ALL, TAKE_PORTION, TAKE_PAIR = 0x0E, 0x0F, 0x10, 0x11
CLOSE_CURRENCY, CLEAR_OR_TAKE, ACTION_SWEEP, WRAP, UNWRAP = 0x12, 0x13, 0x14, 0x15, 0x16

# Router constants (universal-router Constants / v4-periphery ActionConstants).
CONTRACT_BALANCE = 1 << 255
OPEN_DELTA = 0
ALREADY_PAID = 0
MSG_SENDER = "0x0000000000000000000000000000000000000001"
ADDRESS_THIS = "0x0000000000000000000000000000000000000002"
ETH = "0x0000000000000000000000000000000000000000"
