// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ArbExecutor} from "../../src/ArbExecutor.sol";
import {ExecutorFixture} from "../ExecutorFixture.sol";
import {FakeVault, HostileToken} from "./Hostile.sol";

/// @notice A stolen caller key names a "Vault" of its own in a Balancer hop. The fake Vault lies about its
///         output, pulls more than approved (or another token), leaves allowance behind, re-enters, returns
///         garbage or nothing at all. The executor's holdings of every token and of ETH never fall, and no
///         allowance survives a trade.
contract ArbExecutorBalancerAdversarialTest is ExecutorFixture {
    address internal constant HOT = address(0x407);
    uint256 internal constant HELD_WETH = 100 ether;
    uint256 internal constant HELD_USDC = 1_000_000e6;
    uint256 internal constant HELD_DAI = 1_000_000 ether;
    uint256 internal constant HELD_ETH = 3 ether;

    FakeVault internal fake;

    function setUp() public {
        _buildMarket();
        executor.setCaller(HOT, true);
        fake = new FakeVault();
        _fund(address(weth), address(executor), HELD_WETH);
        _fund(address(usdc), address(executor), HELD_USDC);
        _fund(address(dai), address(executor), HELD_DAI);
        vm.deal(address(executor), HELD_ETH);
        _fund(address(usdc), address(fake), 10_000_000e6); // the fake's own stock, to pay with
        _fund(address(weth), address(fake), 1000 ether);
    }

    /// WETH -> fake Vault (WETH -> USDC) -> pairDear (USDC -> WETH), own capital.
    function _viaFake(uint256 amountIn, uint256 minProfit) internal view returns (bytes memory r) {
        r = abi.encodePacked(uint8(0), uint8(2), address(0), address(weth), uint128(amountIn), uint128(minProfit));
        r = bytes.concat(r, abi.encodePacked(uint16(0)), _balancerHop(address(fake), address(weth), address(usdc), 0));
        r = bytes.concat(r, abi.encodePacked(uint8(address(usdc) < address(weth) ? 2 : 0), pairDear, address(weth)));
        r = bytes.concat(r, abi.encodePacked(uint16(30)));
    }

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
        assertEq(e.balance, HELD_ETH, "ETH held");
    }

    function _assertNothingFellAndNoAllowance() internal view {
        address e = address(executor);
        assertTrue(weth.balanceOf(e) >= HELD_WETH, "WETH did not fall");
        assertTrue(usdc.balanceOf(e) >= HELD_USDC, "USDC did not fall");
        assertTrue(dai.balanceOf(e) >= HELD_DAI, "DAI did not fall");
        assertEq(e.balance, HELD_ETH, "ETH held");
        assertEq(usdc.allowance(e, address(fake)), 0, "no USDC allowance");
        assertEq(dai.allowance(e, address(fake)), 0, "no DAI allowance");
        assertEq(_wethAllowance(address(fake)), 0, "no WETH allowance");
    }

    function _wethAllowance(address spender) internal view returns (uint256 a) {
        (bool ok, bytes memory ret) =
            address(weth).staticcall(abi.encodeWithSignature("allowance(address,address)", address(executor), spender));
        require(ok);
        a = abi.decode(ret, (uint256));
    }

    /// USDC pairDear pays for `weth` worth, at most (so a generous fake makes the cycle profitable).
    function _generous(uint256 amountIn) internal view returns (uint256) {
        return (amountIn * 3500) / 1e12; // 3500 USDC per WETH, above every pool here
    }

    // --- lies about the output ---------------------------------------------------------------------------

    function test_reportedOutputNeverPaidCannotSpendHeldUsdc() public {
        // Takes the WETH, pays nothing, reports a fortune: the next hop would pay it from held USDC.
        fake.configure(10_000, 0, 50_000e6, 0, address(0));
        _expectAsHot(_viaFake(10 ether, 0), abi.encodeWithSelector(ArbExecutor.NoOutput.selector, 0));
    }

    function test_underpaidOutputIsWhatTheNextHopTrades() public {
        // Pays 1,000 USDC for 10 WETH while reporting 35,000: the next hop trades the 1,000 that arrived.
        fake.configure(10_000, 1000e6, 35_000e6, 0, address(0));
        uint256 back = _v2Out(pairDear, address(usdc), 1000e6);
        _expectAsHot(
            _viaFake(10 ether, 0),
            abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, HELD_WETH - 10 ether + back, HELD_WETH)
        );
    }

    function test_measuredOutputNotTheReportOnAGoodTrade() public {
        uint256 paid = _generous(10 ether);
        fake.configure(10_000, paid, 1, 0, address(0)); // reports 1 wei, pays plenty
        uint256 back = _v2Out(pairDear, address(usdc), paid);
        _asHot(_viaFake(10 ether, back - 10 ether));
        assertEq(weth.balanceOf(address(executor)), HELD_WETH + back - 10 ether, "profit from what arrived");
        assertEq(fake.lastLimit(), 1, "limit 1");
        assertEq(fake.lastDeadline(), block.timestamp, "deadline now");
        _assertNothingFellAndNoAllowance();
    }

    function test_garbageReturnDataIsIgnored() public {
        uint256 paid = _generous(10 ether);
        fake.configure(10_000, paid, 0, 0, address(0));
        fake.setReturn(true, false);
        _asHot(_viaFake(10 ether, 1));
        _assertNothingFellAndNoAllowance();
    }

    function test_vaultWithoutCodeDeliversNothing() public {
        // A "Vault" with no code: the call succeeds and nothing arrives.
        bytes memory r = _viaFake(10 ether, 0);
        address nobody = address(0xDEAD);
        assembly {
            // the hop's Vault field sits at byte 77 of the route (after the header and the flag byte)
            let p := add(add(r, 0x20), 77)
            mstore(p, or(shl(96, nobody), and(mload(p), 0xffffffffffffffffffffffff)))
        }
        _expectAsHot(r, abi.encodeWithSelector(ArbExecutor.NoOutput.selector, 0));
    }

    function test_revertingVaultRevertsTheRoute() public {
        fake.setReturn(false, true);
        _expectAsHot(_viaFake(10 ether, 0), abi.encodeWithSignature("Error(string)", "vault says no"));
    }

    // --- pulls and allowances -----------------------------------------------------------------------------

    function test_pullingMoreThanApprovedFails() public {
        fake.configure(10_000, _generous(10 ether), 0, 1, address(0)); // then one wei more of the input
        _asHot(_viaFake(10 ether, 1));
        assertEq(fake.extraPulled(), 0, "no over-pull");
        fake.configure(10_000, _generous(10 ether), 0, 2, address(dai)); // then held DAI, never approved
        _asHot(_viaFake(10 ether, 1));
        assertEq(fake.extraPulled(), 0, "no pull of another token");
        _assertNothingFellAndNoAllowance();
    }

    function test_allowanceLeftByTheVaultIsReset() public {
        fake.configure(5000, _generous(10 ether), 0, 0, address(0)); // pulls half of what it may
        _asHot(_viaFake(10 ether, 1));
        _assertNothingFellAndNoAllowance();
    }

    function test_approveFromZeroFirstTokenTradesTwice() public {
        // A USDT-style token through a Vault that pulls half: without the reset the second approve would fail.
        HostileToken t = new HostileToken();
        t.setZeroFirst(true);
        t.mint(address(executor), 1_000_000 ether);
        t.mint(address(fake), 1_000_000 ether);
        fake.configure(5000, 2 ether, 0, 0, address(0)); // each hop: takes half its input, pays 2 of its output
        bytes memory r = abi.encodePacked(uint8(0), uint8(2), address(0), address(t), uint128(1 ether), uint128(1));
        r = bytes.concat(r, abi.encodePacked(uint16(0)), _balancerHop(address(fake), address(t), address(weth), 0));
        r = bytes.concat(r, _balancerHop(address(fake), address(weth), address(t), 0));
        _asHot(r);
        assertEq(t.allowance(address(executor), address(fake)), 0, "reset after the first trade");
        _asHot(r);
        assertEq(t.balanceOf(address(executor)), 1_000_000 ether + 3 ether, "two trades, each +1.5");
        _assertNothingFellAndNoAllowance();
    }

    // --- re-entry -------------------------------------------------------------------------------------------

    function test_reentryFromTheVaultFails() public {
        fake.configure(10_000, _generous(10 ether), 0, 0, address(0));
        fake.arm(address(executor), true, _viaFake(10 ether, 0));
        executor.setCaller(address(fake), true); // so its re-entry reaches the lock, not the caller check
        _asHot(_viaFake(10 ether, 1));
        assertEq(fake.reentryTried(), fake.ENTRY_POINTS(), "every entry point tried");
        assertEq(fake.reentrySucceeded(), 0, "none accepted");
        _assertNothingFellAndNoAllowance();
    }
}
