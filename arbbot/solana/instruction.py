"""The arb_executor `execute_route` instruction, encoded by anchorpy from the program's (converted) IDL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from anchorpy import Context, Program, Provider, Wallet
from anchorpy_core.idl import Idl
from solana.rpc.async_api import AsyncClient
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from arbbot.solana.errors import IdlError, RouteTooLarge
from arbbot.solana.idl import ARB_EXECUTOR_IDL, load_legacy_idl
from arbbot.solana.programs import TOKEN_PROGRAM
from arbbot.solana.routes import Route
from arbbot.solana.venues import Venue

IX_NAME = "execute_route"
_VENUE_VARIANTS = {
    Venue.SPL_TOKEN_SWAP: "SplTokenSwap",
    Venue.RAYDIUM_AMM_V4: "RaydiumAmmV4",
    Venue.ORCA_WHIRLPOOL: "OrcaWhirlpool",
    Venue.RAYDIUM_CPMM: "RaydiumCpmm",
    Venue.RAYDIUM_CLMM: "RaydiumClmm",
    Venue.METEORA_DLMM: "MeteoraDlmm",
    Venue.ORCA_WHIRLPOOL_V2: "OrcaWhirlpoolV2",
}
U64_MAX = (1 << 64) - 1


@dataclass(frozen=True)
class HopArgs:
    """One hop's entry in `execute_route`'s argument: venue, how many remaining accounts it takes, direction."""

    venue: Venue
    num_accounts: int
    a_to_b: bool


class ArbExecutor:
    """anchorpy's view of the program. No connection is opened: the provider only satisfies the constructor."""

    def __init__(self, idl: Idl, program_id: Pubkey | None = None) -> None:
        address = idl.metadata.get("address") if isinstance(idl.metadata, dict) else None
        if program_id is None:
            if not isinstance(address, str) or not address:
                raise IdlError("IDL has no program address and none was given")
            program_id = Pubkey.from_string(address)
        if IX_NAME not in {ix.name for ix in idl.instructions}:
            raise IdlError(f"IDL has no instruction {IX_NAME}")
        provider = Provider(AsyncClient("http://127.0.0.1:1"), Wallet(Keypair()))
        self.program = Program(idl, program_id, provider)
        self.program_id = program_id
        self._hop = self.program.type["RouteHop"]
        self._venue = self.program.type["Venue"]

    @classmethod
    def load(cls, path: Path = ARB_EXECUTOR_IDL, program_id: Pubkey | None = None) -> ArbExecutor:
        """An `ArbExecutor` from the IDL file at `path`; `program_id` overrides the address the IDL names."""
        return cls(load_legacy_idl(path), program_id)

    def _hop_value(self, hop: HopArgs) -> object:
        if not 0 <= hop.num_accounts <= 255:
            raise RouteTooLarge(f"hop num_accounts must fit a u8, got {hop.num_accounts}")
        variant = getattr(self._venue, _VENUE_VARIANTS[hop.venue])
        return self._hop(venue=variant(), num_accounts=hop.num_accounts, a_to_b=hop.a_to_b)

    def encode_data(self, amount_in: int, min_profit: int, hops: Sequence[HopArgs]) -> bytes:
        """The instruction data of `execute_route` (discriminator + Borsh arguments).

        Raises `ValueError` when `amount_in` or `min_profit` is not a u64.
        """
        for name, value in (("amount_in", amount_in), ("min_profit", min_profit)):
            if not 0 <= value <= U64_MAX:
                raise ValueError(f"{name} must be a u64, got {value}")
        data = {"amount_in": amount_in, "min_profit": min_profit, "hops": [self._hop_value(h) for h in hops]}
        return bytes(self.program.coder.instruction.encode(IX_NAME, data))

    def instruction(
        self,
        *,
        authority: Pubkey,
        source_token: Pubkey,
        amount_in: int,
        min_profit: int,
        hops: Sequence[HopArgs],
        remaining: Sequence[AccountMeta],
        token_program: Pubkey = TOKEN_PROGRAM,
    ) -> Instruction:
        """The `execute_route` instruction for already-built hop arguments and their account blocks.

        `min_profit` is in raw units of the source token; the program refuses to finish a route that gains less.
        Raises `ValueError` when the hops' account counts do not add up to `remaining` or an amount is not a u64.
        """
        if sum(h.num_accounts for h in hops) != len(remaining):
            raise ValueError(f"hops declare {sum(h.num_accounts for h in hops)} accounts, {len(remaining)} given")
        self.encode_data(amount_in, min_profit, hops)  # range checks with clear messages before anchorpy's own
        accounts = {"authority": authority, "source_token": source_token, "token_program": token_program}
        fn = self.program.instruction[IX_NAME]
        return fn(
            amount_in,
            min_profit,
            [self._hop_value(h) for h in hops],
            ctx=Context(accounts=accounts, remaining_accounts=list(remaining)),
        )

    def route_instruction(
        self, route: Route, owner: Pubkey, token_accounts: dict[Pubkey, Pubkey], min_profit: int
    ) -> Instruction:
        """`token_accounts` maps each mint of the route to the owner's token account for it."""
        metas: list[AccountMeta] = []
        hops: list[HopArgs] = []
        for hop in route.hops:
            for mint in (hop.mint_in, hop.mint_out):
                if mint not in token_accounts:
                    raise ValueError(f"no token account given for mint {mint}")
            block = hop.pool.hop_accounts(hop.mint_in, owner, token_accounts[hop.mint_in], token_accounts[hop.mint_out])
            metas.extend(block)
            hops.append(HopArgs(hop.pool.venue, len(block), hop.a_to_b))
        return self.instruction(
            authority=owner,
            source_token=token_accounts[route.base],
            amount_in=route.amount_in,
            min_profit=min_profit,
            hops=hops,
            remaining=metas,
        )
