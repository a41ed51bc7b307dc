// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CheatsTest} from "./Cheats.sol";
import {ExecutorFixture, IBalancerVault, IV2Pair, IV3Pool} from "./ExecutorFixture.sol";

/// @notice Stateful handler: the market and the executor's owner. Each action is one thing the world can
///         do to the executor; ghosts count every outcome a property forbids.
contract ExecutorHandler is ExecutorFixture {
    uint256 public expectedWeth; // what the executor must hold: only the owner's actions change it
    uint256 public strangerSucceeded; // a non-owner call that moved funds or changed permissions
    uint256 public spoofSucceeded; // a callback accepted outside an execution
    uint256 public unprofitableSucceeded; // a route below its minProfit that did not revert
    uint256 public unprofitableChangedState; // ... or that reverted but left something changed
    uint256 public calls;

    /// Builds the market outside the constructor (the replica bytecode calls back into its deployer).
    function init() external {
        require(address(executor) == address(0), "once");
        _buildMarket();
    }

    function wethBalanceOfExecutor() external view returns (uint256) {
        return weth.balanceOf(address(executor));
    }

    /// What the executor has approved the Vault for, in every token (must stay zero).
    function allowancesToVault() external view returns (uint256) {
        address e = address(executor);
        (bool ok, bytes memory ret) =
            address(weth).staticcall(abi.encodeWithSignature("allowance(address,address)", e, vault));
        require(ok, "allowance");
        return abi.decode(ret, (uint256)) + usdc.allowance(e, vault) + dai.allowance(e, vault);
    }

    function otherBalancesOfExecutor() external view returns (uint256) {
        return usdc.balanceOf(address(executor)) + dai.balanceOf(address(executor));
    }

    function _amount(uint256 seed) internal pure returns (uint256) {
        return 1e9 + (seed % 40 ether);
    }

    // --- owner: profitable cycles (move prices, grow the balance) and withdrawals ------------------

    function ownerProfitable(uint8 capital, uint256 shape, uint256 seed) external {
        calls++;
        capital = 1 + (capital % 3);
        Leg[] memory legs = _shape(shape);
        uint256 amount = _amount(seed);
        uint256 back = _cycleOut(legs, amount);
        uint256 fee = _loanFee(capital, amount);
        if (back <= amount + fee) return;
        executor.execute(_route(capital, _lender(capital), amount, back - amount - fee, 0, legs));
        expectedWeth += back - amount - fee;
    }

    /// A profitable cycle through the real Balancer pool (WETH start) on own capital or a V2/V3 flash loan.
    function ownerBalancer(uint8 capital, bool threeHops, uint256 seed) external {
        calls++;
        Leg[] memory legs = _balShape(threeHops ? 4 : 0);
        uint256 amount = _amount(seed);
        capital = [0, 2, 3][capital % 3];
        if (capital == 0 && expectedWeth < amount) capital = 2; // own capital only from what is held
        uint256 back = _cycleOut(legs, amount);
        uint256 fee = _loanFee(capital, amount);
        if (back <= amount + fee) return;
        executor.execute(_route(capital, _lender(capital), amount, back - amount - fee, 0, legs));
        expectedWeth += back - amount - fee;
    }

    function ownerWithdraw(uint256 seed) external {
        calls++;
        if (expectedWeth == 0) return;
        uint256 amount = seed % (expectedWeth + 1);
        executor.withdraw(address(weth), address(0xFEE), amount);
        expectedWeth -= amount;
    }

    /// A trader moves a V2 price (either direction), so later cycles meet other states.
    function traderSwap(bool dear, bool sellWeth, uint256 seed) external {
        calls++;
        address pair = dear ? pairDear : pairCheap;
        address tokenIn = sellWeth ? address(weth) : address(usdc);
        uint256 amount = sellWeth ? 1e9 + seed % 20 ether : 1e3 + seed % 60_000e6;
        uint256 out = _v2Out(pair, tokenIn, amount);
        if (out == 0) return;
        _fund(tokenIn, pair, amount);
        bool in0 = IV2Pair(pair).token0() == tokenIn;
        IV2Pair(pair).swap(in0 ? 0 : out, in0 ? out : 0, address(0x7EAD), "");
    }

    // --- strangers -----------------------------------------------------------------------------------

    function stranger(address who, uint8 action, uint256 seed) external {
        calls++;
        if (who == address(this) || who == address(vm) || executor.isCaller(who)) who = address(0xBAD);
        bytes memory route = _route(1, vault, _amount(seed), 0, 0, _shape(0));
        bytes memory own = _route(0, address(0), _amount(seed), 0, 0, _shape(seed));
        vm.prank(who);
        action = action % 5;
        bool ok;
        if (action == 0) {
            try executor.execute(route) {
                ok = true;
            } catch {}
        } else if (action == 1) {
            try executor.execute(own) {
                ok = true;
            } catch {}
        } else if (action == 2) {
            try executor.withdraw(address(weth), who, seed % (expectedWeth + 1)) {
                ok = true;
            } catch {}
        } else if (action == 3) {
            try executor.withdrawETH(payable(who), 0) {
                ok = true;
            } catch {}
        } else {
            try executor.setCaller(who, true) {
                ok = true;
            } catch {}
        }
        if (ok) strangerSucceeded++;
    }

    // --- spoofed callbacks -----------------------------------------------------------------------------

    function spoof(uint8 which, uint8 from, address anyone, uint256 a, uint256 b) external {
        calls++;
        address[6] memory senders = [vault, lenderPair, lenderV3, v3, pairCheap, anyone];
        address sender = senders[from % 6];
        bytes memory route = _route(1 + (which % 4), sender, _amount(a), 0, 0, _shape(b));
        address[] memory tokens = new address[](1);
        tokens[0] = address(weth);
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = _amount(a);
        uint256[] memory fees = new uint256[](1);
        fees[0] = b % 1e18;
        bool ok;
        which = which % 5;
        vm.prank(sender);
        if (which == 0) {
            try executor.receiveFlashLoan(tokens, amounts, fees, route) {
                ok = true;
            } catch {}
        } else if (which == 1) {
            try executor.uniswapV2Call(address(executor), amounts[0], 0, route) {
                ok = true;
            } catch {}
        } else if (which == 2) {
            try executor.uniswapV3FlashCallback(fees[0], 0, route) {
                ok = true;
            } catch {}
        } else if (which == 3) {
            try executor.executeOperation(address(weth), amounts[0], fees[0], address(executor), route) returns (bool) {
                ok = true;
            } catch {}
        } else {
            try executor.uniswapV3SwapCallback(int256(a % 1e30), -int256(b % 1e30), "") {
                ok = true;
            } catch {}
        }
        if (ok) spoofSucceeded++;
    }

    // --- unprofitable routes ---------------------------------------------------------------------------

    /// Any capital, any shape, any size, asking one wei more than the route can make: must revert and
    /// leave every balance and pool as it was.
    function ownerUnprofitable(uint8 capital, uint256 shape, uint256 seed) external {
        calls++;
        capital = capital % 4;
        // Half the draws go through the Balancer pool (capital 1 then must refuse the route outright).
        Leg[] memory legs = (shape >> 128) & 1 == 0 ? _shape(shape) : _balShape(shape);
        uint256 amount = _amount(seed);
        uint256 back = _cycleOut(legs, amount);
        uint256 fee = _loanFee(capital, amount);
        uint256 minProfit = back > amount + fee ? back - amount - fee + 1 : 0;
        if (minProfit >= 1 << 128) return;
        bytes memory route = _route(capital, _lender(capital), amount, minProfit, 0, legs);
        bytes32 before = _state();
        try executor.execute(route) {
            unprofitableSucceeded++;
        } catch {}
        if (_state() != before) unprofitableChangedState++;
    }

    function _state() internal view returns (bytes32) {
        address e = address(executor);
        bytes32 balances = keccak256(
            abi.encode(
                weth.balanceOf(e),
                usdc.balanceOf(e),
                dai.balanceOf(e),
                weth.balanceOf(vault),
                weth.balanceOf(lenderPair),
                weth.balanceOf(lenderV3)
            )
        );
        (uint160 p,,,,,,) = IV3Pool(v3).slot0();
        (, uint256[] memory bal,) = IBalancerVault(vault).getPoolTokens(balPoolId);
        bytes32 pools = keccak256(
            abi.encode(_reserves(pairCheap), _reserves(pairDear), _reserves(pairUsdcDai), _reserves(pairDaiWeth), bal)
        );
        uint256 allowances = usdc.allowance(address(executor), vault) + dai.allowance(address(executor), vault);
        return keccak256(abi.encode(balances, p, pools, allowances));
    }

    function _reserves(address pair) internal view returns (bytes32) {
        (uint112 r0, uint112 r1,) = IV2Pair(pair).getReserves();
        return keccak256(abi.encode(r0, r1));
    }
}

/// @notice Invariant properties over the handler's random sequences of actions.
contract ArbExecutorInvariantTest is CheatsTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    ExecutorHandler internal handler;

    function setUp() public {
        handler = new ExecutorHandler();
        handler.init();
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory s) {
        bytes4[] memory sel = new bytes4[](7);
        sel[0] = ExecutorHandler.ownerProfitable.selector;
        sel[1] = ExecutorHandler.ownerWithdraw.selector;
        sel[2] = ExecutorHandler.traderSwap.selector;
        sel[3] = ExecutorHandler.stranger.selector;
        sel[4] = ExecutorHandler.spoof.selector;
        sel[5] = ExecutorHandler.ownerUnprofitable.selector;
        sel[6] = ExecutorHandler.ownerBalancer.selector;
        s = new FuzzSelector[](1);
        s[0] = FuzzSelector(address(handler), sel);
    }

    /// The handler's actions do real work (so the properties below are not vacuous).
    function test_handlerActionsTradeAndRevert() public {
        handler.ownerProfitable(0, 0, 10 ether); // Balancer loan, V2 -> V2
        uint256 held = handler.expectedWeth();
        assertTrue(held > 0, "a profitable cycle ran");
        assertEq(handler.wethBalanceOfExecutor(), held, "profit held");
        handler.ownerUnprofitable(1, 2, 10 ether); // profitable shape, asked one wei too much
        handler.ownerUnprofitable(3, 1, 10 ether); // losing shape on a V3 flash
        assertEq(handler.calls(), 3, "calls counted");
        assertEq(handler.unprofitableSucceeded() + handler.unprofitableChangedState(), 0, "both reverted cleanly");
        handler.stranger(address(0xBAD), 2, held);
        assertEq(handler.strangerSucceeded(), 0, "stranger withdraw refused");
        assertEq(handler.wethBalanceOfExecutor(), held, "still held");
        handler.ownerBalancer(1, false, 3 ether); // V2 flash: Balancer WETH -> USDC, then pairDear
        assertTrue(handler.expectedWeth() > held, "a Balancer cycle ran");
        assertEq(handler.wethBalanceOfExecutor(), handler.expectedWeth(), "its profit held");
        assertEq(handler.allowancesToVault(), 0, "no allowance left to the Vault");
        handler.ownerUnprofitable(1, uint256(1) << 128, 10 ether); // a Balancer shape on the Balancer loan
        assertEq(handler.unprofitableSucceeded() + handler.unprofitableChangedState(), 0, "refused cleanly");
    }

    /// A non-owner can never move funds: the executor holds exactly what the owner's actions left.
    function invariant_nonOwnerNeverMovesFunds() public view {
        assertEq(handler.strangerSucceeded(), 0, "a stranger's call succeeded");
        assertEq(handler.wethBalanceOfExecutor(), handler.expectedWeth(), "executor WETH");
        assertEq(handler.otherBalancesOfExecutor(), 0, "executor holds no other token");
    }

    /// No trade leaves the Vault an allowance over the executor's tokens.
    function invariant_noAllowanceLeftToTheVault() public view {
        assertEq(handler.allowancesToVault(), 0, "an allowance to the Vault survived a trade");
    }

    /// A spoofed callback always reverts.
    function invariant_spoofedCallbackAlwaysReverts() public view {
        assertEq(handler.spoofSucceeded(), 0, "a spoofed callback was accepted");
    }

    /// An unprofitable route always reverts and leaves balances unchanged.
    function invariant_unprofitableRouteRevertsAndChangesNothing() public view {
        assertEq(handler.unprofitableSucceeded(), 0, "an unprofitable route went through");
        assertEq(handler.unprofitableChangedState(), 0, "a reverted route changed state");
    }
}
