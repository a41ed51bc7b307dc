"""A realistic journal, written through arbbot.db.crud: three audited trades (a landed cycle, a landed
backrun through a token the database does not know, a reverted trade), five bundles (landed with and
without a known builder, missed, cancelled, no outcome yet) and one row per builder request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from arbbot import db
from arbbot.db import crud
from arbbot.db.schemas import BundleRecord, RouteHop, SubmissionRecord, TokenRecord, TradeRecord

CHAIN = 1
T0 = datetime(2026, 11, 30, 13, 58, 20, tzinfo=UTC)
WETH = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
ODD = "0x5555555555555555555555555555555555555555"  # in no tokens table and no manifest
UNI_POOL = "0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc"
SUSHI_POOL = "0x397ff1542f962076d0bfe58ea045ffa2d347aca0"
ODD_POOL = "0x1111111111111111111111111111111111111111"
ODD_POOL_2 = "0x2222222222222222222222222222222222222222"
EXECUTOR = "0x9999999999999999999999999999999999999999"
# Who took m1's opportunity (arbbot audit --missed): a transaction paying 5.5 ETH exactly.
LOST_TO = {"tx": "0x" + "ab" * 32, "block": 112, "paid_wei": str(5_500_000_000_000_000_001), "exact": True}

# Cycle: 1 WETH -> 3,201.553112 USDC -> 1.012345678901234567 WETH; half the gross goes to the builder.
CYCLE_GROSS = 12_345_678_901_234_567
CYCLE_BUILDER = 6_172_839_450_617_284
CYCLE_PROFIT = CYCLE_GROSS - CYCLE_BUILDER  # after the builder, before gas
CYCLE_GAS = 183_412 * 12_345_678  # gas used x effective gas price: 0.00000226... ETH
BACKRUN_PROFIT = 2_000_000_000_000_000
BACKRUN_BUILDER = 1_000_000_000_000_000
BACKRUN_GAS = 150_000 * 7  # a replica's base fee of 7 wei: 1,050,000 wei
REVERT_GAS = 95_000 * 10**9


def tx(n: int) -> str:
    return "0x" + f"{n:064x}"


def trades() -> list[TradeRecord]:
    cycle = [
        RouteHop(pool=UNI_POOL, token_in=WETH, token_out=USDC, amount_in=10**18, amount_out=3_201_553_112,
                 venue="uniswap_v2"),
        RouteHop(pool=SUSHI_POOL, token_in=USDC, token_out=WETH, amount_in=3_201_553_112,
                 amount_out=10**18 + CYCLE_GROSS, venue="sushiswap"),
    ]  # fmt: skip
    backrun = [
        RouteHop(pool=ODD_POOL, token_in=WETH, token_out=ODD, amount_in=5 * 10**17, amount_out=777_000_123_456,
                 venue="uniswap_v3"),
        RouteHop(pool=ODD_POOL_2, token_in=ODD, token_out=WETH, amount_in=777_000_123_456,
                 amount_out=5 * 10**17 + BACKRUN_PROFIT + BACKRUN_BUILDER, venue="uniswap_v2"),
    ]  # fmt: skip
    return [
        TradeRecord(
            chain_id=CHAIN, tx_hash=tx(1), bundle_uuid="c1", block_number=101, executor=EXECUTOR, route=cycle,
            profit=CYCLE_PROFIT, gas_used=183_412, gas_cost=CYCLE_GAS, builder_payment=CYCLE_BUILDER,
            status="success", created_at=T0 + timedelta(seconds=12),
        ),
        TradeRecord(
            chain_id=CHAIN, tx_hash=tx(2), bundle_uuid="b1", block_number=106, executor=EXECUTOR, route=backrun,
            profit=BACKRUN_PROFIT, gas_used=150_000, gas_cost=BACKRUN_GAS, builder_payment=BACKRUN_BUILDER,
            status="success", created_at=T0 + timedelta(seconds=72),
        ),
        TradeRecord(
            chain_id=CHAIN, tx_hash=tx(3), block_number=126, executor=EXECUTOR, profit=0, gas_used=95_000,
            gas_cost=REVERT_GAS, status="reverted", revert_reason="Unprofitable(1000, 999)",
            created_at=T0 + timedelta(seconds=312),
        ),
    ]  # fmt: skip


def bundles() -> list[BundleRecord]:
    def b(uuid: str, at: int, **kw: object) -> BundleRecord:
        return BundleRecord.model_validate(
            {"uuid": uuid, "chain_id": CHAIN, "created_at": T0 + timedelta(seconds=at), **kw}
        )

    return [
        b("c1", 10, builders=["beaverbuild", "titan"], target_blocks=[101], landed=True, landed_block=101,
          simulated_profit=CYCLE_PROFIT + 7, expected_net=CYCLE_PROFIT - CYCLE_GAS, strategy="cycle",
          status="landed", landed_builder="beaverbuild"),
        b("b1", 70, builders=["titan"], target_blocks=[106], landed=True, landed_block=106,
          simulated_profit=BACKRUN_PROFIT, expected_net=BACKRUN_PROFIT - 10**12, strategy="backrun",
          status="landed"),
        b("m1", 130, builders=["beaverbuild"], target_blocks=[111, 112], simulated_profit=4 * 10**15,
          expected_net=3 * 10**15, strategy="cycle", status="missed",
          miss_reason="outbid: block 112 included a higher-paying bundle on the same pools",
          bid={"policy": "static", "share_bps": 3000}, lost_to=LOST_TO),
        b("x1", 200, builders=["titan"], target_blocks=[118], simulated_profit=10**15, expected_net=9 * 10**14,
          strategy="backrun", status="cancelled", miss_reason="superseded by a newer plan (bundle x2)",
          lost_to={"tx": "0x" + "ef" * 32, "block": 118, "paid_wei": "1000", "exact": False}),
        b("s1", 290, builders=["flashbots"], target_blocks=[125], simulated_profit=2 * 10**15, strategy="cycle"),
    ]  # fmt: skip


def submissions() -> list[SubmissionRecord]:
    def s(
        uuid: str, builder: str, method: str, ok: bool, ms: float, block: int, err: str | None = None
    ) -> SubmissionRecord:
        return SubmissionRecord(bundle_uuid=uuid, builder=builder, method=method, accepted=ok, latency_ms=ms,
                                target_block=block, error=err)  # fmt: skip

    send, sim, cancel = "eth_sendBundle", "eth_callBundle", "eth_cancelBundle"
    return [
        s("c1", "beaverbuild", sim, True, 30.0, 101),
        s("c1", "beaverbuild", send, True, 41.5, 101),
        s("c1", "titan", send, True, 87.25, 101),
        s("c1", "flashbots", send, False, 12.0, 101, "bundle simulation failed: execution reverted"),
        s("b1", "titan", send, True, 55.0, 106),
        s("m1", "beaverbuild", send, True, 38.5, 111),
        s("m1", "beaverbuild", send, True, 44.0, 112),
        s("m1", "titan", sim, False, 90.0, 111, "rate limited"),
        s("m1", "titan", send, False, 120.0, 111, "rate limited"),
        s("x1", "titan", send, True, 60.0, 118),
        s("x1", "titan", cancel, True, 20.0, 118),
        s("s1", "flashbots", send, True, 15.0, 125),
    ]


def tokens() -> list[TokenRecord]:
    return [
        TokenRecord(chain_id=CHAIN, address=WETH, symbol="WETH", name="Wrapped Ether", decimals=18),
        TokenRecord(chain_id=CHAIN, address=USDC, symbol="USDC", name="USD Coin", decimals=6),
    ]


def write(path: Path) -> sessionmaker[Session]:
    """The journal in a fresh SQLite database at `path` (migrated like every arbbot database)."""
    engine = db.connect(f"sqlite:///{path}")
    sessions = db.session_factory(engine)
    with sessions.begin() as session:
        crud.upsert_tokens(session, tokens())
        for bundle in bundles():
            crud.insert_bundle(session, bundle)
        crud.insert_submissions(session, submissions())
        crud.upsert_trades(session, trades())
    return sessions
