"""Build the mainnet replica on a running node: deploy real protocol bytecode, then a scenario.

Deterministic: a fixed deployer, fixed nonces and one-second block spacing from a fixed genesis time,
so the same scenario file always yields the same addresses and the same state.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal, getcontext
from fractions import Fraction
from math import isqrt
from typing import Any, Literal

from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from arbbot.chain.addresses import sort_tokens
from arbbot.devnet import artifacts, compiler
from arbbot.devnet.balancer import create_stable_pools, create_weighted_pools
from arbbot.devnet.manifest import BalancerPoolEntry, Manifest, PoolEntry, TokenEntry, VenueEntry
from arbbot.devnet.pancake import deploy_pancake
from arbbot.devnet.scenario import (
    NATIVE,
    PANCAKE_V3_FEE_TIERS,
    V3_FEE_TIERS,
    PancakeV3PoolSpec,
    Scenario,
    TokenSpec,
    V3PoolSpec,
)
from arbbot.devnet.v4 import create_v4_pools, deploy_v4
from arbbot.errors import DevnetError
from arbbot.progress import LogProgress, Progress

getcontext().prec = 60
GENESIS_TIMESTAMP = 1_735_689_600  # 2025-01-01T00:00:00Z; fixed so rebuilds are identical
FAR_DEADLINE = 2**63
MIN_TICK, MAX_TICK = -887272, 887272
UINT256_MAX = 2**256 - 1


def _whole(amount_eth: Fraction, token: TokenSpec) -> int:
    """ETH value -> raw token units, rounded down."""
    price = Fraction(Decimal(token.price_eth))
    return int(amount_eth / price * 10**token.decimals)


class ReplicaBuilder:
    """Builds the replica on a fresh node: the real protocol bytecode, then the scenario's tokens, pools and Balancer
    flash-loan liquidity and weighted pools, all from the node's first account.

    Used through `build_replica`; the generators (`generate`, the PancakeSwap and V4 deployers) extend it. Every
    transaction is checked and a failed one raises `DevnetError`.
    """

    def __init__(self, w3: Web3, scenario: Scenario, progress: Progress | None = None) -> None:
        self.w3 = w3
        self.sc = scenario
        self.progress = progress or LogProgress()
        self.deployer = w3.eth.accounts[0]
        self.rng = random.Random(scenario.seed)
        self.contracts: dict[str, str] = {}
        self.tokens: dict[str, Contract] = {}
        self.token_specs: dict[str, TokenSpec] = {}
        self.pools: list[PoolEntry] = []
        self.venues: dict[str, VenueEntry] = {}
        self.balancer_pools: list[BalancerPoolEntry] = []

    # -- helpers ------------------------------------------------------------------------------
    def _tx(self, fn: Any, value: int = 0) -> Any:
        tx_hash = fn.transact({"from": self.deployer, "value": value})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
        if receipt["status"] != 1:
            raise DevnetError(f"replica build: transaction {tx_hash.hex()} reverted")
        return receipt

    def _deploy(self, art: artifacts.Artifact, *args: Any, bytecode: str | None = None) -> Contract:
        factory = self.w3.eth.contract(abi=art.abi, bytecode=bytecode or art.bytecode)
        receipt = self._tx(factory.constructor(*args))
        address = receipt["contractAddress"]
        if not address:
            raise DevnetError(f"replica build: deploying {art.name} created no contract")
        return self.w3.eth.contract(address=address, abi=art.abi)

    def _at(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=to_checksum_address(address), abi=artifacts.load(name).abi)

    def _at_replica(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(address=to_checksum_address(address), abi=compiler.replica_contracts()[name].abi)

    # -- protocol ---------------------------------------------------------------------------------
    def deploy_protocols(self) -> None:
        """Deploy WETH9, one Uniswap V2 factory and router per V2 venue, Uniswap V3 (with the 0.01% tier enabled, as on
        mainnet) and its periphery, and the Balancer Vault; then PancakeSwap V3 and Uniswap V4 where the scenario has
        pools on them.
        """
        with self.progress.stage("deploy protocol bytecode", total=9 + len(self.sc.v2_venues) * 2) as st:
            weth = self._deploy(artifacts.load("WETH9"))
            self.contracts["WETH9"] = weth.address
            self.tokens["WETH"] = weth
            self.token_specs["WETH"] = self.sc.token("WETH")
            st.advance()
            for venue in self.sc.v2_venues:
                factory = self._deploy(artifacts.load("UniswapV2Factory"), self.deployer)
                st.advance()
                router = self._deploy(artifacts.load("UniswapV2Router02"), factory.address, weth.address)
                st.advance()
                self.venues[venue] = VenueEntry(
                    kind="uniswap_v2",
                    factory=factory.address,
                    router=router.address,
                    fee_bps=30,
                    init_code_hash=artifacts.UNISWAP_V2_PAIR_INIT_CODE_HASH,
                )
            v3_factory = self._deploy(artifacts.load("UniswapV3Factory"))
            # The 0.01% tier (tick spacing 1) is not in the original bytecode's defaults; mainnet
            # governance enabled it later, so the replica's owner does the same.
            self._tx(v3_factory.functions.enableFeeAmount(100, 1))
            st.advance()
            nft_lib = self._deploy(artifacts.load("NFTDescriptor"))
            st.advance()
            desc_art = artifacts.load("NonfungibleTokenPositionDescriptor")
            descriptor = self._deploy(
                desc_art,
                weth.address,
                b"ETH".ljust(32, b"\0"),
                bytecode=desc_art.linked({"NFTDescriptor": nft_lib.address}),
            )
            st.advance()
            npm = self._deploy(
                artifacts.load("NonfungiblePositionManager"),
                v3_factory.address,
                weth.address,
                descriptor.address,
            )
            st.advance()
            swap_router = self._deploy(artifacts.load("SwapRouter"), v3_factory.address, weth.address)
            st.advance()
            quoter = self._deploy(artifacts.load("QuoterV2"), v3_factory.address, weth.address)
            st.advance()
            self.venues["uniswap_v3"] = VenueEntry(
                kind="uniswap_v3",
                factory=v3_factory.address,
                router=swap_router.address,
                fee_bps=0,
                init_code_hash=artifacts.UNISWAP_V3_POOL_INIT_CODE_HASH,
            )
            authorizer = self._deploy(artifacts.load("BalancerAuthorizer"), self.deployer)
            st.advance()
            vault = self._deploy(artifacts.load("BalancerVault"), authorizer.address, weth.address, 0, 0)
            st.advance()
            self.contracts.update(
                {
                    "NFTDescriptor": nft_lib.address,
                    "NonfungibleTokenPositionDescriptor": descriptor.address,
                    "NonfungiblePositionManager": npm.address,
                    "SwapRouter": swap_router.address,
                    "QuoterV2": quoter.address,
                    "UniswapV3Factory": v3_factory.address,
                    "BalancerAuthorizer": authorizer.address,
                    "BalancerVault": vault.address,
                }
            )
            for venue, entry in self.venues.items():
                if entry.kind == "uniswap_v2":
                    self.contracts[f"{venue}.factory"] = entry.factory
                    self.contracts[f"{venue}.router"] = entry.router
        # Deployed only where a scenario uses them, so other scenarios' chains stay as they were.
        if self.sc.pancake_v3_pools:
            deploy_pancake(self)
        if self.sc.v4_pools:
            deploy_v4(self)

    # -- scenario ---------------------------------------------------------------------------------
    def deploy_tokens(self) -> None:
        """Deploy the scenario's tokens (a fee-on-transfer token where the spec sets a fee)."""
        compiled = compiler.replica_contracts()
        with self.progress.stage("deploy scenario tokens", total=len(self.sc.tokens)) as st:
            for spec in self.sc.tokens:
                name = spec.name or spec.symbol
                if spec.fee_on_transfer_bps:
                    token = self._deploy(
                        compiled["FeeOnTransferToken"],
                        name,
                        spec.symbol,
                        spec.decimals,
                        spec.fee_on_transfer_bps,
                    )
                else:
                    token = self._deploy(compiled["ReplicaToken"], name, spec.symbol, spec.decimals)
                self.tokens[spec.symbol] = token
                self.token_specs[spec.symbol] = spec
                st.advance()

    def _fund(self, symbol: str, amount: int, spender: str | None = None) -> None:
        """Give the deployer `amount` raw units (wrap ETH or mint) and approve `spender` for it."""
        token = self.tokens[symbol]
        if symbol == "WETH":
            self._tx(token.functions.deposit(), value=amount)
        else:
            self._tx(token.functions.mint(self.deployer, amount))
        if spender is not None:
            self._tx(token.functions.approve(spender, amount))

    def _price_factor(self, skew_bps: int) -> Fraction:
        jitter = self.rng.randint(-self.sc.jitter_bps, self.sc.jitter_bps) if self.sc.jitter_bps else 0
        return Fraction(10_000 + skew_bps + jitter, 10_000)

    def _spec(self, symbol: str) -> TokenSpec:
        return self.sc.token(NATIVE) if symbol == NATIVE else self.token_specs[symbol]

    def _amounts(self, pair: tuple[str, str], depth_eth: int, skew_bps: int) -> tuple[int, int]:
        """Raw amounts for each side so tokens[1]'s price in tokens[0] is moved by skew (+ jitter)."""
        spec_a, spec_b = self._spec(pair[0]), self._spec(pair[1])
        amount_a = _whole(Fraction(depth_eth), spec_a)
        amount_b = int(_whole(Fraction(depth_eth), spec_b) / self._price_factor(skew_bps))
        if amount_a <= 0 or amount_b <= 0:
            raise DevnetError(f"scenario {self.sc.name}: pool {pair} depth {depth_eth} ETH rounds to zero tokens")
        return amount_a, amount_b

    def create_v2_pools(self) -> None:
        """Create and fund the scenario's Uniswap V2 pools at their venue, each side worth `depth_eth` at the scenario
        prices, moved by the spec's skew and the scenario's jitter.
        """
        with self.progress.stage("seed Uniswap V2 pools", total=len(self.sc.v2_pools)) as st:
            for spec in self.sc.v2_pools:
                venue = self.venues[spec.venue]
                factory = self._at("UniswapV2Factory", venue.factory)
                a, b = self.tokens[spec.tokens[0]], self.tokens[spec.tokens[1]]
                self._tx(factory.functions.createPair(a.address, b.address))
                pair_addr = factory.functions.getPair(a.address, b.address).call()
                amount_a, amount_b = self._amounts(spec.tokens, spec.depth_eth, spec.skew_bps)
                for sym, amount in ((spec.tokens[0], amount_a), (spec.tokens[1], amount_b)):
                    self._fund(sym, amount)
                    self._tx(self.tokens[sym].functions.transfer(pair_addr, amount))
                pair = self._at("UniswapV2Pair", pair_addr)
                self._tx(pair.functions.mint(self.deployer))
                t0, _ = sort_tokens(a.address, b.address)
                sym0, sym1 = spec.tokens if t0 == a.address else spec.tokens[::-1]
                self.pools.append(
                    PoolEntry(
                        kind="uniswap_v2",
                        venue=spec.venue,
                        address=pair_addr,
                        token0=sym0,
                        token1=sym1,
                        fee=30,
                    )
                )
                st.advance()

    def create_v3_pools(self) -> None:
        """Create the scenario's Uniswap V3 pools and mint their seeded LP positions through the position manager."""
        self._create_clmm_pools(
            self.sc.v3_pools, "uniswap_v3", "NonfungiblePositionManager", "UniswapV3Factory", "UniswapV3Pool",
            V3_FEE_TIERS, "seed Uniswap V3 pools and positions",
        )  # fmt: skip

    def create_pancake_pools(self) -> None:
        """Create the scenario's PancakeSwap V3 pools and mint their seeded LP positions, as for Uniswap V3."""
        self._create_clmm_pools(
            self.sc.pancake_v3_pools, "pancakeswap_v3", "PancakeNonfungiblePositionManager", "PancakeV3Factory",
            "PancakeV3Pool", PANCAKE_V3_FEE_TIERS, "seed PancakeSwap V3 pools and positions",
        )  # fmt: skip

    def _create_clmm_pools(
        self,
        specs: Sequence[V3PoolSpec | PancakeV3PoolSpec],
        kind: Literal["uniswap_v3", "pancakeswap_v3"],
        npm_name: str,
        factory_name: str,
        pool_name: str,
        tiers: dict[int, int],
        stage: str,
    ) -> None:
        """Concentrated-liquidity pools (Uniswap V3 and its forks) through the venue's position manager."""
        if not specs:
            return
        npm = self._at(npm_name, self.contracts[npm_name])
        factory = self._at(factory_name, self.contracts[factory_name])
        total = sum(p.positions for p in specs)
        with self.progress.stage(stage, total=total) as st:
            for spec in specs:
                a, b = self.tokens[spec.tokens[0]], self.tokens[spec.tokens[1]]
                amount_a, amount_b = self._amounts(spec.tokens, spec.depth_eth, spec.skew_bps)
                t0, t1 = sort_tokens(a.address, b.address)
                flipped = t0 != a.address
                amount0, amount1 = (amount_b, amount_a) if flipped else (amount_a, amount_b)
                sym0, sym1 = spec.tokens[::-1] if flipped else spec.tokens
                sqrt_price_x96 = isqrt((amount1 << 192) // amount0)
                self._tx(npm.functions.createAndInitializePoolIfNecessary(t0, t1, spec.fee, sqrt_price_x96))
                pool_addr = factory.functions.getPool(t0, t1, spec.fee).call()
                pool = self._at(pool_name, pool_addr)
                tick = pool.functions.slot0().call()[1]
                spacing = tiers[spec.fee]
                self._fund(sym0, amount0, spender=npm.address)
                self._fund(sym1, amount1, spender=npm.address)
                per0, per1 = amount0 // spec.positions, amount1 // spec.positions
                for _ in range(spec.positions):
                    lower, upper = self._position_range(tick, spacing, spec.max_width_spacings)
                    params = (t0, t1, spec.fee, lower, upper, per0, per1, 0, 0, self.deployer, FAR_DEADLINE)
                    self._tx(npm.functions.mint(params))
                    st.advance()
                # Leave nothing approved behind.
                self._tx(self.tokens[sym0].functions.approve(npm.address, 0))
                self._tx(self.tokens[sym1].functions.approve(npm.address, 0))
                self.pools.append(
                    PoolEntry(
                        kind=kind,
                        venue=kind,
                        address=pool_addr,
                        token0=sym0,
                        token1=sym1,
                        fee=spec.fee,
                        tick_spacing=spacing,
                    )
                )

    def _position_range(self, tick: int, spacing: int, max_width: int) -> tuple[int, int]:
        """A seeded range: mostly straddling the price, some fully above or below (gaps, crossings)."""
        base = (tick // spacing) * spacing
        lo_bound = -(-MIN_TICK // spacing) * spacing
        hi_bound = (MAX_TICK // spacing) * spacing
        roll = self.rng.random()
        w1 = self.rng.randint(1, max_width)
        w2 = self.rng.randint(1, max_width)
        if roll < 0.6:
            lower, upper = base - w1 * spacing, base + w2 * spacing
        elif roll < 0.8:
            lower = base + w1 * spacing
            upper = lower + w2 * spacing
        else:
            upper = base - w1 * spacing + spacing
            lower = upper - w2 * spacing
        lower = max(lower, lo_bound)
        upper = min(upper, hi_bound)
        if lower >= upper:
            lower, upper = base - spacing, base + spacing
        return lower, upper

    def fund_balancer(self) -> None:
        """Deposit the scenario's `balancer` amounts (whole tokens) into the Vault's internal balance, so flash loans
        can lend them.
        """
        vault = self._at("BalancerVault", self.contracts["BalancerVault"])
        with self.progress.stage("deposit Balancer Vault flash-loan liquidity", total=len(self.sc.balancer)) as st:
            for sym, whole in self.sc.balancer.items():
                amount = whole * 10 ** self.token_specs[sym].decimals
                token = self.tokens[sym]
                self._fund(sym, amount, spender=vault.address)
                # DEPOSIT_INTERNAL (kind 0): the Vault holds the tokens, so flashLoan can lend them.
                op = (0, token.address, amount, self.deployer, self.deployer)
                self._tx(vault.functions.manageUserBalance([op]))
                st.advance()

    def build(self, snapshot_key: str) -> Manifest:
        """Build the whole scenario and return its manifest (addresses, venues, tokens, pools), stamped with
        `snapshot_key`.
        """
        self.deploy_protocols()
        self.deploy_tokens()
        self.create_v2_pools()
        self.create_v3_pools()
        self.create_pancake_pools()
        create_v4_pools(self)
        self.fund_balancer()
        if self.sc.generate is not None:
            from arbbot.devnet.generate import generate

            generate(self, self.sc.generate)
        # Last, so scenarios without Balancer pools (and everything built before them) keep their state.
        create_weighted_pools(self)
        create_stable_pools(self)
        return Manifest(
            scenario=self.sc.name,
            seed=self.sc.seed,
            chain_id=self.w3.eth.chain_id,
            block_number=self.w3.eth.block_number,
            deployer=to_checksum_address(self.deployer),
            snapshot_key=snapshot_key,
            contracts=self.contracts,
            venues=self.venues,
            tokens=[
                TokenEntry(
                    symbol=sym,
                    name=spec.name or ("Wrapped Ether" if sym == "WETH" else sym),
                    address=self.tokens[sym].address,
                    decimals=spec.decimals,
                    fee_on_transfer_bps=spec.fee_on_transfer_bps,
                )
                for sym, spec in self.token_specs.items()
            ],
            pools=self.pools,
            balancer_pools=self.balancer_pools,
        )


def build_replica(w3: Web3, scenario: Scenario, snapshot_key: str, progress: Progress | None = None) -> Manifest:
    """Build `scenario` on the node behind `w3` and return its manifest; the node must be fresh (block 0), or
    `DevnetError` is raised.
    """
    if w3.eth.block_number != 0:
        raise DevnetError(f"replica build needs a fresh node at block 0, got block {w3.eth.block_number}")
    return ReplicaBuilder(w3, scenario, progress).build(snapshot_key)


__all__ = ["GENESIS_TIMESTAMP", "UINT256_MAX", "ReplicaBuilder", "build_replica"]
