// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CheatsTest} from "../Cheats.sol";
import {ArbExecutor} from "../../src/ArbExecutor.sol";
import {IV2Pair} from "../ExecutorFixture.sol";
import {Key, V4Fixture} from "../v4/V4Fixture.sol";
import {FakeLender, FakeV2Pair, FakeV3Pool, FakeVault, HostileCoinbase, HostileToken} from "./Hostile.sol";
import {FakePoolManager, HostileHook} from "./HostileV4.sol";

/// @notice The stateful actor IS an approved caller whose key the attacker holds. It deploys pools,
///         tokens and lenders of its own, moves real prices, and sends the executor random and crafted
///         routes through real and fake pools: Uniswap V2/V3, PancakeSwap V3, Uniswap V4 on the real
///         PoolManager (with a hook that re-enters, keeps outputs, steals from the PoolManager or reverts)
///         and on a fake PoolManager that reports deltas it never settles, Balancer V2 through the real Vault
///         and a real weighted pool and through a fake Vault (lies about its output, over-pulls, leaves
///         allowance, re-enters, returns garbage), on every capital source. After
///         every action the executor's balance of every token it holds, and of ETH, is compared with the
///         balance before: any fall is a violation.
contract AttackerHandler is V4Fixture {
    address public constant HOT = address(0x407);

    struct Pool {
        address addr;
        bool isV3;
        address a;
        address b;
        bool isV4; // then `key` names the pool (a, b: its route tokens, WETH for native ether)
        Key key;
        bytes32 poolId; // non-zero: a Balancer hop through the Vault `addr` (real or fake)
    }

    FakePoolManager internal _fakePm;
    HostileHook internal _hook;

    Pool[] internal _pools;
    address[] internal _tokens; // every token a route may name
    address[] internal _tracked; // tokens the executor holds, with honest balances
    uint256[] internal _last; // their balances after the previous action
    uint256 internal _lastEth;
    FakeLender internal _fakeLender;
    HostileCoinbase internal _coinbase;
    FakeVault internal _fakeVault;

    uint256 public violations; // a tracked balance (or ETH) fell
    uint256 public executed; // attacks that went through (their effect: only gains)
    uint256 public refused; // attacks that reverted
    uint256 public calls;
    mapping(bytes4 => uint256) public refusedWith; // revert selector -> count

    function init() external {
        require(address(executor) == address(0), "once");
        _buildV4Market();
        executor.setCaller(HOT, true);
        executor.setMaxBuilderShare(9000);
        HostileToken reentrant = new HostileToken();
        HostileToken fot = new HostileToken();
        fot.setFee(100);
        HostileToken noReturn = new HostileToken();
        noReturn.setNoReturn(true);
        _fakeLender = new FakeLender();
        _coinbase = new HostileCoinbase();
        _fakeLender.setTokens(address(weth), address(usdc)); // claims to hold the start token
        executor.setCaller(address(reentrant), true); // so its re-entry reaches the lock, not the caller check
        executor.setCaller(address(_coinbase), true);

        address[6] memory held =
            [address(weth), address(usdc), address(dai), address(reentrant), address(fot), address(noReturn)];
        for (uint256 i = 0; i < held.length; ++i) {
            _tokens.push(held[i]);
            _tracked.push(held[i]);
        }
        _fund(address(weth), address(executor), 100 ether);
        _fund(address(usdc), address(executor), 1_000_000e6);
        _fund(address(dai), address(executor), 1_000_000 ether);
        for (uint256 i = 3; i < held.length; ++i) {
            HostileToken(held[i]).mint(address(executor), 1_000_000 ether);
        }
        vm.deal(address(executor), 1 ether);

        _addPool(pairCheap, false, address(weth), address(usdc));
        _addPool(pairDear, false, address(weth), address(usdc));
        _addPool(v3, true, address(weth), address(usdc));
        _addPool(pairUsdcDai, false, address(usdc), address(dai));
        _addPool(pairDaiWeth, false, address(dai), address(weth));
        for (uint256 i = 3; i < held.length; ++i) {
            _addPool(_pair(address(weth), 1000 ether, held[i], 1_000_000 ether), false, address(weth), held[i]);
            _addPool(_pair(address(weth), 1000 ether, held[i], 1_100_000 ether), false, address(weth), held[i]);
            _addPool(
                _v3Pool(held[i], 1_050_000 ether, address(weth), 1000 ether, 500, 10), true, held[i], address(weth)
            );
        }
        // Balancer V2: every pair of the real weighted pool, through the real Vault; the same pairs through a fake
        // Vault stocked with real tokens (so some of its lies come with real payments).
        _fakeVault = new FakeVault();
        _fakeVault.arm(address(executor), true, "");
        executor.setCaller(address(_fakeVault), true);
        _fund(address(usdc), address(_fakeVault), 1_000_000e6);
        _fund(address(weth), address(_fakeVault), 1000 ether);
        _fund(address(dai), address(_fakeVault), 1_000_000 ether);
        address[3] memory bt = [address(weth), address(usdc), address(dai)];
        for (uint256 i = 0; i < 3; ++i) {
            _addBalancer(vault, balPoolId, bt[i], bt[(i + 1) % 3]);
            _addBalancer(address(_fakeVault), bytes32(uint256(1)), bt[i], bt[(i + 1) % 3]);
        }
        HostileToken(held[3]).arm(address(executor), true, "");
        _coinbase.arm(address(executor), true, "");
        // Uniswap V4 (real PoolManager) and PancakeSwap V3 pools, a hostile hook's pool, a fake PoolManager.
        _addV4(keyEth, address(weth), address(usdc));
        _addV4(keyEth2, address(weth), address(usdc));
        _addV4(keyWeth, address(weth), address(usdc));
        _addPool(cake, true, address(weth), address(usdc));
        HostileHook impl = new HostileHook();
        _hook = HostileHook(payable(address(uint160(0x4000000) << 132 | impl.FLAGS())));
        vm.etch(address(_hook), address(impl).code);
        _hook.setup(manager, 0, 0);
        _hook.arm(address(executor), true, "");
        executor.setCaller(address(_hook), true);
        _addV4(
            _v4Pool(address(0), 1000 ether, address(usdc), 3_000_000e6, 500, 10, address(_hook)),
            address(weth),
            address(usdc)
        );
        _fakePm = new FakePoolManager();
        _fakePm.arm(address(executor), true, "");
        executor.setCaller(address(_fakePm), true);
        _fund(address(usdc), address(_fakePm), 1_000_000e6);
        _fund(address(weth), address(_fakePm), 1000 ether);
        vm.deal(address(_fakePm), 1000 ether);
        _snapshot();
    }

    function _addPool(address addr, bool isV3, address a, address b) internal {
        Key memory none;
        _pools.push(Pool(addr, isV3, a, b, false, none, 0));
    }

    function _addV4(Key memory key, address a, address b) internal {
        _pools.push(Pool(manager, false, a, b, true, key, 0));
    }

    function _addBalancer(address v, bytes32 poolId, address a, address b) internal {
        Key memory none;
        _pools.push(Pool(v, false, a, b, false, none, poolId));
    }

    function poolCount() external view returns (uint256) {
        return _pools.length;
    }

    // --- bookkeeping --------------------------------------------------------------------------------------

    function _snapshot() internal {
        delete _last;
        for (uint256 i = 0; i < _tracked.length; ++i) {
            _last.push(HostileToken(_tracked[i]).balanceOf(address(executor)));
        }
        _lastEth = address(executor).balance;
    }

    /// Counts a violation for any tracked balance below its value after the previous action.
    function _check() internal {
        for (uint256 i = 0; i < _tracked.length; ++i) {
            if (HostileToken(_tracked[i]).balanceOf(address(executor)) < _last[i]) violations++;
        }
        if (address(executor).balance < _lastEth) violations++;
        _snapshot();
    }

    function _run(bytes memory route, bool hostileCoinbase) internal {
        calls++;
        vm.coinbase(hostileCoinbase ? address(_coinbase) : address(0xC0FFEE));
        vm.prank(HOT);
        try executor.execute(route) {
            executed++;
        } catch (bytes memory err) {
            refused++;
            bytes4 sel;
            if (err.length >= 4) {
                assembly {
                    sel := mload(add(err, 0x20))
                }
            }
            refusedWith[sel]++;
        }
        _check();
    }

    // --- the attacker's deployments ---------------------------------------------------------------------------

    function deployFakeV2(uint8 ta, uint8 tb, uint112 r0, uint112 r1, uint8 payMode, bool reenter) external {
        calls++;
        if (_pools.length >= 40) return;
        (address a, address b) = _pick2(ta, tb);
        FakeV2Pair p = new FakeV2Pair(a < b ? a : b, a < b ? b : a);
        p.setReserves(r0, r1);
        p.setPayMode(payMode % 4);
        p.arm(address(executor), reenter, "");
        _stock(address(p), a, b, uint256(r0) + r1);
        _addPool(address(p), false, a, b);
        _check();
    }

    function deployFakeV3(uint8 ta, uint8 tb, uint128 reported, uint128 paid, uint8 ask, bool reenter) external {
        calls++;
        if (_pools.length >= 40) return;
        (address a, address b) = _pick2(ta, tb);
        FakeV3Pool p = new FakeV3Pool(a < b ? a : b, a < b ? b : a);
        p.configure(reported, paid, ask % 4);
        p.arm(address(executor), reenter, "");
        _stock(address(p), a, b, paid);
        _addPool(address(p), true, a, b);
        _check();
    }

    /// The attacker may pay its fake pools real tokens, so their payments sometimes go through.
    function _stock(address pool, address a, address b, uint256 amount) internal {
        amount = amount % 1000 ether;
        if (address(this).balance < 10_000 ether) vm.deal(address(this), 1_000_000 ether);
        _fund(a, pool, amount);
        _fund(b, pool, amount);
    }

    function _pick2(uint8 ta, uint8 tb) internal view returns (address a, address b) {
        a = _tokens[ta % _tokens.length];
        b = _tokens[tb % _tokens.length];
        if (a == b) b = _tokens[(uint256(tb) + 1) % _tokens.length];
    }

    // --- the market moves ----------------------------------------------------------------------------------

    function trade(uint8 which, bool zeroForOne, uint64 seed) external {
        calls++;
        Pool memory p = _pools[which % 5]; // real V2 pairs and the V3 pool of the fixture
        if (p.isV3) return;
        address tokenIn = zeroForOne ? IV2Pair(p.addr).token0() : _other(p);
        uint256 amount = 1e6 + (uint256(seed) % (tokenIn == address(usdc) ? 50_000e6 : 30 ether));
        uint256 out = _v2Out(p.addr, tokenIn, amount);
        if (out == 0) return;
        _fund(tokenIn, p.addr, amount);
        bool in0 = IV2Pair(p.addr).token0() == tokenIn;
        IV2Pair(p.addr).swap(in0 ? 0 : out, in0 ? out : 0, address(0x7EAD), "");
        _check();
    }

    function _other(Pool memory p) internal view returns (address) {
        address t0 = IV2Pair(p.addr).token0();
        return t0 == p.a ? p.b : p.a;
    }

    // --- attacks ----------------------------------------------------------------------------------------------

    /// A route of random pools, directions, tokens, capital, lender, size, minProfit and builder share.
    function attackRandom(uint256 seed, uint8 capital, uint8 hops, uint128 amount, uint128 minProfit, uint16 share)
        external
    {
        uint256 n = 2 + (hops % 3);
        capital = capital % 8;
        address start = _tokens[seed % _tokens.length];
        bytes memory r = abi.encodePacked(
            capital, uint8(n), _lender(capital, seed >> 200), start, _size(amount), uint128(minProfit % 1 ether)
        );
        r = bytes.concat(r, abi.encodePacked(share % 10_001), _randomHops(seed, n, start));
        _run(r, (seed >> 250) & 1 == 1);
    }

    function _randomHops(uint256 seed, uint256 n, address start) internal view returns (bytes memory hops) {
        address tokenIn = start;
        for (uint256 i = 0; i < n; ++i) {
            Pool memory p = _pools[(seed >> (8 * i + 16)) % _pools.length];
            address tokenOut = tokenIn == p.a ? p.b : tokenIn == p.b ? p.a : (seed >> (8 * i + 40)) & 1 == 0 ? p.a : p.b;
            if (i + 1 == n) tokenOut = start;
            hops = bytes.concat(hops, _hop(p, tokenIn, tokenOut, uint8(seed >> (8 * i + 64))));
            tokenIn = tokenOut;
        }
    }

    /// Crafted attacks with fuzzed magnitudes: a fake pool's unpaid output fed to a real V3 pool that the
    /// executor pays from its holdings; a worthless start token; a fake lender; the largest builder share.
    function attackCrafted(uint8 which, uint8 fakeIdx, uint128 amount, uint16 share, bool hostileCoinbase) external {
        Pool memory fake = _pools[fakeIdx % _pools.length];
        Pool memory real = _pools[2]; // the WETH/USDC V3 pool
        uint8 capital = which % 4 == 0 ? 0 : 1;
        bytes memory r;
        if (which % 3 == 0) {
            // start WETH -> (any pool as WETH->USDC) -> real V3 USDC->WETH
            r = abi.encodePacked(
                capital,
                uint8(2),
                capital == 0 ? address(0) : vault,
                address(weth),
                _size(amount),
                uint128(0),
                share % 10_001
            );
            r = bytes.concat(
                r, _hop(fake, address(weth), address(usdc), 0), _hop(real, address(usdc), address(weth), 0)
            );
        } else if (which % 3 == 1) {
            // start in a held token, "sold" for WETH to the fake pool, WETH paid into the token's real V3 pool
            uint256 k = (which / 3) % 3;
            Pool memory back = _pools[5 + 3 * k + 2];
            address t = back.a == address(weth) ? back.b : back.a;
            r = abi.encodePacked(uint8(0), uint8(2), address(0), t, _size(amount), uint128(0), share % 10_001);
            r = bytes.concat(r, _hop(fake, t, address(weth), 0), _hop(back, address(weth), t, 0));
        } else {
            // a real, profitable-looking V2 cycle on a lender that lends nothing
            r = abi.encodePacked(
                uint8(1 + (which % 4)),
                uint8(2),
                address(_fakeLender),
                address(weth),
                _size(amount),
                uint128(0),
                share % 10_001
            );
            r = bytes.concat(
                r, _hop(_pools[0], address(weth), address(usdc), 0), _hop(_pools[1], address(usdc), address(weth), 0)
            );
        }
        _run(r, hostileCoinbase);
    }

    function fakeLenderFee(uint128 fee, address t0, address t1) external {
        calls++;
        _fakeLender.setFee(fee);
        _fakeLender.setTokens(t0, t1);
        _check();
    }

    function _size(uint128 amount) internal pure returns (uint128) {
        // Mostly realistic sizes (1e6 .. 1e20), sometimes anything.
        return amount % 8 == 0 ? amount : uint128(1e6 + uint256(amount) % 1e20);
    }

    function _lender(uint8 capital, uint256 seed) internal view returns (address) {
        uint256 k = seed % 4;
        if (capital == 0 || capital == 5) {
            // Own capital needs the PoolManager when a hop is V4; either may be the fake.
            if (capital == 0 && k == 0) return address(0);
            return k == 1 ? address(_fakePm) : k == 2 && capital == 5 ? address(_fakeLender) : manager;
        }
        if (capital >= 6) return k == 0 ? _pools[seed % _pools.length].addr : address(0);
        if (k == 0) return address(_fakeLender);
        if (k == 1) return _pools[seed % _pools.length].addr;
        return capital == 1 ? vault : capital == 2 ? lenderPair : capital == 3 ? lenderV3 : address(_fakeLender);
    }

    function _hop(Pool memory p, address tokenIn, address tokenOut, uint8 noise) internal pure returns (bytes memory) {
        if (p.poolId != 0) {
            // Sometimes another pool id (the Vault refuses tokens the pool does not hold) or bad flag bits.
            bytes memory h = _balancerHop(p.addr, tokenIn, tokenOut, noise % 16 == 12 ? bytes32(uint256(7)) : p.poolId);
            if (noise % 16 == 11) h[0] = bytes1(uint8(h[0]) | 1);
            return h;
        }
        if (p.isV4) {
            bool native = p.key.currency0 == address(0);
            uint8 f = uint8(4 | (tokenOut == p.key.currency1 ? 2 : 0) | (native ? 8 : 0));
            if (noise % 16 == 15) f ^= 2; // sometimes the wrong direction
            if (noise % 16 == 13) f ^= 8; // or the wrong nativeness
            return abi.encodePacked(f, p.key.hooks, tokenOut, p.key.fee, p.key.tickSpacing);
        }
        uint8 flags = uint8((p.isV3 ? 1 : 0) | (tokenIn < tokenOut ? 2 : 0));
        if (noise % 16 == 15) flags ^= 2; // sometimes the wrong direction
        return abi.encodePacked(flags, p.addr, tokenOut, uint16(noise % 16 == 14 ? 9999 : 30));
    }

    // --- the attacker's Balancer tools -----------------------------------------------------------------------

    /// The fake Vault's behaviour for the next hops through it: how much of its input it pulls, what it pays and
    /// reports, whether it then tries to pull more (or another held token), returns garbage or reverts.
    function configureFakeVault(uint16 pullBps, uint128 paid, uint128 reported, uint8 extra, uint8 ret) external {
        calls++;
        _fakeVault.configure(pullBps % 10_001, uint256(paid) % 100_000 ether, reported, extra % 3, address(dai));
        _fakeVault.setReturn(ret % 3 == 1, ret % 3 == 2);
        _check();
    }

    /// Crafted Balancer attacks: the fake Vault's unpaid output fed to the real V3 pool the executor would pay
    /// from its holdings; a real Balancer hop on the Balancer flash loan; a real Balancer cycle on any capital.
    function attackBalancer(uint8 which, uint128 amount, uint8 capital) external {
        Pool memory real = _pools[2]; // the WETH/USDC V3 pool
        Pool memory fakeWethUsdc; // the fake Vault's WETH -> USDC pair, the real Vault's too
        Pool memory realWethUsdc;
        for (uint256 i = 0; i < _pools.length; ++i) {
            Pool memory p = _pools[i];
            if (p.poolId != 0 && p.a == address(weth) && p.b == address(usdc)) {
                if (p.addr == vault) realWethUsdc = p;
                else fakeWethUsdc = p;
            }
        }
        uint8 cap = which % 3 == 1 ? 1 : capital % 4;
        if (cap == 1 && which % 3 != 1) cap = 0;
        bytes memory r = abi.encodePacked(
            cap, uint8(2), cap == 0 ? address(0) : _lender(cap, 2), address(weth), _size(amount), uint128(0)
        );
        r = bytes.concat(r, abi.encodePacked(uint16(0)));
        if (which % 3 == 0) {
            r = bytes.concat(
                r, _hop(fakeWethUsdc, address(weth), address(usdc), 0), _hop(real, address(usdc), address(weth), 0)
            );
        } else {
            r = bytes.concat(
                r, _hop(realWethUsdc, address(weth), address(usdc), 0), _hop(_pools[1], address(usdc), address(weth), 0)
            );
        }
        _run(r, false);
    }

    // --- the attacker's V4 tools -----------------------------------------------------------------------

    /// The fake PoolManager's lies: the input delta it reports (0: the honest one), the output it reports,
    /// how much of a take it pays, what settle() reports, and how it calls back.
    function configureFakeManager(int64 inputDelta, uint128 reported, uint16 takeBps, uint8 callbacks, bool tamper)
        external
    {
        calls++;
        _fakePm.configure(inputDelta, reported % 1e24, takeBps % 10_001, 0);
        _fakePm.setCallbacks(callbacks % 3, tamper);
        _check();
    }

    /// What the hook on the real PoolManager does to the next swap through its pool.
    function setHookMode(uint8 mode, uint16 keepBps) external {
        calls++;
        _hook.setup(manager, mode % 6, keepBps % 10_001);
        _check();
    }

    /// Crafted V4 attacks: a V4 hop whose output is never paid, fed to a real V3 pool the executor pays
    /// from its holdings; the hooked pool on PoolManager capital; the fake manager as the lender.
    function attackV4(uint8 which, uint128 amount, uint16 share, bool fake) external {
        Pool memory v4 = _pools[_pools.length - 1]; // the hooked pool
        Pool memory real = _pools[2]; // the WETH/USDC V3 pool
        address pm = fake ? address(_fakePm) : manager;
        uint8 capital = which % 2 == 0 ? 5 : 0;
        bytes memory r =
            abi.encodePacked(capital, uint8(2), pm, address(weth), _size(amount), uint128(0), share % 10_001);
        if (which % 3 == 0) {
            r = bytes.concat(r, _hop(v4, address(weth), address(usdc), 0), _hop(real, address(usdc), address(weth), 0));
        } else if (which % 3 == 1) {
            r = bytes.concat(
                r, _hop(v4, address(weth), address(usdc), 0), _hop(_pools[1], address(usdc), address(weth), 0)
            );
        } else {
            Pool memory e2 = _pools[_pools.length - 4]; // keyEth2: ether dear
            r = bytes.concat(r, _hop(e2, address(weth), address(usdc), 0), _hop(v4, address(usdc), address(weth), 0));
        }
        _run(r, false);
    }
}

/// @notice The property: whatever the approved caller deploys and sends, the executor's holdings never fall.
contract ArbExecutorAttackerInvariantTest is CheatsTest {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    AttackerHandler internal handler;

    function setUp() public {
        handler = new AttackerHandler();
        handler.init();
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory s) {
        bytes4[] memory sel = new bytes4[](11);
        sel[0] = AttackerHandler.deployFakeV2.selector;
        sel[1] = AttackerHandler.deployFakeV3.selector;
        sel[2] = AttackerHandler.trade.selector;
        sel[3] = AttackerHandler.attackRandom.selector;
        sel[4] = AttackerHandler.attackCrafted.selector;
        sel[5] = AttackerHandler.fakeLenderFee.selector;
        sel[6] = AttackerHandler.configureFakeManager.selector;
        sel[7] = AttackerHandler.setHookMode.selector;
        sel[8] = AttackerHandler.attackV4.selector;
        sel[9] = AttackerHandler.configureFakeVault.selector;
        sel[10] = AttackerHandler.attackBalancer.selector;
        s = new FuzzSelector[](1);
        s[0] = FuzzSelector(address(handler), sel);
    }

    /// The handler's attacks reach the executor's deep checks (the property below is not vacuous).
    function test_attacksReachTheBalanceChecks() public {
        handler.deployFakeV3(0, 1, 500_000e6, 0, 1, true); // WETH/USDC, reports 500k USDC, pays nothing
        uint8 fake = uint8(handler.poolCount() - 1);
        handler.attackCrafted(3, fake, 1 ether, 0, false); // own capital; a real V3 pool paid from holdings
        assertEq(handler.refusedWith(ArbExecutor.BalanceDecreased.selector), 1, "stopped by the balance check");
        handler.attackCrafted(2, 0, 1 ether, 0, false); // a lender that lends nothing
        assertEq(handler.refusedWith(ArbExecutor.Unprofitable.selector), 1, "stopped by the profit guard");
        handler.attackCrafted(3, fake, 1 ether, 10_000, false);
        assertEq(handler.refusedWith(ArbExecutor.BuilderShareAboveCap.selector), 1, "share above the cap");
        handler.attackRandom(12345, 0, 0, 1 ether, 0, 0);
        assertEq(handler.calls(), 5, "calls counted");
        assertEq(handler.violations(), 0, "no holdings fell");
    }

    /// The V4 attacks reach the same checks: a fake PoolManager's unpaid output fed to a real V3 pool, the
    /// hook stealing from the real PoolManager, and the hook keeping the whole output.
    function test_v4AttacksReachTheBalanceChecks() public {
        handler.configureFakeManager(0, 500_000e6, 0, 1, false);
        handler.attackV4(3, 1 ether, 0, true); // own capital, the fake manager, then the real V3 pool
        assertEq(handler.refusedWith(ArbExecutor.BalanceDecreased.selector), 1, "stopped by the balance check");
        handler.setHookMode(4, 0);
        handler.attackV4(2, 1 ether, 0, false); // a profitable cycle ending in the hooked pool
        assertEq(handler.executed(), 0, "nothing went through");
        assertEq(handler.refusedWith(bytes4(keccak256("CurrencyNotSettled()"))), 1, "the PoolManager refuses");
        handler.setHookMode(2, 0);
        handler.attackV4(2, 1 ether, 0, false);
        assertEq(handler.refusedWith(ArbExecutor.NoOutput.selector), 1, "no output left by the hook");
        assertEq(handler.violations(), 0, "no holdings fell");
    }

    /// The Balancer attacks reach the same checks: a fake Vault's reported-but-unpaid output fed to a real V3
    /// pool, a real Balancer hop on the Balancer flash loan, and a fake Vault that re-enters and over-pulls.
    function test_balancerAttacksReachTheChecks() public {
        handler.configureFakeVault(10_000, 0, 500_000e6, 0, 0); // takes the WETH, pays nothing, reports plenty
        handler.attackBalancer(0, 1 ether, 0); // own capital: fake Vault, then the real V3 pool
        assertEq(handler.refusedWith(ArbExecutor.NoOutput.selector), 1, "nothing arrived: no output");
        handler.configureFakeVault(10_000, 1e6, 500_000e6, 0, 0); // pays one USDC
        handler.attackBalancer(0, 1 ether, 0);
        assertEq(handler.refusedWith(ArbExecutor.Unprofitable.selector), 1, "what arrived is what the next hop got");
        handler.attackBalancer(1, 1 ether, 0); // the real Balancer hop on the Balancer flash loan
        assertEq(handler.refusedWith(ArbExecutor.BadCapitalForHop.selector), 1, "refused before any call");
        handler.configureFakeVault(5000, 10_000e6, 0, 1, 1); // half pulled, overpaid, over-pull tried, garbage
        handler.attackBalancer(0, 1 ether, 0);
        assertEq(handler.executed(), 1, "a generous fake Vault's trade goes through");
        assertEq(handler.violations(), 0, "no holdings fell");
    }

    /// No sequence of attacker actions lowers the executor's balance of any token it holds, or of ETH.
    function invariant_holdingsNeverFall() public view {
        assertEq(handler.violations(), 0, "the executor's holdings fell");
    }
}
