// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CheatsTest} from "./Cheats.sol";
import {ArbExecutor} from "../src/ArbExecutor.sol";

/// @notice Access control and callback safety of the executor, fuzzed over senders and arguments.
contract ArbExecutorAccessTest is CheatsTest {
    ArbExecutor internal executor;
    address internal constant WETH = address(0xE770);

    function setUp() public {
        executor = new ArbExecutor(WETH);
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
        vm.assume(bot != address(this) && (hops < 2 || hops > 4));
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
}
