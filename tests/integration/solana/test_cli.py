"""`arbbot solana pools|quote|run --dry-run` against a local Solana JSON-RPC test double."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from arbbot.cli.main import app
from arbbot.solana.idl import ARB_EXECUTOR_IDL
from arbbot.solana.quote.constant_product import token_swap_constant_product_out
from arbbot.solana.testing.local_rpc import LocalSolanaRpc
from arbbot.solana.testing.world import World, build_world

# anchorpy builds enum types through a library that warns about its own dependency.
pytestmark = pytest.mark.filterwarnings("ignore:The `repr_ns` argument:DeprecationWarning")


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real entry point in a child process (slow to import: used once, end to end)."""
    full_env = {**os.environ, "COLUMNS": "250", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "arbbot", "solana", *args], cwd=cwd, env=full_env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def invoke(_cwd: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """The same root app in this process: the commands as registered under `arbbot solana`."""
    return CliRunner().invoke(app, ["solana", *args], env={"COLUMNS": "250", **(env or {})})


@pytest.fixture
def node() -> Iterator[tuple[World, str]]:
    world = build_world()
    with LocalSolanaRpc(world.chain) as server:
        yield world, server.url


def test_pools_lists_every_venue(node: tuple[World, str], tmp_path: Path) -> None:
    world, url = node
    out = invoke(tmp_path, "pools", "--rpc-url", url, "--json")
    assert out.exit_code == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert {r["venue"]: r["address"] for r in rows} == {
        "spl_token_swap": str(world.token_swap),
        "raydium_amm_v4": str(world.raydium),
        "orca_whirlpool": str(world.whirlpool),
    }
    ts = next(r for r in rows if r["venue"] == "spl_token_swap")
    assert ts["depth"] == f"{10**12} / {105 * 10**10}" and ts["fee"] == "25/10000 + 5/10000"
    table = invoke(tmp_path, "pools", "--rpc-url", url)
    assert table.exit_code == 0 and "3 pools" in table.stdout


def test_quote_is_the_exact_program_arithmetic(node: tuple[World, str], tmp_path: Path) -> None:
    world, url = node
    out = invoke(
        tmp_path, "quote", str(world.token_swap), "1000000000", "--mint-in", str(world.mint_a), "--rpc-url", url
    )
    assert out.exit_code == 0, out.stderr
    expected = token_swap_constant_product_out(10**9, 10**12, 105 * 10**10, (25, 10_000), (5, 10_000))
    assert out.stdout.strip() == f"1000000000 {world.mint_a} -> {expected} {world.mint_b}"


def test_run_dry_run_builds_but_never_sends(node: tuple[World, str], tmp_path: Path) -> None:
    world, url = node
    secret = json.dumps(list(bytes(world.owner)))
    args = ("run", "--rpc-url", url, "--base", str(world.mint_a), "--max-input", str(10**11))  # dry run by default
    args += ("--sol-price", "3:2", "--min-tip", "10000", "--min-cu-price", "1000", "--min-profit", "5")
    out = run(tmp_path, *args, env={"ARBBOT_SOLANA_KEYPAIR": secret})
    assert out.returncode == 0, out.stderr
    assert "3 pools, 2 profitable routes" in out.stdout
    # 5_000 + ceil(400_000 x 1_000 / 10^6) = 400 + tip 10_000 = 15_400 lamports = 23_100 units of A, + 5.
    assert "= 15400 lamports; on-chain min_profit 23105" in out.stdout
    assert f"spl_token_swap:{world.token_swap} -> raydium_amm_v4:{world.raydium}" in out.stdout
    program_id = json.loads(ARB_EXECUTOR_IDL.read_text())["address"]
    assert f"program {program_id}; not sent" in out.stdout
    assert secret not in out.stdout + out.stderr
    assert world.chain.statuses == {}  # nothing was executed on the bank


def test_bad_input_is_a_one_line_error(node: tuple[World, str], tmp_path: Path) -> None:
    world, url = node
    out = invoke(tmp_path, "quote", str(world.owner_a), "5", "--mint-in", str(world.mint_a), "--rpc-url", url)
    assert out.exit_code == 1 and "is not a supported venue program" in out.stderr
    out = invoke(tmp_path, "quote", str(world.raydium), "five", "--mint-in", str(world.mint_a), "--rpc-url", url)
    assert out.exit_code == 1 and "amount: 'five' is not an integer" in out.stderr
    out = invoke(tmp_path, "quote", "not-a-key", "5", "--mint-in", str(world.mint_a), "--rpc-url", url)
    assert out.exit_code == 1 and "--pool: 'not-a-key' is not a base58 public key" in out.stderr
    base_args = ("run", "--rpc-url", url, "--base", str(world.mint_a), "--max-input", "10")
    out = invoke(tmp_path, *base_args, "--live")
    assert out.exit_code == 1 and "--block-engine-url: required with --live" in out.stderr
    out = invoke(tmp_path, *base_args, "--live", "--block-engine-url", "http://127.0.0.1:9/api/v1/bundles")
    assert out.exit_code == 1 and "no signing key: pass --keypair or set ARBBOT_SOLANA_KEYPAIR" in out.stderr
    out = invoke(tmp_path, *base_args, "--keypair", str(tmp_path / "missing.json"))
    assert out.exit_code == 1 and f"keypair file {tmp_path / 'missing.json'}: cannot be read" in out.stderr
    (tmp_path / "bad.json").write_text("[1, 2, 3]")
    out = invoke(tmp_path, *base_args, "--keypair", str(tmp_path / "bad.json"))
    assert out.exit_code == 1 and "does not hold a keypair" in out.stderr and "[1, 2, 3]" not in out.stderr
    out = invoke(tmp_path, *base_args)  # a dry run needs no key at all
    assert out.exit_code == 0, out.stderr
    out = invoke(
        tmp_path, "run", "--dry-run", "--rpc-url", url, "--base", str(world.mint_a), "--max-input", "10",
        env={"ARBBOT_SOLANA_KEYPAIR": "definitely-not-a-key"},
    )  # fmt: skip
    assert out.exit_code == 1 and "ARBBOT_SOLANA_KEYPAIR does not hold a valid keypair" in out.stderr
    assert "definitely-not-a-key" not in out.stderr
    run_args = ("run", "--dry-run", "--rpc-url", url, "--base", str(world.mint_a), "--max-input", str(10**11))
    run_args += ("--owner", str(world.owner.pubkey()))
    out = invoke(tmp_path, *run_args, "--sol-price", "1:1", "--lookup-table", str(world.owner_a))
    assert out.exit_code == 1 and f"lookup table {world.owner_a}: owner is" in out.stderr


def test_run_refuses_routes_that_do_not_pay_their_fees(node: tuple[World, str], tmp_path: Path) -> None:
    world, url = node
    run_args = ("run", "--dry-run", "--rpc-url", url, "--base", str(world.mint_a), "--max-input", str(10**11))
    run_args += ("--owner", str(world.owner.pubkey()))
    # The base is not wrapped SOL and no pool of the route prices it against SOL.
    out = invoke(tmp_path, *run_args)
    assert out.exit_code == 1
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert f"route base {world.mint_a} is not wrapped SOL and no SOL price was given" in out.stderr
    # SOL so dear in A that 6_000 lamports of fees (signature + lowest tip) outweigh every route's profit.
    out = invoke(tmp_path, *run_args, "--sol-price", f"{10**15}:1")
    assert out.exit_code == 1 and out.stderr.count("\n") == 1
    assert "does not clear fees 6000000000000000000 + minimum net 1" in out.stderr
    assert "1 signature(s) x 5000 + priority ceil(400000 CU x 0 micro-lamports / 10^6) = 0 + tip 1000" in out.stderr
    for bad, message in (
        (("--sol-price", "1:0"), "--sol-price: '1:0' is not BASE_UNITS:LAMPORTS with lamports > 0"),
        (("--sol-price", "cheap"), "--sol-price: 'cheap' is not BASE_UNITS:LAMPORTS"),
        (("--sol-price", "1:1", "--min-profit", "0"), "--min-profit: must be at least 1, got 0"),
        (("--sol-price", "1:1", "--min-tip", "0"), "tip bounds must satisfy 0 < min <= max, got 0..100000000"),
        (("--sol-price", "1:1", "--max-cu-price", "-1"), "price bounds must satisfy 0 <= min <= max, got 0..-1"),
    ):
        out = invoke(tmp_path, *run_args, *bad)
        assert out.exit_code == 1 and message in out.stderr, out.stderr
