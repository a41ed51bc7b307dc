"""Shared setup of the live-loop tests on the local node: vaults (wrapped SOL with its lamports), the two mints
every route there trades (wrapped SOL and a 6-decimal token B), and one live run that must land exactly."""

from __future__ import annotations

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from arbbot.solana.demo import LAMPORTS
from arbbot.solana.fees import TipPolicy
from arbbot.solana.instruction import ArbExecutor
from arbbot.solana.jito import JitoClient
from arbbot.solana.live import LiveConfig
from arbbot.solana.programs import TOKEN_PROGRAM, WSOL_MINT
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.searcher import RunResult, RunSettings, run_once
from arbbot.solana.testing.accounts import pack_mint, pack_token_account
from arbbot.solana.testing.block_engine import LocalBlockEngine
from arbbot.solana.testing.node import NodeChain

TOKEN_ACCOUNT_LEN = 165


def rent(size: int) -> int:
    """The local node's default rent for `size` bytes: two years' worth."""
    return (128 + size) * 3480 * 2


def vault(chain: NodeChain, mint: Pubkey, owner: Pubkey, amount: int) -> Pubkey:
    """A new token account of `mint` owned by `owner` holding `amount` (wrapped SOL: lamports follow it)."""
    key = Keypair().pubkey()
    if mint == WSOL_MINT:
        r = rent(TOKEN_ACCOUNT_LEN)
        chain.set_account(key, TOKEN_PROGRAM, pack_token_account(mint, owner, amount, native_rent=r), r + amount)
    else:
        chain.set_account(key, TOKEN_PROGRAM, pack_token_account(mint, owner, amount))
    return key


def sol_and_token_b(chain: NodeChain) -> Pubkey:
    """The wrapped SOL mint (created if the node has none) and a new 6-decimal mint B, which is returned."""
    if chain.get_account(WSOL_MINT) is None:
        chain.set_account(WSOL_MINT, TOKEN_PROGRAM, pack_mint(9))
    mint_b = Keypair().pubkey()
    chain.set_account(mint_b, TOKEN_PROGRAM, pack_mint(6, supply=10**15))
    return mint_b


def land_once(chain: NodeChain, rpc: SolanaRpc, pools: list[Pubkey], venue_pool: Pubkey) -> RunResult:
    """`arbbot solana run --live`'s path once, over `pools`, to a block-engine double: a funded owner, a 20% tip.
    Checks that the route crossed `venue_pool` once and landed with exactly the quoted profit (no one else traded);
    returns the run for the venue's own checks."""
    owner = Keypair()
    chain.airdrop(owner.pubkey(), 100 * LAMPORTS)
    with LocalBlockEngine(chain, land_after_polls=1) as engine:
        for tip_account in engine.tip_accounts:
            chain.airdrop(tip_account, rent(0))
        jito = JitoClient(engine.url, timeout=30)
        try:
            settings = RunSettings(
                bases=[WSOL_MINT],
                max_input=50 * LAMPORTS,
                max_hops=2,
                pools=pools,
                wrap_lamports=50 * LAMPORTS,
                live=LiveConfig(tip=TipPolicy(share_bps=2_000)),
            )
            result = run_once(rpc, ArbExecutor.load(), owner, settings, jito=jito)
        finally:
            jito.close()
    a = result.attempt
    assert a is not None, result.refusal
    assert a.status == "landed", a.reason
    assert [h.pool.address for h in a.route.hops].count(venue_pool) == 1
    assert a.landing is not None
    assert a.landing.token_delta == a.route.profit >= a.min_profit
    return result
