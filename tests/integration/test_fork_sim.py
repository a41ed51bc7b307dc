"""Fork simulation with pyrevm agrees with real execution on the replica, to the wei and the gas unit."""

from __future__ import annotations

from web3 import Web3

from arbbot.devnet import artifacts, compiler
from arbbot.sim.fork import ForkSimulator, next_base_fee
from tests.conftest import Replica

DEADLINE = 2**63


def test_simulated_swap_equals_the_mined_swap(replica: Replica) -> None:
    m, w3 = replica.manifest, replica.w3
    trader = w3.eth.accounts[7]
    router = w3.eth.contract(address=m.venues["sushiswap"].router, abi=artifacts.load("UniswapV2Router02").abi)
    usdc = w3.eth.contract(address=m.token("USDC").address, abi=compiler.replica_contracts()["ReplicaToken"].abi)
    path = [m.token("WETH").address, m.token("USDC").address]
    data = router.encode_abi("swapExactETHForTokens", args=[0, path, trader, DEADLINE])
    amount = Web3.to_wei(3, "ether")

    sim = ForkSimulator(replica.url)
    before = sim.token_balance(usdc.address, trader)
    result = sim.call(trader, router.address, bytes.fromhex(data[2:]), value=amount)
    assert result.success
    simulated_out = sim.token_balance(usdc.address, trader) - before
    # A Swap event from the pair, with the exact amounts.
    swap_topic = Web3.keccak(text="Swap(address,uint256,uint256,uint256,uint256,address)")
    assert any(log.topics[0] == swap_topic for log in result.logs)

    tx = w3.eth.send_transaction({"from": trader, "to": router.address, "data": data, "value": amount})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    assert usdc.functions.balanceOf(trader).call() - before == simulated_out > 0
    assert result.gas_exact
    assert receipt["gasUsed"] == result.gas_used


def test_simulate_undoes_and_stays_exact_while_applied_calls_are_flagged(replica: Replica) -> None:
    m, w3 = replica.manifest, replica.w3
    trader = w3.eth.accounts[9]
    router = w3.eth.contract(address=m.venues["uniswap_v2"].router, abi=artifacts.load("UniswapV2Router02").abi)
    data = bytes.fromhex(
        router.encode_abi(
            "swapExactETHForTokens", args=[0, [m.token("WETH").address, m.token("USDC").address], trader, DEADLINE]
        )[2:]
    )
    sim = ForkSimulator(replica.url)
    first = sim.simulate(trader, router.address, data, value=10**18)
    again = sim.simulate(trader, router.address, data, value=10**18)
    assert first == again and first.gas_exact  # simulate() left no trace, not even warm slots
    cp = sim.checkpoint()
    applied = sim.call(trader, router.address, data, value=10**18)
    after = sim.call(trader, router.address, data, value=10**18)
    assert applied.gas_exact and not after.gas_exact  # the second one ran on warmed state
    sim.revert(cp)
    assert sim.simulate(trader, router.address, data, value=10**18) == first


def test_revert_is_a_result_with_its_reason_and_checkpoints_undo(replica: Replica) -> None:
    m, w3 = replica.manifest, replica.w3
    trader = w3.eth.accounts[8]
    router = w3.eth.contract(address=m.venues["uniswap_v2"].router, abi=artifacts.load("UniswapV2Router02").abi)
    path = [m.token("WETH").address, m.token("USDC").address]
    sim = ForkSimulator(replica.url)
    greedy = router.encode_abi("swapExactETHForTokens", args=[10**30, path, trader, DEADLINE])
    failed = sim.call(trader, router.address, bytes.fromhex(greedy[2:]), value=10**18)
    assert not failed.success
    assert "INSUFFICIENT_OUTPUT_AMOUNT" in failed.revert_reason

    usdc = m.token("USDC").address
    cp = sim.checkpoint()
    ok = router.encode_abi("swapExactETHForTokens", args=[0, path, trader, DEADLINE])
    assert sim.call(trader, router.address, bytes.fromhex(ok[2:]), value=10**18).success
    assert sim.token_balance(usdc, trader) > 0
    sim.revert(cp)
    assert sim.token_balance(usdc, trader) == 0


def test_next_base_fee_follows_eip1559() -> None:
    assert next_base_fee(1_000_000_000, 15_000_000, 30_000_000) == 1_000_000_000
    assert next_base_fee(1_000_000_000, 30_000_000, 30_000_000) == 1_125_000_000
    assert next_base_fee(1_000_000_000, 0, 30_000_000) == 875_000_000
