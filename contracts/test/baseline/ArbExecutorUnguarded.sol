// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ArbExecutorUnguarded
/// @notice UNSAFE — gas baseline only, never deploy. ArbExecutor as it was before the hostile-caller fixes
///         (no end-of-call balance checks, no builder-share cap, immutable owner). BENCHMARKS.md sets its
///         gas beside the current executor's, so the cost of those checks is visible.
/// @notice Runs a whole arbitrage cycle atomically, on borrowed or own capital, and reverts unless it
///         makes at least `minProfit` after the loan fee. Optionally pays the block builder a share of
///         the profit. Only the owner and callers the owner approved can execute; nobody can make it
///         call anything but the pools and the lender named in the route it is running.
///
/// Route encoding (packed, big-endian), `execute(bytes route)`:
///   header, 76 bytes:
///     [0]       uint8    capital: 0 = own balance
///                                 1 = Balancer V2 Vault flash loan   (lender = the Vault)
///                                 2 = Uniswap V2 flash swap          (lender = a pair holding the start token,
///                                     not used by the route; repaid with the 0.30% V2 fee, rounded up)
///                                 3 = Uniswap V3 flash               (lender = a pool holding the start token,
///                                     not used by the route; repaid with the pool's fee)
///                                 4 = Aave V3 flashLoanSimple        (lender = the Aave Pool; premium)
///     [1]       uint8    hop count n, 2..4
///     [2:22]    address  lender (ignored for capital 0)
///     [22:42]   address  start token (borrowed, swapped through the cycle, and profit token)
///     [42:58]   uint128  amount in
///     [58:74]   uint128  minProfit (after the loan fee)
///     [74:76]   uint16   builder share of profit in bps, paid to block.coinbase (start token must be WETH)
///   then n hops of 43 bytes:
///     [0]       uint8    flags: bit0 = V3 (else V2), bit1 = zeroForOne (token0 in, token1 out); others 0
///     [1:21]    address  pool
///     [21:41]   address  token out (token in is the previous hop's token out, or the start token)
///     [41:43]   uint16   V2 fee in bps (30 = Uniswap's 0.30%); unused for V3
///   The last hop's token out must be the start token.
///
/// Token checks: a V3 pool's tokens (immutables, cheap to read) must be the hop's token in and out. A V2
/// pair whose output lands here before a V3 hop must pay out the declared token. Elsewhere a V2 output
/// goes straight into the next pair or ends the cycle, where the pair's own invariant or the profit
/// guard rejects a wrong token; in no case does a wrong token make the executor spend its own holdings.
contract ArbExecutorUnguarded {
    uint256 internal constant HEADER = 76;
    uint256 internal constant HOP = 43;
    uint160 internal constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    // Capital codes.
    uint256 internal constant OWN = 0;
    uint256 internal constant BALANCER = 1;
    uint256 internal constant V2_FLASH = 2;
    uint256 internal constant V3_FLASH = 3;
    uint256 internal constant AAVE = 4;
    uint256 internal constant V3_SWAP = 5; // callback kind only

    // Transient slots (EIP-1153): live only during one execution, so nothing is left behind.
    uint256 internal constant T_LOCK = 0;
    uint256 internal constant T_EXPECTED = 1; // kind << 160 | the only address a callback is accepted from now
    uint256 internal constant T_TOKEN_IN = 2; // what the V3 swap callback must pay
    uint256 internal constant T_MAX_PAY = 3; // at most this much
    uint256 internal constant T_START = 4; // start-token balance before the execution
    uint256 internal constant T_ROUTE = 5; // keccak of the route: a lender must hand back exactly it

    address public immutable owner;
    address public immutable weth;
    mapping(address => bool) public isCaller;

    event Executed(address indexed token, uint256 amountIn, uint256 profit, uint256 builderPayment);
    event CallerSet(address indexed caller, bool allowed);

    error NotOwner(address sender);
    error NotCaller(address sender);
    error Reentrancy();
    /// Route bytes of the wrong length: `expected` is the header size when shorter, else header + n hops.
    error RouteLength(uint256 length, uint256 expected);
    error HopCount(uint256 hops);
    error ZeroAmount();
    error UnknownCapital(uint256 capital);
    error BadHopFlags(uint256 hop, uint256 flags);
    error BadFee(uint256 hop, uint256 feeBps);
    error BadBuilderShare(uint256 shareBps, address token);
    /// Hop `hop` (n-1 for the cycle's end) was expected to trade `expected` but the pool has `actual`.
    error TokenMismatch(uint256 hop, address expected, address actual);
    /// The lender is zero, is one of the route's pools, or does not hold the start token.
    error BadLender(address lender);
    /// The pool or lender the route names returned without calling back.
    error NoCallback(address from);
    /// A callback from the expected address, but with other terms than this execution asked for.
    error CallbackMismatch(address from);
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
        uint256 capital = _validate(route);
        address token = _addr(route, 22);
        uint256 amountIn = _u128(route, 42);
        uint256 start = _balance(token);
        if (capital == OWN) {
            _runHops(route, amountIn);
            _payBuilder(route, token, _requireProfit(route, token, start));
        } else {
            address lender = _addr(route, 2);
            _tstore(T_START, start);
            _tstore(T_EXPECTED, (capital << 160) | uint160(lender));
            _tstore(T_ROUTE, uint256(_hash(route)));
            if (capital == BALANCER) {
                _balancerFlashLoan(lender, token, amountIn, route);
            } else if (capital == V2_FLASH) {
                bool is0 = _pairToken(lender, true) == token;
                if (!is0 && _pairToken(lender, false) != token) revert BadLender(lender);
                UIUniswapV2Pair(lender).swap(is0 ? amountIn : 0, is0 ? 0 : amountIn, address(this), route);
            } else if (capital == V3_FLASH) {
                bool is0 = _pairToken(lender, true) == token;
                if (!is0 && _pairToken(lender, false) != token) revert BadLender(lender);
                UIUniswapV3Pool(lender).flash(address(this), is0 ? amountIn : 0, is0 ? 0 : amountIn, route);
            } else {
                UIAavePool(lender).flashLoanSimple(address(this), token, amountIn, route, 0);
                // Aave pulls the repayment; an allowance left over means it did not: fail closed.
                if (UIERC20(token).allowance(address(this), lender) != 0) revert CallbackMismatch(lender);
            }
            if (_tload(T_EXPECTED) != 0) revert NoCallback(lender);
        }
        _tstore(T_LOCK, 0);
    }

    /// Balancer V2 Vault flash-loan callback.
    function receiveFlashLoan(
        address[] calldata tokens,
        uint256[] calldata amounts,
        uint256[] calldata feeAmounts,
        bytes calldata route
    ) external {
        _enter(BALANCER, route);
        if (tokens.length != 1 || tokens[0] != _addr(route, 22) || amounts[0] != _u128(route, 42)) {
            revert CallbackMismatch(msg.sender);
        }
        _settle(route, tokens[0], amounts[0], feeAmounts[0], false);
    }

    /// Uniswap V2 flash-swap callback: the pair lent `amountIn` of the start token; repay it + 0.30%.
    function uniswapV2Call(address sender, uint256 amount0, uint256 amount1, bytes calldata route) external {
        _enter(V2_FLASH, route);
        uint256 amount = amount0 + amount1;
        if (sender != address(this) || (amount0 != 0 && amount1 != 0) || amount != _u128(route, 42)) {
            revert CallbackMismatch(msg.sender);
        }
        // Smallest repayment the pair's fee-adjusted invariant accepts: ceil(amount * 1000 / 997).
        uint256 repay = (amount * 1000 + 996) / 997;
        _settle(route, _addr(route, 22), amount, repay - amount, false);
    }

    /// Uniswap V3 flash callback: repay the borrowed side plus the pool's fee.
    function uniswapV3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata route) external {
        _enter(V3_FLASH, route);
        _settle(route, _addr(route, 22), _u128(route, 42), fee0 + fee1, false);
    }

    /// Aave V3 flashLoanSimple callback: approve exactly amount + premium for the Pool to pull.
    function executeOperation(address asset, uint256 amount, uint256 premium, address initiator, bytes calldata route)
        external
        returns (bool)
    {
        _enter(AAVE, route);
        if (initiator != address(this) || asset != _addr(route, 22) || amount != _u128(route, 42)) {
            revert CallbackMismatch(msg.sender);
        }
        _settle(route, asset, amount, premium, true);
        return true;
    }

    /// Uniswap V3 swap callback: only from the pool the running hop called, paying exactly what it owes.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        if (_tload(T_EXPECTED) != (V3_SWAP << 160) | uint160(msg.sender) || msg.sender == address(0)) {
            revert UnexpectedCallback(msg.sender);
        }
        _tstore(T_EXPECTED, 0);
        uint256 owed = uint256(amount0Delta > 0 ? amount0Delta : amount1Delta);
        if (owed > _tload(T_MAX_PAY)) revert CallbackMismatch(msg.sender);
        _transfer(address(uint160(_tload(T_TOKEN_IN))), msg.sender, owed);
    }

    // --- internals -----------------------------------------------------------------------------------

    /// Checks everything about the route that needs no external call; returns the capital code.
    function _validate(bytes calldata route) private view returns (uint256 capital) {
        if (route.length < HEADER) revert RouteLength(route.length, HEADER);
        uint256 n = _u8(route, 1);
        if (n < 2 || n > 4) revert HopCount(n);
        if (route.length != HEADER + n * HOP) revert RouteLength(route.length, HEADER + n * HOP);
        if (_u128(route, 42) == 0) revert ZeroAmount();
        capital = _u8(route, 0);
        if (capital > AAVE) revert UnknownCapital(capital);
        address token = _addr(route, 22);
        address last = _addr(route, HEADER + (n - 1) * HOP + 21);
        if (last != token) revert TokenMismatch(n - 1, token, last);
        uint256 share = _u16(route, 74);
        if (share != 0 && (share > 10_000 || token != weth)) revert BadBuilderShare(share, token);
        address lender = _addr(route, 2);
        for (uint256 i = 0; i < n; ++i) {
            uint256 o = HEADER + i * HOP;
            uint256 flags = _u8(route, o);
            if (flags > 3) revert BadHopFlags(i, flags);
            if (flags & 1 == 0 && _u16(route, o + 41) >= 10_000) revert BadFee(i, _u16(route, o + 41));
            if (capital != OWN && _addr(route, o + 1) == lender) revert BadLender(lender);
        }
        if (capital != OWN && lender == address(0)) revert BadLender(lender);
    }

    /// A lender callback: accepted only from the lender this execution called, only once, and only with
    /// the route this execution sent.
    function _enter(uint256 kind, bytes calldata route) private {
        if (_tload(T_EXPECTED) != (kind << 160) | uint160(msg.sender) || msg.sender == address(0)) {
            revert UnexpectedCallback(msg.sender);
        }
        _tstore(T_EXPECTED, 0);
        if (_hash(route) != bytes32(_tload(T_ROUTE))) revert CallbackMismatch(msg.sender);
    }

    /// Runs the cycle on the loan, checks profit against the balance before the loan, repays the lender
    /// (Aave: approves it to pull), pays the builder.
    function _settle(bytes calldata route, address token, uint256 amount, uint256 fee, bool approve) private {
        _runHops(route, amount);
        uint256 owed = amount + fee;
        // Judge profit before repaying, so a losing route fails with Unprofitable, not a failed repay.
        uint256 profit = _requireProfit(route, token, _tload(T_START) + owed);
        if (approve) _approve(token, msg.sender, owed);
        else _transfer(token, msg.sender, owed);
        _payBuilder(route, token, profit);
    }

    /// Reverts unless the balance now is at least `baseline + minProfit`; returns the profit over baseline.
    function _requireProfit(bytes calldata route, address token, uint256 baseline) private view returns (uint256) {
        uint256 required = baseline + _u128(route, 58);
        uint256 balanceNow = _balance(token);
        if (balanceNow < required) revert Unprofitable(balanceNow, required);
        return balanceNow - baseline;
    }

    function _payBuilder(bytes calldata route, address token, uint256 profit) private {
        uint256 shareBps = _u16(route, 74);
        uint256 payment;
        if (shareBps != 0) {
            payment = (profit * shareBps) / 10_000;
            UIWETH(weth).withdraw(payment);
            (bool ok,) = block.coinbase.call{value: payment}("");
            if (!ok) revert TransferFailed(address(0));
        }
        emit Executed(token, _u128(route, 42), profit - payment, payment);
    }

    function _runHops(bytes calldata route, uint256 amount) private {
        uint256 n = _u8(route, 1);
        address tokenIn = _addr(route, 22);
        bool atPool; // the input is already sitting in this hop's pool (sent there by the previous hop)
        for (uint256 i = 0; i < n; ++i) {
            uint256 o = HEADER + i * HOP;
            // Where this hop's output goes: straight into the next pool when that is a V2 pair (one
            // transfer fewer), else here.
            address to = address(this);
            if (i + 1 < n && _u8(route, o + HOP) & 1 == 0) to = _addr(route, o + HOP + 1);
            amount = _hop(route, o, i, tokenIn, amount, atPool, to);
            atPool = to != address(this);
            tokenIn = _addr(route, o + 21);
        }
    }

    function _hop(bytes calldata route, uint256 o, uint256 i, address tokenIn, uint256 amount, bool atPool, address to)
        private
        returns (uint256)
    {
        uint256 flags = _u8(route, o);
        address pool = _addr(route, o + 1);
        if (flags & 1 == 0) {
            if (!atPool) _transfer(tokenIn, pool, amount);
            // Output lands here for a V3 hop to pay from this contract's balance: it must be the real token.
            if (to == address(this) && o + HOP < route.length) {
                address actual = _pairToken(pool, flags & 2 == 0);
                if (actual != _addr(route, o + 21)) revert TokenMismatch(i, _addr(route, o + 21), actual);
            }
            return _swapV2(pool, flags & 2 != 0, amount, _u16(route, o + 41), to);
        }
        _checkV3Tokens(pool, flags & 2 != 0, tokenIn, _addr(route, o + 21), i);
        return _swapV3(pool, flags & 2 != 0, amount, tokenIn, to);
    }

    function _checkV3Tokens(address pool, bool zeroForOne, address tokenIn, address tokenOut, uint256 i) private view {
        (address want0, address want1) = zeroForOne ? (tokenIn, tokenOut) : (tokenOut, tokenIn);
        address t0 = _pairToken(pool, true);
        if (t0 != want0) revert TokenMismatch(i, want0, t0);
        address t1 = _pairToken(pool, false);
        if (t1 != want1) revert TokenMismatch(i, want1, t1);
    }

    /// V2 pair swap with the output computed here from the reserves and the hop's fee.
    function _swapV2(address pair, bool zeroForOne, uint256 amountIn, uint256 feeBps, address to)
        private
        returns (uint256 out)
    {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, 0x0902f1ac)) // getReserves()
            if iszero(staticcall(gas(), pair, m, 4, m, 0x40)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
            if lt(returndatasize(), 0x40) { revert(0, 0) }
            if shr(128, amountIn) { revert(0, 0) } // keeps the products below from overflowing
            let r0 := mload(m)
            let r1 := mload(add(m, 0x20))
            let rIn := r0
            let rOut := r1
            if iszero(zeroForOne) {
                rIn := r1
                rOut := r0
            }
            // Reserves are uint112 and amountIn below 2^128: none of these products overflow.
            let withFee := mul(amountIn, sub(10000, feeBps))
            out := div(mul(withFee, rOut), add(mul(rIn, 10000), withFee))
            mstore(m, shl(224, 0x022c0d9f)) // swap(uint256,uint256,address,bytes)
            mstore(add(m, 0x04), mul(out, iszero(zeroForOne)))
            mstore(add(m, 0x24), mul(out, zeroForOne))
            mstore(add(m, 0x44), to)
            mstore(add(m, 0x64), 0x80)
            mstore(add(m, 0x84), 0)
            if iszero(call(gas(), pair, 0, m, 0xa4, 0, 0)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    function _swapV3(address pool, bool zeroForOne, uint256 amountIn, address tokenIn, address to)
        private
        returns (uint256 out)
    {
        _tstore(T_EXPECTED, (V3_SWAP << 160) | uint160(pool));
        _tstore(T_TOKEN_IN, uint160(tokenIn));
        _tstore(T_MAX_PAY, amountIn);
        (int256 a0, int256 a1) = UIUniswapV3Pool(pool)
            .swap(to, zeroForOne, int256(amountIn), zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE, "");
        if (_tload(T_EXPECTED) != 0) revert NoCallback(pool); // the pool must have called back
        out = uint256(-(zeroForOne ? a1 : a0));
    }

    function _balancerFlashLoan(address vault, address token, uint256 amount, bytes calldata route) private {
        assembly ("memory-safe") {
            let m := mload(0x40)
            // flashLoan(address recipient, address[] tokens, uint256[] amounts, bytes userData)
            mstore(m, shl(224, 0x5c38449e))
            mstore(add(m, 0x04), address())
            mstore(add(m, 0x24), 0x80) // tokens at
            mstore(add(m, 0x44), 0xc0) // amounts at
            mstore(add(m, 0x64), 0x100) // userData at
            mstore(add(m, 0x84), 1)
            mstore(add(m, 0xa4), token)
            mstore(add(m, 0xc4), 1)
            mstore(add(m, 0xe4), amount)
            mstore(add(m, 0x104), route.length)
            calldatacopy(add(m, 0x124), route.offset, route.length)
            let size := add(0x124, and(add(route.length, 31), not(31)))
            mstore(add(add(m, 0x124), route.length), 0) // zero the padding
            if iszero(call(gas(), vault, 0, m, size, 0, 0)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    // --- helpers -------------------------------------------------------------------------------------

    function _pairToken(address pool, bool zero) private view returns (address t) {
        assembly ("memory-safe") {
            let selector := 0xd21220a7 // token1()
            if zero { selector := 0x0dfe1681} // token0()
            mstore(0, shl(224, selector))
            if iszero(staticcall(gas(), pool, 0, 4, 0, 0x20)) { revert(0, 0) }
            if lt(returndatasize(), 0x20) { revert(0, 0) }
            t := mload(0)
        }
    }

    function _balance(address token) private view returns (uint256 b) {
        bool ok;
        assembly ("memory-safe") {
            mstore(0, shl(224, 0x70a08231))
            mstore(4, address())
            ok := staticcall(gas(), token, 0, 0x24, 0, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f)) // a separate statement: Yul evaluates right to left
            b := mload(0)
        }
        if (!ok) revert TransferFailed(token);
    }

    function _transfer(address token, address to, uint256 amount) private {
        if (!_call2(token, 0xa9059cbb, to, amount)) revert TransferFailed(token);
    }

    function _approve(address token, address spender, uint256 amount) private {
        if (!_call2(token, 0x095ea7b3, spender, amount)) revert TransferFailed(token);
    }

    /// token.selector(a, b) that succeeds and returns nothing or true.
    function _call2(address token, uint256 selector, address a, uint256 b) private returns (bool ok) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, selector))
            mstore(add(m, 0x04), a)
            mstore(add(m, 0x24), b)
            mstore(0, 0)
            ok := call(gas(), token, 0, m, 0x44, 0, 0x20)
            // Success means a true word back, or no return data (USDT-style) from an address with code.
            switch returndatasize()
            case 0 { ok := and(ok, gt(extcodesize(token), 0)) }
            default { ok := and(ok, and(gt(returndatasize(), 0x1f), eq(mload(0), 1))) }
        }
    }

    function _hash(bytes calldata route) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, route.offset, route.length)
            h := keccak256(m, route.length)
        }
    }

    function _u8(bytes calldata r, uint256 o) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(248, calldataload(add(r.offset, o)))
        }
    }

    function _u16(bytes calldata r, uint256 o) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(240, calldataload(add(r.offset, o)))
        }
    }

    function _u128(bytes calldata r, uint256 o) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(128, calldataload(add(r.offset, o)))
        }
    }

    function _addr(bytes calldata r, uint256 o) private pure returns (address v) {
        assembly ("memory-safe") {
            v := shr(96, calldataload(add(r.offset, o)))
        }
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

interface UIERC20 {
    function allowance(address owner, address spender) external view returns (uint256);
}

interface UIUniswapV2Pair {
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

interface UIUniswapV3Pool {
    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes calldata)
        external
        returns (int256 amount0, int256 amount1);
    function flash(address recipient, uint256 amount0, uint256 amount1, bytes calldata data) external;
}

interface UIAavePool {
    function flashLoanSimple(address receiver, address asset, uint256 amount, bytes calldata params, uint16 referral)
        external;
}

interface UIWETH {
    function withdraw(uint256) external;
}
