"""The README's Solana commands, exactly as written there, run against the local node (arb_executor and a
token-swap venue, two pools 3% apart) and the block-engine double: only the placeholders (URL, POOL,
MINT, the keypair path and the block engine's address) are replaced by the local ones."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from arbbot.solana.demo import LAMPORTS, _rent, build_market, owner_value
from arbbot.solana.programs import WSOL_MINT
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.testing.block_engine import LocalBlockEngine
from arbbot.solana.testing.node import LocalNode, NodeChain

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.filterwarnings("ignore:The `repr_ns` argument:DeprecationWarning")


def readme_commands() -> list[str]:
    """The commands of the bash block under `## Solana` (continuation lines joined, comments dropped)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Solana\n", 1)[1]
    block = section.split("```bash\n", 1)[1].split("\n```", 1)[0]
    joined = block.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_readme_lists_the_commands_this_test_runs() -> None:
    commands = readme_commands()
    assert [c.split()[:3] for c in commands] == [
        ["arbbot", "solana", "pools"], ["arbbot", "solana", "quote"], ["arbbot", "solana", "run"],
        ["arbbot", "solana", "run"],
    ]  # fmt: skip
    assert "--live" not in commands[2] and "--live" in commands[3]


def test_every_readme_solana_command_runs_as_written(tmp_path: Path) -> None:
    commands = readme_commands()
    with LocalNode() as node:
        chain, rpc = NodeChain(node.url), SolanaRpc(node.url)
        try:
            market = build_market(chain)
            keypair = tmp_path / "id.json"
            keypair.write_text(json.dumps(list(bytes(market.owner))))
            with LocalBlockEngine(chain, land_after_polls=1) as engine:
                for tip_account in engine.tip_accounts:
                    chain.airdrop(tip_account, _rent(chain, 0))
                before = owner_value(rpc, market.owner.pubkey())
                outputs = []
                for command in commands:
                    line = (
                        command.replace("https://mainnet.block-engine.jito.wtf/api/v1/bundles", engine.url)
                        .replace("~/.config/solana/id.json", str(keypair))
                        .replace("--rpc-url URL", f"--rpc-url {node.url}")
                        .replace("POOL", str(market.pools[1]))
                        .replace("MINT", str(WSOL_MINT))
                    )
                    assert not re.search(r"\b(URL|POOL|MINT)\b", line), line
                    argv = shlex.split(line)
                    assert argv[0] == "arbbot"
                    done = subprocess.run(
                        [sys.executable, "-m", "arbbot", *argv[1:]], cwd=tmp_path, capture_output=True, text=True,
                        env={**os.environ, "COLUMNS": "250"}, timeout=300,
                    )  # fmt: skip
                    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
                    assert "Traceback" not in done.stderr
                    outputs.append(done.stdout)
                after = owner_value(rpc, market.owner.pubkey())
        finally:
            rpc.close()
            chain.close()
    pools, quote, dry, live = outputs
    assert str(market.pools[0]) in pools and str(market.pools[1]) in pools
    assert re.search(r"\b\d{3,}\b", quote), quote  # an amount out
    assert "landed" not in dry and "landed" in live, live
    # The live route paid: SOL plus wrapped SOL up (after fee and tip), the key never printed.
    assert after > before, (before, after, live)
    assert str(bytes(market.owner)[:8].hex()) not in live
    assert after - before < LAMPORTS  # a 1-SOL route on 3%: a fraction of a SOL
