// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ArbExecutor} from "../../src/ArbExecutor.sol";
import {IERC20Like} from "../ExecutorFixture.sol";
import {Key, V4Fixture} from "./V4Fixture.sol";

/// @notice V4 hops (ERC-20 and native ether, credits kept in the PoolManager between V4 hops), PancakeSwap
///         V3 hops, and the two new capital sources (the PoolManager's own balance inside `unlock`, and a
///         flash swap from the route's first V2 pair), against the real PoolManager, PancakeV3Pool and
///         Uniswap bytecode: the executor keeps exactly the quoted profit, and malformed routes fail with
///         the error that names the problem.
contract ArbExecutorV4Test is V4Fixture {
    function setUp() public {
        _buildV4Market();
    }

    function _w() internal view returns (address) {
        return address(weth);
    }

    function _u() internal view returns (address) {
        return address(usdc);
    }

    function _d() internal view returns (address) {
        return address(dai);
    }

    /// Runs `legs` with minProfit = the exact quoted profit; checks the gain and that nothing is left over.
    function _runExact(uint8 capital, address lender, XLeg[] memory legs, uint256 amountIn)
        internal
        returns (uint256 profit)
    {
        uint256 back = _xout(legs, amountIn);
        assertTrue(back > amountIn, "scenario should be profitable");
        profit = back - amountIn;
        address token = legs[0].tokenIn;
        if (capital == 0) _fund(token, address(executor), amountIn);
        uint256 before = IERC20Like(token).balanceOf(address(executor));
        executor.execute(_xroute(capital, lender, amountIn, profit, 0, legs));
        assertEq(IERC20Like(token).balanceOf(address(executor)) - before, profit, "exact profit");
        assertEq(address(executor).balance, 0, "no ether left");
        for (uint256 i = 0; i < legs.length; ++i) {
            if (legs[i].tokenOut != token) {
                assertEq(IERC20Like(legs[i].tokenOut).balanceOf(address(executor)), 0, "no intermediate token left");
            }
        }
    }

    // --- capital: the PoolManager ------------------------------------------------------------------

    /// V2 -> V4 (native ether out, wrapped): WETH borrowed from the PoolManager straight into the pair, the
    /// pair's USDC straight into the PoolManager (sync, settle), ether taken and wrapped.
    function test_v2ThenV4NativeOnPoolManagerCapital() public {
        _runExact(5, manager, _xs(_x2(pairCheap, _w(), _u()), _x4(keyEth, _u(), _w())), 5 ether);
    }

    /// V4 (native ether in) -> V2: the loan is the native ether the first swap leaves owed, repaid from
    /// unwrapped WETH; the swap's USDC is taken straight into the pair.
    function test_v4NativeThenV2OnPoolManagerCapital() public {
        _runExact(5, manager, _xs(_x4(keyEth2, _w(), _u()), _x2(pairDear, _u(), _w())), 5 ether);
    }

    /// USDC start: V4 USDC -> ether (cheap there), V2 ether -> USDC: an ERC-20 loan repaid by sync/settle.
    function test_v4ThenV2UsdcOnPoolManagerCapital() public {
        _runExact(5, manager, _xs(_x4(keyEth, _u(), _w()), _x2(pairCheap, _w(), _u())), 10_000e6);
    }

    /// Balancer first on PoolManager capital: the WETH taken from the PoolManager here, approved to the Vault,
    /// its USDC paid into the V4 pool, the ether out wrapped; the loan repaid from here.
    function test_balancerThenV4OnPoolManagerCapital() public {
        _runExact(5, manager, _xs(_xb(_w(), _u()), _x4(keyEth, _u(), _w())), 5 ether);
        assertEq(IERC20Like(_w()).allowance(address(executor), vault), 0, "no allowance left");
    }

    /// V4 first (its USDC input left owed), the ether out wrapped for the Balancer hop, USDC repaid from here.
    function test_v4ThenBalancerOnPoolManagerCapital() public {
        _runExact(5, manager, _xs(_x4(keyEth, _u(), _w()), _xb(_w(), _u())), 10_000e6);
    }

    /// Own capital with a V4 hop (the route runs inside unlock) and a Balancer hop in the middle of three.
    function test_balancerBetweenV2AndV4OnOwnCapital() public {
        _runExact(0, manager, _xs(_x2(pairDaiWeth, _w(), _d()), _xb(_d(), _u()), _x4(keyEth, _u(), _w())), 3 ether);
    }

    /// V4 -> Uniswap V3 and V4 -> PancakeSwap V3 on PoolManager capital.
    function test_v4ThenV3AndPancakeOnPoolManagerCapital() public {
        _runExact(5, manager, _xs(_x4(keyEth2, _w(), _u()), _x3(v3, _u(), _w())), 3 ether);
        _runExact(5, manager, _xs(_x4(keyEth2, _w(), _u()), _x3(cake, _u(), _w())), 3 ether);
    }

    /// Two native V4 pools: the USDC credit stays in the PoolManager between them, and the last swap's
    /// native output nets against the native loan (only the profit is taken out).
    function test_v4ThenV4NetsTheLoan() public {
        _runExact(5, manager, _xs(_x4(keyEth2, _w(), _u()), _x4(keyEth, _u(), _w())), 5 ether);
    }

    /// An ERC-20 WETH V4 pool, then a native one: the last output is native, the loan WETH: no netting.
    function test_v4Erc20ThenV4Native() public {
        _runExact(5, manager, _xs(_x4(keyWeth, _w(), _u()), _x4(keyEth, _u(), _w())), 3 ether);
    }

    /// Own capital through the PoolManager: DAI -> WETH (V2) -> USDC (V4, native in: unwrapped and settled)
    /// -> DAI (V2, the V4 output taken straight into the pair).
    function test_threeHopsOwnCapitalThroughThePoolManager() public {
        _runExact(
            0,
            manager,
            _xs(_x2(pairDaiWeth, _d(), _w()), _x4(keyEth2, _w(), _u()), _x2(pairUsdcDai, _u(), _d())),
            3000 ether
        );
    }

    /// The builder share on PoolManager capital: paid from the measured gain, after the loan.
    function test_builderShareOnPoolManagerCapital() public {
        XLeg[] memory legs = _xs(_x4(keyEth2, _w(), _u()), _x2(pairDear, _u(), _w()));
        uint256 profit = _xout(legs, 5 ether) - 5 ether;
        vm.coinbase(address(0xB11D));
        executor.execute(_xroute(5, manager, 5 ether, 0, 2500, legs));
        assertEq(address(0xB11D).balance, (profit * 2500) / 10_000, "builder paid its share");
        assertEq(weth.balanceOf(address(executor)), profit - (profit * 2500) / 10_000, "rest kept");
    }

    // --- capital: the first hop's own pair --------------------------------------------------------

    function test_firstHopFlashV2ThenV2() public {
        XLeg[] memory legs = _xs(_x2(pairCheap, _w(), _u()), _x2(pairDear, _u(), _w()));
        uint256 pairBefore = weth.balanceOf(pairCheap);
        _runExact(6, address(0), legs, 10 ether);
        assertEq(weth.balanceOf(pairCheap), pairBefore + 10 ether, "the pair was paid exactly the amount in");
    }

    // --- capital: the last hop's own pair -----------------------------------------------------------

    function test_lastHopFlashV2ThenV2() public {
        XLeg[] memory legs = _xs(_x2(pairCheap, _w(), _u()), _x2(pairDear, _u(), _w()));
        uint256 back = _xout(legs, 10 ether);
        uint256 lastPairBefore = weth.balanceOf(pairDear);
        _runExact(7, address(0), legs, 10 ether);
        assertEq(weth.balanceOf(pairDear), lastPairBefore - back, "the last pair paid the cycle's output");
    }

    function test_lastHopFlashThreeHops() public {
        _runExact(
            7,
            address(0),
            _xs(_x2(pairCheap, _w(), _u()), _x2(pairUsdcDai, _u(), _d()), _x2(pairDaiWeth, _d(), _w())),
            1 ether
        );
    }

    function test_errorLastHopFlashNeedsV2Only() public {
        XLeg[] memory legs = _xs(_x2(pairCheap, _w(), _u()), _x3(v3, _u(), _w()));
        _expect(
            _xroute(7, address(0), 1 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.BadCapitalForHop.selector, 7, 1)
        );
        legs = _xs(_x2(pairCheap, _w(), _u()), _x2(pairDear, _u(), _w()));
        _expect(_xroute(7, vault, 1 ether, 0, 0, legs), abi.encodeWithSelector(ArbExecutor.BadLender.selector, vault));
        // A losing cycle: what the last pair lent does not cover the amount in. With nothing held the
        // payment into the first pair fails; with holdings, the profit guard refuses.
        legs = _xs(_x2(pairDear, _w(), _u()), _x2(pairCheap, _u(), _w()));
        uint256 back = _xout(legs, 1 ether);
        assertTrue(back < 1 ether, "a losing cycle");
        _expect(
            _xroute(7, address(0), 1 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.TransferFailed.selector, address(weth))
        );
        _fund(address(weth), address(executor), 5 ether);
        _expect(
            _xroute(7, address(0), 1 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, 5 ether - 1 ether + back, 5 ether)
        );
    }

    function test_firstHopFlashV2ThenV3AndPancake() public {
        _runExact(6, address(0), _xs(_x2(pairCheap, _w(), _u()), _x3(v3, _u(), _w())), 5 ether);
        _runExact(6, address(0), _xs(_x2(pairCheap, _w(), _u()), _x3(cake, _u(), _w())), 5 ether);
    }

    function test_firstHopFlashThreeHops() public {
        _runExact(
            6,
            address(0),
            _xs(_x2(pairCheap, _w(), _u()), _x2(pairUsdcDai, _u(), _d()), _x2(pairDaiWeth, _d(), _w())),
            1 ether
        );
    }

    // --- PancakeSwap V3 ------------------------------------------------------------------------

    /// PancakeSwap V3 <-> Uniswap V3, on a Balancer loan and on a PancakeSwap flash (pancakeV3FlashCallback).
    function test_pancakeAndUniswapV3Cycle() public {
        XLeg[] memory legs = _xs(_x3(v3, _w(), _u()), _x3(cake, _u(), _w()));
        _runExact(1, vault, legs, 5 ether);
        uint256 amount = 2 ether;
        uint256 fee = (amount * 500 + 999_999) / 1_000_000;
        uint256 profit = _xout(legs, amount) - amount - fee;
        uint256 lenderBefore = weth.balanceOf(cakeLender);
        executor.execute(_xroute(3, cakeLender, amount, profit, 0, legs));
        assertEq(weth.balanceOf(cakeLender), lenderBefore + fee, "PancakeSwap lender repaid with its fee");
    }

    // --- bad routes ------------------------------------------------------------------------------

    function _expect(bytes memory route, bytes memory err) internal {
        vm.expectRevert(err);
        executor.execute(route);
    }

    function test_errorCapitalThatCannotRunTheHops() public {
        XLeg[] memory v4Legs = _xs(_x4(keyEth2, _w(), _u()), _x2(pairDear, _u(), _w()));
        _expect(
            _xroute(1, vault, 1 ether, 0, 0, v4Legs),
            abi.encodeWithSelector(ArbExecutor.BadCapitalForHop.selector, 1, 0)
        );
        _expect(
            _xroute(2, lenderPair, 1 ether, 0, 0, v4Legs),
            abi.encodeWithSelector(ArbExecutor.BadCapitalForHop.selector, 2, 0)
        );
        _expect(
            _xroute(6, address(0), 1 ether, 0, 0, v4Legs),
            abi.encodeWithSelector(ArbExecutor.BadCapitalForHop.selector, 6, 0)
        );
        XLeg[] memory v3First = _xs(_x3(v3, _w(), _u()), _x2(pairDear, _u(), _w()));
        _expect(
            _xroute(6, address(0), 1 ether, 0, 0, v3First),
            abi.encodeWithSelector(ArbExecutor.BadCapitalForHop.selector, 6, 0)
        );
    }

    function test_errorLenders() public {
        XLeg[] memory v2Legs = _xs(_x2(pairCheap, _w(), _u()), _x2(pairDear, _u(), _w()));
        _expect(
            _xroute(6, pairCheap, 1 ether, 0, 0, v2Legs),
            abi.encodeWithSelector(ArbExecutor.BadLender.selector, pairCheap)
        );
        XLeg[] memory v4Legs = _xs(_x4(keyEth2, _w(), _u()), _x2(pairDear, _u(), _w()));
        _expect(
            _xroute(5, address(0), 1 ether, 0, 0, v4Legs),
            abi.encodeWithSelector(ArbExecutor.BadLender.selector, address(0))
        );
        _expect(
            _xroute(0, address(0), 1 ether, 0, 0, v4Legs),
            abi.encodeWithSelector(ArbExecutor.BadLender.selector, address(0))
        );
        // The PoolManager as a hop's pool while it lends.
        _expect(
            _xroute(5, pairDear, 1 ether, 0, 0, v4Legs),
            abi.encodeWithSelector(ArbExecutor.BadLender.selector, pairDear)
        );
        // A PoolManager that is not one: nothing calls back.
        _expect(
            _xroute(5, address(0xDEAD), 1 ether, 0, 0, v4Legs),
            abi.encodeWithSelector(ArbExecutor.NoCallback.selector, address(0xDEAD))
        );
    }

    function test_errorNativeSideMustBeWeth() public {
        XLeg memory bad = _x4(keyEth2, _d(), _u()); // DAI claimed for the pool's native side
        XLeg[] memory legs = _xs(_x2(pairDaiWeth, _w(), _d()), bad);
        legs = _xs(legs[0], legs[1], _x2(pairCheap, _u(), _w()));
        _expect(
            _xroute(5, manager, 1 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.TokenMismatch.selector, 1, address(weth), address(dai))
        );
    }

    /// A V4 pool that cannot take the whole input before its price bound: refused, not partly traded.
    function test_errorPartialFillIsRefused() public {
        Key memory thin = Key(address(0), address(usdc), 500, 20, address(0));
        _initNarrow(thin);
        XLeg[] memory legs = _xs(_x4(thin, _w(), _u()), _x2(pairDear, _u(), _w()));
        uint256 amount = 1000 ether;
        bytes memory route = _xroute(5, manager, amount, 0, 0, legs);
        (bool ok, bytes memory ret) =
            address(executor).call(abi.encodeWithSelector(ArbExecutor.execute.selector, route));
        assertTrue(!ok && bytes4(ret) == ArbExecutor.HopInputMismatch.selector, "partial fill refused");
        (, uint256 owed, uint256 asked) = _decodeMismatch(ret);
        assertTrue(owed < asked && asked == amount, "owed less than the input");
        _expect(
            _xroute(5, manager, 1 << 127, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.AmountTooLarge.selector, 0, uint256(1) << 127)
        );
    }

    function _initNarrow(Key memory key) internal {
        (bool ok,) = manager.call(
            abi.encodeWithSignature(
                "initialize((address,address,uint24,int24,address),uint160)",
                key,
                uint160(_sqrt((uint256(3000e6) << 96) / 1 ether) << 48)
            )
        );
        require(ok, "initialize");
        vm.deal(address(liquidity), 10 ether);
        _fund(address(usdc), address(liquidity), 30_000e6);
        liquidity.add(key, -196_360, -196_140, 1e12); // around the price (tick -196,257): a narrow range
    }

    function _decodeMismatch(bytes memory ret) internal pure returns (uint256 hop, uint256 owed, uint256 amount) {
        assembly {
            hop := mload(add(ret, 36))
            owed := mload(add(ret, 68))
            amount := mload(add(ret, 100))
        }
    }
}
