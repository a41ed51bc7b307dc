// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ArbExecutor} from "../../src/ArbExecutor.sol";
import {Key, V4Fixture} from "../v4/V4Fixture.sol";
import {FakeV2Pair, FakeV3Pool} from "./Hostile.sol";
import {FakePoolManager, HostileHook} from "./HostileV4.sol";

/// @notice The stolen-hot-key attacks on the new hops and capital sources: a fake PoolManager that reports
///         deltas it never settles and pays nothing it is asked to, hostile hooks on the real PoolManager
///         (re-entry, keeping the output, stealing from the PoolManager, reverting), re-entry through the
///         unlock callback, fake pairs abusing the first- and last-hop flash swaps, and fake PancakeSwap
///         pools. Every attack fails with the error that names the broken promise, and the executor's
///         holdings of every token and of ETH stay exactly what they were.
contract ArbExecutorV4AdversarialTest is V4Fixture {
    address internal constant HOT = address(0x407);
    uint256 internal constant HELD_WETH = 100 ether;
    uint256 internal constant HELD_USDC = 1_000_000e6;
    uint256 internal constant HELD_DAI = 1_000_000 ether;
    uint256 internal constant HELD_ETH = 3 ether;

    FakePoolManager internal fakePm;
    HostileHook internal hook;
    Key internal keyHooked; // ETH/USDC at 3000 with the hostile hook

    function setUp() public {
        _buildV4Market();
        executor.setCaller(HOT, true);
        executor.setMaxBuilderShare(9000);
        fakePm = new FakePoolManager();
        HostileHook impl = new HostileHook();
        hook = HostileHook(payable(address(uint160(0x4000000) << 132 | impl.FLAGS())));
        vm.etch(address(hook), address(impl).code);
        hook.setup(manager, 0, 0);
        keyHooked = _v4Pool(address(0), 1000 ether, address(usdc), 3_000_000e6, 500, 10, address(hook));
        _fund(address(weth), address(executor), HELD_WETH);
        _fund(address(usdc), address(executor), HELD_USDC);
        _fund(address(dai), address(executor), HELD_DAI);
        vm.deal(address(executor), HELD_ETH);
    }

    // --- helpers -----------------------------------------------------------------------------------------

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
        assertEq(e.balance, HELD_ETH, "ETH held");
    }

    function _decreased(address token, uint256 before, uint256 afterwards) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ArbExecutor.BalanceDecreased.selector, token, before, afterwards);
    }

    function _w() internal view returns (address) {
        return address(weth);
    }

    function _u() internal view returns (address) {
        return address(usdc);
    }

    // --- a fake PoolManager -------------------------------------------------------------------------------

    /// It "lends" nothing and "swaps" 500k USDC out of 1 ether it never settles: the V3 hop after it would
    /// be paid from the executor's own USDC.
    function test_fakeManagerDeltasNeverPaidCannotSpendHoldings() public {
        fakePm.configure(0, 500_000e6, 0, 0);
        XLeg[] memory legs = _xs(_x4(keyEth2, _w(), _u()), _x3(v3, _u(), _w()));
        for (uint8 capital = 0; capital <= 5; capital += 5) {
            _expectAsHot(
                _xroute(capital, address(fakePm), 1 ether, 0, 0, legs),
                _decreased(address(usdc), HELD_USDC, HELD_USDC - 500_000e6)
            );
        }
        // Paying a fifth of what it reports.
        fakePm.configure(0, 500_000e6, 2000, 0);
        _fund(address(usdc), address(fakePm), 100_000e6);
        _expectAsHot(
            _xroute(0, address(fakePm), 1 ether, 0, 0, legs),
            _decreased(address(usdc), HELD_USDC, HELD_USDC - 400_000e6)
        );
    }

    /// A fake PoolManager as the lender of a V2 cycle: it takes nothing into the pair; the real pair refuses.
    /// As the lender of a route starting with a V4 hop it "lends" by leaving a debt it then collects: the
    /// executor's own WETH would repay it, and the profit guard refuses.
    function test_fakeManagerAsLenderCannotTakeHoldings() public {
        XLeg[] memory v2First = _xs(_x2(pairCheap, _w(), _u()), _x4(keyEth, _u(), _w()));
        _expectAsHot(
            _xroute(5, address(fakePm), 1 ether, 0, 0, v2First),
            abi.encodeWithSignature("Error(string)", "UniswapV2: INSUFFICIENT_INPUT_AMOUNT")
        );
        fakePm.configure(0, 3000e6, 10_000, 0);
        _fund(address(usdc), address(fakePm), 3000e6);
        XLeg[] memory v4First = _xs(_x4(keyEth2, _w(), _u()), _x2(pairDear, _u(), _w()));
        uint256 back = _v2Out(pairDear, address(usdc), 3000e6);
        _expectAsHot(
            _xroute(5, address(fakePm), 1 ether, 0, 0, v4First),
            abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, HELD_WETH + back, HELD_WETH + 1 ether)
        );
    }

    /// Deltas that are not an exact-input swap of the hop's amount, or no output.
    function test_fakeManagerWrongDeltasAreRefused() public {
        XLeg[] memory legs = _xs(_x4(keyEth2, _w(), _u()), _x3(v3, _u(), _w()));
        bytes memory route = _xroute(0, address(fakePm), 1 ether, 0, 0, legs);
        fakePm.configure(-1 ether - 1, 3000e6, 0, 0);
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.HopInputMismatch.selector, 0, 1 ether + 1, 1 ether));
        fakePm.configure(1, 3000e6, 0, 0); // claims to owe the executor the input too
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.HopInputMismatch.selector, 0, 0, 1 ether));
        fakePm.configure(0, 0, 0, 0);
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.NoOutput.selector, 0));
        // A pair's output sent to the manager, then a settle() that reports more than arrived.
        XLeg[] memory v2ThenV4 = _xs(_x2(pairCheap, _w(), _u()), _x4(keyEth, _u(), _w()));
        uint256 out = _v2Out(pairCheap, address(weth), 1 ether);
        fakePm.configure(0, 1 ether, 0, out + 1);
        _fund(address(weth), address(this), 0);
        _expectAsHot(
            _xroute(0, address(fakePm), 1 ether, 0, 0, v2ThenV4),
            abi.encodeWithSelector(ArbExecutor.HopInputMismatch.selector, 1, out + 1, out)
        );
    }

    /// The unlock callback only once, only from the manager called, only with the route sent.
    function test_fakeManagerCallbackAbuseIsRefused() public {
        XLeg[] memory legs = _xs(_x4(keyEth2, _w(), _u()), _x2(pairDear, _u(), _w()));
        bytes memory route = _xroute(5, address(fakePm), 1 ether, 0, 0, legs);
        fakePm.setCallbacks(0, false);
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.NoCallback.selector, address(fakePm)));
        fakePm.setCallbacks(1, true);
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.CallbackMismatch.selector, address(fakePm)));
        // A first callback that goes through (it pays what it reports, generously), then a second one.
        fakePm.configure(0, 10_000e6, 10_000, 0);
        _fund(address(usdc), address(fakePm), 10_000e6);
        fakePm.setCallbacks(2, false);
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.UnexpectedCallback.selector, address(fakePm)));
        // Nobody calls the callback from outside a route, not even the real manager's address.
        vm.prank(manager);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.UnexpectedCallback.selector, manager));
        executor.unlockCallback(route);
    }

    /// Ether only from WETH and, while a route runs in its unlock, from that PoolManager.
    function test_unexpectedEtherIsRefused() public {
        vm.deal(address(fakePm), 1 ether);
        vm.prank(address(fakePm));
        (bool ok, bytes memory ret) = address(executor).call{value: 1}("");
        bytes memory refusal = abi.encodeWithSelector(ArbExecutor.UnexpectedETH.selector, address(fakePm));
        assertTrue(!ok && keccak256(ret) == keccak256(refusal), "refused");
        vm.prank(manager);
        (ok,) = address(executor).call{value: 0}("");
        assertTrue(!ok, "the real manager too, outside a route");
        _assertHoldingsIntact();
    }

    /// Re-entry from inside the unlock: the fake manager's unlock and swap try every entry point.
    function test_reentryThroughTheUnlockFails() public {
        executor.setCaller(address(fakePm), true);
        XLeg[] memory legs = _xs(_x4(keyEth2, _w(), _u()), _x3(v3, _u(), _w()));
        bytes memory route = _xroute(0, address(fakePm), 1 ether, 0, 0, legs);
        fakePm.arm(address(executor), true, route);
        fakePm.configure(0, 3300e6, 10_000, 0);
        _fund(address(usdc), address(fakePm), 3300e6);
        vm.prank(HOT);
        (bool ok,) = address(executor).call(abi.encodeWithSelector(ArbExecutor.execute.selector, route));
        // It pays what it reports: the route may run; either way no re-entry got through.
        ok;
        assertTrue(fakePm.reentryTried() >= fakePm.ENTRY_POINTS(), "entry points tried");
        assertEq(fakePm.reentrySucceeded(), 0, "no re-entry succeeded");
        assertTrue(weth.balanceOf(address(executor)) >= HELD_WETH, "WETH did not fall");
        assertEq(usdc.balanceOf(address(executor)), HELD_USDC, "USDC held");
        assertEq(address(executor).balance, HELD_ETH, "ETH held");
    }

    // --- hostile hooks on the real PoolManager ---------------------------------------------------------

    function _hookedRoute(uint256 minProfit) internal view returns (bytes memory) {
        // USDC -> ether on the hooked pool (cheap there), ether -> USDC on pairCheap.
        return _xroute(5, manager, 10_000e6, minProfit, 0, _xs(_x4(keyHooked, _u(), _w()), _x2(pairCheap, _w(), _u())));
    }

    function test_hookReentryFails() public {
        hook.setup(manager, 1, 0);
        executor.setCaller(address(hook), true);
        hook.arm(address(executor), true, _hookedRoute(0));
        vm.prank(HOT);
        executor.execute(_hookedRoute(0));
        assertEq(hook.reentryTried(), 2 * hook.ENTRY_POINTS(), "every entry point tried, before and after the swap");
        assertEq(hook.reentrySucceeded(), 0, "no re-entry succeeded");
        assertTrue(usdc.balanceOf(address(executor)) > HELD_USDC, "the route itself ran and gained");
        assertEq(weth.balanceOf(address(executor)), HELD_WETH, "WETH held");
        assertEq(address(executor).balance, HELD_ETH, "ETH held");
    }

    function test_hookKeepingTheOutputIsRefused() public {
        hook.setup(manager, 2, 0);
        _expectAsHot(_hookedRoute(0), abi.encodeWithSelector(ArbExecutor.NoOutput.selector, 0));
        // Keeping most of it: what is left does not repay the PoolManager.
        hook.setup(manager, 3, 9000);
        (bool ok, bytes memory ret) = address(executor).call(abi.encodeWithSelector(ArbExecutor.execute.selector, ""));
        ok;
        ret;
        vm.prank(HOT);
        (ok, ret) = address(executor).call(abi.encodeWithSelector(ArbExecutor.execute.selector, _hookedRoute(0)));
        assertTrue(!ok && bytes4(ret) == ArbExecutor.Unprofitable.selector, "unprofitable once the hook keeps 90%");
        _assertHoldingsIntact();
    }

    function test_hookStealingFromTheManagerCannotSettle() public {
        hook.setup(manager, 4, 0);
        _expectAsHot(_hookedRoute(0), abi.encodeWithSignature("CurrencyNotSettled()"));
        hook.setup(manager, 5, 0);
        vm.prank(HOT);
        (bool ok, bytes memory ret) =
            address(executor).call(abi.encodeWithSelector(ArbExecutor.execute.selector, _hookedRoute(0)));
        assertTrue(!ok && bytes4(ret) == bytes4(keccak256("WrappedError(address,bytes4,bytes,bytes)")), "hook revert");
        _assertHoldingsIntact();
    }

    // --- the route's own pair as lender --------------------------------------------------------------

    /// A fake first pair that calls back without paying: the next hop would be paid from holdings.
    function test_firstHopFakePairCannotSpendHoldings() public {
        FakeV2Pair fake = new FakeV2Pair(
            address(weth) < address(usdc) ? address(weth) : address(usdc),
            address(weth) < address(usdc) ? address(usdc) : address(weth)
        );
        _lie(fake, address(weth), 1 ether, 500_000e6);
        uint256 claimed = _claimed(fake, address(weth), 1 ether);
        XLeg[] memory legs = _xs(_x2(address(fake), _w(), _u()), _x2(pairDear, _u(), _w()));
        _expectAsHot(
            _xroute(6, address(0), 1 ether, 0, 0, legs), _decreased(address(usdc), HELD_USDC, HELD_USDC - claimed)
        );
        fake.setFlashMode(1);
        _expectAsHot(
            _xroute(6, address(0), 1 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.NoCallback.selector, address(fake))
        );
        fake.setFlashMode(2);
        _expectAsHot(
            _xroute(6, address(0), 1 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.CallbackMismatch.selector, address(fake))
        );
        fake.setFlashMode(3);
        _fund(address(usdc), address(fake), claimed);
        fake.setPayMode(1);
        _expectAsHot(
            _xroute(6, address(0), 1 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.UnexpectedCallback.selector, address(fake))
        );
    }

    /// A fake last pair that "lends" the start token without paying it: the executor's own WETH would
    /// feed the cycle, and the profit guard refuses.
    function test_lastHopFakePairCannotSpendHoldings() public {
        FakeV2Pair fake = new FakeV2Pair(
            address(weth) < address(usdc) ? address(weth) : address(usdc),
            address(weth) < address(usdc) ? address(usdc) : address(weth)
        );
        _lie(fake, address(usdc), 3300e6, 10 ether);
        XLeg[] memory legs = _xs(_x2(pairCheap, _w(), _u()), _x2(address(fake), _u(), _w()));
        uint256 out0 = _v2Out(pairCheap, address(weth), 1 ether);
        uint256 claimed = _claimed(fake, address(usdc), out0);
        assertTrue(claimed > 1 ether, "the lie promises a profit");
        _expectAsHot(
            _xroute(7, address(0), 1 ether, 0, 0, legs),
            abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, HELD_WETH - 1 ether, HELD_WETH)
        );
    }

    function _lie(FakeV2Pair p, address tokenIn, uint256 amountIn, uint256 claimed) internal {
        uint112 rIn = uint112(amountIn * 1000);
        uint112 rOut = uint112(claimed * 1100);
        if (p.token0() == tokenIn) p.setReserves(rIn, rOut);
        else p.setReserves(rOut, rIn);
    }

    function _claimed(FakeV2Pair p, address tokenIn, uint256 amountIn) internal view returns (uint256) {
        (uint112 r0, uint112 r1,) = p.getReserves();
        (uint256 rIn, uint256 rOut) = p.token0() == tokenIn ? (uint256(r0), uint256(r1)) : (uint256(r1), uint256(r0));
        uint256 withFee = amountIn * 9970;
        return (withFee * rOut) / (rIn * 10_000 + withFee);
    }

    // --- fake PancakeSwap pools ------------------------------------------------------------------------

    /// A pool calling back as PancakeSwap does gets exactly the V3 treatment: abuse is refused, unpaid
    /// output is caught at the end.
    function test_fakePancakePoolIsTreatedAsAV3Pool() public {
        FakeV3Pool fake = new FakeV3Pool(
            address(weth) < address(usdc) ? address(weth) : address(usdc),
            address(weth) < address(usdc) ? address(usdc) : address(weth)
        );
        fake.setPancake();
        XLeg[] memory legs = _xs(_x3(address(fake), _w(), _u()), _x3(cake, _u(), _w()));
        bytes memory route = _xroute(0, address(0), 1 ether, 0, 0, legs);
        fake.configure(500_000e6, 0, 1);
        _expectAsHot(route, _decreased(address(usdc), HELD_USDC, HELD_USDC - 500_000e6));
        fake.configure(1000e6, 1000e6, 2);
        _fund(address(usdc), address(fake), 10_000e6);
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.CallbackMismatch.selector, address(fake)));
        fake.configure(1000e6, 1000e6, 3);
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.UnexpectedCallback.selector, address(fake)));
        fake.configure(1000e6, 1000e6, 0);
        _expectAsHot(route, abi.encodeWithSelector(ArbExecutor.NoCallback.selector, address(fake)));
    }
}
