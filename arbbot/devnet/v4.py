"""Uniswap V4 on the replica: the PoolManager and its periphery from npm, hooks at permission-bit
addresses, pools initialized and seeded with positions through the real PositionManager and Permit2."""

from __future__ import annotations

from math import isqrt
from typing import TYPE_CHECKING, Any

from eth_abi import encode
from eth_utils import keccak, to_bytes, to_checksum_address

from arbbot.amm.uniswap_v3.liquidity_amounts import liquidity_for_amounts
from arbbot.amm.uniswap_v3.tick_math import get_sqrt_ratio_at_tick
from arbbot.chain.addresses import ZERO_ADDRESS, v4_pool_id
from arbbot.chain.anvil import rpc
from arbbot.devnet import artifacts, compiler
from arbbot.devnet.manifest import Manifest, PoolEntry, VenueEntry
from arbbot.devnet.scenario import NATIVE, V4_DYNAMIC_FEE, V4PoolSpec
from arbbot.devnet.universal_router import PoolKey
from arbbot.errors import DevnetError

if TYPE_CHECKING:
    from arbbot.devnet.replica import ReplicaBuilder

ALL_HOOK_MASK = (1 << 14) - 1
HOOK_FLAGS = {"dynamic_fee": 1 << 12, "skim": (1 << 6) | (1 << 2)}  # AFTER_INITIALIZE; AFTER_SWAP | its delta
UNSUBSCRIBE_GAS_LIMIT = 300_000
MAX_UINT160 = (1 << 160) - 1
MAX_UINT48 = (1 << 48) - 1
FAR_DEADLINE = 2**63
# v4-periphery Actions
MINT_POSITION, SETTLE_PAIR, SWEEP = 0x02, 0x0D, 0x14
POOL_KEY = "(address,address,uint24,int24,address)"


def create2_address(deployer: str, salt: bytes, init_code: bytes) -> str:
    """The address a CREATE2 from `deployer` with `salt` and `init_code` deploys to."""
    digest = keccak(b"\xff" + to_bytes(hexstr=deployer) + salt + keccak(init_code))
    return to_checksum_address(digest[12:])


def mine_hook_salt(deployer: str, init_code: bytes, flags: int) -> tuple[bytes, str]:
    """The first salt whose CREATE2 address carries exactly `flags` in its low 14 bits."""
    code_hash = keccak(init_code)
    prefix = b"\xff" + to_bytes(hexstr=deployer)
    for i in range(1 << 24):
        salt = i.to_bytes(32, "big")
        digest = keccak(prefix + salt + code_hash)
        if int.from_bytes(digest[-2:], "big") & ALL_HOOK_MASK == flags:
            return salt, to_checksum_address(digest[12:])
    raise DevnetError(f"no hook salt found for flags {flags:#x}")


def deploy_v4(b: ReplicaBuilder) -> None:
    """PoolManager, Permit2 (at its canonical address), PositionManager, StateView, V4Quoter,
    UniversalRouter 2.x and the hook deployer."""
    weth = b.contracts["WETH9"]
    url = b.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    with b.progress.stage("deploy Uniswap V4 and UniversalRouter", total=7) as st:
        pm = b._deploy(artifacts.load("PoolManager"), b.deployer)
        st.advance()
        rpc(url, "anvil_setCode", [artifacts.PERMIT2_ADDRESS, artifacts.permit2_runtime()])
        descriptor = b._deploy(artifacts.load("PositionDescriptor"), pm.address, weth, b"ETH".ljust(32, b"\0"))
        st.advance()
        posm = b._deploy(
            artifacts.load("PositionManager"),
            pm.address,
            artifacts.PERMIT2_ADDRESS,
            UNSUBSCRIBE_GAS_LIMIT,
            descriptor.address,
            weth,
        )
        st.advance()
        state_view = b._deploy(artifacts.load("StateView"), pm.address)
        quoter = b._deploy(artifacts.load("V4Quoter"), pm.address)
        st.advance()
        v2 = b.venues.get("uniswap_v2")
        params = (
            artifacts.PERMIT2_ADDRESS,
            weth,
            v2.factory if v2 else ZERO_ADDRESS,
            b.contracts["UniswapV3Factory"],
            bytes.fromhex(artifacts.UNISWAP_V2_PAIR_INIT_CODE_HASH[2:]),
            bytes.fromhex(artifacts.UNISWAP_V3_POOL_INIT_CODE_HASH[2:]),
            pm.address,
            b.contracts["NonfungiblePositionManager"],
            posm.address,
            ZERO_ADDRESS,  # no Across spoke pool on the replica
        )
        router = b._deploy(artifacts.load("UniversalRouter"), params)
        st.advance()
        hook_deployer = b._deploy(compiler.replica_contracts()["HookDeployer"])
        st.advance()
        if any(p.protocol_fee for p in b.sc.v4_pools):
            b._tx(pm.functions.setProtocolFeeController(b.deployer))
        st.advance()
    b.contracts.update(
        {
            "PoolManager": pm.address,
            "Permit2": artifacts.PERMIT2_ADDRESS,
            "PositionDescriptor": descriptor.address,
            "PositionManager": posm.address,
            "StateView": state_view.address,
            "V4Quoter": quoter.address,
            "UniversalRouter": router.address,
            "HookDeployer": hook_deployer.address,
        }
    )
    b.venues["uniswap_v4"] = VenueEntry(
        kind="uniswap_v4", factory=pm.address, router=router.address, fee_bps=0, init_code_hash=""
    )


def _hook(b: ReplicaBuilder, spec: V4PoolSpec, cache: dict[tuple[str, int], str]) -> str:
    if spec.hooks == "none":
        return ZERO_ADDRESS
    pm = b.contracts["PoolManager"]
    key: tuple[str, int]
    if spec.hooks == "dynamic_fee":
        key, art = (spec.hooks, spec.fee), "DynamicFeeHook"
        args = encode(["address", "address", "uint24"], [pm, b.deployer, spec.fee])
    else:
        key, art = (spec.hooks, spec.skim_pips), "SkimHook"
        args = encode(["address", "uint256"], [pm, spec.skim_pips])
    if key in cache:
        return cache[key]
    init = bytes.fromhex(compiler.replica_contracts()[art].bytecode[2:]) + args
    deployer = b.contracts["HookDeployer"]
    salt, address = mine_hook_salt(deployer, init, HOOK_FLAGS[spec.hooks])
    b._tx(b._at_replica("HookDeployer", deployer).functions.deploy(salt, init))
    if len(b.w3.eth.get_code(to_checksum_address(address))) == 0:
        raise DevnetError(f"hook {art} not found at its mined address {address}")
    b.contracts[f"{art}.{key[1]}"] = address
    cache[key] = address
    return address


def _approve_permit2(b: ReplicaBuilder, symbol: str, spender: str, amount: int) -> None:
    """The deployer's tokens become spendable by `spender` (the PositionManager) through Permit2."""
    token = b.tokens[symbol]
    b._fund(symbol, amount, spender=artifacts.PERMIT2_ADDRESS)
    permit2 = b.w3.eth.contract(address=to_checksum_address(artifacts.PERMIT2_ADDRESS), abi=PERMIT2_ABI)
    b._tx(permit2.functions.approve(token.address, spender, MAX_UINT160, MAX_UINT48))


def create_v4_pools(b: ReplicaBuilder) -> None:
    """Initialize the scenario's Uniswap V4 pools (with their hook and protocol fee) and mint their seeded LP positions
    through the PositionManager and Permit2, recording each in the manifest entries; does nothing without V4 pools.
    """
    if not b.sc.v4_pools:
        return
    pm = b._at("PoolManager", b.contracts["PoolManager"])
    posm = b._at("PositionManager", b.contracts["PositionManager"])
    view = b._at("StateView", b.contracts["StateView"])
    hooks_cache: dict[tuple[str, int], str] = {}
    total = sum(p.positions for p in b.sc.v4_pools)
    with b.progress.stage("seed Uniswap V4 pools and positions", total=total) as st:
        for spec in b.sc.v4_pools:
            amount_a, amount_b = b._amounts(spec.tokens, spec.depth_eth, spec.skew_bps)
            addr = {s: (ZERO_ADDRESS if s == NATIVE else b.tokens[s].address) for s in spec.tokens}
            sym0, sym1 = sorted(spec.tokens, key=lambda s: int(addr[s], 16))
            amount0, amount1 = (amount_a, amount_b) if sym0 == spec.tokens[0] else (amount_b, amount_a)
            hooks = _hook(b, spec, hooks_cache)
            fee = V4_DYNAMIC_FEE if spec.hooks == "dynamic_fee" else spec.fee
            key = (addr[sym0], addr[sym1], fee, spec.tick_spacing, hooks)
            sqrt_price = isqrt((amount1 << 192) // amount0)
            b._tx(posm.functions.initializePool(key, sqrt_price))
            pool_id = v4_pool_id(*key)
            if spec.protocol_fee:
                b._tx(pm.functions.setProtocolFee(key, spec.protocol_fee | (spec.protocol_fee << 12)))
            tick = view.functions.getSlot0(bytes.fromhex(pool_id[2:])).call()[1]
            for sym, amount in ((sym0, amount0), (sym1, amount1)):
                if sym != NATIVE:
                    _approve_permit2(b, sym, posm.address, amount)
            per0, per1 = amount0 // spec.positions, amount1 // spec.positions
            for _ in range(spec.positions):
                lower, upper = b._position_range(tick, spec.tick_spacing, spec.max_width_spacings)
                liquidity = liquidity_for_amounts(
                    sqrt_price, get_sqrt_ratio_at_tick(lower), get_sqrt_ratio_at_tick(upper), per0, per1
                )
                if liquidity > 0:
                    _mint(b, posm, key, lower, upper, liquidity, per0, per1)
                st.advance()
            b.pools.append(
                PoolEntry(
                    kind="uniswap_v4", venue="uniswap_v4", address=pool_id, token0=sym0, token1=sym1, fee=fee,
                    tick_spacing=spec.tick_spacing, hooks=hooks, hook_kind=spec.hooks,
                )
            )  # fmt: skip


def _mint(
    b: ReplicaBuilder, posm: Any, key: tuple, lower: int, upper: int, liquidity: int, max0: int, max1: int
) -> None:
    native = key[0] == ZERO_ADDRESS
    actions = [MINT_POSITION, SETTLE_PAIR] + ([SWEEP] if native else [])
    params = [
        encode(
            [POOL_KEY, "int24", "int24", "uint256", "uint128", "uint128", "address", "bytes"],
            [key, lower, upper, liquidity, max0 + 1, max1 + 1, b.deployer, b""],
        ),
        encode(["address", "address"], [key[0], key[1]]),
    ]
    if native:  # what the position did not need comes back
        params.append(encode(["address", "address"], [ZERO_ADDRESS, b.deployer]))
    data = encode(["bytes", "bytes[]"], [bytes(actions), params])
    b._tx(posm.functions.modifyLiquidities(data, FAR_DEADLINE), value=max0 + 1 if native else 0)


PERMIT2_ABI = [
    {
        "type": "function",
        "name": "approve",
        "stateMutability": "nonpayable",
        "inputs": [
            {"name": "token", "type": "address"},
            {"name": "spender", "type": "address"},
            {"name": "amount", "type": "uint160"},
            {"name": "expiration", "type": "uint48"},
        ],
        "outputs": [],
    },
    {
        "type": "function",
        "name": "allowance",
        "stateMutability": "view",
        "inputs": [
            {"name": "user", "type": "address"},
            {"name": "token", "type": "address"},
            {"name": "spender", "type": "address"},
        ],
        "outputs": [
            {"name": "amount", "type": "uint160"},
            {"name": "expiration", "type": "uint48"},
            {"name": "nonce", "type": "uint48"},
        ],
    },
]


def pool_key_of(manifest: Manifest, entry: PoolEntry) -> PoolKey:
    """The PoolKey of a V4 pool in the manifest (native ether is currency address 0)."""
    if entry.kind != "uniswap_v4":
        raise DevnetError(f"pool {entry.address} is {entry.kind}, not a Uniswap V4 pool")
    t = manifest.token
    return PoolKey(t(entry.token0).address, t(entry.token1).address, entry.fee, entry.tick_spacing, entry.hooks)
