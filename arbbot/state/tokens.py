"""Token metadata and quirks: decimals that revert, bytes32 names, fees taken on transfer.

Such tokens are flagged (and their pools left out of trading) instead of crashing anything or being
priced wrongly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi import decode, encode
from eth_utils import keccak

from arbbot.chain.rpc import RpcClient, RpcError
from arbbot.state import lens

log = logging.getLogger(__name__)

TOKEN_BATCH = 40  # ~300 output bytes per token, under the code-size limit on constructor output


@dataclass(frozen=True)
class TokenMeta:
    """An ERC-20's metadata as read on chain; `non_standard` flags bytes32 metadata, reverting `decimals()` or no
    code."""

    address: str
    decimals: int | None  # None: decimals() reverted or is not a uint8
    symbol: str
    name: str
    non_standard: bool  # bytes32 metadata, reverting decimals or no code
    fee_on_transfer: bool = False


def _text(raw: bytes) -> tuple[str, bool]:
    """(text, non_standard): ABI string, or a bytes32 padded with zeros."""
    if len(raw) == 32:
        return raw.rstrip(b"\0").decode("utf-8", "replace"), True
    try:
        return str(decode(["string"], raw)[0]), False
    except Exception:  # anything else is not readable metadata
        return "", bool(raw)


def read_tokens(rpc: RpcClient, tokens: Sequence[str], block: str = "latest") -> dict[str, TokenMeta]:
    """The metadata of every token, read in batches through the deployless `TokenInfoReader` at `block`."""
    out: dict[str, TokenMeta] = {}
    for i in range(0, len(tokens), TOKEN_BATCH):
        chunk = list(tokens[i : i + TOKEN_BATCH])
        raw = lens._deployless(rpc, "TokenInfoReader", ["address[]"], [chunk], block)
        infos = decode(["(bool,uint8,bytes,bytes)[]"], raw)[0]
        for address, (ok, decimals, sym_raw, name_raw) in zip(chunk, infos, strict=True):
            symbol, odd1 = _text(sym_raw)
            name, odd2 = _text(name_raw)
            out[address] = TokenMeta(address, decimals if ok else None, symbol, name, (not ok) or odd1 or odd2)
    return out


PROBE_ADDRESS = "0x00000000000000000000000000000000000fee01"
_PROBE = keccak(text="probe(address,uint256,uint256)")[:4]


def fee_on_transfer_via_pair(
    rpc: RpcClient, pair: str, reserve0: int, reserve1: int, block: str = "latest"
) -> tuple[bool, bool] | None:
    """Whether token0 / token1 of a V2 pair deliver less than is sent, by a flash swap that the probe
    aborts after measuring. Needs eth_call state overrides; None if the probe could not run."""
    out0, out1 = reserve0 // 1000, reserve1 // 1000
    if out0 == 0 or out1 == 0:
        return None
    code = lens.readers()["TransferProbeReader"].deployed_bytecode
    data = "0x" + (_PROBE + encode(["address", "uint256", "uint256"], [pair, out0, out1])).hex()
    try:
        raw = rpc.call("eth_call", [{"to": PROBE_ADDRESS, "data": data}, block, {PROBE_ADDRESS: {"code": code}}])
    except RpcError as exc:
        log.warning("transfer probe on pair %s failed: %s", pair, exc.message)
        return None
    got0, got1 = decode(["uint256", "uint256"], bytes.fromhex(raw[2:]))
    return got0 < out0, got1 < out1
