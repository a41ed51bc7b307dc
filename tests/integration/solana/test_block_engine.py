"""Jito bundles through the client against the local block-engine test double (LiteSVM bank)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction
from spl.token.instructions import TransferParams, transfer

from arbbot.chain.rpc import RetryPolicy, RpcClient, RpcError
from arbbot.solana.errors import JitoError, StaleBlockhash
from arbbot.solana.jito import JitoClient, bundle_id
from arbbot.solana.layouts.token import decode_token_account
from arbbot.solana.programs import TOKEN_PROGRAM
from arbbot.solana.testing.block_engine import LocalBlockEngine
from arbbot.solana.testing.world import World, build_world, token_account
from arbbot.solana.transaction import budget_instructions, tip_instruction

FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002)


@pytest.fixture
def setup() -> Iterator[tuple[World, LocalBlockEngine, JitoClient, Pubkey]]:
    world = build_world()
    recipient = token_account(world.chain, world.mint_a, Keypair().pubkey(), 0)
    with LocalBlockEngine(world.chain) as engine:
        client = JitoClient(engine.url, timeout=5, retry=FAST)
        try:
            yield world, engine, client, recipient
        finally:
            client.close()


def _tx(world: World, instructions: list[Instruction]) -> VersionedTransaction:
    payer = world.owner.pubkey()
    msg = MessageV0.try_compile(payer, instructions, [], world.chain.latest_blockhash())
    return VersionedTransaction(msg, [world.owner])


def _move(world: World, dst: Pubkey, amount: int) -> Instruction:
    params = TransferParams(TOKEN_PROGRAM, world.owner_a, dst, world.owner.pubkey(), amount)
    return transfer(params)


def _balance(world: World, key: Pubkey) -> int:
    acc = world.chain.get_account(key)
    assert acc is not None
    return decode_token_account(bytes(acc.data), key, acc.owner).amount


def _lamports(world: World, key: Pubkey) -> int:
    acc = world.chain.get_account(key)
    return 0 if acc is None else acc.lamports


def test_bundle_lands_atomically_with_its_tip(setup: tuple[World, LocalBlockEngine, JitoClient, Pubkey]) -> None:
    world, engine, client, recipient = setup
    tips = client.tip_accounts()
    assert tips == engine.tip_accounts
    a0 = _balance(world, world.owner_a)
    txs = [
        _tx(world, [*budget_instructions(50_000, 1), _move(world, recipient, 1_000)]),
        _tx(world, [_move(world, recipient, 2_000), tip_instruction(world.owner.pubkey(), tips[3], 5_000)]),
    ]
    bid = client.send_bundle(txs, tips)
    assert bid == bundle_id(txs)
    assert client.inflight_statuses([bid])[0].status == "Pending"  # type: ignore[union-attr]
    polls: list[float] = []
    status = client.wait(bid, timeout=5, interval=0, sleep=polls.append)
    assert status.status == "confirmed" and status.transactions == tuple(str(t.signatures[0]) for t in txs)
    assert status.slot is not None and status.error is None
    assert _balance(world, world.owner_a) == a0 - 3_000
    assert _balance(world, recipient) == 3_000
    assert _lamports(world, tips[3]) == 5_000


def test_failing_transaction_reverts_the_whole_bundle(
    setup: tuple[World, LocalBlockEngine, JitoClient, Pubkey],
) -> None:
    world, engine, client, recipient = setup
    tips = client.tip_accounts()
    a0, sol0 = _balance(world, world.owner_a), _lamports(world, world.owner.pubkey())
    txs = [
        _tx(world, [_move(world, recipient, 1_000), tip_instruction(world.owner.pubkey(), tips[0], 5_000)]),
        _tx(world, [_move(world, recipient, a0 * 10)]),  # more than the balance: the token program fails
    ]
    bid = client.send_bundle(txs, tips)
    assert engine.land_pending() == [bid]
    status = client.wait(bid, timeout=5, interval=0, sleep=lambda _s: None)
    assert status.status == "Failed"
    assert client.bundle_statuses([bid]) == [None]  # never landed
    # nothing applied: not the first transfer, not the tip, not even the fees
    assert _balance(world, world.owner_a) == a0
    assert _balance(world, recipient) == 0
    assert _lamports(world, tips[0]) == 0
    assert _lamports(world, world.owner.pubkey()) == sol0
    # the bank still works after the rollback: a good bundle with the same programs lands
    again = [_tx(world, [_move(world, recipient, 7), tip_instruction(world.owner.pubkey(), tips[0], 1_000)])]
    assert (
        client.wait(client.send_bundle(again, tips), timeout=5, interval=0, sleep=lambda _s: None).status == "confirmed"
    )
    assert _balance(world, recipient) == 7


def test_unknown_bundle_is_invalid(setup: tuple[World, LocalBlockEngine, JitoClient, Pubkey]) -> None:
    _, _, client, _ = setup
    status = client.wait("ab" * 32, timeout=5, interval=0, sleep=lambda _s: None)
    assert status.status == "Invalid"


def test_missing_tip_is_refused_before_sending(setup: tuple[World, LocalBlockEngine, JitoClient, Pubkey]) -> None:
    world, engine, client, recipient = setup
    tips = client.tip_accounts()
    tx = _tx(world, [_move(world, recipient, 1)])
    with pytest.raises(JitoError, match="tips 0 lamports to the tip accounts; at least 1000 required"):
        client.send_bundle([tx], tips)
    assert "sendBundle" not in engine.faults.seen_methods
    # and the double refuses it too, as the block engine does
    with pytest.raises(RpcError, match="tip account"):
        RpcClient(engine.url, retry=FAST).call(
            "sendBundle", [[base64.b64encode(bytes(tx)).decode()], {"encoding": "base64"}]
        )
    assert engine.bundles == {}


def test_stale_blockhash_is_a_clear_error_and_nothing_lands(
    setup: tuple[World, LocalBlockEngine, JitoClient, Pubkey],
) -> None:
    world, engine, client, recipient = setup
    tips = client.tip_accounts()
    a0 = _balance(world, world.owner_a)
    tx = _tx(world, [_move(world, recipient, 10), tip_instruction(world.owner.pubkey(), tips[1], 2_000)])
    world.chain.new_blockhash()
    with pytest.raises(StaleBlockhash, match="blockhash not found"):
        client.send_bundle([tx], tips)
    assert engine.bundles == {} and _balance(world, world.owner_a) == a0


def test_rate_limit_is_retried_then_reported(setup: tuple[World, LocalBlockEngine, JitoClient, Pubkey]) -> None:
    _, engine, client, _ = setup
    engine.faults.http_429 = 2  # fewer than the client's attempts: it backs off and succeeds
    assert len(client.tip_accounts()) == 8
    engine.faults.http_429 = 10
    with pytest.raises(JitoError, match=r"getTipAccounts: .*failed after 3 attempts: HTTP 429"):
        client.tip_accounts()


def test_garbage_answers_are_a_clear_error(setup: tuple[World, LocalBlockEngine, JitoClient, Pubkey]) -> None:
    _, engine, client, _ = setup
    engine.faults.garbage = 10
    with pytest.raises(JitoError, match="non-JSON body"):
        client.bundle_statuses(["00" * 32])


def test_bundle_size_limits(setup: tuple[World, LocalBlockEngine, JitoClient, Pubkey]) -> None:
    world, _, client, recipient = setup
    tips = client.tip_accounts()
    with pytest.raises(JitoError, match=r"1\.\.5 transactions, got 0"):
        client.send_bundle([], tips)
    txs = [_tx(world, [_move(world, recipient, i + 1)]) for i in range(6)]
    with pytest.raises(JitoError, match=r"1\.\.5 transactions, got 6"):
        client.send_bundle(txs, tips)
