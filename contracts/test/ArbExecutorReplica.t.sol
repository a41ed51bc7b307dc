// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CheatsTest} from "./Cheats.sol";
import {ArbExecutor} from "../src/ArbExecutor.sol";
import {ReplicaToken} from "../src/replica/ReplicaToken.sol";

interface IWETH9 {
    function deposit() external payable;
    function transfer(address, uint256) external returns (bool);
    function approve(address, uint256) external returns (bool);
    function balanceOf(address) external view returns (uint256);
}

interface IV2Factory {
    function createPair(address, address) external returns (address);
}

interface IV2Pair {
    function mint(address) external returns (uint256);
    function token0() external view returns (address);
    function getReserves() external view returns (uint112, uint112, uint32);
}

interface IVault {
    struct UserBalanceOp {
        uint8 kind;
        address asset;
        uint256 amount;
        address sender;
        address payable recipient;
    }

    function manageUserBalance(UserBalanceOp[] memory ops) external payable;
}

/// @notice The executor against the real Uniswap V2 and Balancer V2 Vault bytecode (npm artifacts).
contract ArbExecutorReplicaTest is CheatsTest {
    ArbExecutor internal executor;
    IWETH9 internal weth;
    ReplicaToken internal usdc;
    address internal vault;
    address internal pairCheap; // USDC is dear here: sell WETH
    address internal pairDear; // WETH is cheap here: buy it back

    function setUp() public {
        vm.deal(address(this), 100_000 ether);
        weth = IWETH9(deployCode(vm.getCode("contracts/artifacts/protocol/WETH9.json"), ""));
        usdc = new ReplicaToken("USD Coin", "USDC", 6);
        address auth =
            deployCode(vm.getCode("contracts/artifacts/protocol/BalancerAuthorizer.json"), abi.encode(address(this)));
        vault = deployCode(
            vm.getCode("contracts/artifacts/protocol/BalancerVault.json"), abi.encode(auth, address(weth), 0, 0)
        );
        pairCheap = _pair(1000 ether, 3_300_000e6);
        pairDear = _pair(1000 ether, 3_100_000e6);
        // Flash-loan liquidity: WETH deposited into the Vault's internal balance.
        weth.deposit{value: 5000 ether}();
        weth.approve(vault, 5000 ether);
        IVault.UserBalanceOp[] memory ops = new IVault.UserBalanceOp[](1);
        ops[0] = IVault.UserBalanceOp(0, address(weth), 5000 ether, address(this), payable(address(this)));
        IVault(vault).manageUserBalance(ops);
        executor = new ArbExecutor(address(weth), 10_000);
    }

    function _pair(uint256 wethAmount, uint256 usdcAmount) internal returns (address pair) {
        address factory =
            deployCode(vm.getCode("contracts/artifacts/protocol/UniswapV2Factory.json"), abi.encode(address(this)));
        pair = IV2Factory(factory).createPair(address(weth), address(usdc));
        weth.deposit{value: wethAmount}();
        weth.transfer(pair, wethAmount);
        usdc.mint(pair, usdcAmount);
        IV2Pair(pair).mint(address(this));
    }

    function _route(uint256 amountIn, uint256 minProfit, address first, address second)
        internal
        view
        returns (bytes memory)
    {
        bool wethIs0First = IV2Pair(first).token0() == address(weth);
        bool usdcIs0Second = IV2Pair(second).token0() == address(usdc);
        return abi.encodePacked(
            uint8(1),
            uint8(2),
            vault,
            address(weth),
            uint128(amountIn),
            uint128(minProfit),
            uint16(0),
            abi.encodePacked(uint8(wethIs0First ? 2 : 0), first, address(usdc), uint16(30)),
            abi.encodePacked(uint8(usdcIs0Second ? 2 : 0), second, address(weth), uint16(30))
        );
    }

    function _out(address pair, address tokenIn, uint256 amountIn) internal view returns (uint256) {
        (uint256 r0, uint256 r1,) = IV2Pair(pair).getReserves();
        (uint256 rIn, uint256 rOut) = IV2Pair(pair).token0() == tokenIn ? (r0, r1) : (r1, r0);
        uint256 withFee = amountIn * 997;
        return (withFee * rOut) / (rIn * 1000 + withFee);
    }

    function test_profitableCycleOnAFlashLoanKeepsExactlyTheProfit() public {
        uint256 amountIn = 10 ether;
        uint256 expected = _out(pairDear, address(usdc), _out(pairCheap, address(weth), amountIn)) - amountIn;
        uint256 vaultBefore = weth.balanceOf(vault);
        executor.execute(_route(amountIn, expected, pairCheap, pairDear));
        assertEq(weth.balanceOf(address(executor)), expected, "profit");
        assertEq(weth.balanceOf(vault), vaultBefore, "vault repaid");
        assertEq(usdc.balanceOf(address(executor)), 0, "nothing else held");
    }

    function testFuzz_anyProfitableSizeKeepsExactlyTheModelledProfit(uint256 amountIn) public {
        amountIn = 1e12 + (amountIn % 20 ether);
        uint256 back = _out(pairDear, address(usdc), _out(pairCheap, address(weth), amountIn));
        if (back <= amountIn) {
            bytes memory losing = _route(amountIn, 0, pairCheap, pairDear); // built first: expectRevert binds the next call
            vm.expectRevert(abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, back, amountIn));
            executor.execute(losing);
            return;
        }
        executor.execute(_route(amountIn, back - amountIn, pairCheap, pairDear));
        assertEq(weth.balanceOf(address(executor)), back - amountIn, "profit");
    }

    function testFuzz_unprofitableDirectionAlwaysRevertsAndChangesNothing(uint256 amountIn) public {
        amountIn = 1e9 + (amountIn % 100 ether);
        (uint112 a0, uint112 a1,) = IV2Pair(pairCheap).getReserves();
        (uint112 b0, uint112 b1,) = IV2Pair(pairDear).getReserves();
        uint256 back = _out(pairCheap, address(usdc), _out(pairDear, address(weth), amountIn));
        bytes memory route = _route(amountIn, 0, pairDear, pairCheap); // built first: expectRevert binds the next call
        vm.expectRevert(abi.encodeWithSelector(ArbExecutor.Unprofitable.selector, back, amountIn));
        executor.execute(route);
        (uint112 c0, uint112 c1,) = IV2Pair(pairCheap).getReserves();
        (uint112 d0, uint112 d1,) = IV2Pair(pairDear).getReserves();
        assertTrue(a0 == c0 && a1 == c1 && b0 == d0 && b1 == d1, "reserves unchanged");
        assertEq(weth.balanceOf(address(executor)), 0, "no balance change");
    }
}
