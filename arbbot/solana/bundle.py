"""One signed transaction for a route: compute budget, execute_route, and the Jito tip in the same transaction.

The tip rides in the arbitrage transaction itself, so it is paid only if the route's profit check
passes; the tip account stays a static key (the block engine ignores tips to accounts loaded from a
lookup table).

`execute_route`'s `min_profit` is set to what landing this very transaction costs (signatures, priority
fee, tip; `arbbot.solana.fees`) plus the minimum net profit, in the route's base token: the program then
refuses to complete the route unless its realised profit pays for itself. A route whose expected
profit does not clear that is refused here (FeeFloorError), before anything is signed.
"""

from __future__ import annotations

from collections.abc import Sequence

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from arbbot.solana.errors import JitoError
from arbbot.solana.fees import LAMPORTS_PER_SIGNATURE, SolPrice, TxCost, required_min_profit
from arbbot.solana.instruction import ArbExecutor
from arbbot.solana.routes import Route
from arbbot.solana.transaction import BuiltMessage, budget_instructions, compile_message, sign, tip_instruction


def route_instructions(
    program: ArbExecutor,
    route: Route,
    owner: Pubkey,
    token_accounts: dict[Pubkey, Pubkey],
    *,
    min_profit: int,
    cu_limit: int,
    cu_price: int,
    tip: tuple[Pubkey, int] | None = None,
) -> list[Instruction]:
    """The route transaction's instructions in order: compute budget, `execute_route`, then the tip transfer if any.

    `tip` is (tip account, lamports) paid by `owner`; `min_profit` is the on-chain floor in raw base units.
    """
    instructions = [*budget_instructions(cu_limit, cu_price)]
    instructions.append(program.route_instruction(route, owner, token_accounts, min_profit))
    if tip is not None:
        tip_account, lamports = tip
        instructions.append(tip_instruction(owner, tip_account, lamports))
    return instructions


def route_transaction(
    program: ArbExecutor,
    route: Route,
    owner: Keypair,
    token_accounts: dict[Pubkey, Pubkey],
    *,
    blockhash: Hash,
    cu_limit: int,
    cu_price: int,
    tip: tuple[Pubkey, int] | None = None,
    lookup_tables: Sequence[AddressLookupTableAccount] = (),
    sol_price: SolPrice | None = None,
    min_net_profit: int = 1,
    lamports_per_signature: int = LAMPORTS_PER_SIGNATURE,
) -> tuple[VersionedTransaction, BuiltMessage]:
    """Build and sign. RouteTooLarge when the route does not fit one transaction; FeeFloorError when its
    expected profit does not pay for the transaction (or, off wrapped SOL, no `sol_price` values the
    fees). Nothing is signed in either case."""
    if tip is not None:
        for table in lookup_tables:
            if tip[0] in table.addresses:
                raise JitoError(f"tip account {tip[0]} is in lookup table {table.key}: the tip would not count")
    pubkey = owner.pubkey()
    # The signature count comes from the compiled message; min_profit's value does not change its size.
    draft = route_instructions(
        program, route, pubkey, token_accounts, min_profit=0, cu_limit=cu_limit, cu_price=cu_price, tip=tip
    )
    signatures = compile_message(pubkey, draft, blockhash, lookup_tables).message.header.num_required_signatures
    cost = TxCost(signatures, cu_limit, cu_price, tip[1] if tip else 0, lamports_per_signature)
    min_profit = required_min_profit(route, cost, sol_price, min_net_profit)
    instructions = route_instructions(
        program, route, pubkey, token_accounts, min_profit=min_profit, cu_limit=cu_limit, cu_price=cu_price, tip=tip
    )
    built = compile_message(pubkey, instructions, blockhash, lookup_tables)
    return sign(built, [owner]), built
