// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ArbExecutor} from "../src/ArbExecutor.sol";
import {ExecutorFixture, IERC20Like, IV2Pair} from "./ExecutorFixture.sol";
import {RogueLender} from "./RogueLender.sol";

/// @notice Every hop type and capital source against the real Uniswap V2/V3 and Balancer bytecode:
///         the executor keeps exactly the modelled profit, the lender gets exactly its fee, and bad
///         routes fail with the custom error that names the problem.
contract ArbExecutorCapitalTest is ExecutorFixture {
    function setUp() public {
        _buildMarket();
    }

    /// Runs `legs` on `capital` with minProfit = the exact expected profit; checks executor and lender.
    function _runExact(uint8 capital, Leg[] memory legs, uint256 amountIn) internal returns (uint256 profit) {
        uint256 back = _cycleOut(legs, amountIn);
        uint256 fee = _loanFee(capital, amountIn);
        assertTrue(back > amountIn + fee, "scenario should be profitable");
        profit = back - amountIn - fee;
        if (capital == 0) _fund(legs[0].tokenIn, address(executor), amountIn);
        _checkRun(capital, _route(capital, _lender(capital), amountIn, profit, 0, legs), legs[0].tokenIn, fee, profit);
    }

    function _checkRun(uint8 capital, bytes memory route, address token, uint256 fee, uint256 profit) internal {
        address lender = _lender(capital);
        uint256 lenderBefore = lender == address(0) ? 0 : IERC20Like(token).balanceOf(lender);
        uint256 before = IERC20Like(token).balanceOf(address(executor));
        executor.execute(route);
        uint256 gain = IERC20Like(token).balanceOf(address(executor)) - before;
        assertEq(gain, profit, "profit");
        if (lender != address(0)) {
            assertEq(IERC20Like(token).balanceOf(lender), lenderBefore + fee, "lender repaid with its fee");
            assertEq(IERC20Like(token).allowance(address(executor), lender), 0, "nothing approved");
        }
        assertEq(usdc.balanceOf(address(executor)), 0, "no USDC left");
        assertEq(dai.balanceOf(address(executor)), 0, "no DAI left");
    }

    // --- hop types ---------------------------------------------------------------------------------

    function test_hopsV2ThenV2() public {
        _runExact(1, _shape(0), 10 ether);
    }

    function test_hopsV2ThenV3() public {
        _runExact(1, _shape(2), 10 ether);
    }

    function test_hopsV3ThenV2() public {
        _runExact(1, _shape(4), 10 ether);
    }

    function test_hopsThreeV2() public {
        _runExact(1, _shape(6), 2 ether);
    }

    function test_hopsFourMixed() public {
        address w = address(weth);
        Leg[] memory legs = new Leg[](4);
        legs[0] = _leg(pairCheap, false, w, address(usdc));
        legs[1] = _leg(pairUsdcDai, false, address(usdc), address(dai));
        legs[2] = _leg(_daiUsdcV2(), false, address(dai), address(usdc));
        legs[3] = _leg(v3, true, address(usdc), w);
        _runExact(1, legs, 5 ether);
    }

    /// A second USDC/DAI pair so a four-hop cycle never uses one pool twice.
    function _daiUsdcV2() internal returns (address) {
        return _pair(address(usdc), 5_000_000e6, address(dai), 5_000_000 ether);
    }

    // --- capital sources ---------------------------------------------------------------------------

    function test_capitalOwnBalance() public {
        _runExact(0, _shape(0), 10 ether);
    }

    function test_capitalBalancerFlashLoan() public {
        _runExact(1, _shape(0), 10 ether);
    }

    function test_capitalUniswapV2FlashSwap() public {
        _runExact(2, _shape(0), 10 ether);
    }

    function test_capitalUniswapV3Flash() public {
        _runExact(3, _shape(2), 10 ether);
    }

    function test_builderShareGoesToCoinbase() public {
        address builder = address(0xB11D);
        vm.coinbase(builder);
        Leg[] memory legs = _shape(0);
        uint256 profit = _cycleOut(legs, 10 ether) - 10 ether;
        executor.execute(_route(1, vault, 10 ether, 0, 2500, legs));
        assertEq(builder.balance, (profit * 2500) / 10_000, "builder paid its share");
        assertEq(weth.balanceOf(address(executor)), profit - (profit * 2500) / 10_000, "rest kept");
    }

    // --- fuzz: any capital, any route shape, any size -------------------------------------------------

    function testFuzz_anyCapitalShapeAndSizeKeepsExactProfitOrReverts(uint8 capital, uint256 shape, uint256 amount)
        public
    {
        capital = capital % 4;
        amount = 1e9 + (amount % 60 ether);
        Leg[] memory legs = _shape(shape);
        uint256 fee = _loanFee(capital, amount);
        uint256 back = _cycleOut(legs, amount);
        address lender = _lender(capital);
        if (capital == 0) _fund(address(weth), address(executor), amount);
        uint256 before = weth.balanceOf(address(executor));
        if (back <= amount + fee) {
            assertTrue(back > 0, "every shape quotes at these sizes");
            bytes memory losing = _route(capital, lender, amount, 0, 0, legs);
            (uint112 a0, uint112 a1,) = IV2Pair(pairCheap).getReserves();
            // Own capital: the balance after the cycle against the start; a loan: before repaying it.
            vm.expectRevert(
                capital == 0
                    ? abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, before - amount + back, before)
                    : abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, before + back, before + amount + fee)
            );
            executor.execute(losing);
            (uint112 b0, uint112 b1,) = IV2Pair(pairCheap).getReserves();
            assertTrue(a0 == b0 && a1 == b1, "reserves unchanged");
            assertEq(weth.balanceOf(address(executor)), before, "balance unchanged");
            return;
        }
        executor.execute(_route(capital, lender, amount, back - amount - fee, 0, legs));
        assertEq(weth.balanceOf(address(executor)) - before, back - amount - fee, "exact profit");
    }

    function testFuzz_minProfitOneWeiAboveTheTruthReverts(uint256 amount) public {
        amount = 1e15 + (amount % 20 ether);
        Leg[] memory legs = _shape(0);
        uint256 profit = _cycleOut(legs, amount) - amount;
        bytes memory route = _route(1, vault, amount, profit + 1, 0, legs);
        uint256 balance = weth.balanceOf(address(executor));
        uint256 back = amount + profit; // the balance after the cycle, before repaying the Vault
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, back, back + 1));
        executor.execute(route);
        assertEq(weth.balanceOf(address(executor)), balance, "nothing moved");
    }

    // --- bad input ---------------------------------------------------------------------------------

    function _good() internal view returns (bytes memory) {
        return _route(1, vault, 1 ether, 0, 0, _shape(0));
    }

    function _expect(bytes memory route, bytes memory err) internal {
        vm.expectRevert(err);
        executor.execute(route);
    }

    function test_errorRouteLength() public {
        bytes memory good = _good();
        bytes memory short = new bytes(75);
        _expect(short, abi.encodeWithSelector(ArbExecutor.RouteLength.selector, 75, 76));
        _expect(bytes.concat(good, hex"00"), abi.encodeWithSelector(ArbExecutor.RouteLength.selector, 163, 162));
    }

    function test_errorHopCount() public {
        bytes memory r = _good();
        r[1] = bytes1(uint8(1));
        _expect(r, abi.encodeWithSelector(ArbExecutor.HopCount.selector, 1));
        r[1] = bytes1(uint8(5));
        _expect(r, abi.encodeWithSelector(ArbExecutor.HopCount.selector, 5));
    }

    function test_errorZeroAmount() public {
        _expect(_route(1, vault, 0, 0, 0, _shape(0)), abi.encodeWithSelector(ArbExecutor.ZeroAmount.selector));
    }

    function test_errorUnknownCapital() public {
        bytes memory r = _good();
        r[0] = bytes1(uint8(8));
        _expect(r, abi.encodeWithSelector(ArbExecutor.UnknownCapital.selector, 8));
        r[0] = bytes1(uint8(255));
        _expect(r, abi.encodeWithSelector(ArbExecutor.UnknownCapital.selector, 255));
    }

    function test_errorBadHopFlagsAndFee() public {
        bytes memory r = _good();
        r[76 + 43] = bytes1(uint8(5)); // V3 and V4 at once
        _expect(r, abi.encodeWithSelector(ArbExecutor.BadHopFlags.selector, 1, 5));
        r[76 + 43] = bytes1(uint8(32)); // an undefined bit
        _expect(r, abi.encodeWithSelector(ArbExecutor.BadHopFlags.selector, 1, 32));
        r[76 + 43] = bytes1(uint8(16)); // a Balancer hop on a Balancer loan
        _expect(r, abi.encodeWithSelector(ArbExecutor.BadCapitalForHop.selector, 1, 1));
        r[76 + 43] = bytes1(uint8(8)); // native ether on a V2 hop
        _expect(r, abi.encodeWithSelector(ArbExecutor.BadHopFlags.selector, 1, 8));
        r[76 + 43] = bytes1(uint8(4)); // a V4 hop on a Balancer loan
        _expect(r, abi.encodeWithSelector(ArbExecutor.BadCapitalForHop.selector, 1, 1));
        r = _good();
        (r[76 + 41], r[76 + 42]) = (bytes1(uint8(0x27)), bytes1(uint8(0x10))); // 10000 bps
        _expect(r, abi.encodeWithSelector(ArbExecutor.BadFee.selector, 0, 10_000));
    }

    function test_errorBuilderShare() public {
        _expect(
            _route(1, vault, 1 ether, 0, 10_001, _shape(0)),
            abi.encodeWithSelector(ArbExecutor.BuilderShareAboveCap.selector, 10_001, 10_000)
        );
        Leg[] memory fromUsdc = _legs2(
            _leg(pairDear, false, address(usdc), address(weth)), _leg(pairCheap, false, address(weth), address(usdc))
        );
        _expect(
            _route(0, address(0), 1e6, 0, 100, fromUsdc),
            abi.encodeWithSelector(ArbExecutor.BadBuilderShare.selector, 100, address(usdc))
        );
    }

    function test_errorTokenMismatch() public {
        address w = address(weth);
        // The cycle does not end in the start token.
        Leg[] memory open =
            _legs2(_leg(pairCheap, false, w, address(usdc)), _leg(pairUsdcDai, false, address(usdc), address(dai)));
        _expect(
            _route(1, vault, 1 ether, 0, 0, open),
            abi.encodeWithSelector(ArbExecutor.TokenMismatch.selector, 1, w, address(dai))
        );
        // A V3 pool that does not trade the declared pair.
        _fund(w, address(executor), 2 ether);
        Leg[] memory wrongV3 = _legs2(_leg(pairCheap, false, w, address(usdc)), _leg(lenderV3, true, address(usdc), w));
        address want = address(usdc) < w ? address(usdc) : w;
        address got = IV2Pair(lenderV3).token0();
        _expect(
            _route(0, address(0), 1 ether, 0, 0, wrongV3),
            abi.encodeWithSelector(ArbExecutor.TokenMismatch.selector, 1, want, got)
        );
        // A V2 pair whose output would land here for a V3 hop, declared with a token it does not pay.
        Leg[] memory wrongV2 = _legs2(_leg(pairCheap, false, w, address(dai)), _leg(v3, true, address(dai), w));
        bytes memory r = _route(0, address(0), 1 ether, 0, 0, wrongV2);
        r[76] = bytes1(uint8(address(weth) < address(usdc) ? 2 : 0)); // flags as for the real pair
        _expect(r, abi.encodeWithSelector(ArbExecutor.TokenMismatch.selector, 0, address(dai), address(usdc)));
    }

    function test_errorBadLender() public {
        Leg[] memory legs = _shape(0);
        _expect(
            _route(2, address(0), 1 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.BadLender.selector, address(0))
        );
        _expect(
            _route(2, pairCheap, 1 ether, 0, 0, legs), abi.encodeWithSelector(ArbExecutor.BadLender.selector, pairCheap)
        );
        _expect(
            _route(2, pairUsdcDai, 1 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.BadLender.selector, pairUsdcDai)
        );
        Leg[] memory viaV3 = _shape(2);
        _expect(_route(3, v3, 1 ether, 0, 0, viaV3), abi.encodeWithSelector(ArbExecutor.BadLender.selector, v3));
    }

    function test_errorLenderThatNeverCallsBack() public {
        address nobody = address(0xDEAD);
        _expect(
            _route(1, nobody, 1 ether, 0, 0, _shape(0)), abi.encodeWithSelector(ArbExecutor.NoCallback.selector, nobody)
        );
        RogueLender silent = new RogueLender();
        silent.setMode(RogueLender.Mode.Silent);
        _expect(
            _route(1, address(silent), 1 ether, 0, 0, _shape(0)),
            abi.encodeWithSelector(ArbExecutor.NoCallback.selector, address(silent))
        );
    }

    function test_errorLenderCallingBackWithOtherTerms() public {
        RogueLender rogue = new RogueLender();
        _fund(address(weth), address(rogue), 10 ether);
        bytes memory route = _route(1, address(rogue), 1 ether, 0, 0, _shape(0));
        rogue.setMode(RogueLender.Mode.TamperRoute);
        _expect(route, abi.encodeWithSelector(ArbExecutor.CallbackMismatch.selector, address(rogue)));
        rogue.setMode(RogueLender.Mode.TamperAmount);
        _expect(route, abi.encodeWithSelector(ArbExecutor.CallbackMismatch.selector, address(rogue)));
        rogue.setMode(RogueLender.Mode.WrongCallback); // right address, wrong kind of callback
        _expect(route, abi.encodeWithSelector(ArbExecutor.UnexpectedCallback.selector, address(rogue)));
    }

    function test_errorReentrancy() public {
        RogueLender rogue = new RogueLender();
        executor.setCaller(address(rogue), true);
        rogue.setMode(RogueLender.Mode.Reenter);
        _expect(
            _route(1, address(rogue), 1 ether, 0, 0, _shape(0)), abi.encodeWithSelector(ArbExecutor.Reentrancy.selector)
        );
    }
}
