// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ExecutorFixture, IQuoterV2, IV3Pool} from "../ExecutorFixture.sol";
import {PancakeV3PoolDeployer} from "../../src/replica/PancakeV3PoolDeployer.sol";

struct Key {
    address currency0;
    address currency1;
    uint24 fee;
    int24 tickSpacing;
    address hooks;
}

struct ModifyParams {
    int24 tickLower;
    int24 tickUpper;
    int256 liquidityDelta;
    bytes32 salt;
}

interface IManager {
    function unlock(bytes calldata data) external returns (bytes memory);
    function initialize(Key memory key, uint160 sqrtPriceX96) external returns (int24);
    function modifyLiquidity(Key memory key, ModifyParams memory params, bytes calldata hookData)
        external
        returns (int256, int256);
    function sync(address currency) external;
    function settle() external payable returns (uint256);
    function take(address currency, address to, uint256 amount) external;
    function extsload(bytes32 slot) external view returns (bytes32);
}

interface IV4Quoter {
    struct QuoteExactSingleParams {
        Key poolKey;
        bool zeroForOne;
        uint128 exactAmount;
        bytes hookData;
    }

    function quoteExactInputSingle(QuoteExactSingleParams memory params) external returns (uint256, uint256);
}

interface ITokenLike {
    function transfer(address, uint256) external returns (bool);
}

/// @notice Adds full-range liquidity to Uniswap V4 pools for the tests (what a position manager does:
///         unlock, modifyLiquidity, settle what is owed). Pays from its own balance.
contract V4Liquidity {
    IManager public immutable manager;

    constructor(IManager manager_) {
        manager = manager_;
    }

    function add(Key memory key, int24 lower, int24 upper, uint256 liquidity) external {
        manager.unlock(abi.encode(key, lower, upper, liquidity));
    }

    function unlockCallback(bytes calldata data) external returns (bytes memory) {
        require(msg.sender == address(manager), "manager only");
        (Key memory key, int24 lower, int24 upper, uint256 liquidity) = abi.decode(data, (Key, int24, int24, uint256));
        (int256 delta,) = manager.modifyLiquidity(key, ModifyParams(lower, upper, int256(liquidity), 0), "");
        _pay(key.currency0, uint256(-(delta >> 128)));
        _pay(key.currency1, uint256(-int256(int128(delta))));
        return "";
    }

    function _pay(address currency, uint256 amount) internal {
        if (currency == address(0)) {
            manager.settle{value: amount}();
        } else {
            manager.sync(currency);
            ITokenLike(currency).transfer(address(manager), amount);
            manager.settle();
        }
    }

    receive() external payable {}
}

/// @notice The executor fixture's market plus Uniswap V4 (the real PoolManager from npm, pools seeded with
///         full-range liquidity) and PancakeSwap V3 (the real factory and pool, the deployer stand-in).
///         Prices, in USDC per ether: pairCheap 3300, pairDear 3100, v3 3200 (from ExecutorFixture), and
///           keyEth   ETH/USDC V4 0.05%, native ether, 3000   (ether cheap)
///           keyEth2  ETH/USDC V4 0.30%, native ether, 3300   (ether dear)
///           keyWeth  WETH/USDC V4 0.30%, ERC-20 WETH, 3250
///           cake     WETH/USDC PancakeSwap V3 0.25%, 3000
///           cakeLender WETH/DAI PancakeSwap V3 0.05%: a flash lender no route uses.
abstract contract V4Fixture is ExecutorFixture {
    uint24 internal constant CAKE_FEE = 2500;
    address internal manager;
    V4Liquidity internal liquidity;
    IV4Quoter internal v4Quoter;
    IQuoterV2 internal cakeQuoter;
    Key internal keyEth;
    Key internal keyEth2;
    Key internal keyWeth;
    address internal cakeDeployer;
    address internal cakeFactory;
    address internal cake;
    address internal cakeLender;
    address private cakeMint0;
    address private cakeMint1;

    function _buildV4Market() internal {
        _buildMarket();
        manager = deployCode(vm.getCode("contracts/artifacts/protocol/PoolManager.json"), abi.encode(address(this)));
        liquidity = new V4Liquidity(IManager(manager));
        v4Quoter = IV4Quoter(deployCode(vm.getCode("contracts/artifacts/protocol/V4Quoter.json"), abi.encode(manager)));
        keyEth = _v4Pool(address(0), 1000 ether, address(usdc), 3_000_000e6, 500, 10, address(0));
        keyEth2 = _v4Pool(address(0), 1000 ether, address(usdc), 3_300_000e6, 3000, 60, address(0));
        keyWeth = _v4Pool(address(weth), 1000 ether, address(usdc), 3_250_000e6, 3000, 60, address(0));
        _buildPancake();
    }

    /// A V4 pool with one full-range position holding about amountA of a and amountB of b.
    function _v4Pool(address a, uint256 amountA, address b, uint256 amountB, uint24 fee, int24 spacing, address hooks)
        internal
        returns (Key memory key)
    {
        (address c0, address c1) = a < b ? (a, b) : (b, a);
        (uint256 r0, uint256 r1) = a < b ? (amountA, amountB) : (amountB, amountA);
        key = Key(c0, c1, fee, spacing, hooks);
        IManager(manager).initialize(key, uint160(_sqrt((r1 << 96) / r0) << 48));
        _v4Liquidity(key, r0, r1);
    }

    function _v4Liquidity(Key memory key, uint256 r0, uint256 r1) internal {
        for (uint256 k = 0; k < 2; ++k) {
            address c = k == 0 ? key.currency0 : key.currency1;
            uint256 amount = (k == 0 ? r0 : r1) * 2; // full range takes a little more than the ratio: enough
            if (c == address(0)) vm.deal(address(liquidity), address(liquidity).balance + amount);
            else _fund(c, address(liquidity), amount);
        }
        int24 top = (887272 / key.tickSpacing) * key.tickSpacing;
        liquidity.add(key, -top, top, _sqrt(r0 * r1));
    }

    function _buildPancake() internal {
        bytes memory poolCode = vm.getCode("contracts/artifacts/protocol/PancakeV3Pool.json");
        bytes memory holderInit =
            bytes.concat(hex"61", bytes2(uint16(poolCode.length + 1)), hex"80600a5f395ff3", hex"00", poolCode);
        address holder;
        assembly {
            holder := create(0, add(holderInit, 0x20), mload(holderInit))
        }
        require(holder != address(0), "pool code holder");
        cakeDeployer = address(new PancakeV3PoolDeployer(holder));
        cakeFactory =
            deployCode(vm.getCode("contracts/artifacts/protocol/PancakeV3Factory.json"), abi.encode(cakeDeployer));
        PancakeV3PoolDeployer(cakeDeployer).setFactoryAddress(cakeFactory);
        cake = _cakePool(address(weth), 1000 ether, address(usdc), 3_000_000e6, CAKE_FEE, 50);
        cakeLender = _cakePool(address(weth), 1000 ether, address(dai), 3_200_000 ether, 500, 10);
        cakeQuoter = IQuoterV2(
            deployCode(
                vm.getCode("contracts/artifacts/protocol/PancakeQuoterV2.json"),
                abi.encode(cakeDeployer, cakeFactory, address(weth))
            )
        );
    }

    function _cakePool(address a, uint256 amountA, address b, uint256 amountB, uint24 fee, int24 spacing)
        internal
        returns (address pool)
    {
        (bool ok, bytes memory ret) =
            cakeFactory.call(abi.encodeWithSignature("createPool(address,address,uint24)", a, b, fee));
        require(ok, "createPool");
        pool = abi.decode(ret, (address));
        (uint256 r0, uint256 r1) = a < b ? (amountA, amountB) : (amountB, amountA);
        IV3Pool(pool).initialize(uint160(_sqrt((r1 << 96) / r0) << 48));
        (cakeMint0, cakeMint1) = a < b ? (a, b) : (b, a);
        int24 top = (887272 / spacing) * spacing;
        IV3Pool(pool).mint(address(this), -top, top, uint128(_sqrt(r0 * r1)), "");
    }

    function pancakeV3MintCallback(uint256 owed0, uint256 owed1, bytes calldata) external {
        _fund(cakeMint0, msg.sender, owed0);
        _fund(cakeMint1, msg.sender, owed1);
    }

    // --- routes with every hop kind --------------------------------------------------------------

    uint8 internal constant K_V2 = 0;
    uint8 internal constant K_V3 = 1; // Uniswap V3 or PancakeSwap V3
    uint8 internal constant K_V4 = 2;
    uint8 internal constant K_BALANCER = 3; // the fixture's weighted pool, through the real Vault

    struct XLeg {
        uint8 kind;
        address pool; // V2/V3: the pool; V4: unused (the key names the pool)
        address tokenIn; // the route's tokens (WETH for a native side)
        address tokenOut;
        Key key; // V4 only
    }

    function _x2(address pool, address tokenIn, address tokenOut) internal pure returns (XLeg memory l) {
        l.pool = pool;
        (l.tokenIn, l.tokenOut) = (tokenIn, tokenOut);
    }

    function _x3(address pool, address tokenIn, address tokenOut) internal pure returns (XLeg memory l) {
        l = _x2(pool, tokenIn, tokenOut);
        l.kind = K_V3;
    }

    function _x4(Key memory key, address tokenIn, address tokenOut) internal pure returns (XLeg memory l) {
        l.kind = K_V4;
        l.key = key;
        (l.tokenIn, l.tokenOut) = (tokenIn, tokenOut);
    }

    function _xs(XLeg memory a, XLeg memory b) internal pure returns (XLeg[] memory legs) {
        legs = new XLeg[](2);
        (legs[0], legs[1]) = (a, b);
    }

    function _xs(XLeg memory a, XLeg memory b, XLeg memory c) internal pure returns (XLeg[] memory legs) {
        legs = new XLeg[](3);
        (legs[0], legs[1], legs[2]) = (a, b, c);
    }

    /// Whether `token` stands for the V4 key's native ether (currency0 = 0) in a route.
    function _isNative(Key memory key) internal pure returns (bool) {
        return key.currency0 == address(0);
    }

    function _xb(address tokenIn, address tokenOut) internal pure returns (XLeg memory l) {
        l.kind = K_BALANCER;
        (l.tokenIn, l.tokenOut) = (tokenIn, tokenOut);
    }

    function _xhop(XLeg memory l) internal view returns (bytes memory) {
        if (l.kind == K_BALANCER) return _balancerHop(vault, l.tokenIn, l.tokenOut, balPoolId);
        if (l.kind == K_V4) {
            bool zeroForOne = l.tokenOut == l.key.currency1; // currency1 is never native
            uint8 flags = uint8(4 | (zeroForOne ? 2 : 0) | (_isNative(l.key) ? 8 : 0));
            return abi.encodePacked(flags, l.key.hooks, l.tokenOut, l.key.fee, l.key.tickSpacing);
        }
        bool zfo = l.tokenIn < l.tokenOut;
        return abi.encodePacked(uint8((l.kind == K_V3 ? 1 : 0) | (zfo ? 2 : 0)), l.pool, l.tokenOut, uint16(30));
    }

    function _xroute(
        uint8 capital,
        address lender,
        uint256 amountIn,
        uint256 minProfit,
        uint16 share,
        XLeg[] memory legs
    ) internal view returns (bytes memory r) {
        r = abi.encodePacked(
            capital, uint8(legs.length), lender, legs[0].tokenIn, uint128(amountIn), uint128(minProfit), share
        );
        for (uint256 i = 0; i < legs.length; ++i) {
            r = bytes.concat(r, _xhop(legs[i]));
        }
    }

    /// What the cycle returns, hop by hop, quoted by the venues' own quoters (V2 from reserves).
    function _xout(XLeg[] memory legs, uint256 amountIn) internal returns (uint256 out) {
        out = amountIn;
        for (uint256 i = 0; i < legs.length; ++i) {
            if (out == 0) return 0;
            XLeg memory l = legs[i];
            if (l.kind == K_V2) {
                out = _v2Out(l.pool, l.tokenIn, out);
            } else if (l.kind == K_BALANCER) {
                out = _balancerOut(l.tokenIn, l.tokenOut, out);
            } else if (l.kind == K_V3) {
                IQuoterV2 q = l.pool == v3 || l.pool == lenderV3 ? quoter : cakeQuoter;
                IQuoterV2.QuoteExactInputSingleParams memory p =
                    IQuoterV2.QuoteExactInputSingleParams(l.tokenIn, l.tokenOut, out, _v3Fee(l.pool), 0);
                (bool ok, bytes memory ret) =
                    address(q).call(abi.encodeWithSelector(IQuoterV2.quoteExactInputSingle.selector, p));
                if (!ok) return 0;
                (out,,,) = abi.decode(ret, (uint256, uint160, uint32, uint256));
            } else {
                bool zeroForOne = l.tokenOut == l.key.currency1;
                IV4Quoter.QuoteExactSingleParams memory p =
                    IV4Quoter.QuoteExactSingleParams(l.key, zeroForOne, uint128(out), "");
                try v4Quoter.quoteExactInputSingle(p) returns (uint256 q, uint256) {
                    out = q;
                } catch {
                    return 0;
                }
            }
        }
    }

    function _v3Fee(address pool) internal view returns (uint24) {
        (bool ok, bytes memory ret) = pool.staticcall(abi.encodeWithSignature("fee()"));
        require(ok, "fee()");
        return abi.decode(ret, (uint24));
    }
}
