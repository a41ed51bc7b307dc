"""`arbbot compete`: arbbot's searcher against seeded competing searchers on the replica (a bidding history)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from arbbot.cli.common import console, fail

app = typer.Typer(no_args_is_help=True, help="Compete with seeded searchers in the local builder's auctions.")

POLICIES = ("explore", "static")
DEFAULT_GRID = "2000,4000,6000,8000,9000,9500"


def _grid(text: str) -> tuple[int, ...]:
    try:
        grid = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise fail(f"--grid: comma-separated shares in bps expected, got {text!r}") from None
    if not grid or any(not 0 <= g <= 10_000 for g in grid) or len(set(grid)) != len(grid):
        raise fail(f"--grid: distinct shares within 0..10000 expected, got {text!r}")
    return grid


@app.command("run")
def run(
    competition: Annotated[
        str, typer.Option(help="A competition file, or the name of a shipped one (default).")
    ] = "default",
    rounds: Annotated[int, typer.Option(help="Rounds of user traffic, one block each.", min=1)] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the traffic, the competitors' draws and arbbot's policy.")] = 1,
    policy: Annotated[
        str, typer.Option(help="arbbot's bribe policy: explore (a seeded share from --grid) or static (--share-bps).")
    ] = "explore",
    grid: Annotated[str, typer.Option(help="explore: the shares (bps) drawn from, comma-separated.")] = DEFAULT_GRID,
    share_bps: Annotated[int, typer.Option(help="static: the share (bps).", min=0, max=10_000)] = 5_000,
    swaps_per_round: Annotated[int, typer.Option(help="User swaps mined each round.", min=1)] = 2,
    out: Annotated[Path, typer.Option(help="Where arbbot.db, bundles.jsonl and rounds.json go.")] = Path(
        ".arbbot/compete"
    ),
) -> None:
    """Replica -> arbbot's searcher and the competitors -> seeded traffic -> the local builder's auction per block.

    arbbot's bundles are journaled (with their bids) in OUT/arbbot.db; each round's bids and winners in
    OUT/rounds.json. The same seed and file give the same run."""
    import asyncio

    from arbbot.strategy.bribe import BribePolicy, ExploreShare, StaticShare
    from arbbot.testing.competition_config import load

    if policy not in POLICIES:
        raise fail(f"--policy: one of {', '.join(POLICIES)} expected, got {policy!r}")
    chosen: BribePolicy = ExploreShare(_grid(grid), seed) if policy == "explore" else StaticShare(share_bps)
    spec = load(competition)  # a bad file is one line before the replica and web3 are loaded
    from arbbot.testing.competition import CompetitionConfig, run_competition

    cfg = CompetitionConfig(spec, chosen, out, rounds=rounds, seed=seed, swaps_per_round=swaps_per_round)
    result = asyncio.run(run_competition(cfg, lambda line: console.print(line, highlight=False, soft_wrap=True)))
    (out / "rounds.json").write_text(json.dumps([r.to_json() for r in result.rounds], indent=1))
    landed = sum(b.landed for b in result.journal)
    won = sum("arbbot" in r.winners for r in result.rounds)
    console.print(f"arbbot: {len(result.journal)} bundle(s) journaled, {landed} landed; won {won} of "
                  f"{len(result.rounds)} round(s); database {result.db_url}",
                  highlight=False, soft_wrap=True)  # fmt: skip
    taken = [b.lost_to for b in result.journal if b.lost_to and "paid_wei" in b.lost_to]
    if taken:
        paid = sum(int(str(t["paid_wei"])) for t in taken)
        console.print(f"arbbot's misses taken by another transaction: {len(taken)}, paying the builder "
                      f"{paid / 10**18:,.4f} ETH in all (each stored with its bundle, as `arbbot audit --missed` "
                      "does; `arbbot report --format html` lists them)", highlight=False, soft_wrap=True)  # fmt: skip
