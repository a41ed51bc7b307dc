"""PancakeSwap V3 on the replica: the npm factory, pool and periphery, and the pool deployer stand-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eth_typing import HexStr

from arbbot.chain.addresses import ZERO_ADDRESS
from arbbot.devnet import artifacts, compiler
from arbbot.devnet.manifest import VenueEntry
from arbbot.devnet.scenario import PANCAKE_V3_FEE_TIERS
from arbbot.errors import DevnetError

if TYPE_CHECKING:
    from arbbot.devnet.replica import ReplicaBuilder


def code_holder_initcode(payload: bytes) -> bytes:
    """Creation code of a contract whose runtime code is a STOP byte followed by `payload` (never runnable)."""
    runtime = b"\x00" + payload
    if len(runtime) > 24_576:
        raise DevnetError(f"code holder payload of {len(payload)} bytes exceeds the code-size limit")
    # PUSH2 len, DUP1, PUSH1 10, PUSH0, CODECOPY, PUSH0, RETURN; then the runtime.
    prologue = b"\x61" + len(runtime).to_bytes(2, "big") + b"\x80\x60\x0a\x5f\x39\x5f\xf3"
    return prologue + runtime


def deploy_pancake(b: ReplicaBuilder) -> None:
    """Deploy PancakeSwap V3 on the replica (the pool code holder, the pool deployer, factory, router, position manager
    and quoter) and record its contracts and venue; raises `DevnetError` if a step fails or a fee tier is not enabled
    as expected.
    """
    weth = b.contracts["WETH9"]
    pool_code = bytes.fromhex(artifacts.load("PancakeV3Pool").bytecode[2:])
    with b.progress.stage("deploy PancakeSwap V3", total=5) as st:
        receipt = b.w3.eth.wait_for_transaction_receipt(
            b.w3.eth.send_transaction(
                {"from": b.deployer, "data": HexStr("0x" + code_holder_initcode(pool_code).hex())}
            )
        )
        holder = receipt["contractAddress"]
        if receipt["status"] != 1 or not holder:
            raise DevnetError("replica build: the PancakeSwap V3 pool code holder was not created")
        pool_deployer = b._deploy(compiler.replica_contracts()["PancakeV3PoolDeployer"], holder)
        st.advance()
        factory = b._deploy(artifacts.load("PancakeV3Factory"), pool_deployer.address)
        b._tx(pool_deployer.functions.setFactoryAddress(factory.address))
        for fee, spacing in PANCAKE_V3_FEE_TIERS.items():
            if factory.functions.feeAmountTickSpacing(fee).call() != spacing:
                raise DevnetError(f"PancakeV3Factory: fee {fee} is not enabled with tick spacing {spacing}")
        st.advance()
        router = b._deploy(artifacts.load("PancakeSwapRouter"), pool_deployer.address, factory.address, weth)
        st.advance()
        npm = b._deploy(
            artifacts.load("PancakeNonfungiblePositionManager"), pool_deployer.address, factory.address, weth,
            ZERO_ADDRESS,
        )  # fmt: skip
        st.advance()
        quoter = b._deploy(artifacts.load("PancakeQuoterV2"), pool_deployer.address, factory.address, weth)
        st.advance()
    b.contracts.update(
        {
            "PancakeV3PoolCode": holder,
            "PancakeV3PoolDeployer": pool_deployer.address,
            "PancakeV3Factory": factory.address,
            "PancakeSwapRouter": router.address,
            "PancakeNonfungiblePositionManager": npm.address,
            "PancakeQuoterV2": quoter.address,
        }
    )
    b.venues["pancakeswap_v3"] = VenueEntry(
        kind="pancakeswap_v3",
        factory=factory.address,
        router=router.address,
        fee_bps=0,
        init_code_hash=artifacts.PANCAKE_V3_POOL_INIT_CODE_HASH,
        deployer=pool_deployer.address,
    )
