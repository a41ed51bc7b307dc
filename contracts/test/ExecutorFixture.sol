// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CheatsTest} from "./Cheats.sol";
import {ArbExecutor} from "../src/ArbExecutor.sol";
import {ReplicaToken} from "../src/replica/ReplicaToken.sol";

interface IWETH9 {
    function deposit() external payable;
    function withdraw(uint256) external;
    function transfer(address, uint256) external returns (bool);
    function approve(address, uint256) external returns (bool);
    function balanceOf(address) external view returns (uint256);
}

interface IERC20Like {
    function transfer(address, uint256) external returns (bool);
    function balanceOf(address) external view returns (uint256);
    function allowance(address, address) external view returns (uint256);
}

interface IV2Factory {
    function createPair(address, address) external returns (address);
}

interface IV2Pair {
    function mint(address) external returns (uint256);
    function token0() external view returns (address);
    function getReserves() external view returns (uint112, uint112, uint32);
    function swap(uint256, uint256, address, bytes calldata) external;
}

interface IV3Factory {
    function createPool(address, address, uint24) external returns (address);
}

interface IV3Pool {
    function initialize(uint160) external;
    function mint(address, int24, int24, uint128, bytes calldata) external returns (uint256, uint256);
    function token0() external view returns (address);
    function slot0() external view returns (uint160, int24, uint16, uint16, uint16, uint8, bool);
    function liquidity() external view returns (uint128);
}

interface IQuoterV2 {
    struct QuoteExactInputSingleParams {
        address tokenIn;
        address tokenOut;
        uint256 amountIn;
        uint24 fee;
        uint160 sqrtPriceLimitX96;
    }

    function quoteExactInputSingle(QuoteExactInputSingleParams memory)
        external
        returns (uint256 amountOut, uint160, uint32, uint256);
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

/// The parts of the Balancer V2 Vault and WeightedPoolFactory (v3) the fixture uses.
interface IBalancerVault {
    struct JoinPoolRequest {
        address[] assets;
        uint256[] maxAmountsIn;
        bytes userData;
        bool fromInternalBalance;
    }

    struct BatchSwapStep {
        bytes32 poolId;
        uint256 assetInIndex;
        uint256 assetOutIndex;
        uint256 amount;
        bytes userData;
    }

    struct FundManagement {
        address sender;
        bool fromInternalBalance;
        address payable recipient;
        bool toInternalBalance;
    }

    struct SingleSwap {
        bytes32 poolId;
        uint8 kind;
        address assetIn;
        address assetOut;
        uint256 amount;
        bytes userData;
    }

    function joinPool(bytes32 poolId, address sender, address recipient, JoinPoolRequest memory request)
        external
        payable;
    function queryBatchSwap(uint8 kind, BatchSwapStep[] memory swaps, address[] memory assets, FundManagement memory)
        external
        returns (int256[] memory);
    function swap(SingleSwap memory singleSwap, FundManagement memory funds, uint256 limit, uint256 deadline)
        external
        payable
        returns (uint256);
    function getPoolTokens(bytes32 poolId) external view returns (address[] memory, uint256[] memory, uint256);
}

interface IWeightedPoolFactory {
    function create(
        string memory name,
        string memory symbol,
        address[] memory tokens,
        uint256[] memory normalizedWeights,
        address[] memory rateProviders,
        uint256 swapFeePercentage,
        address owner
    ) external returns (address);
}

interface IBalancerPool {
    function getPoolId() external view returns (bytes32);
}

/// @notice A small market built from the real, unmodified protocol bytecode (npm artifacts): WETH9,
///         Uniswap V2 factory/pairs, Uniswap V3 factory/pools with QuoterV2, the Balancer V2 Vault.
///         Prices disagree so that cycles through them are profitable in one direction:
///           pairCheap  WETH/USDC V2 at 3300 USDC per WETH (sell WETH here)
///           pairDear   WETH/USDC V2 at 3100 (buy WETH here)
///           v3         WETH/USDC V3 0.30% at 3200
///           pairUsdcDai USDC/DAI V2 at 1:1, pairDaiWeth WETH/DAI V2 at 3200 (3-hop cycles)
///           lenderPair  WETH/DAI V2 and lenderV3 WETH/DAI V3 0.05%: lenders no route uses.
///           balPool     Balancer V2 weighted pool (the real WeightedPoolFactory v3 in the real Vault), WETH/USDC/
///                       DAI at equal weights, 0.3% fee, 3300 USDC and 3300 DAI per WETH. A leg whose pool is
///                       `vault` is a Balancer hop through it.
abstract contract ExecutorFixture is CheatsTest {
    uint24 internal constant V3_FEE = 3000;
    uint24 internal constant LENDER_V3_FEE = 500;
    uint160 internal constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    ArbExecutor internal executor;
    IWETH9 internal weth;
    ReplicaToken internal usdc;
    ReplicaToken internal dai;
    address internal vault;
    address internal v3Factory;
    IQuoterV2 internal quoter;
    address internal pairCheap;
    address internal pairDear;
    address internal pairUsdcDai;
    address internal pairDaiWeth;
    address internal lenderPair;
    address internal v3;
    address internal lenderV3;
    address internal balPool;
    bytes32 internal balPoolId;
    address private mintToken0;
    address private mintToken1;

    function _buildMarket() internal {
        vm.deal(address(this), 1_000_000 ether);
        weth = IWETH9(deployCode(vm.getCode("contracts/artifacts/protocol/WETH9.json"), ""));
        usdc = new ReplicaToken("USD Coin", "USDC", 6);
        dai = new ReplicaToken("Dai", "DAI", 18);
        address auth =
            deployCode(vm.getCode("contracts/artifacts/protocol/BalancerAuthorizer.json"), abi.encode(address(this)));
        vault = deployCode(
            vm.getCode("contracts/artifacts/protocol/BalancerVault.json"), abi.encode(auth, address(weth), 0, 0)
        );
        pairCheap = _pair(address(weth), 1000 ether, address(usdc), 3_300_000e6);
        pairDear = _pair(address(weth), 1000 ether, address(usdc), 3_100_000e6);
        pairUsdcDai = _pair(address(usdc), 5_000_000e6, address(dai), 5_000_000 ether);
        pairDaiWeth = _pair(address(weth), 1000 ether, address(dai), 3_200_000 ether);
        lenderPair = _pair(address(weth), 1000 ether, address(dai), 3_200_000 ether);
        v3Factory = deployCode(vm.getCode("contracts/artifacts/protocol/UniswapV3Factory.json"), "");
        v3 = _v3Pool(address(weth), 1000 ether, address(usdc), 3_200_000e6, V3_FEE, 60);
        lenderV3 = _v3Pool(address(weth), 1000 ether, address(dai), 3_200_000 ether, LENDER_V3_FEE, 10);
        quoter = IQuoterV2(
            deployCode(vm.getCode("contracts/artifacts/protocol/QuoterV2.json"), abi.encode(v3Factory, address(weth)))
        );
        // Flash-loan liquidity: WETH deposited into the Vault's internal balance.
        weth.deposit{value: 5000 ether}();
        weth.approve(vault, 5000 ether);
        IVault.UserBalanceOp[] memory ops = new IVault.UserBalanceOp[](1);
        ops[0] = IVault.UserBalanceOp(0, address(weth), 5000 ether, address(this), payable(address(this)));
        IVault(vault).manageUserBalance(ops);
        _balancerPool();
        executor = new ArbExecutor(address(weth), 10_000);
    }

    /// The weighted pool, created by the real factory and INIT-joined (tokens sorted, as the Vault requires).
    function _balancerPool() internal {
        address provider = deployCode(
            vm.getCode("contracts/artifacts/protocol/BalancerProtocolFeePercentagesProvider.json"),
            abi.encode(vault, 5e17, 5e17)
        );
        address factory = deployCode(
            vm.getCode("contracts/artifacts/protocol/BalancerWeightedPoolFactory.json"),
            abi.encode(vault, provider, "factory", "pool")
        );
        address[3] memory t = [address(weth), address(usdc), address(dai)];
        uint256[3] memory a = [uint256(1000 ether), 3_300_000e6, 3_300_000 ether];
        for (uint256 i = 0; i < 3; ++i) {
            for (uint256 j = i + 1; j < 3; ++j) {
                if (t[j] < t[i]) {
                    (t[i], t[j]) = (t[j], t[i]);
                    (a[i], a[j]) = (a[j], a[i]);
                }
            }
        }
        address[] memory tokens = new address[](3);
        uint256[] memory amounts = new uint256[](3);
        uint256[] memory weights = new uint256[](3);
        for (uint256 i = 0; i < 3; ++i) {
            (tokens[i], amounts[i]) = (t[i], a[i]);
            weights[i] = i == 2 ? 333_333_333_333_333_334 : 333_333_333_333_333_333;
            _fund(t[i], address(this), a[i]);
            IWETH9(t[i]).approve(vault, a[i]);
        }
        balPool = IWeightedPoolFactory(factory).create("B", "B", tokens, weights, new address[](3), 3e15, address(this));
        balPoolId = IBalancerPool(balPool).getPoolId();
        IBalancerVault(vault)
            .joinPool(
                balPoolId,
                address(this),
                address(this),
                IBalancerVault.JoinPoolRequest(tokens, amounts, abi.encode(uint256(0), amounts), false)
            );
    }

    /// What the real pool pays for exactly `amountIn` now (the Vault's own query); 0 if the Vault refuses it.
    function _balancerOut(address tokenIn, address tokenOut, uint256 amountIn) internal returns (uint256) {
        IBalancerVault.BatchSwapStep[] memory steps = new IBalancerVault.BatchSwapStep[](1);
        steps[0] = IBalancerVault.BatchSwapStep(balPoolId, 0, 1, amountIn, "");
        address[] memory assets = new address[](2);
        (assets[0], assets[1]) = (tokenIn, tokenOut);
        try IBalancerVault(vault)
            .queryBatchSwap(
                0, steps, assets, IBalancerVault.FundManagement(address(this), false, payable(address(this)), false)
            ) returns (
            int256[] memory deltas
        ) {
            return deltas[1] < 0 ? uint256(-deltas[1]) : 0;
        } catch {
            return 0;
        }
    }

    /// A Balancer hop's bytes: flag bit4 (with zeroForOne as the pair direction), the Vault, token out, pool id.
    function _balancerHop(address v, address tokenIn, address tokenOut, bytes32 poolId)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(uint8(16 | (tokenIn < tokenOut ? 2 : 0)), v, tokenOut, poolId);
    }

    function _fund(address token, address to, uint256 amount) internal {
        if (token == address(weth)) {
            weth.deposit{value: amount}();
            weth.transfer(to, amount);
        } else {
            ReplicaToken(token).mint(to, amount);
        }
    }

    function _pair(address a, uint256 amountA, address b, uint256 amountB) internal returns (address pair) {
        address factory =
            deployCode(vm.getCode("contracts/artifacts/protocol/UniswapV2Factory.json"), abi.encode(address(this)));
        pair = IV2Factory(factory).createPair(a, b);
        _fund(a, pair, amountA);
        _fund(b, pair, amountB);
        IV2Pair(pair).mint(address(this));
    }

    /// A full-range V3 position holding about amountA of a and amountB of b, priced amountB/amountA.
    function _v3Pool(address a, uint256 amountA, address b, uint256 amountB, uint24 fee, int24 spacing)
        internal
        returns (address pool)
    {
        pool = IV3Factory(v3Factory).createPool(a, b, fee);
        (uint256 r0, uint256 r1) = a < b ? (amountA, amountB) : (amountB, amountA);
        IV3Pool(pool).initialize(uint160(_sqrt((r1 << 96) / r0) << 48));
        (mintToken0, mintToken1) = a < b ? (a, b) : (b, a);
        int24 top = (887272 / spacing) * spacing;
        IV3Pool(pool).mint(address(this), -top, top, uint128(_sqrt(r0 * r1)), "");
    }

    function uniswapV3MintCallback(uint256 owed0, uint256 owed1, bytes calldata) external {
        _fund(mintToken0, msg.sender, owed0);
        _fund(mintToken1, msg.sender, owed1);
    }

    function _sqrt(uint256 x) internal pure returns (uint256 y) {
        if (x == 0) return 0;
        y = x;
        uint256 z = (x + 1) / 2;
        while (z < y) {
            y = z;
            z = (x / z + z) / 2;
        }
    }

    // --- routes and exact expectations ----------------------------------------------------------

    struct Leg {
        address pool;
        bool isV3;
        address tokenIn;
        address tokenOut;
    }

    function _leg(address pool, bool isV3, address tokenIn, address tokenOut) internal pure returns (Leg memory) {
        return Leg(pool, isV3, tokenIn, tokenOut);
    }

    function _route(uint8 capital, address lender, uint256 amountIn, uint256 minProfit, uint16 share, Leg[] memory legs)
        internal
        view
        returns (bytes memory r)
    {
        r = abi.encodePacked(
            capital, uint8(legs.length), lender, legs[0].tokenIn, uint128(amountIn), uint128(minProfit), share
        );
        for (uint256 i = 0; i < legs.length; ++i) {
            bool zeroForOne = legs[i].tokenIn < legs[i].tokenOut;
            if (legs[i].pool == vault) {
                r = bytes.concat(r, _balancerHop(vault, legs[i].tokenIn, legs[i].tokenOut, balPoolId));
                continue;
            }
            r = bytes.concat(
                r,
                abi.encodePacked(
                    uint8((legs[i].isV3 ? 1 : 0) | (zeroForOne ? 2 : 0)), legs[i].pool, legs[i].tokenOut, uint16(30)
                )
            );
        }
    }

    function _v2Out(address pair, address tokenIn, uint256 amountIn) internal view returns (uint256) {
        (uint256 r0, uint256 r1,) = IV2Pair(pair).getReserves();
        (uint256 rIn, uint256 rOut) = IV2Pair(pair).token0() == tokenIn ? (r0, r1) : (r1, r0);
        uint256 withFee = amountIn * 9970;
        return (withFee * rOut) / (rIn * 10_000 + withFee);
    }

    /// What the whole cycle returns, hop by hop from the real pools (no pool repeats in a route).
    function _cycleOut(Leg[] memory legs, uint256 amountIn) internal returns (uint256 out) {
        out = amountIn;
        for (uint256 i = 0; i < legs.length; ++i) {
            if (out == 0) return 0;
            if (legs[i].pool == vault) {
                out = _balancerOut(legs[i].tokenIn, legs[i].tokenOut, out);
            } else if (!legs[i].isV3) {
                out = _v2Out(legs[i].pool, legs[i].tokenIn, out);
            } else {
                try quoter.quoteExactInputSingle(
                    IQuoterV2.QuoteExactInputSingleParams(legs[i].tokenIn, legs[i].tokenOut, out, V3_FEE, 0)
                ) returns (
                    uint256 q, uint160, uint32, uint256
                ) {
                    out = q;
                } catch {
                    return 0;
                }
            }
        }
    }

    function _legs2(Leg memory a, Leg memory b) internal pure returns (Leg[] memory legs) {
        legs = new Leg[](2);
        (legs[0], legs[1]) = (a, b);
    }

    function _legs3(Leg memory a, Leg memory b, Leg memory c) internal pure returns (Leg[] memory legs) {
        legs = new Leg[](3);
        (legs[0], legs[1], legs[2]) = (a, b, c);
    }

    /// The cycle shapes the fuzzers draw from; even indices are profitable at small sizes, odd lose.
    function _shape(uint256 k) internal view returns (Leg[] memory) {
        address w = address(weth);
        address u = address(usdc);
        k = k % 8;
        if (k == 0) return _legs2(_leg(pairCheap, false, w, u), _leg(pairDear, false, u, w));
        if (k == 1) return _legs2(_leg(pairDear, false, w, u), _leg(pairCheap, false, u, w));
        if (k == 2) return _legs2(_leg(pairCheap, false, w, u), _leg(v3, true, u, w));
        if (k == 3) return _legs2(_leg(v3, true, w, u), _leg(pairCheap, false, u, w));
        if (k == 4) return _legs2(_leg(v3, true, w, u), _leg(pairDear, false, u, w));
        if (k == 5) return _legs2(_leg(pairDear, false, w, u), _leg(v3, true, u, w));
        if (k == 6) {
            return _legs3(
                _leg(pairCheap, false, w, u),
                _leg(pairUsdcDai, false, u, address(dai)),
                _leg(pairDaiWeth, false, address(dai), w)
            );
        }
        return _legs3(
            _leg(pairDaiWeth, false, w, address(dai)),
            _leg(pairUsdcDai, false, address(dai), u),
            _leg(pairCheap, false, u, w)
        );
    }

    /// Cycles through the Balancer pool; even indices are profitable at small sizes, odd lose.
    function _balShape(uint256 k) internal view returns (Leg[] memory) {
        address w = address(weth);
        address u = address(usdc);
        address d = address(dai);
        k = k % 6;
        if (k == 0) return _legs2(_leg(vault, false, w, u), _leg(pairDear, false, u, w));
        if (k == 1) return _legs2(_leg(pairDear, false, w, u), _leg(vault, false, u, w));
        if (k == 2) return _legs2(_leg(v3, true, u, w), _leg(vault, false, w, u));
        if (k == 3) return _legs2(_leg(vault, false, u, w), _leg(v3, true, w, u));
        if (k == 4) {
            return _legs3(_leg(pairCheap, false, w, u), _leg(vault, false, u, d), _leg(pairDaiWeth, false, d, w));
        }
        return _legs3(_leg(pairDaiWeth, false, w, d), _leg(vault, false, d, u), _leg(pairCheap, false, u, w));
    }

    /// Fee a lender charges on `amount`, by capital code (Balancer charges none here).
    function _loanFee(uint8 capital, uint256 amount) internal pure returns (uint256) {
        if (capital == 2) return (amount * 1000 + 996) / 997 - amount;
        if (capital == 3) return (amount * LENDER_V3_FEE + 999_999) / 1_000_000;
        return 0;
    }

    function _lender(uint8 capital) internal view returns (address) {
        if (capital == 1) return vault;
        if (capital == 2) return lenderPair;
        if (capital == 3) return lenderV3;
        return address(0);
    }

    receive() external payable {}
}
