"""The demo's last step: audit every trade of the executor from the chain, store it, write the HTML report,
and check the audited PnL against what the owner's balances really did."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from arbbot.audit.auditor import AuditOptions, Auditor
from arbbot.audit.store import save_trades, simulated_from_db
from arbbot.audit.types import TradeAudit
from arbbot.chain.rpc import RpcClient
from arbbot.db import engine as db_engine
from arbbot.devnet.manifest import Manifest
from arbbot.reports.build import build as build_report
from arbbot.reports.window import make_window


@dataclass(frozen=True)
class Closing:
    """The demo's closing audit: the audited trades, any audit or storage problems, the audited net PnL and the owner's
    real balance change (both in wei), and the HTML report's path.
    """

    trades: list[TradeAudit]
    problems: list[str]
    audited_net: int  # sum of every trade's net PnL (profit after builder payment, minus gas)
    owner_change: int  # executor WETH + owner ETH, after minus before
    report: Path

    @property
    def reconciled(self) -> bool:
        """True when the audited net PnL equals the owner's balance change to the wei."""
        return self.audited_net == self.owner_change


def audit_and_report(
    node_url: str, chain_id: int, manifest: Manifest, executor: str, first_block: int, owner_change: int,
    db_url: str, out_dir: Path,
) -> Closing:  # fmt: skip
    """Audit every trade of `executor` from `first_block` on, straight from the node, store the trades, write the HTML
    report to `out_dir` and compare the audited net with `owner_change` (wei).

    A trade whose profit could not be valued counts as its gas cost only.
    """
    engine = db_engine.connect(db_url)
    try:
        sessions = db_engine.session_factory(engine)
        venues = {p.address: p.venue for p in manifest.pools}
        auditor = Auditor(
            RpcClient(node_url), AuditOptions(executors=(executor,), venues=venues),
            simulated=simulated_from_db(sessions, chain_id),
        )  # fmt: skip
        result = auditor.audit_executor(executor, from_block=first_block)
        problems = [f"{p.tx_hash or '-'}: {p.message}" for p in result.problems]
        problems += [f"{p.tx_hash or '-'}: {p.message}" for p in save_trades(sessions, result.trades)]
        report = build_report(sessions, chain_id, make_window(None, None)).write("html", out_dir / "report.html")
    finally:
        engine.dispose()
    net = sum(t.net_pnl if t.net_pnl is not None else -t.gas_cost for t in result.trades)
    return Closing(result.trades, problems, net, owner_change, report)
