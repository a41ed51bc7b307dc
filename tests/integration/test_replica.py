"""The mainnet replica holds real, working protocol bytecode (tests on a real anvil node)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from web3 import Web3

from arbbot.amm.balancer_stable import ZERO_ADDRESS, BalancerComposableStablePool
from arbbot.amm.balancer_weighted import BalancerWeightedPool
from arbbot.chain.addresses import v2_pair_address, v3_pool_address
from arbbot.devnet import artifacts, compiler, snapshot
from arbbot.devnet.inspect import pool_views, price_of
from arbbot.errors import DevnetError
from tests.conftest import Replica

DEADLINE = 2**63


def _contract(r: Replica, name: str, address: str):
    return r.w3.eth.contract(address=address, abi=artifacts.load(name).abi)


def _erc20(r: Replica, address: str):
    return r.w3.eth.contract(address=address, abi=compiler.replica_contracts()["ReplicaToken"].abi)


def test_protocol_runtime_code_is_the_npm_artifacts(replica: Replica) -> None:
    # Contracts without immutables must carry exactly the artifact's runtime code.
    m = replica.manifest
    for name, address in {
        "UniswapV2Factory": m.venues["uniswap_v2"].factory,
        "WETH9": m.contracts["WETH9"],
    }.items():
        assert replica.w3.eth.get_code(address).hex() == artifacts.load(name).deployed_bytecode.removeprefix("0x")
    pair = m.pools_for("WETH", "USDC")[0]
    assert replica.w3.eth.get_code(pair.address).hex() == artifacts.load("UniswapV2Pair").deployed_bytecode[2:]


def test_v2_pair_addresses_computed_off_chain_match_the_factories(replica: Replica) -> None:
    m = replica.manifest
    v2 = [p for p in m.pools if p.kind == "uniswap_v2"]
    assert len({p.venue for p in v2}) == 2
    for pool in v2:
        factory = _contract(replica, "UniswapV2Factory", m.venues[pool.venue].factory)
        t0, t1 = m.token(pool.token0).address, m.token(pool.token1).address
        on_chain = factory.functions.getPair(t1, t0).call()
        assert v2_pair_address(m.venues[pool.venue].factory, t1, t0) == on_chain == pool.address


def test_v3_pool_addresses_computed_off_chain_match_the_factory(replica: Replica) -> None:
    m = replica.manifest
    factory = _contract(replica, "UniswapV3Factory", m.contracts["UniswapV3Factory"])
    v3 = [p for p in m.pools if p.kind == "uniswap_v3"]
    assert {p.fee for p in v3} >= {500, 3000}
    for pool in v3:
        t0, t1 = m.token(pool.token0).address, m.token(pool.token1).address
        assert v3_pool_address(factory.address, t0, t1, pool.fee) == factory.functions.getPool(t0, t1, pool.fee).call()
        assert pool.address == v3_pool_address(factory.address, t1, t0, pool.fee)


def test_v2_swap_through_router02(replica: Replica) -> None:
    m, w3 = replica.manifest, replica.w3
    trader = w3.eth.accounts[3]
    router = _contract(replica, "UniswapV2Router02", m.venues["uniswap_v2"].router)
    weth, usdc = m.token("WETH").address, m.token("USDC").address
    amount_in = Web3.to_wei(5, "ether")
    expected = router.functions.getAmountsOut(amount_in, [weth, usdc]).call()[-1]
    before = _erc20(replica, usdc).functions.balanceOf(trader).call()
    tx = router.functions.swapExactETHForTokens(expected, [weth, usdc], trader, DEADLINE).transact(
        {"from": trader, "value": amount_in}
    )
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    received = _erc20(replica, usdc).functions.balanceOf(trader).call() - before
    assert received == expected
    # ~3200 USDC per ETH, minus fee and price impact: a sanity band on the seeded price.
    assert 15_000 * 10**6 < received < 16_000 * 10**6


def test_v3_swap_through_swaprouter_matches_quoter(replica: Replica) -> None:
    m, w3 = replica.manifest, replica.w3
    trader = w3.eth.accounts[4]
    weth_addr, usdc_addr = m.token("WETH").address, m.token("USDC").address
    weth = _contract(replica, "WETH9", weth_addr)
    router = _contract(replica, "SwapRouter", m.contracts["SwapRouter"])
    quoter = _contract(replica, "QuoterV2", m.contracts["QuoterV2"])
    amount_in = Web3.to_wei(50, "ether")
    weth.functions.deposit().transact({"from": trader, "value": amount_in})
    weth.functions.approve(router.address, amount_in).transact({"from": trader})
    quoted = quoter.functions.quoteExactInputSingle((weth_addr, usdc_addr, amount_in, 500, 0)).call()
    params = (weth_addr, usdc_addr, 500, trader, DEADLINE, amount_in, 0, 0)
    tx = router.functions.exactInputSingle(params).transact({"from": trader})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    received = _erc20(replica, usdc_addr).functions.balanceOf(trader).call()
    assert received == quoted[0] > 0
    assert quoted[2] >= 0  # initialized ticks crossed, as reported by the real quoter


def test_balancer_flash_loan_round_trips(replica: Replica) -> None:
    m, w3 = replica.manifest, replica.w3
    probe_art = compiler.replica_contracts()["FlashLoanProbe"]
    vault = m.contracts["BalancerVault"]
    deployer = w3.eth.accounts[0]
    tx = w3.eth.contract(abi=probe_art.abi, bytecode=probe_art.bytecode).constructor(vault).transact({"from": deployer})
    probe = w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(tx)["contractAddress"], abi=probe_art.abi)
    weth = _erc20(replica, m.token("WETH").address)
    vault_before = weth.functions.balanceOf(vault).call()
    amount = Web3.to_wei(1000, "ether")
    assert vault_before >= amount
    receipt = w3.eth.wait_for_transaction_receipt(
        probe.functions.borrow(weth.address, amount).transact({"from": deployer})
    )
    assert receipt["status"] == 1
    assert probe.functions.lastAmount().call() == amount
    assert probe.functions.lastBalanceDuringLoan().call() == amount
    assert probe.functions.lastFee().call() == 0  # the Vault's flash-loan fee starts at zero, as on mainnet
    assert weth.functions.balanceOf(vault).call() == vault_before
    assert weth.functions.balanceOf(probe.address).call() == 0


def test_flash_loan_beyond_vault_balance_reverts(replica: Replica) -> None:
    m, w3 = replica.manifest, replica.w3
    probe_art = compiler.replica_contracts()["FlashLoanProbe"]
    vault = m.contracts["BalancerVault"]
    deployer = w3.eth.accounts[0]
    tx = w3.eth.contract(abi=probe_art.abi, bytecode=probe_art.bytecode).constructor(vault).transact({"from": deployer})
    probe = w3.eth.contract(address=w3.eth.wait_for_transaction_receipt(tx)["contractAddress"], abi=probe_art.abi)
    weth = _erc20(replica, m.token("WETH").address)
    too_much = weth.functions.balanceOf(vault).call() + 1
    with pytest.raises(Exception, match="BAL#528"):  # INSUFFICIENT_FLASH_LOAN_BALANCE
        probe.functions.borrow(weth.address, too_much).call({"from": deployer})


def test_scenario_dislocation_is_visible_across_venues(replica: Replica) -> None:
    views = {
        (v.pool.venue, v.pool.fee): v
        for v in pool_views(replica.w3, replica.manifest)
        if {v.pool.token0, v.pool.token1} == {"WETH", "USDC"}
    }
    uni = price_of(views[("uniswap_v2", 30)], "WETH", "USDC")
    sushi = price_of(views[("sushiswap", 30)], "WETH", "USDC")
    v3 = price_of(views[("uniswap_v3", 500)], "WETH", "USDC")
    assert Decimal(3150) < uni < Decimal(3250)
    # The scenario makes USDC 1.5% dearer on sushiswap and 0.6% cheaper on the 0.05% V3 pool.
    assert (uni - sushi) / uni > Decimal("0.01")
    assert (v3 - uni) / uni > Decimal("0.003")


def test_tokens_have_the_scenario_decimals_and_fee_on_transfer_charges(replica: Replica) -> None:
    m, w3 = replica.manifest, replica.w3
    assert {t.symbol: t.decimals for t in m.tokens} == {
        "WETH": 18,
        "USDC": 6,
        "WBTC": 8,
        "DAI": 18,
        "FOT": 18,
    }
    for t in m.tokens:
        assert _erc20(replica, t.address).functions.decimals().call() == t.decimals
    fot = _erc20(replica, m.token("FOT").address)
    alice, bob = w3.eth.accounts[5], w3.eth.accounts[6]
    # Each receipt is awaited: automine seals the block after the send returns, so a read right after it may not
    # see the transfer yet on a busy machine.
    w3.eth.wait_for_transaction_receipt(fot.functions.mint(alice, 10_000).transact({"from": w3.eth.accounts[0]}))
    w3.eth.wait_for_transaction_receipt(fot.functions.transfer(bob, 10_000).transact({"from": alice}))
    assert fot.functions.balanceOf(bob).call() == 9_900
    assert fot.functions.balanceOf(alice).call() == 0


def test_balancer_weighted_pools_are_the_factorys_and_swap_at_the_models_quote(replica: Replica) -> None:
    m, w3 = replica.manifest, replica.w3
    vault = _contract(replica, "BalancerVault", m.contracts["BalancerVault"])
    factory = _contract(replica, "BalancerWeightedPoolFactory", m.contracts["BalancerWeightedPoolFactory"])
    by_address = lambda s: int(m.token(s).address, 16)  # noqa: E731  the Vault's order
    weighted = [p for p in m.balancer_pools if p.kind == "balancer_weighted"]
    assert [p.tokens for p in weighted] == [
        sorted(["WETH", "DAI"], key=by_address),
        sorted(["USDC", "WBTC", "WETH"], key=by_address),
    ]
    trader = w3.eth.accounts[4]
    for entry in weighted:
        pool = _contract(replica, "BalancerWeightedPool", entry.address)
        assert factory.functions.isPoolFromFactory(entry.address).call()
        assert "0x" + pool.functions.getPoolId().call().hex() == entry.pool_id
        tokens, balances, _ = vault.functions.getPoolTokens(entry.pool_id).call()
        assert list(tokens) == [m.token(s).address for s in entry.tokens] and list(balances) == entry.balances
        assert pool.functions.getNormalizedWeights().call() == entry.weights
        assert pool.functions.getSwapFeePercentage().call() == entry.swap_fee
        model = BalancerWeightedPool(
            entry.address, entry.pool_id, vault.address, tuple(tokens), list(balances), tuple(entry.weights),
            tuple(pool.functions.getScalingFactors().call()), entry.swap_fee,
        )  # fmt: skip
        # One whole unit of the first token for the last one: the Vault pays exactly the model's quote, not a wei more.
        t_in, t_out = tokens[0], tokens[-1]
        amount = 10 ** m.token(entry.tokens[0]).decimals
        quoted = model.quote_exact_in(t_in, t_out, amount)
        payer = _erc20(replica, t_in)
        if entry.tokens[0] == "WETH":
            weth = w3.eth.contract(address=t_in, abi=artifacts.load("WETH9").abi)
            funding = weth.functions.deposit().transact({"from": trader, "value": amount})
        else:
            funding = payer.functions.mint(trader, amount).transact({"from": w3.eth.accounts[0]})
        w3.eth.wait_for_transaction_receipt(funding)
        # Mined before the eth_call below reads the allowance (automine may seal after the send returns).
        w3.eth.wait_for_transaction_receipt(payer.functions.approve(vault.address, amount).transact({"from": trader}))
        single = (entry.pool_id, 0, t_in, t_out, amount, b"")
        funds = (trader, False, trader, False)
        with pytest.raises(Exception, match="BAL#507"):  # SWAP_LIMIT
            vault.functions.swap(single, funds, quoted + 1, DEADLINE).call({"from": trader})
        receipt = w3.eth.wait_for_transaction_receipt(
            vault.functions.swap(single, funds, quoted, DEADLINE).transact({"from": trader})
        )
        assert receipt["status"] == 1
        assert _erc20(replica, t_out).functions.balanceOf(trader).call() == quoted > 0


def test_the_balancer_stable_pool_is_the_factorys_and_swaps_at_the_models_quote(replica: Replica) -> None:
    m, w3 = replica.manifest, replica.w3
    vault = _contract(replica, "BalancerVault", m.contracts["BalancerVault"])
    factory = _contract(
        replica, "BalancerComposableStablePoolFactory", m.contracts["BalancerComposableStablePoolFactory"]
    )
    (entry,) = [p for p in m.balancer_pools if p.kind == "balancer_composable_stable"]
    assert sorted(entry.tokens) == ["DAI", "USDC"] and entry.amp == 1000 and entry.rate_providers == {}
    pool = _contract(replica, "BalancerComposableStablePool", entry.address)
    assert factory.functions.isPoolFromFactory(entry.address).call()
    assert "0x" + pool.functions.getPoolId().call().hex() == entry.pool_id
    tokens, balances, _ = vault.functions.getPoolTokens(entry.pool_id).call()
    bpt = pool.functions.getBptIndex().call()
    assert bpt == entry.bpt_index and tokens[bpt] == entry.address
    main = [b for k, b in enumerate(balances) if k != bpt]
    assert [t for k, t in enumerate(tokens) if k != bpt] == [m.token(s).address for s in entry.tokens]
    assert main == entry.balances
    assert pool.functions.getAmplificationParameter().call() == [1000 * 1000, False, 1000]
    assert pool.functions.getSwapFeePercentage().call() == entry.swap_fee
    decimals = [18 if k == bpt else _erc20(replica, t).functions.decimals().call() for k, t in enumerate(tokens)]
    model = BalancerComposableStablePool(
        entry.address, entry.pool_id, vault.address, tuple(tokens), list(balances), bpt,
        tuple(10**18 * 10 ** (18 - d) for d in decimals), (ZERO_ADDRESS,) * len(tokens), [None] * len(tokens),
        1000 * 1000, 1000 * 1000, 0, 0, entry.swap_fee, w3.eth.get_block("latest")["timestamp"],
    )  # fmt: skip
    assert model.scaling_factors() == tuple(pool.functions.getScalingFactors().call())
    # 1,000 USDC for DAI: the Vault pays exactly the model's quote, not a wei more.
    usdc, dai = m.token("USDC").address, m.token("DAI").address
    amount = 1000 * 10**6
    quoted = model.quote_exact_in(usdc, dai, amount)
    assert 999 * 10**18 < quoted < 1000 * 10**18
    trader = w3.eth.accounts[4]
    _erc20(replica, usdc).functions.mint(trader, amount).transact({"from": w3.eth.accounts[0]})
    _erc20(replica, usdc).functions.approve(vault.address, amount).transact({"from": trader})
    single = (entry.pool_id, 0, usdc, dai, amount, b"")
    funds = (trader, False, trader, False)
    with pytest.raises(Exception, match="BAL#507"):  # SWAP_LIMIT
        vault.functions.swap(single, funds, quoted + 1, DEADLINE).call({"from": trader})
    receipt = w3.eth.wait_for_transaction_receipt(
        vault.functions.swap(single, funds, quoted, DEADLINE).transact({"from": trader})
    )
    assert receipt["status"] == 1
    assert _erc20(replica, dai).functions.balanceOf(trader).call() == quoted


def test_state_is_rolled_back_between_tests(replica: Replica) -> None:
    # The FOT mint above must not be visible here.
    fot = _erc20(replica, replica.manifest.token("FOT").address)
    assert fot.functions.balanceOf(replica.w3.eth.accounts[6]).call() == 0


def test_a_stable_pool_the_factory_refuses_is_a_one_line_error(tmp_path: Path) -> None:
    # Amounts whose invariant passes the 2^111 BPT the pool premints: its INIT join reverts on the real bytecode.
    path = tmp_path / "huge.toml"
    path.write_text(
        'name = "hugestable"\nseed = 1\nv2_venues = ["uniswap_v2"]\n'
        '[[tokens]]\nsymbol = "DAI"\ndecimals = 18\nprice_eth = "0.0003"\n'
        '[[tokens]]\nsymbol = "USDC"\ndecimals = 6\nprice_eth = "0.0003"\n'
        '[[balancer_stable_pools]]\ntokens = ["DAI", "USDC"]\namp = 100\n'
        'amounts = ["3000000000000000000000000000000000", "3000000000000000000000"]\n'
    )
    with pytest.raises(DevnetError, match=r"balancer_stable_pools\[0\] \['DAI', 'USDC'\].*BAL#001.*2\^111") as err:
        snapshot.build_state(str(path), log_path=tmp_path / "build.log")
    assert "\n" not in str(err.value)


def test_a_weighted_pool_the_pool_refuses_is_a_one_line_error(tmp_path: Path) -> None:
    # One raw unit of each token: the real pool's INIT join refuses it (its invariant rounds to zero, BAL#311);
    # the build names the pool and the code instead of showing a traceback.
    path = tmp_path / "tiny.toml"
    path.write_text(
        'name = "tinyweighted"\nseed = 1\nv2_venues = ["uniswap_v2"]\n'
        '[[tokens]]\nsymbol = "DAI"\ndecimals = 18\nprice_eth = "0.0003"\n'
        '[[balancer_weighted_pools]]\ntokens = ["WETH", "DAI"]\nweights = ["0.5", "0.5"]\namounts = ["1", "1"]\n'
    )
    with pytest.raises(DevnetError, match=r"balancer_weighted_pools\[0\] \['WETH', 'DAI'\].*BAL#\d{3}") as err:
        snapshot.build_state(str(path), log_path=tmp_path / "build.log")
    assert "\n" not in str(err.value)
