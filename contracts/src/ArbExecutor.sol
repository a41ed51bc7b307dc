// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ArbExecutor
/// @notice Runs a whole arbitrage cycle atomically, on borrowed or own capital, and reverts unless it
///         makes at least `minProfit` after the loan fee. Optionally pays the block builder a share of
///         the profit. Only the owner and callers the owner approved can execute; nobody can make it
///         call anything but the pools and the lender named in the route it is running.
///
/// Route encoding (packed, big-endian), `execute(bytes route)`:
///   header, 76 bytes:
///     [0]       uint8    capital: 0 = own balance, 1 = Balancer V2 Vault flash loan
///     [1]       uint8    hop count n, 2..4
///     [2:22]    address  lender (the Vault for capital 1; ignored for 0)
///     [22:42]   address  start token (borrowed, swapped through the cycle, and profit token)
///     [42:58]   uint128  amount in
///     [58:74]   uint128  minProfit (after the loan fee)
///     [74:76]   uint16   builder share of profit in bps, paid to block.coinbase (start token must be WETH)
///   then n hops of 43 bytes:
///     [0]       uint8    flags: bit0 = V3 (else V2), bit1 = zeroForOne (token0 in, token1 out)
///     [1:21]    address  pool
///     [21:41]   address  token out (token in is the previous hop's token out, or the start token)
///     [41:43]   uint16   V2 fee in bps (30 = Uniswap's 0.30%); unused for V3
///   The last hop's token out must be the start token.
contract ArbExecutor {
    uint256 internal constant HEADER = 76;
    uint256 internal constant HOP = 43;
    uint160 internal constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    // Transient slots (EIP-1153): live only during one execution, so nothing is left behind.
    uint256 internal constant T_LOCK = 0;
    uint256 internal constant T_EXPECTED = 1; // the only address a callback is accepted from right now
    uint256 internal constant T_TOKEN_IN = 2; // what the V3 callback must pay

    address public immutable owner;
    address public immutable weth;
    mapping(address => bool) public isCaller;

    event Executed(address indexed token, uint256 amountIn, uint256 profit, uint256 builderPayment);
    event CallerSet(address indexed caller, bool allowed);

    error NotOwner(address sender);
    error NotCaller(address sender);
    error Reentrancy();
    error BadRoute(string why);
    error UnexpectedCallback(address sender);
    error Unprofitable(uint256 balanceAfter, uint256 required);
    error TransferFailed(address token);

    constructor(address weth_) {
        owner = msg.sender;
        weth = weth_;
    }

    receive() external payable {
        if (msg.sender != weth) revert NotOwner(msg.sender); // only unwrapping sends ETH here
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    // --- owner administration --------------------------------------------------------------------

    function setCaller(address caller, bool allowed) external onlyOwner {
        isCaller[caller] = allowed;
        emit CallerSet(caller, allowed);
    }

    function withdraw(address token, address to, uint256 amount) external onlyOwner {
        _transfer(token, to, amount);
    }

    function withdrawETH(address payable to, uint256 amount) external onlyOwner {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(address(0));
    }

    // --- execution ---------------------------------------------------------------------------------

    function execute(bytes calldata route) external {
        if (msg.sender != owner && !isCaller[msg.sender]) revert NotCaller(msg.sender);
        if (_tload(T_LOCK) != 0) revert Reentrancy();
        _tstore(T_LOCK, 1);
        if (route.length < HEADER) revert BadRoute("short header");
        uint256 n = uint8(route[1]);
        if (n < 2 || n > 4) revert BadRoute("hop count");
        if (route.length != HEADER + n * HOP) revert BadRoute("length");
        address token = address(bytes20(route[22:42]));
        uint256 amountIn = uint128(bytes16(route[42:58]));
        if (amountIn == 0) revert BadRoute("zero amount");
        uint8 capital = uint8(route[0]);
        if (capital == 0) {
            uint256 before = _balance(token);
            _runHops(route, amountIn);
            _payBuilder(route, token, _requireProfit(route, token, before));
        } else if (capital == 1) {
            address vault = address(bytes20(route[2:22]));
            address[] memory tokens = new address[](1);
            tokens[0] = token;
            uint256[] memory amounts = new uint256[](1);
            amounts[0] = amountIn;
            _tstore(T_EXPECTED, uint256(uint160(vault)));
            IBalancerVault(vault).flashLoan(address(this), tokens, amounts, route);
            _tstore(T_EXPECTED, 0);
        } else {
            revert BadRoute("capital");
        }
        _tstore(T_LOCK, 0);
    }

    /// Balancer V2 Vault flash-loan callback: only from the Vault this execution called.
    function receiveFlashLoan(
        address[] calldata tokens,
        uint256[] calldata amounts,
        uint256[] calldata feeAmounts,
        bytes calldata route
    ) external {
        if (msg.sender != address(uint160(_tload(T_EXPECTED))) || msg.sender == address(0)) {
            revert UnexpectedCallback(msg.sender);
        }
        _tstore(T_EXPECTED, 0);
        uint256 owed = amounts[0] + feeAmounts[0];
        uint256 before = _balance(tokens[0]) - amounts[0]; // balance before the loan arrived
        _runHops(route, amounts[0]);
        // Judge profit before repaying, so a losing route fails with Unprofitable, not a failed repay.
        uint256 profit = _requireProfit(route, tokens[0], before + owed);
        _transfer(tokens[0], msg.sender, owed);
        _payBuilder(route, tokens[0], profit);
    }

    /// Uniswap V3 swap callback: only from the pool the running hop called, paying exactly what it owes.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        if (msg.sender != address(uint160(_tload(T_EXPECTED))) || msg.sender == address(0)) {
            revert UnexpectedCallback(msg.sender);
        }
        _tstore(T_EXPECTED, 0);
        uint256 owed = uint256(amount0Delta > 0 ? amount0Delta : amount1Delta);
        _transfer(address(uint160(_tload(T_TOKEN_IN))), msg.sender, owed);
    }

    /// Reverts unless the balance now is at least `baseline + minProfit`; returns the profit over baseline.
    function _requireProfit(bytes calldata route, address token, uint256 baseline) private view returns (uint256) {
        uint256 required = baseline + uint128(bytes16(route[58:74]));
        uint256 balanceNow = _balance(token);
        if (balanceNow < required) revert Unprofitable(balanceNow, required);
        return balanceNow - baseline;
    }

    function _payBuilder(bytes calldata route, address token, uint256 profit) private {
        uint256 shareBps = uint16(bytes2(route[74:76]));
        uint256 payment;
        if (shareBps != 0) {
            if (token != weth || shareBps > 10_000) revert BadRoute("builder share");
            payment = (profit * shareBps) / 10_000;
            IWETH(weth).withdraw(payment);
            (bool ok,) = block.coinbase.call{value: payment}("");
            if (!ok) revert TransferFailed(address(0));
        }
        emit Executed(token, uint128(bytes16(route[42:58])), profit - payment, payment);
    }

    function _runHops(bytes calldata route, uint256 amount) private {
        uint256 n = uint8(route[1]);
        address tokenIn = address(bytes20(route[22:42]));
        bool atPool; // the input is already sitting in this hop's pool (sent there by the previous hop)
        for (uint256 i = 0; i < n; ++i) {
            uint256 o = HEADER + i * HOP;
            address to = _recipient(route, i, n);
            amount = _hop(route, o, tokenIn, amount, atPool, to);
            atPool = to != address(this);
            tokenIn = address(bytes20(route[o + 21:o + 41]));
        }
        if (tokenIn != address(bytes20(route[22:42]))) revert BadRoute("not a cycle");
    }

    /// Where hop i sends its output: straight into the next pool when that is a V2 pair (one transfer
    /// fewer), else to this contract.
    function _recipient(bytes calldata route, uint256 i, uint256 n) private view returns (address) {
        if (i + 1 == n) return address(this);
        uint256 next = HEADER + (i + 1) * HOP;
        if (uint8(route[next]) & 1 != 0) return address(this);
        return address(bytes20(route[next + 1:next + 21]));
    }

    function _hop(bytes calldata route, uint256 o, address tokenIn, uint256 amount, bool atPool, address to)
        private
        returns (uint256)
    {
        uint8 flags = uint8(route[o]);
        address pool = address(bytes20(route[o + 1:o + 21]));
        if (flags & 1 == 0) {
            if (!atPool) _transfer(tokenIn, pool, amount);
            return _swapV2(pool, flags & 2 != 0, amount, uint16(bytes2(route[o + 41:o + 43])), to);
        }
        return _swapV3(pool, flags & 2 != 0, amount, tokenIn, to);
    }

    function _swapV2(address pair, bool zeroForOne, uint256 amountIn, uint256 feeBps, address to)
        private
        returns (uint256 out)
    {
        if (feeBps >= 10_000) revert BadRoute("fee");
        (uint256 r0, uint256 r1,) = IUniswapV2Pair(pair).getReserves();
        (uint256 rIn, uint256 rOut) = zeroForOne ? (r0, r1) : (r1, r0);
        uint256 withFee = amountIn * (10_000 - feeBps);
        out = (withFee * rOut) / (rIn * 10_000 + withFee);
        if (zeroForOne) IUniswapV2Pair(pair).swap(0, out, to, "");
        else IUniswapV2Pair(pair).swap(out, 0, to, "");
    }

    function _swapV3(address pool, bool zeroForOne, uint256 amountIn, address tokenIn, address to)
        private
        returns (uint256 out)
    {
        _tstore(T_EXPECTED, uint256(uint160(pool)));
        _tstore(T_TOKEN_IN, uint256(uint160(tokenIn)));
        (int256 a0, int256 a1) = IUniswapV3Pool(pool).swap(
            to,
            zeroForOne,
            int256(amountIn),
            zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE,
            ""
        );
        if (_tload(T_EXPECTED) != 0) revert UnexpectedCallback(pool); // the pool must have called back
        out = uint256(-(zeroForOne ? a1 : a0));
    }

    // --- helpers -------------------------------------------------------------------------------------

    function _balance(address token) private view returns (uint256 b) {
        (bool ok, bytes memory ret) = token.staticcall(abi.encodeWithSelector(0x70a08231, address(this)));
        if (!ok || ret.length < 32) revert TransferFailed(token);
        b = abi.decode(ret, (uint256));
    }

    function _transfer(address token, address to, uint256 amount) private {
        (bool ok, bytes memory ret) = token.call(abi.encodeWithSelector(0xa9059cbb, to, amount));
        if (!ok || (ret.length != 0 && !abi.decode(ret, (bool)))) revert TransferFailed(token);
    }

    function _tload(uint256 slot) private view returns (uint256 v) {
        assembly {
            v := tload(slot)
        }
    }

    function _tstore(uint256 slot, uint256 v) private {
        assembly {
            tstore(slot, v)
        }
    }
}

interface IBalancerVault {
    function flashLoan(address recipient, address[] memory tokens, uint256[] memory amounts, bytes memory userData)
        external;
}

interface IUniswapV2Pair {
    function getReserves() external view returns (uint112, uint112, uint32);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

interface IUniswapV3Pool {
    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes calldata)
        external
        returns (int256 amount0, int256 amount1);
}

interface IWETH {
    function withdraw(uint256) external;
}
