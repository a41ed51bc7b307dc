// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ArbExecutor} from "../../src/ArbExecutor.sol";
import {ExecutorFixture} from "../ExecutorFixture.sol";
import {HostileCoinbase} from "./Hostile.sol";

/// @notice The builder payment of a route whose profit is not WETH: the ETH the caller attaches goes whole to
///         block.coinbase, and only when the route succeeds. The caller's key is assumed stolen: whatever it
///         attaches or asks, the executor's own ETH and tokens never pay a builder.
contract ArbExecutorEthBribeTest is ExecutorFixture {
    address internal constant HOT = address(0x407);
    address internal constant BUILDER = address(0xB11D);
    uint256 internal constant HELD_WETH = 100 ether;
    uint256 internal constant HELD_USDC = 1_000_000e6;
    uint256 internal constant HELD_ETH = 3 ether;
    uint256 internal constant HOT_ETH = 1000 ether;

    function setUp() public {
        _buildMarket();
        executor.setCaller(HOT, true);
        executor.setMaxBuilderShare(9000);
        _fund(address(weth), address(executor), HELD_WETH);
        _fund(address(usdc), address(executor), HELD_USDC);
        vm.deal(address(executor), HELD_ETH);
        vm.deal(HOT, HOT_ETH);
        vm.coinbase(BUILDER);
    }

    /// USDC -> WETH where WETH is cheap, WETH -> USDC where it is dear: profit in USDC.
    function _usdcCycle() internal view returns (Leg[] memory) {
        address w = address(weth);
        address u = address(usdc);
        return _legs2(_leg(pairDear, false, u, w), _leg(pairCheap, false, w, u));
    }

    function _exec(bytes memory route, uint256 value) internal {
        vm.prank(HOT);
        executor.execute{value: value}(route);
    }

    function _assertNoEthMoved() internal view {
        assertEq(address(executor).balance, HELD_ETH, "executor ETH untouched");
        assertEq(HOT.balance, HOT_ETH, "caller's ETH came back");
        assertEq(BUILDER.balance, 0, "builder paid nothing");
    }

    function testFuzz_attachedEthIsTheWholeBuilderPayment(uint96 value, uint8 size) public {
        value = uint96(1 + uint256(value) % HOT_ETH);
        uint256 amountIn = (uint256(size) % 20 + 1) * 1_000e6; // 1k..20k USDC: inside the profitable range
        Leg[] memory legs = _usdcCycle();
        uint256 profit = _cycleOut(legs, amountIn) - amountIn;
        _exec(_route(0, address(0), amountIn, profit, 0, legs), value);
        assertEq(BUILDER.balance, value, "builder got exactly the attached ETH");
        assertEq(HOT.balance, HOT_ETH - value, "the caller paid it");
        assertEq(address(executor).balance, HELD_ETH, "executor ETH unchanged");
        assertEq(usdc.balanceOf(address(executor)), HELD_USDC + profit, "USDC profit kept whole");
        assertEq(weth.balanceOf(address(executor)), HELD_WETH, "WETH unchanged");
    }

    /// Below minProfit the whole call reverts: the attached ETH never leaves the caller.
    function test_builderPaidOnlyOnSuccess() public {
        Leg[] memory legs = _usdcCycle();
        uint256 amountIn = 10_000e6;
        uint256 profit = _cycleOut(legs, amountIn) - amountIn;
        vm.expectRevert(
            abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, HELD_USDC + profit, HELD_USDC + profit + 1)
        );
        _exec(_route(0, address(0), amountIn, profit + 1, 0, legs), 1 ether);
        _assertNoEthMoved();
        // A losing direction: reverts the same way.
        Leg[] memory back = _legs2(
            _leg(pairCheap, false, address(usdc), address(weth)), _leg(pairDear, false, address(weth), address(usdc))
        );
        uint256 lost = amountIn - _cycleOut(back, amountIn);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, HELD_USDC - lost, HELD_USDC));
        _exec(_route(0, address(0), amountIn, 0, 0, back), 1 ether);
        _assertNoEthMoved();
    }

    /// One way of paying per route: a share and attached ETH together are refused; a share on a non-WETH
    /// route stays refused with or without ETH.
    function test_shareAndAttachedEthAreExclusive() public {
        Leg[] memory weths = _shape(0);
        uint256 profit = _cycleOut(weths, 10 ether) - 10 ether;
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.BadBuilderShare.selector, 100, address(weth)));
        _exec(_route(1, vault, 10 ether, profit, 100, weths), 1 ether);
        _assertNoEthMoved();
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.BadBuilderShare.selector, 100, address(usdc)));
        _exec(_route(0, address(0), 10_000e6, 0, 100, _usdcCycle()), 1 ether);
        _assertNoEthMoved();
        // A WETH route may pay with attached ETH instead of a share: its profit is kept whole.
        _exec(_route(1, vault, 10 ether, profit, 0, weths), 0.5 ether);
        assertEq(BUILDER.balance, 0.5 ether, "attached ETH paid");
        assertEq(weth.balanceOf(address(executor)), HELD_WETH + profit, "WETH profit kept whole");
        assertEq(address(executor).balance, HELD_ETH, "executor ETH unchanged");
    }

    /// No caller can make the executor's own ETH a bribe: with nothing attached the builder gets nothing on a
    /// non-WETH route, and the executor's ETH is the same however much is attached.
    function test_executorEthNeverPaysTheBuilder() public {
        Leg[] memory legs = _usdcCycle();
        uint256 amountIn = 10_000e6;
        uint256 profit = _cycleOut(legs, amountIn) - amountIn;
        _exec(_route(0, address(0), amountIn, profit, 0, legs), 0);
        assertEq(BUILDER.balance, 0, "nothing attached, nothing paid");
        assertEq(address(executor).balance, HELD_ETH, "executor ETH unchanged");
        // A stranger attaching ETH is still a stranger.
        vm.deal(address(0xBAD), 1 ether);
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotCaller.selector, address(0xBAD)));
        executor.execute{value: 1 ether}(_route(0, address(0), amountIn, 0, 0, legs));
        assertEq(address(0xBAD).balance, 1 ether, "stranger's ETH came back");
    }

    /// A coinbase that re-enters when paid gets nowhere; one that refuses ETH fails the route whole.
    function test_hostileCoinbaseWithAttachedEth() public {
        HostileCoinbase cb = new HostileCoinbase();
        executor.setCaller(address(cb), true);
        Leg[] memory legs = _usdcCycle();
        cb.arm(address(executor), true, _route(0, address(0), 1_000e6, 0, 0, legs));
        vm.coinbase(address(cb));
        uint256 amountIn = 10_000e6;
        uint256 profit = _cycleOut(legs, amountIn) - amountIn;
        _exec(_route(0, address(0), amountIn, profit, 0, legs), 1 ether);
        assertEq(cb.reentryTried(), cb.ENTRY_POINTS(), "entry points tried from the coinbase");
        assertEq(cb.reentrySucceeded(), 0, "no re-entry succeeded");
        assertEq(address(cb).balance, 1 ether, "paid the attached ETH");
        assertEq(address(executor).balance, HELD_ETH, "executor ETH unchanged");
        cb.setRefuse(true);
        uint256 usdcNow = usdc.balanceOf(address(executor));
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.TransferFailed.selector, address(0)));
        _exec(_route(0, address(0), 1_000e6, 0, 0, legs), 1 ether);
        assertEq(usdc.balanceOf(address(executor)), usdcNow, "nothing moved");
        assertEq(HOT.balance, HOT_ETH - 1 ether, "the refused ETH came back");
    }
}
