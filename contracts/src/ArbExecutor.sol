// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ArbExecutor
/// @notice Runs a whole arbitrage cycle atomically, on borrowed or own capital, and reverts unless it
///         makes at least `minProfit` after the loan fee. Optionally pays the block builder a share of
///         the profit, up to a cap only the owner sets.
///
/// Threat model
///   - owner: a cold key (hardware wallet or multisig). The only key that can move funds out
///     (`withdraw`, `withdrawETH`), approve or revoke callers, change the builder-share cap, set the
///     guardian, unpause and hand over ownership (two steps).
///   - approved callers: hot keys on an internet-facing server, ASSUMED COMPROMISED. They choose every
///     byte of a route: capital source, lender, pools, tokens, amounts, minProfit, builder share.
///   - guardian (optional): a key that can only pause.
///   - every pool, lender, token and block.coinbase named or reached by a route: untrusted. They may
///     report outputs they never pay, fake reserves or token0/token1, charge transfer fees, return no
///     data, re-enter any function, or revert.
///   Property: no call by an approved caller lowers this contract's balance of any token or of ETH,
///   except the builder payment, which is at most `maxBuilderShareBps` of the measured profit.
///
/// Mechanism (gas figures in BENCHMARKS.md): nothing reported by a pool is trusted for safety. Before a
/// route runs, the balance of every token it names is read; after every loan has been repaid the start
/// token must be up by at least minProfit, every other token named must be at least where it started,
/// and so must ETH. Tokens the route does not name are never called with transfer or approve, so their
/// balances cannot move. The builder share is paid from the measured gain, after the loan.
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
///     [74:76]   uint16   builder share of profit in bps, paid to block.coinbase in ETH (start token must be
///                        WETH; at most maxBuilderShareBps)
///   then n hops of 43 bytes:
///     [0]       uint8    flags: bit0 = V3 (else V2), bit1 = zeroForOne (token0 in, token1 out); others 0
///     [1:21]    address  pool
///     [21:41]   address  token out (token in is the previous hop's token out, or the start token)
///     [41:43]   uint16   V2 fee in bps (30 = Uniswap's 0.30%); unused for V3
///   The last hop's token out must be the start token.
contract ArbExecutor {
    uint256 internal constant HEADER = 76;
    uint256 internal constant HOP = 43;
    uint256 internal constant BPS = 10_000;
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

    /// Everything `execute` needs from storage, packed in one slot so the hot path reads it once.
    struct Config {
        address owner;
        bool paused;
        uint16 maxBuilderShareBps;
        uint64 callerEpoch; // bumped to revoke every approved caller at once
    }

    Config internal _config;
    /// @notice The address `acceptOwnership` will make the owner (zero when no transfer is pending).
    address public pendingOwner;
    /// @notice A key that can pause (never unpause, never move funds); zero when none.
    address public guardian;
    mapping(uint256 epoch => mapping(address caller => bool)) internal _callers;
    /// @notice The WETH9 contract builder payments are unwrapped from.
    address public immutable weth;

    /// @notice A route ran: `profit` is what the executor kept in `token`, after the loan and the builder.
    event Executed(address indexed token, uint256 amountIn, uint256 profit, uint256 builderPayment);
    event CallerSet(address indexed caller, bool allowed);
    event CallersRevoked(uint64 newEpoch);
    event OwnershipTransferStarted(address indexed owner, address indexed pendingOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event GuardianSet(address indexed previousGuardian, address indexed newGuardian);
    event PausedSet(address indexed by, bool paused);
    event MaxBuilderShareSet(uint256 previousBps, uint256 newBps);
    /// @notice The owner moved `amount` of `token` (address(0) for ETH) to `to`.
    event Withdrawn(address indexed token, address indexed to, uint256 amount);

    error NotOwner(address sender);
    error NotPendingOwner(address sender);
    error NotGuardianOrOwner(address sender);
    error NotCaller(address sender);
    error ExecutorPaused();
    error ZeroAddress();
    /// ETH arrives only from WETH (unwrapping a builder payment); anything else is refused.
    error UnexpectedETH(address sender);
    error Reentrancy();
    /// Route bytes of the wrong length: `expected` is the header size when shorter, else header + n hops.
    error RouteLength(uint256 length, uint256 expected);
    error HopCount(uint256 hops);
    error ZeroAmount();
    error UnknownCapital(uint256 capital);
    error BadHopFlags(uint256 hop, uint256 flags);
    error BadFee(uint256 hop, uint256 feeBps);
    /// A builder share on a route whose profit token is not WETH (the payment is unwrapped WETH).
    error BadBuilderShare(uint256 shareBps, address token);
    /// The route asks for a larger builder share than the owner allows.
    error BuilderShareAboveCap(uint256 shareBps, uint256 capBps);
    /// The owner tried to set a cap above 100%.
    error BadBuilderShareCap(uint256 capBps);
    /// Hop `hop` (n-1 for the cycle's end) was expected to trade `expected` but the pool has `actual`.
    error TokenMismatch(uint256 hop, address expected, address actual);
    /// The lender is zero, is one of the route's pools, or does not hold the start token.
    error BadLender(address lender);
    /// A pool answered a read with too little data or failed it.
    error BadPool(address pool);
    /// Hop `hop` would trade more than its pool type can take (V2: 2^128, V3: 2^255).
    error AmountTooLarge(uint256 hop, uint256 amount);
    /// Hop `hop`'s pool reported no output.
    error NoOutput(uint256 hop);
    /// The pool or lender the route names returned without calling back.
    error NoCallback(address from);
    /// A callback from the expected address, but with other terms than this execution asked for.
    error CallbackMismatch(address from);
    error UnexpectedCallback(address sender);
    error Unprofitable(uint256 balanceAfter, uint256 required);
    /// After the route, the executor held less of `token` (address(0): ETH) than before it.
    error BalanceDecreased(address token, uint256 before, uint256 afterwards);
    error TransferFailed(address token);

    /// @param weth_ The chain's WETH9.
    /// @param maxBuilderShareBps_ The largest builder share (bps of profit) a route may ask for.
    constructor(address weth_, uint16 maxBuilderShareBps_) {
        if (weth_ == address(0)) revert ZeroAddress();
        if (maxBuilderShareBps_ > BPS) revert BadBuilderShareCap(maxBuilderShareBps_);
        weth = weth_;
        _config = Config({owner: msg.sender, paused: false, maxBuilderShareBps: maxBuilderShareBps_, callerEpoch: 0});
        emit OwnershipTransferred(address(0), msg.sender);
        emit MaxBuilderShareSet(0, maxBuilderShareBps_);
    }

    /// @notice Accepts ETH only from WETH (the builder payment is unwrapped here, then paid on).
    receive() external payable {
        if (msg.sender != weth) revert UnexpectedETH(msg.sender);
    }

    modifier onlyOwner() {
        if (msg.sender != _config.owner) revert NotOwner(msg.sender);
        if (_tload(T_LOCK) != 0) revert Reentrancy();
        _;
    }

    // --- views -----------------------------------------------------------------------------------------

    /// @notice The cold key that controls funds and permissions.
    function owner() external view returns (address) {
        return _config.owner;
    }

    /// @notice Whether `execute` is stopped.
    function paused() external view returns (bool) {
        return _config.paused;
    }

    /// @notice The largest builder share, in bps of profit, a route may ask for.
    function maxBuilderShareBps() external view returns (uint256) {
        return _config.maxBuilderShareBps;
    }

    /// @notice Whether `caller` may call `execute` (the owner always may).
    function isCaller(address caller) external view returns (bool) {
        return _callers[_config.callerEpoch][caller];
    }

    // --- owner administration --------------------------------------------------------------------

    /// @notice Approves or revokes a hot key for `execute`.
    function setCaller(address caller, bool allowed) external onlyOwner {
        if (caller == address(0)) revert ZeroAddress();
        _callers[_config.callerEpoch][caller] = allowed;
        emit CallerSet(caller, allowed);
    }

    /// @notice Revokes every approved caller at once (a leaked hot key the owner cannot name).
    function revokeAllCallers() external onlyOwner {
        uint64 epoch = ++_config.callerEpoch;
        emit CallersRevoked(epoch);
    }

    /// @notice Sets the largest builder share a route may ask for, in bps of profit (0 forbids any).
    function setMaxBuilderShare(uint16 capBps) external onlyOwner {
        if (capBps > BPS) revert BadBuilderShareCap(capBps);
        emit MaxBuilderShareSet(_config.maxBuilderShareBps, capBps);
        _config.maxBuilderShareBps = capBps;
    }

    /// @notice Sets (or, with zero, removes) the guardian, who can pause but nothing else.
    function setGuardian(address newGuardian) external onlyOwner {
        emit GuardianSet(guardian, newGuardian);
        guardian = newGuardian;
    }

    /// @notice Stops `execute` for everyone. Owner or guardian.
    function pause() external {
        address g = guardian;
        if (msg.sender != _config.owner && (msg.sender != g || g == address(0))) revert NotGuardianOrOwner(msg.sender);
        _config.paused = true;
        emit PausedSet(msg.sender, true);
    }

    /// @notice Lets `execute` run again. Owner only.
    function unpause() external onlyOwner {
        _config.paused = false;
        emit PausedSet(msg.sender, false);
    }

    /// @notice First step of an ownership transfer; zero cancels a pending one.
    function transferOwnership(address newOwner) external onlyOwner {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(msg.sender, newOwner);
    }

    /// @notice Second step: the pending owner takes over. Every approved caller is revoked, so a new owner
    ///         never inherits hot keys it did not approve.
    function acceptOwnership() external {
        if (msg.sender != pendingOwner || msg.sender == address(0)) revert NotPendingOwner(msg.sender);
        if (_tload(T_LOCK) != 0) revert Reentrancy();
        address previous = _config.owner;
        _config.owner = msg.sender;
        uint64 epoch = ++_config.callerEpoch;
        pendingOwner = address(0);
        emit OwnershipTransferred(previous, msg.sender);
        emit CallersRevoked(epoch);
    }

    /// @notice Moves `amount` of any ERC-20 (including ones that return no value) to `to`.
    function withdraw(address token, address to, uint256 amount) external onlyOwner {
        if (to == address(0)) revert ZeroAddress();
        _transfer(token, to, amount);
        emit Withdrawn(token, to, amount);
    }

    /// @notice Moves `amount` of ETH to `to`.
    function withdrawETH(address payable to, uint256 amount) external onlyOwner {
        if (to == address(0)) revert ZeroAddress();
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(address(0));
        emit Withdrawn(address(0), to, amount);
    }

    // --- execution ---------------------------------------------------------------------------------

    /// @notice Runs `route` (encoding in the contract header). Owner or an approved caller; reverts unless
    ///         the start token ends at least `minProfit` up and no other balance fell.
    function execute(bytes calldata route) external {
        Config memory config = _config;
        if (msg.sender != config.owner && !_callers[config.callerEpoch][msg.sender]) revert NotCaller(msg.sender);
        if (config.paused) revert ExecutorPaused();
        if (_tload(T_LOCK) != 0) revert Reentrancy();
        _tstore(T_LOCK, 1);
        uint256 capital = _validate(route, config.maxBuilderShareBps);
        address token = _addr(route, 22);
        uint256 amountIn = _u128(route, 42);
        uint256 ethStart = address(this).balance;
        uint256 start = _balance(token);
        uint256[] memory held = _snapshot(route, token);
        if (capital == OWN) {
            _runHops(route, amountIn);
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
                IUniswapV2Pair(lender).swap(is0 ? amountIn : 0, is0 ? 0 : amountIn, address(this), route);
            } else if (capital == V3_FLASH) {
                bool is0 = _pairToken(lender, true) == token;
                if (!is0 && _pairToken(lender, false) != token) revert BadLender(lender);
                IUniswapV3Pool(lender).flash(address(this), is0 ? amountIn : 0, is0 ? 0 : amountIn, route);
            } else {
                IAavePool(lender).flashLoanSimple(address(this), token, amountIn, route, 0);
                // Aave pulls the repayment; an allowance left over means it did not: fail closed.
                if (IERC20(token).allowance(address(this), lender) != 0) revert CallbackMismatch(lender);
            }
            if (_tload(T_EXPECTED) != 0) revert NoCallback(lender);
        }
        // Every loan is repaid: what is measured now is the executor's own gain.
        uint256 gain = _requireProfit(route, token, start);
        uint256 payment = _payBuilder(route, gain);
        _requireHeld(route, token, held);
        if (address(this).balance < ethStart) revert BalanceDecreased(address(0), ethStart, address(this).balance);
        emit Executed(token, amountIn, gain - payment, payment);
        _tstore(T_LOCK, 0);
    }

    /// @notice Balancer V2 Vault flash-loan callback; accepted only from the Vault this execution called.
    function receiveFlashLoan(
        address[] calldata tokens,
        uint256[] calldata amounts,
        uint256[] calldata feeAmounts,
        bytes calldata route
    ) external {
        _enter(BALANCER, route);
        if (
            tokens.length != 1 || amounts.length != 1 || feeAmounts.length != 1 || tokens[0] != _addr(route, 22)
                || amounts[0] != _u128(route, 42)
        ) {
            revert CallbackMismatch(msg.sender);
        }
        _settle(route, tokens[0], amounts[0], feeAmounts[0], false);
    }

    /// @notice Uniswap V2 flash-swap callback: the pair lent `amountIn` of the start token; repay it + 0.30%.
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

    /// @notice Uniswap V3 flash callback: repay the borrowed side plus the pool's fee.
    function uniswapV3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata route) external {
        _enter(V3_FLASH, route);
        _settle(route, _addr(route, 22), _u128(route, 42), fee0 + fee1, false);
    }

    /// @notice Aave V3 flashLoanSimple callback: approve exactly amount + premium for the Pool to pull.
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

    /// @notice Uniswap V3 swap callback: only from the pool the running hop called, paying at most the hop's
    ///         input.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        if (_tload(T_EXPECTED) != (V3_SWAP << 160) | uint160(msg.sender) || msg.sender == address(0)) {
            revert UnexpectedCallback(msg.sender);
        }
        _tstore(T_EXPECTED, 0);
        int256 owed = amount0Delta > 0 ? amount0Delta : amount1Delta;
        if (owed <= 0 || uint256(owed) > _tload(T_MAX_PAY)) revert CallbackMismatch(msg.sender);
        _transfer(address(uint160(_tload(T_TOKEN_IN))), msg.sender, uint256(owed));
    }

    // --- internals -----------------------------------------------------------------------------------

    /// Checks everything about the route that needs no external call; returns the capital code.
    function _validate(bytes calldata route, uint256 capBps) private view returns (uint256 capital) {
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
        if (share > capBps) revert BuilderShareAboveCap(share, capBps);
        if (share != 0 && token != weth) revert BadBuilderShare(share, token);
        address lender = _addr(route, 2);
        for (uint256 i = 0; i < n; ++i) {
            uint256 o = HEADER + i * HOP;
            uint256 flags = _u8(route, o);
            if (flags > 3) revert BadHopFlags(i, flags);
            if (flags & 1 == 0 && _u16(route, o + 41) >= BPS) revert BadFee(i, _u16(route, o + 41));
            if (capital != OWN && _addr(route, o + 1) == lender) revert BadLender(lender);
        }
        if (capital != OWN && lender == address(0)) revert BadLender(lender);
    }

    /// Balances of the tokens the route passes through (every hop's token out but the last), read before
    /// anything moves. Entries for the start token stay zero: its own check is the profit guard.
    function _snapshot(bytes calldata route, address token) private view returns (uint256[] memory held) {
        uint256 n = _u8(route, 1);
        held = new uint256[](n - 1);
        for (uint256 i = 0; i + 1 < n; ++i) {
            address t = _addr(route, HEADER + i * HOP + 21);
            if (t != token) held[i] = _balance(t);
        }
    }

    /// Reverts unless every token `_snapshot` read is held at least as much as before.
    function _requireHeld(bytes calldata route, address token, uint256[] memory held) private view {
        for (uint256 i = 0; i < held.length; ++i) {
            address t = _addr(route, HEADER + i * HOP + 21);
            if (t == token) continue;
            uint256 now_ = _balance(t);
            if (now_ < held[i]) revert BalanceDecreased(t, held[i], now_);
        }
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
    /// (Aave: approves it to pull). The builder is paid by `execute`, after the lender has its money.
    function _settle(bytes calldata route, address token, uint256 amount, uint256 fee, bool approve) private {
        _runHops(route, amount);
        uint256 owed = amount + fee;
        // Judge profit before repaying, so a losing route fails with Unprofitable, not a failed repay.
        _requireProfit(route, token, _tload(T_START) + owed);
        if (approve) _approve(token, msg.sender, owed);
        else _transfer(token, msg.sender, owed);
    }

    /// Reverts unless the balance now is at least `baseline + minProfit`; returns the gain over baseline.
    function _requireProfit(bytes calldata route, address token, uint256 baseline) private view returns (uint256) {
        uint256 required = baseline + _u128(route, 58);
        uint256 balanceNow = _balance(token);
        if (balanceNow < required) revert Unprofitable(balanceNow, required);
        return balanceNow - baseline;
    }

    /// Pays the builder its share of the measured gain in ETH (the share was checked against the cap).
    function _payBuilder(bytes calldata route, uint256 gain) private returns (uint256 payment) {
        payment = (gain * _u16(route, 74)) / BPS;
        if (payment != 0) {
            IWETH(weth).withdraw(payment);
            (bool ok,) = block.coinbase.call{value: payment}("");
            if (!ok) revert TransferFailed(address(0));
        }
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
            if (amount >> 128 != 0) revert AmountTooLarge(i, amount);
            if (!atPool) _transfer(tokenIn, pool, amount);
            // Output lands here for a V3 hop to pay from this contract's balance: it must be the real token.
            if (to == address(this) && o + HOP < route.length) {
                address actual = _pairToken(pool, flags & 2 == 0);
                if (actual != _addr(route, o + 21)) revert TokenMismatch(i, _addr(route, o + 21), actual);
            }
            return _swapV2(pool, flags & 2 != 0, amount, _u16(route, o + 41), to, i);
        }
        if (amount >> 255 != 0) revert AmountTooLarge(i, amount);
        _checkV3Tokens(pool, flags & 2 != 0, tokenIn, _addr(route, o + 21), i);
        return _swapV3(pool, flags & 2 != 0, amount, tokenIn, to, i);
    }

    function _checkV3Tokens(address pool, bool zeroForOne, address tokenIn, address tokenOut, uint256 i) private view {
        (address want0, address want1) = zeroForOne ? (tokenIn, tokenOut) : (tokenOut, tokenIn);
        address t0 = _pairToken(pool, true);
        if (t0 != want0) revert TokenMismatch(i, want0, t0);
        address t1 = _pairToken(pool, false);
        if (t1 != want1) revert TokenMismatch(i, want1, t1);
    }

    /// V2 pair swap with the output computed here from the reserves and the hop's fee (amountIn < 2^128).
    function _swapV2(address pair, bool zeroForOne, uint256 amountIn, uint256 feeBps, address to, uint256 i)
        private
        returns (uint256 out)
    {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, 0x0902f1ac)) // getReserves()
            ok := staticcall(gas(), pair, m, 4, m, 0x40)
            ok := and(ok, gt(returndatasize(), 0x3f)) // a separate statement: Yul evaluates right to left
            // Reserves are uint112 on a real pair; masking keeps a fake pair's answer from overflowing below.
            let r0 := and(mload(m), 0xffffffffffffffffffffffffffff)
            let r1 := and(mload(add(m, 0x20)), 0xffffffffffffffffffffffffffff)
            let rIn := r0
            let rOut := r1
            if iszero(zeroForOne) {
                rIn := r1
                rOut := r0
            }
            let withFee := mul(amountIn, sub(10000, feeBps))
            out := div(mul(withFee, rOut), add(mul(rIn, 10000), withFee))
        }
        if (!ok) revert BadPool(pair);
        if (out == 0) revert NoOutput(i);
        assembly ("memory-safe") {
            let m := mload(0x40)
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

    function _swapV3(address pool, bool zeroForOne, uint256 amountIn, address tokenIn, address to, uint256 i)
        private
        returns (uint256)
    {
        _tstore(T_EXPECTED, (V3_SWAP << 160) | uint160(pool));
        _tstore(T_TOKEN_IN, uint160(tokenIn));
        _tstore(T_MAX_PAY, amountIn);
        (int256 a0, int256 a1) = IUniswapV3Pool(pool)
            .swap(to, zeroForOne, int256(amountIn), zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE, "");
        if (_tload(T_EXPECTED) != 0) revert NoCallback(pool); // the pool must have called back
        int256 delta = zeroForOne ? a1 : a0;
        // Only what the pool says it paid out: safety never rests on it (balances are checked at the end).
        if (delta >= 0 || delta == type(int256).min) revert NoOutput(i);
        return uint256(-delta);
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
        bool ok;
        uint256 word;
        assembly ("memory-safe") {
            let selector := 0xd21220a7 // token1()
            if zero { selector := 0x0dfe1681} // token0()
            mstore(0, shl(224, selector))
            ok := staticcall(gas(), pool, 0, 4, 0, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f))
            word := mload(0)
        }
        if (!ok || word >> 160 != 0) revert BadPool(pool);
        t = address(uint160(word));
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

interface IERC20 {
    function allowance(address owner, address spender) external view returns (uint256);
}

interface IUniswapV2Pair {
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

interface IUniswapV3Pool {
    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96, bytes calldata)
        external
        returns (int256 amount0, int256 amount1);
    function flash(address recipient, uint256 amount0, uint256 amount1, bytes calldata data) external;
}

interface IAavePool {
    function flashLoanSimple(address receiver, address asset, uint256 amount, bytes calldata params, uint16 referral)
        external;
}

interface IWETH {
    function withdraw(uint256) external;
}
