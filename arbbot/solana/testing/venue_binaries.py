"""The venue programs' SBF binaries committed in `vendor/solana-programs/` (see PROVENANCE.md there):
where each is, which mainnet program id it is loaded as, and a sha256 check before anyone runs it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from solders.pubkey import Pubkey

from arbbot.solana.errors import SolanaError

VENDOR_DIR = Path(__file__).resolve().parents[3] / "vendor" / "solana-programs"


@dataclass(frozen=True)
class VenueBinary:
    """A committed venue program binary: its name, the mainnet program id it is loaded as, its file and sha256."""

    name: str
    program_id: Pubkey
    file: str
    sha256: str

    @property
    def path(self) -> Path:
        """Where the binary is in `vendor/solana-programs/` (unchecked; use `checked_path` or `read` to load it)."""
        return VENDOR_DIR / self.file

    def checked_path(self) -> Path:
        """The file, after checking it is the recorded build (a different file is never loaded)."""
        if not self.path.is_file():
            raise SolanaError(f"venue binary {self.name}: {self.path} is missing")
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        if digest != self.sha256:
            raise SolanaError(f"venue binary {self.name}: {self.path} has sha256 {digest}, expected {self.sha256}")
        return self.path

    def read(self) -> bytes:
        """The binary's bytes, after the sha256 check of `checked_path`."""
        return self.checked_path().read_bytes()


RAYDIUM_CPMM = VenueBinary(
    "raydium_cpmm",
    Pubkey.from_string("CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C"),
    "raydium_cp_swap.so",
    "4ec452fc44ad608c638a08355b8f964c92109a646f63ab481f98ee5e90c00e7b",
)
RAYDIUM_CLMM = VenueBinary(
    "raydium_clmm",
    Pubkey.from_string("CAMMCzo5YL8w4VFF8KVHrK22GGUsp5VTaW7grrKgrWqK"),
    "raydium_amm_v3.so",
    "ee6433d9e9d4f430e6eb7ebbe08283bf3b8d63925a3c4c2d5010928467c3b807",
)
METEORA_DLMM = VenueBinary(
    "meteora_dlmm",
    Pubkey.from_string("LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo"),
    "dlmm.so",
    "9a6f2aac752724cb198e9bb982096e1ba9a166ae9dd664412e069f88997cd70c",
)
RAYDIUM_AMM_V4 = VenueBinary(
    "raydium_amm_v4",
    Pubkey.from_string("675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"),
    "raydium_amm_v4.so",
    "d3f6906a8e2847865f95b0c156b06d05db07778dd1d6c24044bae0b9ac1bb93c",
)
ORCA_WHIRLPOOL = VenueBinary(
    "orca_whirlpool",
    Pubkey.from_string("whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc"),
    "whirlpool.so",
    "9704e88f8bd3b192acc7ae8f141ce948082d3a7f61651867845627dd45ae44c7",
)
ALL = (RAYDIUM_CPMM, RAYDIUM_CLMM, METEORA_DLMM, RAYDIUM_AMM_V4, ORCA_WHIRLPOOL)
