"""The manifest: every address the replica holds, written once at build time and read everywhere else."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from arbbot.errors import DevnetError


class TokenEntry(BaseModel):
    """A token the replica deployed (`fee_on_transfer_bps`: the fee its transfers take, 0 for a plain ERC-20)."""

    model_config = ConfigDict(frozen=True)
    symbol: str
    name: str
    address: str
    decimals: int
    fee_on_transfer_bps: int = 0


PoolKind = Literal["uniswap_v2", "uniswap_v3", "pancakeswap_v3", "uniswap_v4"]
NATIVE_SYMBOL = "ETH"  # a V4 pool's native-ether side (currency address 0)
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class PoolEntry(BaseModel):
    """A pool the replica created, its tokens named by symbol."""

    model_config = ConfigDict(frozen=True)
    kind: PoolKind
    venue: str
    address: str  # V4: the pool id (keccak256 of the PoolKey), a 32-byte hex string
    token0: str  # symbols, in the pool's own order ("ETH" for a V4 pool's native side)
    token1: str
    fee: int  # V2: fee in bps (30); V3 and forks: hundredths of a bip; V4: PoolKey.fee (0x800000 = dynamic)
    tick_spacing: int = 0
    hooks: str = ZERO_ADDRESS  # V4 only
    hook_kind: str = "none"  # V4 only: what the scenario put there ("none", "dynamic_fee", "skim")


class VenueEntry(BaseModel):
    """A venue the replica deployed: its factory, router and the CREATE2 data of its pools."""

    model_config = ConfigDict(frozen=True)
    kind: PoolKind
    factory: str  # V4: the PoolManager
    router: str  # V4: the UniversalRouter
    fee_bps: int = 30
    init_code_hash: str  # V4: empty (pools are not contracts)
    deployer: str = ""  # PancakeSwap V3: the pool deployer, CREATE2 sender of every pool


class BalancerPoolEntry(BaseModel):
    """A Balancer V2 pool the replica created through a factory and INIT-joined (kept apart from the two-token
    `pools`: a Balancer pool holds 2 to 8 tokens and is traded through the Vault by `pool_id`).

    `tokens` are symbols in the Vault's order (`getPoolTokens`, sorted by address); `weights` and `swap_fee` are
    18-decimal integers (0.8e18 = 80%, 3e15 = 0.3%); `balances` the raw amounts the INIT join put in. A composable
    stable pool (`kind` "balancer_composable_stable") has no weights; its `tokens` and `balances` leave out its own
    BPT, which the Vault registers at `bpt_index`; `amp` is its amplification (1 to 5000) and `rate_providers`
    maps a token symbol to its replica rate provider.
    """

    model_config = ConfigDict(frozen=True)
    kind: Literal["balancer_weighted", "balancer_composable_stable"]
    address: str  # the pool contract (also its BPT)
    pool_id: str  # 32-byte hex string, the Vault's key
    factory: str
    tokens: list[str]
    weights: list[int] = []
    swap_fee: int
    balances: list[int]
    amp: int = 0
    bpt_index: int | None = None
    rate_providers: dict[str, str] = {}


class Manifest(BaseModel):
    """Every address a replica build holds, with the scenario, seed and snapshot it came from."""

    scenario: str
    seed: int
    chain_id: int
    block_number: int
    deployer: str
    snapshot_key: str
    contracts: dict[str, str]
    venues: dict[str, VenueEntry]
    tokens: list[TokenEntry]
    pools: list[PoolEntry]
    balancer_pools: list[BalancerPoolEntry] = []

    def token(self, symbol: str) -> TokenEntry:
        """The token with this symbol ("ETH": a V4 pool's native side, the zero address); DevnetError if there is
        none."""
        if symbol == NATIVE_SYMBOL:
            return TokenEntry(symbol=NATIVE_SYMBOL, name="Ether", address=ZERO_ADDRESS, decimals=18)
        for t in self.tokens:
            if t.symbol == symbol:
                return t
        raise DevnetError(f"manifest has no token {symbol!r}; tokens: {[t.symbol for t in self.tokens]}")

    def pools_for(self, a: str, b: str) -> list[PoolEntry]:
        """The pools between tokens `a` and `b` (symbols), either order."""
        return [p for p in self.pools if {p.token0, p.token1} == {a, b}]

    def write(self, path: Path) -> None:
        """Write the manifest atomically (temporary file, then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(self.model_dump_json(indent=2))
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Read a manifest; DevnetError naming the file if it is missing or malformed."""
        try:
            return cls.model_validate(json.loads(path.read_text()))
        except FileNotFoundError:
            raise DevnetError(f"manifest missing: {path}") from None
        except (ValueError, ValidationError) as exc:
            raise DevnetError(f"manifest {path} is malformed: {str(exc).splitlines()[0]}") from None
