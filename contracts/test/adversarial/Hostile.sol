// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice What an attacker holding an approved caller's key can deploy and put in a route. Every
///         contract here is test-only and deliberately dishonest.

/// @notice Tries every entry point of the executor from inside a call the executor made (a pool's swap,
///         a token's transfer, the coinbase's receive). Any attempt that succeeds is recorded.
abstract contract Reenterer {
    address public victim;
    uint256 public reentrySucceeded;
    uint256 public reentryTried;
    bool public reenter;
    bytes internal _route; // a route the attacker would like to run from inside

    function arm(address victim_, bool reenter_, bytes memory route) public virtual {
        victim = victim_;
        reenter = reenter_;
        _route = route;
    }

    function _attempt(bytes memory call) internal {
        reentryTried++;
        (bool ok,) = victim.call(call);
        if (ok) reentrySucceeded++;
    }

    /// Every function of the executor that moves funds or grants power, and every callback.
    function _reenterAll(address token) internal {
        if (!reenter || victim == address(0)) return;
        address[] memory tokens = new address[](1);
        tokens[0] = token;
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = 1 ether;
        _attempt(abi.encodeWithSignature("execute(bytes)", _route));
        _attempt(abi.encodeWithSignature("withdraw(address,address,uint256)", token, address(this), 1));
        _attempt(abi.encodeWithSignature("withdrawETH(address,uint256)", address(this), 1));
        _attempt(abi.encodeWithSignature("setCaller(address,bool)", address(this), true));
        _attempt(abi.encodeWithSignature("transferOwnership(address)", address(this)));
        _attempt(abi.encodeWithSignature("acceptOwnership()"));
        _attempt(abi.encodeWithSignature("setMaxBuilderShare(uint16)", uint16(10_000)));
        _attempt(abi.encodeWithSignature("unpause()"));
        _attempt(abi.encodeWithSignature("uniswapV3SwapCallback(int256,int256,bytes)", int256(1 ether), int256(0), ""));
        _attempt(
            abi.encodeWithSignature(
                "receiveFlashLoan(address[],uint256[],uint256[],bytes)", tokens, amounts, new uint256[](1), _route
            )
        );
        _attempt(abi.encodeWithSignature("uniswapV2Call(address,uint256,uint256,bytes)", victim, 1 ether, 0, _route));
        _attempt(abi.encodeWithSignature("uniswapV3FlashCallback(uint256,uint256,bytes)", 0, 0, _route));
        _attempt(
            abi.encodeWithSignature(
                "executeOperation(address,uint256,uint256,address,bytes)", token, 1 ether, 0, victim, _route
            )
        );
        _attempt(abi.encodeWithSignature("unlockCallback(bytes)", _route));
        _attempt(abi.encodeWithSignature("pancakeV3SwapCallback(int256,int256,bytes)", int256(1 ether), int256(0), ""));
        _attempt(abi.encodeWithSignature("pancakeV3FlashCallback(uint256,uint256,bytes)", 0, 0, _route));
    }

    /// How many entry points `_reenterAll` tries.
    uint256 public constant ENTRY_POINTS = 16;
}

/// @notice An ERC-20 with every trick: a transfer fee, no return value, a transfer that returns true
///         and moves nothing, a balanceOf that lies, and re-entry on every transfer.
contract HostileToken is Reenterer {
    string public name = "Hostile";
    string public symbol = "HOST";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) internal _balances;
    mapping(address => mapping(address => uint256)) public allowance;

    uint16 public feeBps; // burned from every transfer
    bool public noReturn; // USDT-style: transfer returns nothing
    bool public fakeTransfers; // transfer returns true and moves nothing
    uint256 public balanceBonus; // added to every balanceOf answer
    bool public zeroFirst; // USDT-style approve: a non-zero allowance may only be set from zero

    function setFee(uint16 bps) external {
        feeBps = bps;
    }

    function setNoReturn(bool on) external {
        noReturn = on;
    }

    function setFakeTransfers(bool on) external {
        fakeTransfers = on;
    }

    function setZeroFirst(bool on) external {
        zeroFirst = on;
    }

    function setBalanceBonus(uint256 bonus) external {
        balanceBonus = bonus;
    }

    function mint(address to, uint256 amount) external {
        _balances[to] += amount;
        totalSupply += amount;
    }

    function balanceOf(address a) external view returns (uint256) {
        return _balances[a] + balanceBonus;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        require(!zeroFirst || amount == 0 || allowance[msg.sender][spender] == 0, "approve from zero first");
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return _done();
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        allowance[from][msg.sender] -= amount;
        _move(from, to, amount);
        return _done();
    }

    function _move(address from, address to, uint256 amount) internal {
        if (!fakeTransfers) {
            _balances[from] -= amount;
            uint256 fee = (amount * feeBps) / 10_000;
            _balances[to] += amount - fee;
            totalSupply -= fee;
        }
        _reenterAll(address(this));
    }

    function _done() internal view returns (bool) {
        if (noReturn) {
            assembly {
                return(0, 0)
            }
        }
        return true;
    }
}

/// @notice Looks like a Uniswap V2 pair (token0/token1, getReserves, swap) and reports whatever it is
///         told. `payMode`: 0 pays nothing, 1 pays the asked amount, 2 pays half, 3 pays in the other token.
contract FakeV2Pair is Reenterer {
    address public token0;
    address public token1;
    uint112 internal _r0;
    uint112 internal _r1;
    uint8 public payMode;
    /// With swap data (a flash swap): 0 calls `to` back as asked, 1 never calls back, 2 calls back with one
    /// wei more than it sent, 3 calls back twice.
    uint8 public flashMode;

    constructor(address t0, address t1) {
        (token0, token1) = (t0, t1);
    }

    function setReserves(uint112 r0, uint112 r1) external {
        (_r0, _r1) = (r0, r1);
    }

    function setPayMode(uint8 mode) external {
        payMode = mode;
    }

    function setFlashMode(uint8 mode) external {
        flashMode = mode;
    }

    function getReserves() external view returns (uint112, uint112, uint32) {
        return (_r0, _r1, 0);
    }

    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external {
        _reenterAll(amount0Out > 0 ? token0 : token1);
        (address token, uint256 amount) = amount0Out > 0 ? (token0, amount0Out) : (token1, amount1Out);
        if (payMode == 3) token = token == token0 ? token1 : token0;
        if (payMode == 2) amount /= 2;
        if (payMode == 1 || payMode == 2 || payMode == 3) _pay(token, to, amount);
        if (data.length == 0 || flashMode == 1) return;
        uint256 extra = flashMode == 2 ? 1 : 0;
        (uint256 a0, uint256 a1) = amount0Out > 0 ? (amount0Out + extra, amount1Out) : (amount0Out, amount1Out + extra);
        _callback(to, a0, a1, data);
        if (flashMode == 3) _callback(to, a0, a1, data);
    }

    function _callback(address to, uint256 a0, uint256 a1, bytes calldata data) internal {
        (bool ok, bytes memory ret) =
            to.call(abi.encodeWithSignature("uniswapV2Call(address,uint256,uint256,bytes)", msg.sender, a0, a1, data));
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }

    function _pay(address token, address to, uint256 amount) internal {
        (bool ok, bytes memory ret) = token.call(abi.encodeWithSignature("balanceOf(address)", address(this)));
        if (!ok || ret.length < 32) return;
        uint256 have = abi.decode(ret, (uint256));
        (ok,) = token.call(abi.encodeWithSignature("transfer(address,uint256)", to, amount < have ? amount : have));
        ok; // a dishonest pool does not care whether its payment went through
    }
}

/// @notice Looks like a Uniswap V3 pool. On swap it asks the executor for the input through
///         uniswapV3SwapCallback (`askMode`: 0 never, 1 the exact input, 2 twice the input, 3 twice in a
///         row), then reports an output of `reportedOut` while paying `paidOut` (possibly nothing).
contract FakeV3Pool is Reenterer {
    address public token0;
    address public token1;
    uint24 public constant fee = 3000;
    uint256 public reportedOut;
    uint256 public paidOut;
    uint8 public askMode = 1;
    string public callbackName = "uniswapV3SwapCallback(int256,int256,bytes)";

    constructor(address t0, address t1) {
        (token0, token1) = (t0, t1);
    }

    /// Calls back as a PancakeSwap V3 pool does.
    function setPancake() external {
        callbackName = "pancakeV3SwapCallback(int256,int256,bytes)";
    }

    function configure(uint256 reported, uint256 paid, uint8 ask) external {
        (reportedOut, paidOut, askMode) = (reported, paid, ask);
    }

    function swap(address recipient, bool zeroForOne, int256 amountSpecified, uint160, bytes calldata data)
        external
        returns (int256 amount0, int256 amount1)
    {
        int256 owedIn = askMode == 2 ? amountSpecified * 2 : amountSpecified;
        (amount0, amount1) = zeroForOne ? (owedIn, -int256(reportedOut)) : (-int256(reportedOut), owedIn);
        address tokenOut = zeroForOne ? token1 : token0;
        if (paidOut > 0) {
            (bool paid,) = tokenOut.call(abi.encodeWithSignature("transfer(address,uint256)", recipient, paidOut));
            paid; // a dishonest pool does not care whether its payment went through
        }
        if (askMode != 0) {
            (bool ok, bytes memory ret) = msg.sender.call(abi.encodeWithSignature(callbackName, amount0, amount1, data));
            if (!ok) {
                assembly {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
            if (askMode == 3) {
                (ok, ret) = msg.sender.call(abi.encodeWithSignature(callbackName, amount0, amount1, data));
                if (!ok) {
                    assembly {
                        revert(add(ret, 0x20), mload(ret))
                    }
                }
            }
        }
        _reenterAll(zeroForOne ? token0 : token1);
    }
}

/// @notice A "lender" that lends nothing: it calls the executor's flash-loan callbacks as if it had,
///         with the fee it likes, and takes whatever it is repaid or approved.
contract FakeLender is Reenterer {
    uint256 public feeAsked;
    bool public lends; // really hand over the tokens first (to reach the re-entry after a good callback)

    function setFee(uint256 fee_) external {
        feeAsked = fee_;
    }

    function setLends(bool on) external {
        lends = on;
    }

    /// Balancer's Vault.flashLoan
    function flashLoan(address recipient, address[] memory tokens, uint256[] memory amounts, bytes memory userData)
        external
    {
        uint256[] memory fees = new uint256[](1);
        fees[0] = feeAsked;
        if (lends) IAllowance(tokens[0]).transfer(recipient, amounts[0]);
        IFlashReceiver(recipient).receiveFlashLoan(tokens, amounts, fees, userData);
        _reenterAll(tokens[0]);
    }

    /// Aave's Pool.flashLoanSimple: then pulls more than it is owed if it can.
    function flashLoanSimple(address receiver, address asset, uint256 amount, bytes calldata params, uint16) external {
        IFlashReceiver(receiver).executeOperation(asset, amount, feeAsked, receiver, params);
        uint256 allowed = IAllowance(asset).allowance(receiver, address(this));
        IAllowance(asset).transferFrom(receiver, address(this), allowed);
        _reenterAll(asset);
    }

    /// Uniswap V2/V3 lender interfaces: token0/token1 answer whatever the route needs.
    address public token0;
    address public token1;

    function setTokens(address t0, address t1) external {
        (token0, token1) = (t0, t1);
    }

    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external {
        IFlashReceiver(to).uniswapV2Call(to, amount0Out, amount1Out, data);
    }

    function flash(address recipient, uint256, uint256, bytes calldata data) external {
        IFlashReceiver(recipient).uniswapV3FlashCallback(feeAsked, 0, data);
    }
}

/// @notice Looks like the Balancer V2 Vault's `swap` to the executor and does as it is told: pulls `pullBps` of
///         the input (and then tries for more, or for another token the executor holds), pays `paid` of the
///         output from its own stock, reports `reported` (or garbage return data), re-enters, or reverts.
contract FakeVault is Reenterer {
    struct SingleSwap {
        bytes32 poolId;
        uint8 kind;
        address assetIn;
        address assetOut;
        uint256 amount;
        bytes userData;
    }

    struct FundManagement {
        address sender;
        bool fromInternalBalance;
        address payable recipient;
        bool toInternalBalance;
    }

    uint16 public pullBps = 10_000;
    uint256 public paid;
    uint256 public reported;
    uint8 public extra; // 0 none, 1 then pull one more wei of the input, 2 then pull another token
    address public otherToken;
    bool public garbage; // return three bytes instead of a uint256
    bool public refuse; // revert
    uint256 public extraPulled; // successful over-pulls (must stay zero)
    uint256 public lastLimit;
    uint256 public lastDeadline;

    function configure(uint16 pullBps_, uint256 paid_, uint256 reported_, uint8 extra_, address other) external {
        (pullBps, paid, reported, extra, otherToken) = (pullBps_, paid_, reported_, extra_, other);
    }

    function setReturn(bool garbage_, bool refuse_) external {
        (garbage, refuse) = (garbage_, refuse_);
    }

    function swap(SingleSwap memory s, FundManagement memory f, uint256 limit, uint256 deadline)
        external
        returns (uint256)
    {
        if (refuse) revert("vault says no");
        (lastLimit, lastDeadline) = (limit, deadline);
        uint256 take = (s.amount * pullBps) / 10_000;
        if (take != 0) IAllowance(s.assetIn).transferFrom(f.sender, address(this), take);
        if (extra == 1) _tryPull(s.assetIn, f.sender, 1);
        if (extra == 2) _tryPull(otherToken, f.sender, 1);
        if (paid != 0) IAllowance(s.assetOut).transfer(f.recipient, paid);
        _reenterAll(s.assetIn);
        if (garbage) {
            assembly {
                mstore(0, 0xdeadbeef)
                return(29, 3)
            }
        }
        return reported;
    }

    function _tryPull(address token, address from, uint256 amount) internal {
        try IAllowance(token).transferFrom(from, address(this), amount) returns (bool ok) {
            if (ok) extraPulled++;
        } catch {}
    }
}

/// @notice A block builder's coinbase that re-enters the executor when paid (and can refuse payment).
contract HostileCoinbase is Reenterer {
    bool public refuse;

    function setRefuse(bool on) external {
        refuse = on;
    }

    receive() external payable {
        if (refuse) revert("no thanks");
        _reenterAll(address(0));
    }
}

interface IFlashReceiver {
    function receiveFlashLoan(address[] memory, uint256[] memory, uint256[] memory, bytes memory) external;
    function uniswapV2Call(address, uint256, uint256, bytes calldata) external;
    function uniswapV3FlashCallback(uint256, uint256, bytes calldata) external;
    function executeOperation(address, uint256, uint256, address, bytes calldata) external returns (bool);
}

interface IAllowance {
    function allowance(address, address) external view returns (uint256);
    function transferFrom(address, address, uint256) external returns (bool);
    function transfer(address, uint256) external returns (bool);
}
