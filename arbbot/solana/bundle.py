"""One signed transaction for a route: compute budget, execute_route, and the Jito tip in the same transaction.

The tip rides in the arbitrage transaction itself, so it is paid only if the route's profit check
passes; the tip account stays a static key (the block engine ignores tips to accounts loaded from a
lookup table).
"""

from __future__ import annotations

from collections.abc import Sequence

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from arbbot.solana.errors import JitoError
from arbbot.solana.instruction import ArbExecutor
from arbbot.solana.routes import Route
from arbbot.solana.transaction import BuiltMessage, budget_instructions, compile_message, sign, tip_instruction


def route_transaction(
    program: ArbExecutor,
    route: Route,
    owner: Keypair,
    token_accounts: dict[Pubkey, Pubkey],
    *,
    min_profit: int,
    blockhash: Hash,
    cu_limit: int,
    cu_price: int,
    tip: tuple[Pubkey, int] | None = None,
    lookup_tables: Sequence[AddressLookupTableAccount] = (),
) -> tuple[VersionedTransaction, BuiltMessage]:
    """Build and sign; RouteTooLarge (nothing signed) when the route does not fit one transaction."""
    instructions = [*budget_instructions(cu_limit, cu_price)]
    instructions.append(program.route_instruction(route, owner.pubkey(), token_accounts, min_profit))
    if tip is not None:
        tip_account, lamports = tip
        for table in lookup_tables:
            if tip_account in table.addresses:
                raise JitoError(f"tip account {tip_account} is in lookup table {table.key}: the tip would not count")
        instructions.append(tip_instruction(owner.pubkey(), tip_account, lamports))
    built = compile_message(owner.pubkey(), instructions, blockhash, lookup_tables)
    return sign(built, [owner]), built
