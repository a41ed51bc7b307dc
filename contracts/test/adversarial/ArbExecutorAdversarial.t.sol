// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ArbExecutor} from "../../src/ArbExecutor.sol";
import {ExecutorFixture, IQuoterV2, IV2Pair} from "../ExecutorFixture.sol";
import {FakeLender, FakeV2Pair, FakeV3Pool, HostileCoinbase, HostileToken} from "./Hostile.sol";

/// @notice An approved caller's key is in an attacker's hands. The attacker deploys pools, tokens,
///         lenders and a coinbase of its own and runs routes through them on the real Uniswap V2/V3 and
///         Balancer bytecode. Every attack must fail with the error that names the broken promise, and
///         the executor's holdings of every token and of ETH must be exactly what they were.
contract ArbExecutorAdversarialTest is ExecutorFixture {
    address internal constant HOT = address(0x407); // the stolen hot key
    uint256 internal constant HELD_WETH = 100 ether;
    uint256 internal constant HELD_USDC = 1_000_000e6;
    uint256 internal constant HELD_DAI = 1_000_000 ether;
    uint256 internal constant HELD_HOST = 1_000_000 ether;
    uint256 internal constant HELD_ETH = 3 ether;

    HostileToken internal host; // a token the attacker controls, also held by the executor

    function setUp() public {
        _buildMarket();
        executor.setCaller(HOT, true);
        executor.setMaxBuilderShare(9000);
        host = new HostileToken();
        _fund(address(weth), address(executor), HELD_WETH);
        _fund(address(usdc), address(executor), HELD_USDC);
        _fund(address(dai), address(executor), HELD_DAI);
        host.mint(address(executor), HELD_HOST);
        vm.deal(address(executor), HELD_ETH); // ETH forced in (selfdestruct, coinbase rewards) is holdings too
    }

    // --- helpers -----------------------------------------------------------------------------------------

    function _asHot(bytes memory route) internal {
        vm.prank(HOT);
        executor.execute(route);
    }

    function _expectAsHot(bytes memory route, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(HOT);
        executor.execute(route);
        _assertHoldingsIntact();
    }

    function _assertHoldingsIntact() internal view {
        address e = address(executor);
        assertEq(weth.balanceOf(e), HELD_WETH, "WETH held");
        assertEq(usdc.balanceOf(e), HELD_USDC, "USDC held");
        assertEq(dai.balanceOf(e), HELD_DAI, "DAI held");
        assertEq(host.balanceOf(e), HELD_HOST, "HOST held");
        assertEq(e.balance, HELD_ETH, "ETH held");
    }

    /// Holdings after a route that was allowed to run: nothing fell (profit may have been added).
    function _assertNothingFell() internal view {
        address e = address(executor);
        assertTrue(weth.balanceOf(e) >= HELD_WETH, "WETH did not fall");
        assertTrue(usdc.balanceOf(e) >= HELD_USDC, "USDC did not fall");
        assertTrue(dai.balanceOf(e) >= HELD_DAI, "DAI did not fall");
        assertTrue(host.balanceOf(e) >= HELD_HOST, "HOST did not fall");
        assertTrue(e.balance >= HELD_ETH, "ETH did not fall");
    }

    function _sorted(address a, address b) internal pure returns (address, address) {
        return a < b ? (a, b) : (b, a);
    }

    function _fakeV2(address a, address b) internal returns (FakeV2Pair p) {
        (address t0, address t1) = _sorted(a, b);
        p = new FakeV2Pair(t0, t1);
    }

    function _fakeV3(address a, address b) internal returns (FakeV3Pool p) {
        (address t0, address t1) = _sorted(a, b);
        p = new FakeV3Pool(t0, t1);
    }

    /// Fake reserves that make `amountIn` of tokenIn "buy" about `claimed` of the other token.
    function _lie(FakeV2Pair p, address tokenIn, uint256 amountIn, uint256 claimed) internal {
        uint112 rIn = uint112(amountIn * 1000);
        uint112 rOut = uint112(claimed * 1100);
        if (p.token0() == tokenIn) p.setReserves(rIn, rOut);
        else p.setReserves(rOut, rIn);
    }

    function _claimedV2(FakeV2Pair p, address tokenIn, uint256 amountIn) internal view returns (uint256) {
        (uint112 r0, uint112 r1,) = p.getReserves();
        (uint256 rIn, uint256 rOut) = p.token0() == tokenIn ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
        uint256 withFee = amountIn * 9970;
        return (withFee * rOut) / (rIn * 10_000 + withFee);
    }

    function _decreased(address token, uint256 before, uint256 afterwards) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ArbExecutor.BalanceDecreased.selector, token, before, afterwards);
    }

    // --- fake reserves and outputs never paid --------------------------------------------------------------

    /// A V2 "pair" reports reserves that promise 500k USDC for 1 WETH and pays nothing; the next hop (a real
    /// V3 pool) would be paid from the executor's own USDC.
    function test_fakeV2ReservesCannotSpendHeldTokens() public {
        FakeV2Pair fake = _fakeV2(address(weth), address(usdc));
        _lie(fake, address(weth), 1 ether, 500_000e6);
        uint256 claimed = _claimedV2(fake, address(weth), 1 ether);
        Leg[] memory legs = _legs2(
            _leg(address(fake), false, address(weth), address(usdc)), _leg(v3, true, address(usdc), address(weth))
        );
        for (uint8 capital = 0; capital < 2; ++capital) {
            _expectAsHot(
                _route(capital, _lender(capital), 1 ether, 0, 0, legs),
                _decreased(address(usdc), HELD_USDC, HELD_USDC - claimed)
            );
        }
    }

    /// The same fake pair paying half of what it reported, or paying in another token than it claims.
    function test_fakeV2PartialOrWrongTokenPaymentCannotSpendHeldTokens() public {
        FakeV2Pair fake = _fakeV2(address(weth), address(usdc));
        _lie(fake, address(weth), 1 ether, 500_000e6);
        uint256 claimed = _claimedV2(fake, address(weth), 1 ether);
        _fund(address(usdc), address(fake), claimed);
        _fund(address(dai), address(fake), 10 * claimed);
        Leg[] memory legs = _legs2(
            _leg(address(fake), false, address(weth), address(usdc)), _leg(v3, true, address(usdc), address(weth))
        );
        fake.setPayMode(2); // half
        _expectAsHot(
            _route(0, address(0), 1 ether, 0, 0, legs),
            _decreased(address(usdc), HELD_USDC, HELD_USDC - (claimed - claimed / 2))
        );
        fake.setPayMode(3); // the other token of the pair (WETH) instead of USDC: the TokenMismatch check is on token1(), not on what arrives
        _fund(address(weth), address(fake), claimed);
        _expectAsHot(
            _route(0, address(0), 1 ether, 0, 0, legs), _decreased(address(usdc), HELD_USDC, HELD_USDC - claimed)
        );
    }

    /// Straight into a real pair: the pair's own balance check refuses the input that never arrived.
    function test_fakeV2IntoARealPairIsRefusedByThePair() public {
        FakeV2Pair fake = _fakeV2(address(weth), address(usdc));
        _lie(fake, address(weth), 1 ether, 500_000e6);
        Leg[] memory legs = _legs2(
            _leg(address(fake), false, address(weth), address(usdc)),
            _leg(pairDear, false, address(usdc), address(weth))
        );
        _expectAsHot(
            _route(1, vault, 1 ether, 0, 0, legs),
            abi.encodeWithSignature("Error(string)", "UniswapV2: INSUFFICIENT_INPUT_AMOUNT")
        );
    }

    /// A V3 "pool" takes the input through the callback and reports 500k USDC out that it never pays.
    function test_fakeV3OutputNeverPaidCannotSpendHeldTokens() public {
        FakeV3Pool fake = _fakeV3(address(weth), address(usdc));
        fake.configure(500_000e6, 0, 1);
        Leg[] memory legs = _legs2(
            _leg(address(fake), true, address(weth), address(usdc)), _leg(v3, true, address(usdc), address(weth))
        );
        for (uint8 capital = 0; capital < 4; ++capital) {
            if (capital == 2) continue; // the V2 lender pair is WETH/DAI: covered by the V3 lender below
            _expectAsHot(
                _route(capital, _lender(capital), 1 ether, 0, 0, legs),
                _decreased(address(usdc), HELD_USDC, HELD_USDC - 500_000e6)
            );
        }
        fake.configure(500_000e6, 100_000e6, 1); // pays a fifth
        _fund(address(usdc), address(fake), 100_000e6);
        _expectAsHot(
            _route(0, address(0), 1 ether, 0, 0, legs), _decreased(address(usdc), HELD_USDC, HELD_USDC - 400_000e6)
        );
    }

    /// A fake V3 pool asking more than the hop's input, asking twice, never asking, or reporting nothing out.
    function test_fakeV3CallbackAbuseIsRefused() public {
        FakeV3Pool fake = _fakeV3(address(weth), address(usdc));
        Leg[] memory legs = _legs2(
            _leg(address(fake), true, address(weth), address(usdc)), _leg(v3, true, address(usdc), address(weth))
        );
        bytes memory route = _route(0, address(0), 1 ether, 0, 0, legs);
        fake.configure(1000e6, 1000e6, 2);
        _fund(address(usdc), address(fake), 10_000e6);
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.CallbackMismatch.selector, address(fake)));
        fake.configure(1000e6, 1000e6, 3);
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.UnexpectedCallback.selector, address(fake)));
        fake.configure(1000e6, 1000e6, 0);
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.NoCallback.selector, address(fake)));
        fake.configure(0, 0, 1);
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.NoOutput.selector, 0));
        // A reported output larger than a V2 pair can take, fed to one.
        fake.configure(1 << 128, 0, 1);
        legs[1] = _leg(pairDear, false, address(usdc), address(weth));
        _expectAsHot(
            _route(0, address(0), 1 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.AmountTooLarge.selector, 1, 1 << 128)
        );
    }

    /// A fake V3 pool feeding a real V2 pair sends its (unpaid) output straight into the pair: refused there.
    function test_fakeV3IntoARealPairIsRefusedByThePair() public {
        FakeV3Pool fake = _fakeV3(address(weth), address(usdc));
        fake.configure(500_000e6, 0, 1);
        Leg[] memory legs = _legs2(
            _leg(address(fake), true, address(weth), address(usdc)), _leg(pairDear, false, address(usdc), address(weth))
        );
        _expectAsHot(
            _route(1, vault, 1 ether, 0, 0, legs),
            abi.encodeWithSignature("Error(string)", "UniswapV2: INSUFFICIENT_INPUT_AMOUNT")
        );
    }

    /// A fake V3 pool that claims the route's tokens (token0/token1 copied from the real pool).
    function test_fakeTokenPairClaimsCannotSpendHeldTokens() public {
        FakeV3Pool fake = new FakeV3Pool(FakeV3Pool(v3).token0(), FakeV3Pool(v3).token1());
        fake.configure(250_000e6, 0, 1);
        Leg[] memory legs = _legs3(
            _leg(address(fake), true, address(weth), address(usdc)),
            _leg(pairUsdcDai, false, address(usdc), address(dai)),
            _leg(pairDaiWeth, false, address(dai), address(weth))
        );
        // USDC goes straight into the real USDC/DAI pair, which refuses the missing input.
        _expectAsHot(
            _route(0, address(0), 1 ether, 0, 0, legs),
            abi.encodeWithSignature("Error(string)", "UniswapV2: INSUFFICIENT_INPUT_AMOUNT")
        );
        // Pools that are not pools at all.
        Leg[] memory notPools = _legs2(
            _leg(address(weth), false, address(weth), address(usdc)), _leg(v3, true, address(usdc), address(weth))
        );
        _expectAsHot(
            _route(0, address(0), 1 ether, 0, 0, notPools),
            abi.encodeWithSelector(ArbExecutor.BadPool.selector, address(weth))
        );
        notPools[0] = _leg(address(executor), true, address(weth), address(usdc));
        _expectAsHot(
            _route(0, address(0), 1 ether, 0, 0, notPools),
            abi.encodeWithSelector(ArbExecutor.BadPool.selector, address(executor))
        );
        notPools[0] = _leg(address(0xE0A), true, address(weth), address(usdc));
        _expectAsHot(
            _route(0, address(0), 1 ether, 0, 0, notPools),
            abi.encodeWithSelector(ArbExecutor.BadPool.selector, address(0xE0A))
        );
    }

    // --- worthless start tokens and fake lenders -----------------------------------------------------------

    /// The route starts (and is "profitable") in the attacker's token; the WETH leg is paid by the executor.
    function test_worthlessStartTokenCannotSpendHeldWeth() public {
        FakeV3Pool fake = _fakeV3(address(host), address(weth));
        fake.configure(50 ether, 0, 1);
        address hostWeth = _v3PoolOf(address(host), address(weth));
        Leg[] memory legs = _legs2(
            _leg(address(fake), true, address(host), address(weth)), _leg(hostWeth, true, address(weth), address(host))
        );
        _expectAsHot(
            _route(0, address(0), 1 ether, 0, 0, legs), _decreased(address(weth), HELD_WETH, HELD_WETH - 50 ether)
        );
        // A builder share on a route whose profit is not WETH is refused outright.
        _expectAsHot(
            _route(0, address(0), 1 ether, 0, 100, legs),
            abi.encodeWithSelector(ArbExecutor.BadBuilderShare.selector, 100, address(host))
        );
    }

    function _v3PoolOf(address a, address b) internal returns (address) {
        return _v3Pool(a, 1000 ether, b, 1000 ether, 500, 10);
    }

    /// A "lender" that lends nothing but calls back as if it had, asking a fee it likes.
    function test_fakeLenderCannotTakeHoldings() public {
        FakeLender fake = new FakeLender();
        Leg[] memory legs = _shape(0); // a real, profitable V2 -> V2 cycle
        uint256 back = _cycleOut(legs, 10 ether);
        // Balancer-style and Aave-style: the executor's own WETH stands in for the missing loan.
        fake.setFee(0);
        _expectAsHot(
            _route(1, address(fake), 10 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, HELD_WETH - 10 ether + back, HELD_WETH + 10 ether)
        );
        fake.setFee(40 ether);
        _expectAsHot(
            _route(4, address(fake), 10 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, HELD_WETH - 10 ether + back, HELD_WETH + 50 ether)
        );
        // V2/V3-lender-style: token0/token1 claimed to fit.
        fake.setTokens(address(weth), address(usdc));
        _expectAsHot(
            _route(3, address(fake), 10 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, HELD_WETH - 10 ether + back, HELD_WETH + 50 ether)
        );
        fake.setFee(0);
        uint256 v2Fee = _loanFee(2, 10 ether);
        _expectAsHot(
            _route(2, address(fake), 10 ether, 0, 0, legs),
            abi.encodeWithSelector(
                ArbExecutor.Unprofitable.selector, HELD_WETH - 10 ether + back, HELD_WETH + 10 ether + v2Fee
            )
        );
    }

    // --- re-entry from pools, tokens, lenders and the coinbase -----------------------------------------------

    /// A pool that behaves honestly on price but re-enters every executor function from its swap. The
    /// route succeeds, so what the re-entries did (nothing) is visible afterwards.
    function test_reentryFromPoolsFails() public {
        FakeV2Pair v2 = _fakeV2(address(weth), address(usdc));
        _lie(v2, address(weth), 1 ether, 3300e6); // a fair price
        uint256 claimed = _claimedV2(v2, address(weth), 1 ether);
        _fund(address(usdc), address(v2), claimed); // and it pays what it reports
        v2.setPayMode(1);
        FakeV3Pool v3fake = _fakeV3(address(weth), address(usdc));
        v3fake.configure(3300e6, 3300e6, 1);
        _fund(address(usdc), address(v3fake), 3300e6);
        executor.setCaller(address(v2), true); // even an approved contract cannot re-enter
        executor.setCaller(address(v3fake), true);
        Leg[] memory viaV2 = _legs2(
            _leg(address(v2), false, address(weth), address(usdc)), _leg(v3, true, address(usdc), address(weth))
        );
        Leg[] memory viaV3 = _legs2(
            _leg(address(v3fake), true, address(weth), address(usdc)), _leg(v3, true, address(usdc), address(weth))
        );
        v2.arm(address(executor), true, _route(0, address(0), 1 ether, 0, 0, viaV2));
        v3fake.arm(address(executor), true, _route(0, address(0), 1 ether, 0, 0, viaV3));
        _asHot(_route(0, address(0), 1 ether, 0, 0, viaV2));
        _asHot(_route(1, vault, 1 ether, 0, 0, viaV3));
        assertEq(v2.reentryTried(), 13, "every entry point tried from the V2 pool");
        assertEq(v3fake.reentryTried(), 13, "every entry point tried from the V3 pool");
        assertEq(v2.reentrySucceeded() + v3fake.reentrySucceeded(), 0, "no re-entry succeeded");
        _assertNothingFell();
    }

    /// A token whose transfer re-enters the executor, on a real, profitable V2 -> V2 cycle through it.
    function test_reentryFromTokensFails() public {
        (address a, address b) = _hostPairs();
        executor.setCaller(address(host), true);
        Leg[] memory legs =
            _legs2(_leg(b, false, address(weth), address(host)), _leg(a, false, address(host), address(weth)));
        host.arm(address(executor), true, _route(1, vault, 1 ether, 0, 0, legs));
        uint256 back = _cycleOut(legs, 1 ether);
        assertTrue(back > 1 ether, "cycle is profitable");
        _asHot(_route(1, vault, 1 ether, back - 1 ether, 0, legs));
        assertTrue(host.reentryTried() >= 13, "entry points tried on transfer");
        assertEq(host.reentrySucceeded(), 0, "no re-entry succeeded");
        assertEq(weth.balanceOf(address(executor)), HELD_WETH + back - 1 ether, "exact profit");
        _assertNothingFell();
    }

    /// Two real V2 pairs of the attacker's token at different prices: WETH buys more HOST in `b`.
    function _hostPairs() internal returns (address a, address b) {
        a = _pair(address(weth), 1000 ether, address(host), 1_000_000 ether);
        b = _pair(address(weth), 1000 ether, address(host), 1_100_000 ether);
    }

    /// A lender that re-enters after its callback, and a coinbase that re-enters when paid.
    function test_reentryFromLenderAndCoinbaseFails() public {
        HostileCoinbase cb = new HostileCoinbase();
        executor.setCaller(address(cb), true);
        Leg[] memory legs = _shape(0);
        cb.arm(address(executor), true, _route(1, vault, 1 ether, 0, 0, legs));
        vm.coinbase(address(cb));
        uint256 profit = _cycleOut(legs, 10 ether) - 10 ether;
        _asHot(_route(1, vault, 10 ether, profit, 9000, legs));
        assertEq(cb.reentryTried(), 13, "entry points tried from the coinbase");
        assertEq(cb.reentrySucceeded(), 0, "no re-entry succeeded");
        assertEq(address(cb).balance, (profit * 9000) / 10_000, "builder paid its capped share in ETH");
        assertEq(weth.balanceOf(address(executor)), HELD_WETH + profit - (profit * 9000) / 10_000, "rest kept");
        assertEq(address(executor).balance, HELD_ETH, "ETH unchanged");
        // A coinbase refusing ETH fails the route (nothing is half done).
        cb.setRefuse(true);
        uint256 wethNow = weth.balanceOf(address(executor));
        assertTrue(_cycleOut(legs, 1 ether) > 1 ether, "a gap is left");
        bytes memory route = _route(1, vault, 1 ether, 0, 9000, legs);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.TransferFailed.selector, address(0)));
        _asHot(route);
        assertEq(weth.balanceOf(address(executor)), wethNow, "nothing moved");

        FakeLender lender = new FakeLender();
        executor.setCaller(address(lender), true);
        lender.setLends(true);
        _fund(address(weth), address(lender), 10 ether);
        lender.arm(address(executor), true, _route(1, vault, 1 ether, 0, 0, legs));
        uint256 back = _cycleOut(legs, 1 ether);
        wethNow = weth.balanceOf(address(executor));
        _asHot(_route(1, address(lender), 1 ether, 0, 0, legs));
        assertEq(lender.reentryTried(), 13, "entry points tried from the lender");
        assertEq(lender.reentrySucceeded(), 0, "no re-entry succeeded");
        assertEq(weth.balanceOf(address(lender)), 10 ether, "lender repaid what it lent, no more");
        assertEq(weth.balanceOf(address(executor)), wethNow + back - 1 ether, "executor kept the cycle's gain");
    }

    // --- token quirks ----------------------------------------------------------------------------------

    /// A 1% transfer fee on the intermediate token: what arrives is less than what is paid on.
    function test_feeOnTransferCannotSpendHeldTokens() public {
        (address a, address b) = _hostPairs();
        address hostWethV3 = _v3PoolOf(address(host), address(weth));
        FakeV3Pool honest = _fakeV3(address(host), address(weth)); // pays 2 WETH for whatever it is given
        honest.configure(2 ether, 2 ether, 1);
        _fund(address(weth), address(honest), 2 ether);
        host.setFee(100);
        // V2 -> V2: the next pair sees less than it was promised.
        Leg[] memory direct =
            _legs2(_leg(b, false, address(weth), address(host)), _leg(a, false, address(host), address(weth)));
        _expectAsHot(_route(1, vault, 1 ether, 0, 0, direct), abi.encodeWithSignature("Error(string)", "UniswapV2: K"));
        // V2 -> a real V3 pool: the pool's own balance check sees less than it asked for.
        Leg[] memory viaV3 =
            _legs2(_leg(b, false, address(weth), address(host)), _leg(hostWethV3, true, address(host), address(weth)));
        _expectAsHot(_route(1, vault, 1 ether, 0, 0, viaV3), abi.encodeWithSignature("Error(string)", "IIA"));
        // V2 -> a pool that checks nothing: it would be paid the full amount, partly from holdings.
        Leg[] memory viaFake = _legs2(
            _leg(b, false, address(weth), address(host)), _leg(address(honest), true, address(host), address(weth))
        );
        uint256 out = _v2Out(b, address(weth), 1 ether);
        uint256 arrived = out - (out * 100) / 10_000;
        _expectAsHot(
            _route(1, vault, 1 ether, 0, 0, viaFake), _decreased(address(host), HELD_HOST, HELD_HOST - (out - arrived))
        );
    }

    /// A token that returns nothing from transfer is paid normally; one that claims success and moves
    /// nothing is caught by the real pool's own balance check.
    function test_noReturnAndFakeTransferTokens() public {
        (, address b) = _hostPairs();
        address hostWethV3 = _v3PoolOf(address(host), address(weth));
        Leg[] memory legs =
            _legs2(_leg(b, false, address(weth), address(host)), _leg(hostWethV3, true, address(host), address(weth)));
        host.setNoReturn(true);
        uint256 back = _cycleOut2(legs, 1 ether, 500);
        assertTrue(back > 1 ether, "cycle is profitable");
        _asHot(_route(1, vault, 1 ether, back - 1 ether, 0, legs));
        assertEq(weth.balanceOf(address(executor)), HELD_WETH + back - 1 ether, "no-return token paid normally");
        host.setNoReturn(false);
        host.setFakeTransfers(true);
        _expectAsHot2(_route(1, vault, 1 ether, 0, 0, legs), abi.encodeWithSignature("Error(string)", "IIA"));
    }

    /// As _expectAsHot, after a trade already added profit: only "nothing fell" can be asserted.
    function _expectAsHot2(bytes memory route, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(HOT);
        executor.execute(route);
        _assertNothingFell();
    }

    /// _cycleOut with the V3 leg's fee tier given (the fixture's quoter call assumes 0.30%).
    function _cycleOut2(Leg[] memory legs, uint256 amountIn, uint24 v3Fee) internal returns (uint256 out) {
        out = _v2Out(legs[0].pool, legs[0].tokenIn, amountIn);
        (out,,,) = quoter.quoteExactInputSingle(
            IQuoterV2.QuoteExactInputSingleParams(legs[1].tokenIn, legs[1].tokenOut, out, v3Fee, 0)
        );
    }

    // --- the builder share ------------------------------------------------------------------------------

    function test_builderShareAboveTheCapIsRefused() public {
        Leg[] memory legs = _shape(0);
        _expectAsHot(
            _route(1, vault, 10 ether, 0, 10_000, legs),
            abi.encodeWithSelector(ArbExecutor.BuilderShareAboveCap.selector, 10_000, 9000)
        );
        _expectAsHot(
            _route(1, vault, 10 ether, 0, 9001, legs),
            abi.encodeWithSelector(ArbExecutor.BuilderShareAboveCap.selector, 9001, 9000)
        );
        executor.setMaxBuilderShare(0);
        _expectAsHot(
            _route(1, vault, 10 ether, 0, 1, legs),
            abi.encodeWithSelector(ArbExecutor.BuilderShareAboveCap.selector, 1, 0)
        );
        // At the cap: the builder gets exactly the capped share of the measured gain, the executor the rest.
        executor.setMaxBuilderShare(9000);
        address builder = address(0xB11D);
        vm.coinbase(builder);
        uint256 profit = _cycleOut(legs, 10 ether) - 10 ether;
        _asHot(_route(1, vault, 10 ether, profit, 9000, legs));
        assertEq(builder.balance, (profit * 9000) / 10_000, "capped share");
        assertEq(weth.balanceOf(address(executor)), HELD_WETH + profit - (profit * 9000) / 10_000, "rest kept");
        assertEq(address(executor).balance, HELD_ETH, "ETH unchanged");
    }
}
