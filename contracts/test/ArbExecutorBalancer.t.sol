// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ArbExecutor} from "../src/ArbExecutor.sol";
import {ExecutorFixture, IERC20Like, IBalancerVault} from "./ExecutorFixture.sol";

/// @notice Reverts on any call: an address the executor must not have reached when a route is refused.
contract Tripwire {
    error Reached();

    fallback() external payable {
        revert Reached();
    }
}

/// @notice Balancer V2 hops against the real Vault and a real weighted pool (WeightedPoolFactory v3): the
///         executor keeps exactly the profit the Vault's own query and the V2/V3 pools predict, on every
///         capital that can carry the hop, leaves no allowance to the Vault, and refuses the routes that
///         cannot work before calling anything.
contract ArbExecutorBalancerTest is ExecutorFixture {
    function setUp() public {
        _buildMarket();
    }

    function _exact(uint8 capital, Leg[] memory legs, uint256 amountIn) internal returns (uint256 profit) {
        uint256 back = _cycleOut(legs, amountIn);
        uint256 fee = _loanFee(capital, amountIn);
        assertTrue(back > amountIn + fee, "scenario should be profitable");
        profit = back - amountIn - fee;
        address token = legs[0].tokenIn;
        if (capital == 0) _fund(token, address(executor), amountIn);
        uint256 before = IERC20Like(token).balanceOf(address(executor));
        bytes32 poolBefore = _vaultHeld(legs);
        executor.execute(_route(capital, _lender(capital), amountIn, profit, 0, legs));
        assertEq(IERC20Like(token).balanceOf(address(executor)) - before, profit, "profit to the wei");
        _assertNoAllowance();
        assertTrue(_vaultHeld(legs) != poolBefore, "the real pool traded");
    }

    function _vaultHeld(Leg[] memory) internal view returns (bytes32) {
        (, uint256[] memory balances,) = IBalancerVault(vault).getPoolTokens(balPoolId);
        return keccak256(abi.encode(balances));
    }

    function _assertNoAllowance() internal view {
        address e = address(executor);
        assertEq(IERC20Like(address(weth)).allowance(e, vault), 0, "no WETH allowance left");
        assertEq(usdc.allowance(e, vault), 0, "no USDC allowance left");
        assertEq(dai.allowance(e, vault), 0, "no DAI allowance left");
    }

    // --- the real Vault ------------------------------------------------------------------------------

    function test_balancerThenV2OnOwnCapital() public {
        _exact(0, _balShape(0), 10 ether);
    }

    function test_v3ThenBalancerFromUsdcOnOwnCapital() public {
        _exact(0, _balShape(2), 20_000e6);
    }

    function test_balancerInTheMiddleOfThreeHops() public {
        _exact(0, _balShape(4), 5 ether);
    }

    function test_balancerHopOnV2Flash() public {
        _exact(2, _balShape(0), 10 ether);
        _exact(2, _balShape(4), 3 ether);
    }

    function test_balancerHopOnV3Flash() public {
        _exact(3, _balShape(0), 10 ether);
        _exact(3, _balShape(4), 3 ether);
    }

    function test_balancerHopAfterAFirstHopFlashSwap() public {
        // Capital 6: hop 0 (a V2 pair) pays its output here first; the Balancer hop follows.
        Leg[] memory legs = _balShape(4);
        uint256 back = _cycleOut(legs, 3 ether);
        bytes memory r = _route(6, address(0), 3 ether, back - 3 ether, 0, legs);
        uint256 before = weth.balanceOf(address(executor));
        executor.execute(r);
        assertEq(weth.balanceOf(address(executor)) - before, back - 3 ether, "profit to the wei");
        _assertNoAllowance();
    }

    function test_vaultSeesLimitOneAndDeadlineNow() public {
        // The Vault's own Swap event carries what it traded: exactly the route's amount in.
        Leg[] memory legs = _balShape(0);
        uint256 out = _balancerOut(address(weth), address(usdc), 10 ether);
        _fund(address(weth), address(executor), 10 ether);
        uint256 back = _cycleOut(legs, 10 ether);
        vm.expectEmit(vault);
        emit Swap(balPoolId, address(weth), address(usdc), 10 ether, out);
        executor.execute(_route(0, address(0), 10 ether, back - 10 ether, 0, legs));
    }

    event Swap(
        bytes32 indexed poolId, address indexed tokenIn, address indexed tokenOut, uint256 amountIn, uint256 amountOut
    );

    function test_lossOnTheBalancerHopReverts() public {
        Leg[] memory legs = _balShape(1);
        uint256 back = _cycleOut(legs, 10 ether);
        assertTrue(back < 10 ether, "a losing shape");
        _fund(address(weth), address(executor), 10 ether);
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, back, 10 ether));
        executor.execute(_route(0, address(0), 10 ether, 0, 0, legs));
    }

    /// Any size through any Balancer shape on own capital: the exact profit, or a revert that moves nothing.
    function testFuzz_balancerCyclesAreExact(uint256 k, uint256 amount) public {
        Leg[] memory legs = _balShape(k);
        bool usdcStart = legs[0].tokenIn == address(usdc);
        amount = usdcStart ? 1e3 + amount % 300_000e6 : 1e9 + amount % 100 ether;
        address token = legs[0].tokenIn;
        _fund(token, address(executor), amount);
        uint256 back = _cycleOut(legs, amount);
        uint256 before = IERC20Like(token).balanceOf(address(executor));
        bytes memory r = _route(0, address(0), amount, back > amount ? back - amount : 0, 0, legs);
        if (back >= amount) {
            // Break-even included: a minimum profit of 0 is met by a cycle that returns exactly its input.
            executor.execute(r);
            assertEq(IERC20Like(token).balanceOf(address(executor)) - before, back - amount, "exact profit");
        } else {
            // A loss: the executor's own judgement, naming the balance it would end with. (The sizes drawn here never
            // make a pool refuse outright: 10,000 CI-profile runs reach no zero quote.)
            vm.expectRevert(abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, before - amount + back, before));
            executor.execute(r);
            assertEq(IERC20Like(token).balanceOf(address(executor)), before, "nothing moved");
        }
        _assertNoAllowance();
    }

    // --- refusals before any call ----------------------------------------------------------------------

    function test_balancerFlashLoanWithABalancerHopIsRefusedBeforeAnyCall() public {
        // Every address is a tripwire: reaching any of them would revert with Reached, not the refusal.
        address trip = address(new Tripwire());
        bytes memory r = abi.encodePacked(uint8(1), uint8(2), trip, trip, uint128(1 ether), uint128(0), uint16(0));
        r = bytes.concat(r, _balancerHop(trip, trip, address(usdc), bytes32(uint256(1))));
        r = bytes.concat(r, abi.encodePacked(uint8(2), trip, trip, uint16(30)));
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.BadCapitalForHop.selector, 1, 0));
        executor.execute(r);
        // The same on the real Vault and pool, the Balancer hop second.
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.BadCapitalForHop.selector, 1, 1));
        executor.execute(_route(1, vault, 10 ether, 0, 0, _balShape(1)));
    }

    function test_balancerHopOnFlashSwapCapitalIsRefused() public {
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.BadCapitalForHop.selector, 7, 0));
        executor.execute(_route(7, address(0), 10 ether, 0, 0, _balShape(0)));
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.BadCapitalForHop.selector, 6, 0));
        executor.execute(_route(6, address(0), 10 ether, 0, 0, _balShape(0)));
    }

    function test_badBalancerFlagsAndLength() public {
        bytes memory head = abi.encodePacked(uint8(0), uint8(2), address(0), address(weth), uint128(1e18));
        head = bytes.concat(head, abi.encodePacked(uint128(0), uint16(0)));
        bytes memory back = abi.encodePacked(uint8(2), pairDear, address(weth), uint16(30));
        uint8[4] memory bad = [uint8(17), 20, 24, 48];
        for (uint256 i = 0; i < bad.length; ++i) {
            bytes memory hop = abi.encodePacked(bad[i], vault, address(usdc), balPoolId);
            vm.expectRevert(abi.encodeWithSelector(ArbExecutor.BadHopFlags.selector, 0, bad[i]));
            executor.execute(bytes.concat(head, hop, back));
        }
        // A last Balancer hop one byte short: the route's length names the 73-byte hop.
        bytes memory first = abi.encodePacked(uint8(address(weth) < address(usdc) ? 2 : 0), pairCheap, address(usdc));
        bytes memory cut = abi.encodePacked(uint8(16), vault, address(weth), bytes31(balPoolId));
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.RouteLength.selector, 76 + 43 + 72, 76 + 43 + 73));
        executor.execute(bytes.concat(head, first, abi.encodePacked(uint16(30)), cut));
    }

    function test_lenderCannotBeTheHopsVault() public {
        // Capital 2 with the "lender" being the hop's Vault.
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.BadLender.selector, vault));
        executor.execute(_route(2, vault, 10 ether, 0, 0, _balShape(0)));
    }
}

/// @notice Borrows from the real Vault and swaps through it inside the loan: what a Balancer hop on Balancer
///         flash-loan capital would do. The Vault's re-entrancy guard refuses it (BAL#400), which is why the
///         executor refuses that route before calling anything.
contract SwapInsideLoan {
    address internal immutable _vault;
    bytes32 internal immutable _poolId;

    constructor(address vault_, bytes32 poolId_) {
        (_vault, _poolId) = (vault_, poolId_);
    }

    function run(address token, address other) external {
        address[] memory tokens = new address[](1);
        tokens[0] = token;
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = 1 ether;
        (bool ok, bytes memory err) = _vault.call(
            abi.encodeWithSignature(
                "flashLoan(address,address[],uint256[],bytes)", address(this), tokens, amounts, abi.encode(other)
            )
        );
        if (!ok) {
            assembly {
                revert(add(err, 0x20), mload(err))
            }
        }
    }

    function receiveFlashLoan(address[] memory tokens, uint256[] memory amounts, uint256[] memory, bytes memory data)
        external
    {
        IBalancerVault.SingleSwap memory s =
            IBalancerVault.SingleSwap(_poolId, 0, tokens[0], abi.decode(data, (address)), amounts[0], "");
        IBalancerVault(_vault)
            .swap(
                s,
                IBalancerVault.FundManagement(address(this), false, payable(address(this)), false),
                1,
                block.timestamp
            );
    }
}

/// @notice The measurement behind the refusal, on the real Vault.
contract BalancerReentrancyTest is ExecutorFixture {
    function setUp() public {
        _buildMarket();
    }

    function test_theVaultRefusesASwapInsideItsOwnFlashLoan() public {
        SwapInsideLoan probe = new SwapInsideLoan(vault, balPoolId);
        vm.expectRevert(bytes("BAL#400"));
        probe.run(address(weth), address(usdc));
    }
}
