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
///     byte of a route: capital source, lender, PoolManager, pools, hooks, tokens, amounts, minProfit,
///     builder share.
///   - guardian (optional): a key that can only pause.
///   - every pool, lender, PoolManager, hook, token and block.coinbase named or reached by a route:
///     untrusted. They may report outputs or deltas they never pay, fake reserves or token0/token1, charge
///     transfer fees, return no data, re-enter any function (from swaps, hooks and unlock callbacks), or
///     revert.
///   Property: no call by an approved caller lowers this contract's balance of any token or of ETH,
///   except the builder payment, which is at most `maxBuilderShareBps` of the measured profit.
///
/// Builder payment: a WETH route may pay a share of its measured profit (header [74:76]), unwrapped to
/// ETH. A route in any other token pays with the ETH its caller attaches (`msg.value`), which goes whole to
/// block.coinbase only after the route has shown minProfit in its token; on any failure the transaction
/// reverts and the ETH never left the caller. The executor's own ETH is never a bribe: it cannot know what a
/// token's profit is worth in ETH without trusting an oracle, so a stolen caller key could otherwise drain
/// it. A route pays by share or by attached ETH, never both.
///
/// Mechanism (gas figures in BENCHMARKS.md): nothing reported by a pool, lender or PoolManager is trusted
/// for safety. Before a route runs, the balance of the start token, of ETH, and of every token the route
/// would pay from this contract's own balance is read; after every loan has been repaid the start token
/// must be up by at least minProfit and every other one of them, and ETH, at least where it started. A
/// route token the executor never pays from its balance is only ever passed from pool to pool (V2 pair
/// to pair, pair to PoolManager, PoolManager credit to pool) and is never called with transfer, approve
/// or withdraw, so its balance here cannot move. A Balancer hop's input is always paid from here (the
/// Vault pulls it), so it is always among the tokens read. The builder share is paid from the measured
/// gain, after the loan.
///
/// Route encoding (packed, big-endian), `execute(bytes route)`:
///   header, 76 bytes:
///     [0]       uint8    capital: 0 = own balance             (lender = the PoolManager if a hop is V4, else 0)
///                                 1 = Balancer V2 Vault flash loan   (lender = the Vault)
///                                 2 = Uniswap V2 flash swap          (lender = a pair holding the start token,
///                                     not used by the route; repaid with the 0.30% V2 fee, rounded up)
///                                 3 = Uniswap V3 flash               (lender = a pool holding the start token,
///                                     not used by the route; repaid with the pool's fee; PancakeSwap V3 too)
///                                 4 = Aave V3 flashLoanSimple        (lender = the Aave Pool; premium)
///                                 5 = Uniswap V4 PoolManager         (lender = the PoolManager: the whole route
///                                     runs inside `unlock`; the amount in is borrowed from it, free, and
///                                     repaid by the end of the callback)
///                                 6 = flash swap from the first hop  (lender = 0; hop 0 must be a V2 pair:
///                                     it pays its output here first and is paid the amount in at the end)
///                                 7 = flash swap from the last hop   (lender = 0; every hop a V2 pair: the
///                                     last pays the start token first, the others feed its input straight
///                                     into it; no token passes through here but the start token)
///     [1]       uint8    hop count n, 2..4
///     [2:22]    address  lender (see capital)
///     [22:42]   address  start token (borrowed, swapped through the cycle, and profit token)
///     [42:58]   uint128  amount in
///     [58:74]   uint128  minProfit (after the loan fee)
///     [74:76]   uint16   builder share of profit in bps, paid to block.coinbase in ETH (start token must be
///                        WETH; at most maxBuilderShareBps; zero when ETH is attached: the call's msg.value,
///                        any route token, is then the whole builder payment)
///   then n hops, each [0] uint8 flags: bit0 = V3 (Uniswap V3 or a fork: PancakeSwap V3 calls back with
///   pancakeV3SwapCallback), bit1 = zeroForOne (token0 in, token1 out), bit2 = Uniswap V4 (capital 0 or
///   5 only), bit3 = V4 only: currency0 is native ether, which the route trades as WETH (wrapped and
///   unwrapped here), bit4 = Balancer V2 (alone, or with bit1, which the contract ignores and a route keeps
///   as the pair direction for its own records; any capital but 1 and 7, and not hop 0 on capital 6);
///   V2 and V3 hops, 43 bytes:
///     [1:21]    address  pool
///     [21:41]   address  token out (token in is the previous hop's token out, or the start token)
///     [41:43]   uint16   V2 fee in bps (30 = Uniswap's 0.30%); unused for V3
///   V4 hops, 47 bytes (the PoolKey's currencies are the hop's tokens, sorted, with WETH replaced by
///   address 0 on a native side):
///     [1:21]    address  hooks
///     [21:41]   address  token out
///     [41:44]   uint24   PoolKey.fee (0x800000 for a dynamic-fee pool)
///     [44:47]   int24    PoolKey.tickSpacing
///   Balancer V2 hops, 73 bytes: Vault.swap(SingleSwap{poolId, GIVEN_IN, token in, token out, amount in, ""},
///   FundManagement{this, false, this, false}, limit 1, deadline block.timestamp):
///     [1:21]    address  Vault
///     [21:41]   address  token out
///     [41:73]   bytes32  poolId
///   The Vault is carried in the hop, chosen by the caller like every pool, so it may be hostile. It is
///   approved for exactly the hop's input and the allowance is set back to zero after the call, whatever
///   the callee did (a token that only accepts a change from zero starts from zero: the executor never
///   leaves an allowance); so a fake Vault can take at most the input, as a fake V2 pair handed the input
///   by transfer can. The output is the rise of this contract's token-out balance over the call, never the
///   Vault's answer; the input token is read by the end-of-route balance check like every token paid from
///   here. limit is 1 (the hop must pay something): a per-hop bound adds nothing to the route's own guard,
///   as a worse price on any hop lowers the cycle's measured profit, which must still clear minProfit.
///   Capital 1 cannot carry a Balancer hop: the Vault's re-entrancy guard refuses a swap inside its own
///   flash loan (BAL#400), so such a route is refused before any call.
///   The last hop's token out must be the start token.
contract ArbExecutor {
    uint256 internal constant HEADER = 76;
    uint256 internal constant HOP = 43;
    uint256 internal constant HOP_V4 = 47;
    uint256 internal constant HOP_BALANCER = 73;
    uint256 internal constant BPS = 10_000;
    uint160 internal constant MIN_SQRT_RATIO_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_RATIO_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    // Capital codes.
    uint256 internal constant OWN = 0;
    uint256 internal constant BALANCER = 1;
    uint256 internal constant V2_FLASH = 2;
    uint256 internal constant V3_FLASH = 3;
    uint256 internal constant AAVE = 4;
    uint256 internal constant POOL_MANAGER = 5;
    uint256 internal constant FIRST_HOP = 6;
    uint256 internal constant LAST_HOP = 7;
    uint256 internal constant V3_SWAP = 8; // callback kind only

    // Hop flags.
    uint256 internal constant F_V3 = 1;
    uint256 internal constant F_ZERO_FOR_ONE = 2;
    uint256 internal constant F_V4 = 4;
    uint256 internal constant F_NATIVE = 8;
    uint256 internal constant F_BALANCER = 16;

    // Where a hop's input is when the hop starts.
    uint256 internal constant HERE = 0; // in this contract
    uint256 internal constant AT_POOL = 1; // already in this hop's V2 pair
    uint256 internal constant AT_PM = 2; // transferred to the PoolManager after a sync: settle() credits it
    uint256 internal constant IN_PM = 3; // a credit of this contract's in the PoolManager
    uint256 internal constant BORROWED = 4; // PoolManager capital: the first hop's input is owed to the PoolManager

    // Transient slots (EIP-1153): live only during one execution, so nothing is left behind.
    uint256 internal constant T_LOCK = 0;
    uint256 internal constant T_EXPECTED = 1; // kind << 160 | the only address a callback is accepted from now
    uint256 internal constant T_TOKEN_IN = 2; // what the V3 swap callback must pay
    uint256 internal constant T_MAX_PAY = 3; // at most this much (first-hop flash: the output it must report)
    uint256 internal constant T_START = 4; // start-token balance before the execution
    uint256 internal constant T_ROUTE = 5; // keccak of the route: a lender must hand back exactly it
    uint256 internal constant T_PM = 6; // the PoolManager inside whose unlock the route runs (sends ETH)

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
    /// @notice The WETH9 contract builder payments and native-ether hops are unwrapped from.
    address public immutable weth;

    /// @notice A route ran: `profit` is what the executor kept in `token`, after the loan and the builder;
    ///         `builderPayment` is the ETH block.coinbase received (the share of a WETH profit, or msg.value).
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
    /// ETH arrives only from WETH (unwrapping) and from the PoolManager a route runs in; anything else is refused.
    error UnexpectedETH(address sender);
    error Reentrancy();
    /// Route bytes of the wrong length: `expected` is the header size when shorter, else header + the hops.
    error RouteLength(uint256 length, uint256 expected);
    error HopCount(uint256 hops);
    error ZeroAmount();
    error UnknownCapital(uint256 capital);
    error BadHopFlags(uint256 hop, uint256 flags);
    error BadFee(uint256 hop, uint256 feeBps);
    /// Hop `hop` cannot run on this capital: V4 hops need capital 0 or 5, capital 6 a V2 first hop, capital 7
    /// V2 hops only; a Balancer hop cannot run inside the Balancer flash loan (capital 1).
    error BadCapitalForHop(uint256 capital, uint256 hop);
    /// A builder share on a route whose profit token is not WETH (the payment is unwrapped WETH), or a share
    /// together with attached ETH (one way of paying per route).
    error BadBuilderShare(uint256 shareBps, address token);
    /// The route asks for a larger builder share than the owner allows.
    error BuilderShareAboveCap(uint256 shareBps, uint256 capBps);
    /// The owner tried to set a cap above 100%.
    error BadBuilderShareCap(uint256 capBps);
    /// Hop `hop` (n-1 for the cycle's end) was expected to trade `expected` but the pool has `actual`.
    error TokenMismatch(uint256 hop, address expected, address actual);
    /// The lender is zero (or must be and is not), is one of the route's pools, or does not hold the start token.
    error BadLender(address lender);
    /// A pool answered a read with too little data or failed it.
    error BadPool(address pool);
    /// Hop `hop` would trade more than its pool type can take (V2: 2^128, V3: 2^255, V4: 2^127).
    error AmountTooLarge(uint256 hop, uint256 amount);
    /// Hop `hop`'s pool reported no output.
    error NoOutput(uint256 hop);
    /// V4 hop `hop` would take `owed` of its input (or was credited `owed`), not the `amount` the route gives it.
    error HopInputMismatch(uint256 hop, uint256 owed, uint256 amount);
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

    /// @notice Accepts ETH only from WETH (builder payments and native-ether hops are unwrapped here) and
    ///         from the PoolManager while a route runs inside its unlock (native ether taken from it).
    receive() external payable {
        if (msg.sender != weth && msg.sender != address(uint160(_tload(T_PM)))) revert UnexpectedETH(msg.sender);
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
    ///         the start token ends at least `minProfit` up and no other balance fell. ETH attached is paid
    ///         whole to block.coinbase once the route has succeeded (the builder payment of a non-WETH route).
    function execute(bytes calldata route) external payable {
        (uint256 capital, bool v4) = _admit(route);
        address token = _addr(route, 22);
        uint256 ethStart;
        unchecked {
            ethStart = address(this).balance - msg.value; // the attached ETH is the caller's, never ours
        }
        uint256 start = _balance(token);
        uint256[] memory held = _snapshot(route, token);
        if (capital == OWN && !v4) {
            _runHops(route, _u128(route, 42), HEADER, _span(0, _u8(route, 1), HERE), token);
        } else {
            _tstore(T_START, start);
            _tstore(T_ROUTE, uint256(_hash(route)));
            address lender = _lender(route, capital);
            _borrow(route, capital, lender);
            if (_tload(T_EXPECTED) != 0) revert NoCallback(lender);
        }
        // Every loan is repaid: what is measured now is the executor's own gain.
        uint256 gain = _requireProfit(route, token, start);
        uint256 payment = _payBuilder(route, gain);
        if (msg.value != 0) _payAttached(route, token);
        _requireHeld(route, held);
        if (address(this).balance < ethStart) revert BalanceDecreased(address(0), ethStart, address(this).balance);
        unchecked {
            emit Executed(token, _u128(route, 42), gain - payment, payment + msg.value); // both within ETH's supply
        }
        _tstore(T_LOCK, 0);
    }

    /// The caller may execute, the executor is not paused or already running, and the route is well formed;
    /// takes the lock. Returns the capital code and whether a hop is V4.
    function _admit(bytes calldata route) private returns (uint256, bool) {
        Config memory config = _config;
        if (msg.sender != config.owner && !_callers[config.callerEpoch][msg.sender]) revert NotCaller(msg.sender);
        if (config.paused) revert ExecutorPaused();
        if (_tload(T_LOCK) != 0) revert Reentrancy();
        _tstore(T_LOCK, 1);
        return _validate(route, config.maxBuilderShareBps);
    }

    /// Who the capital comes from: the header's lender, or for capital 6 and 7 the route's own pair.
    function _lender(bytes calldata route, uint256 capital) private pure returns (address) {
        if (capital == FIRST_HOP) return _addr(route, HEADER + 1);
        if (capital == LAST_HOP) return _addr(route, HEADER + (_u8(route, 1) - 1) * HOP + 1);
        return _addr(route, 2);
    }

    /// Calls the lender (or the PoolManager, or the route's own pair); the route runs in its callback.
    function _borrow(bytes calldata route, uint256 capital, address lender) private {
        address token = _addr(route, 22);
        uint256 amountIn = _u128(route, 42);
        if (capital == FIRST_HOP) return _firstHopFlash(route, lender, amountIn);
        if (capital == LAST_HOP) return _lastHopFlash(route, lender, amountIn);
        _tstore(T_EXPECTED, (capital << 160) | uint160(lender));
        if (capital == OWN || capital == POOL_MANAGER) {
            _unlock(lender, route);
        } else if (capital == BALANCER) {
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

    /// @notice Uniswap V2 flash-swap callback. Capital 2: a pair outside the route lent `amountIn` of the
    ///         start token; repay it + 0.30%. Capital 6: the route's first pair paid its output here first;
    ///         run the other hops on it, then pay that pair the amount in. Capital 7: the route's last pair
    ///         paid the start token first; run the other hops on the amount in, into that pair.
    function uniswapV2Call(address sender, uint256 amount0, uint256 amount1, bytes calldata route) external {
        uint256 capital = _u8(route, 0);
        _enter(capital == FIRST_HOP || capital == LAST_HOP ? capital : V2_FLASH, route);
        uint256 amount = amount0 + amount1;
        if (capital == V2_FLASH) {
            if (sender != address(this) || (amount0 != 0 && amount1 != 0) || amount != _u128(route, 42)) {
                revert CallbackMismatch(msg.sender);
            }
            // Smallest repayment the pair's fee-adjusted invariant accepts: ceil(amount * 1000 / 997).
            uint256 repay = (amount * 1000 + 996) / 997;
            _settle(route, _addr(route, 22), amount, repay - amount, false);
            return;
        }
        if (sender != address(this) || (amount0 != 0 && amount1 != 0) || amount != _tload(T_MAX_PAY)) {
            revert CallbackMismatch(msg.sender);
        }
        _ownPairLoan(route, capital, amount);
    }

    /// Capital 6 and 7, inside the pair's callback with `amount` of its output received.
    function _ownPairLoan(bytes calldata route, uint256 capital, uint256 amount) private {
        address token = _addr(route, 22);
        uint256 n = _u8(route, 1);
        if (capital == FIRST_HOP) {
            _runHops(route, amount, HEADER + HOP, _span(1, n, HERE), _addr(route, HEADER + 21));
            _requireProfit(route, token, _tload(T_START) + _u128(route, 42));
            _transfer(token, msg.sender, _u128(route, 42));
        } else {
            // Every hop but the last, from the amount in; the last's input goes straight into its pair.
            _runHops(route, _u128(route, 42), HEADER, _span(0, n - 1, HERE), token);
            _requireProfit(route, token, _tload(T_START));
        }
    }

    /// @notice Uniswap V3 flash callback: repay the borrowed side plus the pool's fee.
    function uniswapV3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata route) external {
        _enter(V3_FLASH, route);
        _settle(route, _addr(route, 22), _u128(route, 42), fee0 + fee1, false);
    }

    /// @notice PancakeSwap V3's name for the same flash callback.
    function pancakeV3FlashCallback(uint256 fee0, uint256 fee1, bytes calldata route) external {
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

    /// @notice Uniswap V4 PoolManager callback: the route runs here, inside `unlock`. Capital 5 borrows the
    ///         amount in from the PoolManager (the first hop's input is left owed, or taken) and repays it
    ///         before returning; every delta this contract opened must be closed or the PoolManager reverts.
    function unlockCallback(bytes calldata route) external returns (bytes memory) {
        uint256 capital = _u8(route, 0);
        _enter(capital == POOL_MANAGER ? POOL_MANAGER : OWN, route);
        _tstore(T_PM, uint160(msg.sender));
        uint256 where = capital == POOL_MANAGER ? _borrowFromManager(route) : HERE;
        uint256 out = _runHops(route, _u128(route, 42), HEADER, _span(0, _u8(route, 1), where), _addr(route, 22));
        if (capital == POOL_MANAGER) _repayManager(route, out);
        _tstore(T_PM, 0);
        return "";
    }

    /// PoolManager capital: a first V4 hop leaves its input owed (BORROWED); any other first hop gets the
    /// amount in taken from the PoolManager, into its V2 pair or here.
    function _borrowFromManager(bytes calldata route) private returns (uint256) {
        uint256 first = _u8(route, HEADER);
        if (first & F_V4 != 0) return BORROWED;
        bool toPair = first & (F_V3 | F_BALANCER) == 0;
        IPoolManager(msg.sender)
            .take(_addr(route, 22), toPair ? _addr(route, HEADER + 1) : address(this), _u128(route, 42));
        return toPair ? AT_POOL : HERE;
    }

    /// PoolManager capital: the loan nets against a last V4 hop's credit in its currency (only the profit
    /// is taken), or is paid back from here. Profit is judged first, so a loss fails as Unprofitable.
    function _repayManager(bytes calldata route, uint256 out) private {
        address token = _addr(route, 22);
        uint256 amountIn = _u128(route, 42);
        bool nativeDebt = _nativeDebt(route);
        if (_lastArrival(route, _u8(route, _lastOffset(route))) == IN_PM) {
            uint256 need = amountIn + _u128(route, 58);
            if (out < need) revert Unprofitable(_tload(T_START) + out, _tload(T_START) + need);
            if (out > amountIn) _takeHere(msg.sender, nativeDebt ? address(0) : token, out - amountIn);
        } else {
            _requireProfit(route, token, _tload(T_START) + amountIn);
            _payManager(msg.sender, token, nativeDebt, amountIn);
        }
    }

    /// @notice Uniswap V3 swap callback: only from the pool the running hop called, paying at most the hop's
    ///         input.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        _paySwap(amount0Delta, amount1Delta);
    }

    /// @notice PancakeSwap V3's name for the same swap callback.
    function pancakeV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        _paySwap(amount0Delta, amount1Delta);
    }

    // --- internals -----------------------------------------------------------------------------------

    function _paySwap(int256 amount0Delta, int256 amount1Delta) private {
        if (_tload(T_EXPECTED) != (V3_SWAP << 160) | uint160(msg.sender) || msg.sender == address(0)) {
            revert UnexpectedCallback(msg.sender);
        }
        _tstore(T_EXPECTED, 0);
        int256 owed = amount0Delta > 0 ? amount0Delta : amount1Delta;
        if (owed <= 0 || uint256(owed) > _tload(T_MAX_PAY)) revert CallbackMismatch(msg.sender);
        _transfer(address(uint160(_tload(T_TOKEN_IN))), msg.sender, uint256(owed));
    }

    /// Checks everything about the route that needs no external call; returns the capital code and
    /// whether a hop is V4.
    function _validate(bytes calldata route, uint256 capBps) private view returns (uint256 capital, bool v4) {
        if (route.length < HEADER) revert RouteLength(route.length, HEADER);
        uint256 n = _u8(route, 1);
        if (n < 2 || n > 4) revert HopCount(n);
        capital = _u8(route, 0);
        if (capital > LAST_HOP) revert UnknownCapital(capital);
        address lender = _addr(route, 2);
        address token = _addr(route, 22);
        address tokenIn = token;
        uint256 o = HEADER;
        for (uint256 i = 0; i < n; ++i) {
            // Past the end (a short route) reads as a V2 hop; the length check below then refuses it.
            uint256 flags = o < route.length ? _u8(route, o) : 0;
            if (flags & F_V4 != 0) {
                if (flags & F_V3 != 0 || flags > 15) revert BadHopFlags(i, flags);
                if (capital != OWN && capital != POOL_MANAGER) revert BadCapitalForHop(capital, i);
                if (flags & F_NATIVE != 0) {
                    // The native side is currency0; the route trades it as WETH.
                    address side = flags & F_ZERO_FOR_ONE != 0 ? tokenIn : _addr(route, o + 21);
                    if (side != weth) revert TokenMismatch(i, weth, side);
                }
                v4 = true;
            } else if (flags > 3) {
                // Balancer: bit 4, with bit 1 at most; the Vault refuses a swap inside its own flash loan.
                if (flags | F_ZERO_FOR_ONE != F_BALANCER | F_ZERO_FOR_ONE) revert BadHopFlags(i, flags);
                if (capital == BALANCER || capital == LAST_HOP || (capital == FIRST_HOP && i == 0)) {
                    revert BadCapitalForHop(capital, i);
                }
            } else {
                if (flags & F_V3 == 0 && _u16(route, o + 41) >= BPS) revert BadFee(i, _u16(route, o + 41));
                if (flags & F_V3 != 0 && (capital == LAST_HOP || (capital == FIRST_HOP && i == 0))) {
                    revert BadCapitalForHop(capital, i);
                }
            }
            if (capital != OWN && capital < FIRST_HOP && _addr(route, o + 1) == lender) revert BadLender(lender);
            tokenIn = _addr(route, o + 21);
            o += _hopLength(flags);
        }
        if (route.length != o) revert RouteLength(route.length, o);
        if (_u128(route, 42) == 0) revert ZeroAmount();
        if (tokenIn != token) revert TokenMismatch(n - 1, token, tokenIn);
        uint256 share = _u16(route, 74);
        if (share > capBps) revert BuilderShareAboveCap(share, capBps);
        if (share != 0 && token != weth) revert BadBuilderShare(share, token);
        if (capital >= FIRST_HOP) {
            if (lender != address(0)) revert BadLender(lender);
        } else if ((capital != OWN || v4) && lender == address(0)) {
            revert BadLender(lender);
        }
    }

    /// Where hop `next` (flags `nf`) gets its input when the hop before it (flags `pf`) produces it. Not
    /// HERE only when the input goes from pool to pool without passing through this contract.
    function _arrival(uint256 pf, uint256 nf) private pure returns (uint256) {
        // A Balancer hop is paid from here (the Vault pulls its input) and pays its output here.
        bool nextIn = nf & F_NATIVE != 0 && nf & F_ZERO_FOR_ONE != 0; // the next hop spends native ether
        if (pf & F_V4 != 0) {
            bool prevOut = pf & F_NATIVE != 0 && pf & F_ZERO_FOR_ONE == 0; // the previous hop pays native ether
            if (nf & F_V4 != 0) return prevOut == nextIn ? IN_PM : HERE;
            return nf & (F_V3 | F_BALANCER) == 0 && !prevOut ? AT_POOL : HERE;
        }
        if (nf & F_V4 != 0) return nextIn || pf & F_BALANCER != 0 ? HERE : AT_PM;
        return (nf & (F_V3 | F_BALANCER)) | (pf & F_BALANCER) == 0 ? AT_POOL : HERE;
    }

    /// Balances of the tokens the route would pay from this contract's own balance (hop inputs that arrive
    /// HERE), read before anything moves. Entries for the start token stay zero: its own check is the
    /// profit guard. Inputs passed from pool to pool are never paid from here.
    function _snapshot(bytes calldata route, address token) private view returns (uint256[] memory held) {
        uint256 n = _u8(route, 1);
        held = new uint256[](n - 1);
        uint256 o = HEADER;
        uint256 pf = _u8(route, o);
        for (uint256 i = 0; i + 1 < n; ++i) {
            uint256 next = o + _hopLength(pf);
            uint256 nf = _u8(route, next);
            address t = _addr(route, o + 21);
            // The first hop's pair lending (capital 6) calls back its output's recipient: this contract.
            bool here = (i == 0 && _u8(route, 0) == FIRST_HOP) || _arrival(pf, nf) == HERE;
            // A zero balance cannot fall: only what is held needs checking.
            if (t != token && here) held[i] = _balance(t);
            (o, pf) = (next, nf);
        }
    }

    /// Reverts unless every token `_snapshot` read is held at least as much as before.
    function _requireHeld(bytes calldata route, uint256[] memory held) private view {
        uint256 o = HEADER;
        for (uint256 i = 0; i < held.length; ++i) {
            address t = _addr(route, o + 21);
            if (held[i] != 0) {
                uint256 now_ = _balance(t);
                if (now_ < held[i]) revert BalanceDecreased(t, held[i], now_);
            }
            o += _hopLength(_u8(route, o));
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
        _runHops(route, amount, HEADER, _span(0, _u8(route, 1), HERE), token);
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

    /// The ETH the caller attached, whole, to block.coinbase: the builder payment of a route that pays no share.
    function _payAttached(bytes calldata route, address token) private {
        if (_u16(route, 74) != 0) revert BadBuilderShare(_u16(route, 74), token);
        (bool ok,) = block.coinbase.call{value: msg.value}("");
        if (!ok) revert TransferFailed(address(0));
    }

    /// Capital 6: asks the route's first V2 pair for its output up front (here: a V2 pair calls back the
    /// output's recipient); `uniswapV2Call` runs the rest.
    function _firstHopFlash(bytes calldata route, address pair, uint256 amountIn) private {
        bool zeroForOne = _u8(route, HEADER) & F_ZERO_FOR_ONE != 0;
        if (amountIn >> 128 != 0) revert AmountTooLarge(0, amountIn);
        uint256 out = _v2Out(pair, zeroForOne, amountIn, _u16(route, HEADER + 41));
        if (out == 0) revert NoOutput(0);
        address actual = _pairToken(pair, !zeroForOne);
        if (actual != _addr(route, HEADER + 21)) revert TokenMismatch(0, _addr(route, HEADER + 21), actual);
        _flashSwap(route, pair, zeroForOne, out, FIRST_HOP);
    }

    /// Capital 7: every hop is a V2 pair, so every output follows from the reserves now; the last pair is
    /// asked for the cycle's output up front and `uniswapV2Call` feeds it its input through the others.
    function _lastHopFlash(bytes calldata route, address pair, uint256 amountIn) private {
        uint256 n = _u8(route, 1);
        uint256 out = amountIn;
        uint256 o = HEADER;
        for (uint256 i = 0; i < n; ++i) {
            if (out >> 128 != 0) revert AmountTooLarge(i, out);
            out = _v2Out(_addr(route, o + 1), _u8(route, o) & F_ZERO_FOR_ONE != 0, out, _u16(route, o + 41));
            if (out == 0) revert NoOutput(i);
            o += HOP;
        }
        _flashSwap(route, pair, _u8(route, o - HOP) & F_ZERO_FOR_ONE != 0, out, LAST_HOP);
    }

    /// pair.swap(out, to this contract, route): a flash swap calling back uniswapV2Call.
    function _flashSwap(bytes calldata route, address pair, bool zeroForOne, uint256 out, uint256 kind) private {
        _tstore(T_MAX_PAY, out);
        _tstore(T_EXPECTED, (kind << 160) | uint160(pair));
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, 0x022c0d9f)) // swap(uint256,uint256,address,bytes)
            mstore(add(m, 0x04), mul(out, iszero(zeroForOne)))
            mstore(add(m, 0x24), mul(out, zeroForOne))
            mstore(add(m, 0x44), address())
            mstore(add(m, 0x64), 0x80)
            mstore(add(m, 0x84), route.length)
            calldatacopy(add(m, 0xa4), route.offset, route.length)
            mstore(add(add(m, 0xa4), route.length), 0) // zero the padding
            if iszero(call(gas(), pair, 0, m, add(0xa4, and(add(route.length, 31), not(31))), 0, 0)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    /// Runs hops from offset `o` on `amount` of `tokenIn`. `span` packs the first hop's index (bits 0-7),
    /// the index to stop before (8-15) and where the first input is (16-23, see the constants). Returns the
    /// last hop's output: HERE, or a PoolManager credit (IN_PM) left to net against the PoolManager loan.
    function _runHops(bytes calldata route, uint256 amount, uint256 o, uint256 span, address tokenIn)
        private
        returns (uint256)
    {
        // ctx: hop index (bits 0-7), where its input is (8-15), where its output goes (16-23), end (24-31).
        uint256 ctx = (span & 0xff) | (((span >> 16) & 0xff) << 8) | (((span >> 8) & 0xff) << 24);
        while (ctx & 0xff < ctx >> 24) {
            ctx |= _arrivalAfter(route, o, ctx & 0xff) << 16;
            uint256 flags = _u8(route, o);
            if (flags & F_V4 != 0) {
                amount = _hopV4(route, o, tokenIn, amount, ctx);
                tokenIn = _addr(route, o + 21);
                o += HOP_V4;
            } else if (flags & F_BALANCER == 0) {
                amount = _hop(route, o, tokenIn, amount, ctx);
                tokenIn = _addr(route, o + 21);
                o += HOP;
            } else {
                amount = _hopBalancer(route, o, tokenIn, amount, ctx & 0xff);
                tokenIn = _addr(route, o + 21);
                o += HOP_BALANCER;
            }
            // Next hop: index + 1, its input is where this output went.
            ctx = ((ctx & 0xff) + 1) | (((ctx >> 16) & 0xff) << 8) | ((ctx >> 24) << 24);
        }
        return amount;
    }

    /// _runHops' span: hops [first, end), the first input `where`.
    function _span(uint256 first, uint256 end, uint256 where) private pure returns (uint256) {
        return first | (end << 8) | (where << 16);
    }

    /// The offset of the last hop.
    function _lastOffset(bytes calldata route) private pure returns (uint256 o) {
        o = HEADER;
        for (uint256 i = 1; i < _u8(route, 1); ++i) {
            o += _hopLength(_u8(route, o));
        }
    }

    /// The encoded length of a hop with these flags.
    function _hopLength(uint256 flags) private pure returns (uint256 length) {
        // HOP, + 4 for V4, + 30 for Balancer (never both: _validate refuses such flags before any length is used).
        assembly ("memory-safe") {
            length := add(HOP, add(shl(2, and(shr(2, flags), 1)), mul(30, and(shr(4, flags), 1))))
        }
    }

    /// Where hop `i` (at offset `o`) delivers its output.
    function _arrivalAfter(bytes calldata route, uint256 o, uint256 i) private pure returns (uint256) {
        uint256 flags = _u8(route, o);
        if (i + 1 == _u8(route, 1)) return _lastArrival(route, flags);
        return _arrival(flags, _u8(route, o + _hopLength(flags)));
    }

    /// Where the last hop's output goes: HERE, except that on PoolManager capital a last V4 hop leaves it
    /// as a credit (IN_PM) to net against the loan when both are native ether or both are not.
    function _lastArrival(bytes calldata route, uint256 flags) private pure returns (uint256) {
        if (flags & F_V4 == 0 || _u8(route, 0) != POOL_MANAGER) return HERE;
        bool nativeOut = flags & (F_NATIVE | F_ZERO_FOR_ONE) == F_NATIVE;
        return _nativeDebt(route) == nativeOut ? IN_PM : HERE;
    }

    /// On PoolManager capital, whether the loan is in native ether: the first hop is V4 and spends it.
    function _nativeDebt(bytes calldata route) private pure returns (bool) {
        uint256 first = _u8(route, HEADER);
        return first & F_V4 != 0 && first & (F_NATIVE | F_ZERO_FOR_ONE) == (F_NATIVE | F_ZERO_FOR_ONE);
    }

    /// A V2 or V3 hop; `ctx` as for _hopV4. Its output goes to the next V2 pair (AT_POOL), to the
    /// PoolManager after a sync (AT_PM), or here.
    function _hop(bytes calldata route, uint256 o, address tokenIn, uint256 amount, uint256 ctx)
        private
        returns (uint256 out)
    {
        uint256 flags = _u8(route, o);
        address pool = _addr(route, o + 1);
        address to = _outputTo(route, o, (ctx >> 16) & 0xff);
        if (flags & F_V3 == 0) {
            if (amount >> 128 != 0) revert AmountTooLarge(ctx & 0xff, amount);
            if ((ctx >> 8) & 0xff != AT_POOL) _transfer(tokenIn, pool, amount);
            // Output lands here for a hop paying from this contract's balance: it must be the real token.
            if (to == address(this) && o + HOP < route.length) {
                address actual = _pairToken(pool, flags & F_ZERO_FOR_ONE == 0);
                if (actual != _addr(route, o + 21)) revert TokenMismatch(ctx & 0xff, _addr(route, o + 21), actual);
            }
            out = _v2Out(pool, flags & F_ZERO_FOR_ONE != 0, amount, _u16(route, o + 41));
            if (out == 0) revert NoOutput(ctx & 0xff);
            _v2Swap(pool, flags & F_ZERO_FOR_ONE != 0, out, to);
            return out;
        }
        if (amount >> 255 != 0) revert AmountTooLarge(ctx & 0xff, amount);
        _checkV3Tokens(pool, flags & F_ZERO_FOR_ONE != 0, tokenIn, _addr(route, o + 21), ctx & 0xff);
        return _swapV3(pool, flags & F_ZERO_FOR_ONE != 0, amount, tokenIn, to, ctx & 0xff);
    }

    /// The recipient of a V2 or V3 hop's output: the next V2 pair, the PoolManager (synced first, so its
    /// settle() measures what arrives), or this contract.
    function _outputTo(bytes calldata route, uint256 o, uint256 arrival) private returns (address to) {
        if (arrival == AT_POOL) return _addr(route, o + HOP + 1);
        if (arrival == AT_PM) {
            to = _addr(route, 2);
            IPoolManager(to).sync(_addr(route, o + 21));
            return to;
        }
        return address(this);
    }

    /// One Balancer V2 swap through the hop's Vault, exact input. The Vault is approved for exactly `amount`
    /// and the allowance is set back to zero after the call, whatever the callee did. The output is what
    /// arrived here (the rise of the token-out balance over the call); the Vault's answer is never read.
    function _hopBalancer(bytes calldata route, uint256 o, address tokenIn, uint256 amount, uint256 i)
        private
        returns (uint256)
    {
        address vault = _addr(route, o + 1);
        address tokenOut = _addr(route, o + 21);
        uint256 before = _balance(tokenOut);
        _approve(tokenIn, vault, amount);
        _vaultSwap(vault, _b32(route, o + 41), tokenIn, tokenOut, amount);
        _approve(tokenIn, vault, 0);
        uint256 afterwards = _balance(tokenOut);
        if (afterwards <= before) revert NoOutput(i);
        unchecked {
            return afterwards - before;
        }
    }

    /// Vault.swap(SingleSwap{poolId, GIVEN_IN, tokenIn, tokenOut, amount, ""}, FundManagement{this, false,
    /// this, false}, limit 1, deadline now), by a plain call: its return data is ignored, a revert is passed on.
    function _vaultSwap(address vault, bytes32 poolId, address tokenIn, address tokenOut, uint256 amount) private {
        assembly ("memory-safe") {
            let m := mload(0x40)
            // swap((bytes32,uint8,address,address,uint256,bytes),(address,bool,address,bool),uint256,uint256)
            mstore(m, shl(224, 0x52bbbe29))
            mstore(add(m, 0x04), 0xe0) // singleSwap at
            mstore(add(m, 0x24), address()) // funds.sender
            mstore(add(m, 0x44), 0) // funds.fromInternalBalance
            mstore(add(m, 0x64), address()) // funds.recipient
            mstore(add(m, 0x84), 0) // funds.toInternalBalance
            mstore(add(m, 0xa4), 1) // limit: the least output accepted
            mstore(add(m, 0xc4), timestamp()) // deadline
            mstore(add(m, 0xe4), poolId)
            mstore(add(m, 0x104), 0) // SwapKind.GIVEN_IN
            mstore(add(m, 0x124), tokenIn)
            mstore(add(m, 0x144), tokenOut)
            mstore(add(m, 0x164), amount)
            mstore(add(m, 0x184), 0xc0) // userData at (within singleSwap)
            mstore(add(m, 0x1a4), 0) // userData: empty
            if iszero(call(gas(), vault, 0, m, 0x1c4, 0, 0)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
    }

    /// One Uniswap V4 swap, exact input, inside the unlock. Pays the input as `where` says, checks the
    /// PoolManager takes exactly `amount`, and delivers the output as `arrival` says: left as a credit
    /// (IN_PM), taken into the next V2 pair (AT_POOL), or taken here and wrapped if native (HERE).
    /// `ctx` packs the hop index (bits 0-7), where its input is (8-15) and where its output goes (16-23).
    function _hopV4(bytes calldata route, uint256 o, address tokenIn, uint256 amount, uint256 ctx)
        private
        returns (uint256 out)
    {
        uint256 i = ctx & 0xff;
        if (amount >> 127 != 0) revert AmountTooLarge(i, amount);
        address pm = _addr(route, 2);
        uint256 flags = _u8(route, o);
        if ((ctx >> 8) & 0xff == AT_PM) {
            uint256 paid = IPoolManager(pm).settle();
            if (paid != amount) revert HopInputMismatch(i, paid, amount);
        }
        out = _swapV4(pm, _poolKey(route, o, tokenIn), flags, amount, i);
        if ((ctx >> 8) & 0xff == HERE) {
            _payManager(pm, tokenIn, flags & (F_NATIVE | F_ZERO_FOR_ONE) == F_NATIVE | F_ZERO_FOR_ONE, amount);
        }
        address currencyOut = flags & (F_NATIVE | F_ZERO_FOR_ONE) == F_NATIVE ? address(0) : _addr(route, o + 21);
        if ((ctx >> 16) & 0xff == AT_POOL) {
            IPoolManager(pm).take(currencyOut, _addr(route, o + HOP_V4 + 1), out);
        } else if ((ctx >> 16) & 0xff == HERE) {
            _takeHere(pm, currencyOut, out);
        }
    }

    /// PoolManager.swap of exactly `amount` in; returns the output, checking the input owed is exactly it.
    function _swapV4(address pm, PoolKey memory key, uint256 flags, uint256 amount, uint256 i)
        private
        returns (uint256)
    {
        int256 delta = IPoolManager(pm).swap(key, _swapParams(flags, amount), "");
        (int256 dIn, int256 dOut) =
            flags & F_ZERO_FOR_ONE != 0 ? (delta >> 128, int256(int128(delta))) : (int256(int128(delta)), delta >> 128);
        if (dIn != -int256(amount)) revert HopInputMismatch(i, dIn < 0 ? uint256(-dIn) : 0, amount);
        if (dOut <= 0) revert NoOutput(i);
        return uint256(dOut);
    }

    /// The hop's PoolKey: its tokens sorted by direction, WETH read as native ether on a native side.
    function _poolKey(bytes calldata route, uint256 o, address tokenIn) private pure returns (PoolKey memory key) {
        uint256 flags = _u8(route, o);
        address tokenOut = _addr(route, o + 21);
        (key.currency0, key.currency1) = flags & F_ZERO_FOR_ONE != 0 ? (tokenIn, tokenOut) : (tokenOut, tokenIn);
        if (flags & F_NATIVE != 0) key.currency0 = address(0);
        key.fee = uint24(_u24(route, o + 41));
        key.tickSpacing = int24(uint24(_u24(route, o + 44)));
        key.hooks = _addr(route, o + 1);
    }

    /// Exact input of `amount`, to the price bound in the hop's direction.
    function _swapParams(uint256 flags, uint256 amount) private pure returns (SwapParams memory) {
        bool zeroForOne = flags & F_ZERO_FOR_ONE != 0;
        return SwapParams(zeroForOne, -int256(amount), zeroForOne ? MIN_SQRT_RATIO_PLUS_ONE : MAX_SQRT_RATIO_MINUS_ONE);
    }

    /// Pays `amount` the PoolManager is owed: native ether unwrapped from WETH, or an ERC-20 by sync,
    /// transfer, settle.
    function _payManager(address pm, address token, bool native, uint256 amount) private {
        if (native) {
            IWETH(weth).withdraw(amount);
            IPoolManager(pm).settle{value: amount}();
        } else {
            IPoolManager(pm).sync(token);
            _transfer(token, pm, amount);
            IPoolManager(pm).settle();
        }
    }

    /// Takes `amount` of `currency` from the PoolManager into this contract, wrapping native ether as WETH.
    function _takeHere(address pm, address currency, uint256 amount) private {
        IPoolManager(pm).take(currency, address(this), amount);
        if (currency == address(0)) IWETH(weth).deposit{value: amount}();
    }

    function _checkV3Tokens(address pool, bool zeroForOne, address tokenIn, address tokenOut, uint256 i) private view {
        (address want0, address want1) = zeroForOne ? (tokenIn, tokenOut) : (tokenOut, tokenIn);
        address t0 = _pairToken(pool, true);
        if (t0 != want0) revert TokenMismatch(i, want0, t0);
        address t1 = _pairToken(pool, false);
        if (t1 != want1) revert TokenMismatch(i, want1, t1);
    }

    /// A V2 pair's output for `amountIn` (< 2^128), from its reserves and the hop's fee.
    function _v2Out(address pair, bool zeroForOne, uint256 amountIn, uint256 feeBps)
        private
        view
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
    }

    function _v2Swap(address pair, bool zeroForOne, uint256 out, address to) private {
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

    /// PoolManager.unlock(route), by a plain call: an address without code returns and fails as NoCallback.
    function _unlock(address pm, bytes calldata route) private {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, 0x48c89491)) // unlock(bytes)
            mstore(add(m, 0x04), 0x20)
            mstore(add(m, 0x24), route.length)
            calldatacopy(add(m, 0x44), route.offset, route.length)
            mstore(add(add(m, 0x44), route.length), 0) // zero the padding
            if iszero(call(gas(), pm, 0, m, add(0x44, and(add(route.length, 31), not(31))), 0, 0)) {
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }
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

    function _u24(bytes calldata r, uint256 o) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(232, calldataload(add(r.offset, o)))
        }
    }

    function _b32(bytes calldata r, uint256 o) private pure returns (bytes32 v) {
        assembly ("memory-safe") {
            v := calldataload(add(r.offset, o))
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
    function deposit() external payable;
    function withdraw(uint256) external;
}

/// The Uniswap V4 PoolKey and SwapParams (v4-core), with currencies and hooks as plain addresses.
struct PoolKey {
    address currency0;
    address currency1;
    uint24 fee;
    int24 tickSpacing;
    address hooks;
}

struct SwapParams {
    bool zeroForOne;
    int256 amountSpecified;
    uint160 sqrtPriceLimitX96;
}

/// The parts of Uniswap V4's PoolManager a route uses (same ABI as v4-core's IPoolManager).
interface IPoolManager {
    function unlock(bytes calldata data) external returns (bytes memory);
    function swap(PoolKey memory key, SwapParams memory params, bytes calldata hookData) external returns (int256);
    function sync(address currency) external;
    function settle() external payable returns (uint256);
    function take(address currency, address to, uint256 amount) external;
}
