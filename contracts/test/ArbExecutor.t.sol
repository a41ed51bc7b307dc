// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CheatsTest} from "./Cheats.sol";
import {ArbExecutor} from "../src/ArbExecutor.sol";

/// @notice Access control, owner administration and callback safety of the executor, fuzzed over
///         senders and arguments.
contract ArbExecutorAccessTest is CheatsTest {
    ArbExecutor internal executor;
    address internal constant WETH = address(0xE770);

    function setUp() public {
        executor = new ArbExecutor(WETH, 10_000);
    }

    function _route() internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(0), uint8(2), new bytes(74));
    }

    function testFuzz_strangerCannotExecute(address stranger) public {
        vm.assume(stranger != address(this));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotCaller.selector, stranger));
        executor.execute(_route());
    }

    function testFuzz_strangerCannotWithdrawOrApprove(address stranger, address token, uint256 amount) public {
        vm.assume(stranger != address(this));
        vm.startPrank(stranger);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotOwner.selector, stranger));
        executor.withdraw(token, stranger, amount);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotOwner.selector, stranger));
        executor.setCaller(stranger, true);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotOwner.selector, stranger));
        executor.withdrawETH(payable(stranger), amount);
        vm.stopPrank();
    }

    function testFuzz_spoofedV3CallbackAlwaysReverts(address sender, int256 a0, int256 a1) public {
        vm.prank(sender);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.UnexpectedCallback.selector, sender));
        executor.uniswapV3SwapCallback(a0, a1, "");
    }

    function testFuzz_spoofedFlashLoanCallbackAlwaysReverts(address sender, uint256 amount) public {
        address[] memory tokens = new address[](1);
        tokens[0] = WETH;
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = amount;
        vm.prank(sender);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.UnexpectedCallback.selector, sender));
        executor.receiveFlashLoan(tokens, amounts, new uint256[](1), _route());
    }

    function testFuzz_approvedCallerReachesRouteChecks(address bot, uint8 hops) public {
        vm.assume(bot != address(this) && bot != address(0) && (hops < 2 || hops > 4));
        executor.setCaller(bot, true);
        vm.prank(bot);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.HopCount.selector, uint256(hops)));
        executor.execute(abi.encodePacked(uint8(0), hops, new bytes(74)));
    }

    function test_revokedCallerIsRejected() public {
        address bot = address(0xB07);
        executor.setCaller(bot, true);
        executor.setCaller(bot, false);
        vm.prank(bot);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotCaller.selector, bot));
        executor.execute(_route());
    }

    // --- owner administration ------------------------------------------------------------------------

    function testFuzz_strangerCannotAdminister(address stranger, uint16 cap) public {
        vm.assume(stranger != address(this));
        bytes memory notOwner = abi.encodeWithSelector(ArbExecutor.NotOwner.selector, stranger);
        vm.startPrank(stranger);
        vm.expectRevert(notOwner);
        executor.setMaxBuilderShare(cap);
        vm.expectRevert(notOwner);
        executor.setGuardian(stranger);
        vm.expectRevert(notOwner);
        executor.unpause();
        vm.expectRevert(notOwner);
        executor.transferOwnership(stranger);
        vm.expectRevert(notOwner);
        executor.revokeAllCallers();
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotGuardianOrOwner.selector, stranger));
        executor.pause();
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotPendingOwner.selector, stranger));
        executor.acceptOwnership();
        vm.stopPrank();
    }

    function test_twoStepOwnershipTransfer() public {
        address next = address(0xC01D);
        address bot = address(0xB07);
        executor.setCaller(bot, true);
        vm.expectEmit();
        emit ArbExecutor.OwnershipTransferStarted(address(this), next);
        executor.transferOwnership(next);
        assertEq(executor.pendingOwner(), next, "pending");
        assertEq(executor.owner(), address(this), "not yet transferred");
        executor.setCaller(bot, true); // the old owner still rules until the new one accepts
        vm.expectEmit();
        emit ArbExecutor.OwnershipTransferred(address(this), next);
        vm.prank(next);
        executor.acceptOwnership();
        assertEq(executor.owner(), next, "transferred");
        assertEq(executor.pendingOwner(), address(0), "nothing pending");
        assertTrue(!executor.isCaller(bot), "the old owner's hot keys are revoked");
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotOwner.selector, address(this)));
        executor.withdraw(WETH, address(this), 1);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotCaller.selector, address(this)));
        executor.execute(_route());
        // A transfer can be cancelled before it is accepted.
        vm.prank(next);
        executor.transferOwnership(address(0xBAD));
        vm.prank(next);
        executor.transferOwnership(address(0));
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotPendingOwner.selector, address(0xBAD)));
        executor.acceptOwnership();
    }

    function test_guardianPausesButCannotUnpauseOrMoveFunds() public {
        address guardian = address(0x6A4D);
        address bot = address(0xB07);
        executor.setCaller(bot, true);
        vm.expectEmit();
        emit ArbExecutor.GuardianSet(address(0), guardian);
        executor.setGuardian(guardian);
        vm.expectEmit();
        emit ArbExecutor.PausedSet(guardian, true);
        vm.prank(guardian);
        executor.pause();
        assertTrue(executor.paused(), "paused");
        vm.prank(bot);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.ExecutorPaused.selector));
        executor.execute(_route());
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.ExecutorPaused.selector));
        executor.execute(_route()); // the owner too
        vm.startPrank(guardian);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotOwner.selector, guardian));
        executor.unpause();
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotOwner.selector, guardian));
        executor.withdraw(WETH, guardian, 1);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotCaller.selector, guardian));
        executor.execute(_route());
        vm.stopPrank();
        vm.expectEmit();
        emit ArbExecutor.PausedSet(address(this), false);
        executor.unpause();
        vm.prank(bot);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.HopCount.selector, 0)); // past the pause, at the route
        executor.execute(abi.encodePacked(uint8(0), uint8(0), new bytes(74)));
        // Removing the guardian removes its power.
        executor.setGuardian(address(0));
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotGuardianOrOwner.selector, guardian));
        executor.pause();
    }

    function test_revokeAllCallersAtOnce() public {
        address[3] memory bots = [address(0xB1), address(0xB2), address(0xB3)];
        for (uint256 i = 0; i < 3; ++i) {
            executor.setCaller(bots[i], true);
        }
        vm.expectEmit();
        emit ArbExecutor.CallersRevoked(1);
        executor.revokeAllCallers();
        for (uint256 i = 0; i < 3; ++i) {
            assertTrue(!executor.isCaller(bots[i]), "revoked");
            vm.prank(bots[i]);
            vm.expectRevert(abi.encodeWithSelector(ArbExecutor.NotCaller.selector, bots[i]));
            executor.execute(_route());
        }
        executor.setCaller(bots[0], true); // approvals after the revocation count
        assertTrue(executor.isCaller(bots[0]), "re-approved");
    }

    function testFuzz_builderShareCap(uint16 cap) public {
        if (cap > 10_000) {
            vm.expectRevert(abi.encodeWithSelector(ArbExecutor.BadBuilderShareCap.selector, uint256(cap)));
            executor.setMaxBuilderShare(cap);
            return;
        }
        vm.expectEmit();
        emit ArbExecutor.MaxBuilderShareSet(10_000, cap);
        executor.setMaxBuilderShare(cap);
        assertEq(executor.maxBuilderShareBps(), cap, "cap set");
    }

    function test_constructorChecks() public {
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.ZeroAddress.selector));
        new ArbExecutor(address(0), 0);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.BadBuilderShareCap.selector, 10_001));
        new ArbExecutor(WETH, 10_001);
        ArbExecutor e = new ArbExecutor(WETH, 2500);
        assertEq(e.owner(), address(this), "deployer owns");
        assertEq(e.maxBuilderShareBps(), 2500, "cap");
        assertEq(e.weth(), WETH, "weth");
    }

    function testFuzz_unexpectedEthIsRefused(address sender, uint96 amount) public {
        vm.assume(sender != WETH);
        vm.deal(sender, amount);
        vm.prank(sender);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.UnexpectedETH.selector, sender));
        (bool ok,) = address(executor).call{value: amount}("");
        ok;
    }

    function test_rescueAnyTokenAndEth() public {
        NoReturnToken odd = new NoReturnToken();
        odd.mint(address(executor), 500);
        vm.expectEmit();
        emit ArbExecutor.Withdrawn(address(odd), address(0xCAFE), 300);
        executor.withdraw(address(odd), address(0xCAFE), 300);
        assertEq(odd.balanceOf(address(0xCAFE)), 300, "no-return token rescued");
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.TransferFailed.selector, address(odd)));
        executor.withdraw(address(odd), address(0xCAFE), 201); // more than held
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.ZeroAddress.selector));
        executor.withdraw(address(odd), address(0), 1);
        vm.deal(address(executor), 2 ether); // forced in (selfdestruct / coinbase rewards)
        vm.expectEmit();
        emit ArbExecutor.Withdrawn(address(0), address(0xCAFE), 2 ether);
        executor.withdrawETH(payable(address(0xCAFE)), 2 ether);
        assertEq(address(0xCAFE).balance, 2 ether, "ETH rescued");
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.TransferFailed.selector, address(0)));
        executor.withdrawETH(payable(address(0xCAFE)), 1);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.ZeroAddress.selector));
        executor.setCaller(address(0), true);
    }
}

/// @notice A USDT-style token: transfer returns nothing.
contract NoReturnToken {
    mapping(address => uint256) public balanceOf;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function transfer(address to, uint256 amount) external {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
    }
}
