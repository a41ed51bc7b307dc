"""The committed venue binaries are the recorded builds, and a changed file is refused."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from arbbot.solana.errors import SolanaError
from arbbot.solana.testing import venue_binaries as vb


def test_every_binary_is_the_recorded_build_and_matches_provenance() -> None:
    provenance = (vb.VENDOR_DIR / "PROVENANCE.md").read_text()
    for b in vb.ALL:
        data = b.read()
        assert data[:4] == b"\x7fELF"
        row = next(line for line in provenance.splitlines() if f"`{b.file}`" in line)
        assert f"`{b.program_id}`" in row and f"`{b.sha256}`" in row and re.search(rf"\| {len(data)} \|", row)


def test_a_changed_binary_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = vb.RAYDIUM_CPMM.read()
    (tmp_path / vb.RAYDIUM_CPMM.file).write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    monkeypatch.setattr(vb, "VENDOR_DIR", tmp_path)
    with pytest.raises(SolanaError, match=r"venue binary raydium_cpmm: .* has sha256 [0-9a-f]{64}, expected 4ec452"):
        vb.RAYDIUM_CPMM.checked_path()
    missing = dataclasses.replace(vb.RAYDIUM_CPMM, file="absent.so")
    with pytest.raises(SolanaError, match=r"absent\.so is missing"):
        missing.checked_path()
