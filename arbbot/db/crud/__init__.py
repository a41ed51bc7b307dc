"""Repository functions: the only code that writes SQL. Records (arbbot.db.schemas) in and out.

They run in the caller's transaction and do not commit, except `record_discovery`, which owns one
when none is open. A unit of work is `with sessions.begin() as session: ...` (see session_factory).
"""

from arbbot.db.crud.bundles import (
    BuilderStats,
    builder_stats,
    get_bundle,
    insert_bundle,
    insert_submissions,
    list_bid_outcomes,
    list_bundles,
    list_submissions,
    list_unattributed_misses,
    set_lost_to,
    update_bundle,
)
from arbbot.db.crud.checkpoints import get_checkpoint, record_discovery, set_checkpoint
from arbbot.db.crud.pools import get_pools, load_pool_states, save_pool_states, upsert_pools
from arbbot.db.crud.tokens import get_tokens, upsert_tokens
from arbbot.db.crud.trades import get_trade, list_trades, update_trade, upsert_trades

__all__ = [
    "BuilderStats",
    "builder_stats",
    "get_bundle",
    "get_checkpoint",
    "get_pools",
    "get_tokens",
    "get_trade",
    "insert_bundle",
    "insert_submissions",
    "list_bid_outcomes",
    "list_bundles",
    "list_submissions",
    "list_trades",
    "list_unattributed_misses",
    "load_pool_states",
    "record_discovery",
    "save_pool_states",
    "set_checkpoint",
    "set_lost_to",
    "update_bundle",
    "update_trade",
    "upsert_pools",
    "upsert_tokens",
    "upsert_trades",
]
