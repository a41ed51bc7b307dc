"""The local Solana loop for the demo: a dislocated market on the local node, the searcher's live run to
the block-engine double, the bundle landed, and the audit: the owner's whole balance change (SOL and
wrapped SOL) equals the journaled profit minus the fee, to the lamport.

    result = run_local_loop(sessions=sessions, log_path=Path(".arbbot/solana-bundles.jsonl"))

Everything runs on 127.0.0.1 and is stopped before returning: the node (by PID) and the block engine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey
from sqlalchemy.orm import Session, sessionmaker

from arbbot.audit.bundle_log import BundleLog
from arbbot.solana.errors import SolanaError
from arbbot.solana.fees import TipPolicy
from arbbot.solana.instruction import ArbExecutor
from arbbot.solana.jito import JitoClient
from arbbot.solana.journal import SolanaJournal, chain_id_for_genesis
from arbbot.solana.keys import associated_token_address
from arbbot.solana.layouts.raydium_cpmm import (
    CpmmAmmConfig,
    CpmmPoolState,
    pack_amm_config,
    pack_observation_state,
    pack_pool_state,
    vault_authority,
)
from arbbot.solana.layouts.token import decode_token_account
from arbbot.solana.layouts.token_2022 import TRANSFER_FEE_CONFIG, pack_account_2022, pack_mint_2022
from arbbot.solana.live import Attempt, LiveConfig
from arbbot.solana.programs import RAYDIUM_CPMM, SPL_TOKEN_SWAP, TOKEN_2022_PROGRAM, TOKEN_PROGRAM, WSOL_MINT
from arbbot.solana.quote.transfer_fee import TransferFee, TransferFeeConfig
from arbbot.solana.rpc import SolanaRpc
from arbbot.solana.searcher import RunResult, RunSettings, run_once
from arbbot.solana.testing import venue_binaries
from arbbot.solana.testing.accounts import TokenSwapFields, pack_mint, pack_token_account, pack_token_swap
from arbbot.solana.testing.block_engine import LocalBlockEngine
from arbbot.solana.testing.node import LocalNode, NodeChain

LAMPORTS = 10**9
TOKEN_ACCOUNT_LEN = 165


@dataclass(frozen=True)
class Market:
    """A demo market on the local node: the owner holding the starting SOL, the second mint, and the two pools."""

    owner: Keypair
    mint_b: Pubkey
    pools: tuple[Pubkey, Pubkey]


def _rent(chain: NodeChain, size: int) -> int:
    # The node's rent is the default one: 6960 lamports per byte-year x 2 years, for 128 + size bytes.
    return (128 + size) * 3480 * 2


class Keys:
    """Fresh keypairs: random, or with a seed the same ones every run (a demo shows the same addresses)."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.n = 0

    def __call__(self) -> Keypair:
        """The next keypair: random without a seed, else derived from the seed and a counter."""
        if self.seed is None:
            return Keypair()
        self.n += 1
        return Keypair.from_seed(hashlib.sha256(f"arbbot-solana-demo:{self.seed}:{self.n}".encode()).digest())


def _vault(chain: NodeChain, mint: Pubkey, owner: Pubkey, amount: int, keys: Keys) -> Pubkey:
    key = keys().pubkey()
    if mint == WSOL_MINT:  # wrapped SOL: lamports follow the balance
        rent = _rent(chain, TOKEN_ACCOUNT_LEN)
        chain.set_account(key, TOKEN_PROGRAM, pack_token_account(mint, owner, amount, native_rent=rent), rent + amount)
    else:
        chain.set_account(key, TOKEN_PROGRAM, pack_token_account(mint, owner, amount))
    return key


def add_pool(
    chain: NodeChain, mint_a: Pubkey, mint_b: Pubkey, reserves: tuple[int, int], keys: Keys | None = None
) -> Pubkey:
    """A constant-product pool of the token-swap layout at the pinned SPL token-swap id (where the node
    runs cp-swap), with its vaults held by the pool's authority."""
    keys = keys or Keys()
    pool = keys().pubkey()
    authority, bump = Pubkey.find_program_address([bytes(pool)], SPL_TOKEN_SWAP)
    fields = TokenSwapFields(
        token_a=_vault(chain, mint_a, authority, reserves[0], keys),
        token_b=_vault(chain, mint_b, authority, reserves[1], keys),
        token_a_mint=mint_a, token_b_mint=mint_b, pool_mint=keys().pubkey(), pool_fee_account=keys().pubkey(),
        bump_seed=bump, fees=(25, 10_000, 5, 10_000, 0, 10_000, 20, 100),
    )  # fmt: skip
    chain.set_account(pool, SPL_TOKEN_SWAP, pack_token_swap(fields))
    return pool


def build_market(chain: NodeChain, dislocation_bps: int = 300, seed: int | None = None) -> Market:
    """Two SOL/B pools, the second paying `dislocation_bps` more B per SOL; an owner holding only SOL."""
    keys = Keys(seed)
    if chain.get_account(WSOL_MINT) is None:
        chain.set_account(WSOL_MINT, TOKEN_PROGRAM, pack_mint(9))
    mint_b = keys().pubkey()
    chain.set_account(mint_b, TOKEN_PROGRAM, pack_mint(6, supply=10**15))
    sol = 1_000 * LAMPORTS
    fair = (sol, 100_000 * 10**6)
    rich = (sol, 100_000 * 10**6 * (10_000 + dislocation_bps) // 10_000)
    pools = (add_pool(chain, WSOL_MINT, mint_b, fair, keys), add_pool(chain, WSOL_MINT, mint_b, rich, keys))
    owner = keys()
    chain.airdrop(owner.pubkey(), 100 * LAMPORTS)
    return Market(owner, mint_b, pools)


TRANSFER_FEE_BPS = 100  # the demo's Token-2022 mint keeps 1% of every transfer


def _cpmm_pool(
    chain: NodeChain, keys: Keys, config: Pubkey, sides: tuple[tuple[Pubkey, Pubkey, int], tuple[Pubkey, Pubkey, int]]
) -> Pubkey:
    """A Raydium CPMM pool in the node for the real program: `sides` are (mint, token program, reserve),
    sorted by mint as the program creates them; vaults held by the program's vault authority."""
    authority, bump = vault_authority()
    (m0, p0, r0), (m1, p1, r1) = sorted(sides, key=lambda side: bytes(side[0]))
    vaults = []
    for mint, program, reserve in ((m0, p0, r0), (m1, p1, r1)):
        if program == TOKEN_2022_PROGRAM:
            vault = keys().pubkey()
            chain.set_account(vault, program, pack_account_2022(mint, authority, reserve, transfer_fee_mint=True))
        else:
            vault = _vault(chain, mint, authority, reserve, keys)
        vaults.append(vault)
    pool, observation = keys().pubkey(), keys().pubkey()
    chain.set_account(observation, RAYDIUM_CPMM, pack_observation_state(pool))
    state = CpmmPoolState(
        amm_config=config, pool_creator=keys().pubkey(), token_0_vault=vaults[0], token_1_vault=vaults[1],
        lp_mint=keys().pubkey(), token_0_mint=m0, token_1_mint=m1, token_0_program=p0, token_1_program=p1,
        observation_key=observation, auth_bump=bump, status=0, lp_mint_decimals=9, mint_0_decimals=9,
        mint_1_decimals=6, lp_supply=10**12, protocol_fees_token_0=0, protocol_fees_token_1=0,
        fund_fees_token_0=0, fund_fees_token_1=0, open_time=0, recent_epoch=0,
    )  # fmt: skip
    chain.set_account(pool, RAYDIUM_CPMM, pack_pool_state(state))
    return pool


def build_cpmm_market(chain: NodeChain, dislocation_bps: int = 300, seed: int | None = None) -> Market:
    """Two Raydium CPMM pools of SOL and a Token-2022 mint that keeps 1% of every transfer, the second
    paying `dislocation_bps` more of it per SOL; an owner holding only SOL. Every trade of the route pays
    the transfer fee twice (out of the first pool, into the second)."""
    keys = Keys(seed)
    if chain.get_account(WSOL_MINT) is None:
        chain.set_account(WSOL_MINT, TOKEN_PROGRAM, pack_mint(9))
    mint_b = keys().pubkey()
    fee = TransferFee(epoch=0, maximum_fee=10**12, basis_points=TRANSFER_FEE_BPS)
    config_ext = TransferFeeConfig(None, None, 0, fee, fee).pack()
    chain.set_account(mint_b, TOKEN_2022_PROGRAM, pack_mint_2022(None, 10**15, 6, [(TRANSFER_FEE_CONFIG, config_ext)]))
    config = keys().pubkey()
    chain.set_account(config, RAYDIUM_CPMM, pack_amm_config(CpmmAmmConfig(
        bump=255, disable_create_pool=False, index=0, trade_fee_rate=2_500, protocol_fee_rate=120_000,
        fund_fee_rate=40_000, create_pool_fee=0, protocol_owner=keys().pubkey(), fund_owner=keys().pubkey(),
    )))  # fmt: skip
    sol = 1_000 * LAMPORTS
    b = 100_000 * 10**6
    pools = (
        _cpmm_pool(chain, keys, config, ((WSOL_MINT, TOKEN_PROGRAM, sol), (mint_b, TOKEN_2022_PROGRAM, b))),
        _cpmm_pool(chain, keys, config, (
            (WSOL_MINT, TOKEN_PROGRAM, sol), (mint_b, TOKEN_2022_PROGRAM, b * (10_000 + dislocation_bps) // 10_000),
        )),
    )  # fmt: skip
    owner = keys()
    chain.airdrop(owner.pubkey(), 100 * LAMPORTS)
    return Market(owner, mint_b, pools)


MARKETS: dict[str, Callable[..., Market]] = {"token-swap": build_market, "cpmm-token-2022": build_cpmm_market}


@dataclass
class LoopResult:
    """What the local loop did: the searcher's run, the live attempt, and the owner's SOL before and after.

    `sol_before`/`sol_after` count SOL plus wrapped SOL in lamports, so `reconciled` checks the audit end to end.
    """

    run: RunResult
    attempt: Attempt
    chain_id: int
    owner: Pubkey
    sol_before: int  # owner's SOL + wrapped SOL, lamports, after the setup (wrap) and before the route
    sol_after: int

    @property
    def reconciled(self) -> bool:
        """The owner's whole balance change equals the journaled profit less the fee, to the lamport."""
        landing = self.attempt.landing
        return landing is not None and self.sol_after - self.sol_before == landing.profit - landing.fee


def owner_value(rpc: SolanaRpc, owner: Pubkey) -> int:
    """SOL plus wrapped SOL balance, lamports."""
    wsol = rpc.get_account(associated_token_address(owner, WSOL_MINT))
    tokens = 0 if wsol is None else decode_token_account(wsol.data, wsol.address, wsol.owner).amount
    return rpc.get_balance(owner) + tokens


def run_local_loop(
    *,
    sessions: sessionmaker[Session] | None,
    log_path: Path,
    programs: list[tuple[Pubkey, Path]] | None = None,
    wrap_lamports: int = 50 * LAMPORTS,
    echo: Callable[[str], None] = lambda _s: None,
    seed: int | None = None,
    market: str = "token-swap",
) -> LoopResult:
    """The loop on a fresh local node (built first if it is not); `seed` fixes every address it makes.
    `market`: two SPL token-swap pools, or ("cpmm-token-2022") two Raydium CPMM pools of SOL and a
    Token-2022 mint with a transfer fee, run by the committed CPMM binary."""
    if market not in MARKETS:
        raise SolanaError(f"market: {market!r} is not one of {', '.join(MARKETS)}")
    if market == "cpmm-token-2022":
        cpmm = venue_binaries.RAYDIUM_CPMM
        programs = [*(programs or []), (cpmm.program_id, cpmm.checked_path())]
    with LocalNode(programs or []) as node:
        chain = NodeChain(node.url)
        rpc = SolanaRpc(node.url)
        try:
            built = MARKETS[market](chain, seed=seed)
            echo(f"local node {node.url}: pools {built.pools[0]} and {built.pools[1]} (3% apart)")
            with LocalBlockEngine(chain, land_after_polls=1) as engine:
                # Mainnet's tip accounts hold SOL: a tip is then a transfer to a rent-exempt account.
                for tip_account in engine.tip_accounts:
                    chain.airdrop(tip_account, _rent(chain, 0))
                jito = JitoClient(engine.url, timeout=30)
                try:
                    chain_id = chain_id_for_genesis(rpc.get_genesis_hash())
                    journal = SolanaJournal(BundleLog(log_path, sessions), sessions, chain_id)
                    settings = RunSettings(
                        bases=[WSOL_MINT], max_input=wrap_lamports, max_hops=2, pools=list(built.pools),
                        wrap_lamports=wrap_lamports, live=LiveConfig(tip=TipPolicy(share_bps=2_000)),
                    )  # fmt: skip
                    # The wrap happens in the setup transaction; the audit window is the route alone.
                    values: list[int] = []

                    def note(line: str) -> None:
                        if line.startswith("setup:"):
                            values.append(owner_value(rpc, built.owner.pubkey()))
                        echo(line)

                    program = ArbExecutor.load()
                    result = run_once(rpc, program, built.owner, settings, jito=jito, journal=journal, echo=note)
                    if result.attempt is None:
                        raise SolanaError(f"no route was sent: {result.refusal or 'no profitable route'}")
                    after = owner_value(rpc, built.owner.pubkey())
                    before = values[0] if values else after
                    return LoopResult(result, result.attempt, chain_id, built.owner.pubkey(), before, after)
                finally:
                    jito.close()
        finally:
            rpc.close()
            chain.close()
