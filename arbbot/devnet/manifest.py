"""The manifest: every address the replica holds, written once at build time and read everywhere else."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from arbbot.errors import DevnetError


class TokenEntry(BaseModel):
    model_config = ConfigDict(frozen=True)
    symbol: str
    name: str
    address: str
    decimals: int
    fee_on_transfer_bps: int = 0


class PoolEntry(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["uniswap_v2", "uniswap_v3"]
    venue: str
    address: str
    token0: str  # symbols, in the pool's own order
    token1: str
    fee: int  # V2: fee in bps (30); V3: fee in hundredths of a bip (500, 3000, ...)
    tick_spacing: int = 0


class VenueEntry(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: Literal["uniswap_v2", "uniswap_v3"]
    factory: str
    router: str
    fee_bps: int = 30
    init_code_hash: str


class Manifest(BaseModel):
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

    def token(self, symbol: str) -> TokenEntry:
        for t in self.tokens:
            if t.symbol == symbol:
                return t
        raise DevnetError(f"manifest has no token {symbol!r}; tokens: {[t.symbol for t in self.tokens]}")

    def pools_for(self, a: str, b: str) -> list[PoolEntry]:
        return [p for p in self.pools if {p.token0, p.token1} == {a, b}]

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(self.model_dump_json(indent=2))
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            return cls.model_validate(json.loads(path.read_text()))
        except FileNotFoundError:
            raise DevnetError(f"manifest missing: {path}") from None
        except (ValueError, ValidationError) as exc:
            raise DevnetError(f"manifest {path} is malformed: {str(exc).splitlines()[0]}") from None
