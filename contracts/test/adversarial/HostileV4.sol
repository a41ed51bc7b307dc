// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Reenterer} from "./Hostile.sol";
import {Key} from "../v4/V4Fixture.sol";

interface IExecutorLike {
    function unlockCallback(bytes calldata data) external returns (bytes memory);
}

interface IManagerLike {
    function take(address currency, address to, uint256 amount) external;
}

interface ITransfer {
    function transfer(address, uint256) external returns (bool);
    function balanceOf(address) external view returns (uint256);
}

struct Params {
    bool zeroForOne;
    int256 amountSpecified;
    uint160 sqrtPriceLimitX96;
}

/// @notice Looks like Uniswap V4's PoolManager and lies. `unlock` calls back (`callbacks` times, or with a
///         tampered route); `swap` reports the deltas it is told (`inputDelta`, `reportedOut`) whatever it
///         holds; `take` pays `takePaysBps` of what is asked (0: nothing); `settle` reports `settleReport`
///         (or, with 0, what it was sent); it re-enters the executor from every call when armed.
contract FakePoolManager is Reenterer {
    uint8 public callbacks = 1;
    bool public tamper;
    int256 public inputDelta; // 0: -amount (what an honest pool reports)
    uint256 public reportedOut;
    uint16 public takePaysBps;
    uint256 public settleReport;
    bool public sendsEtherOnTake;

    function configure(int256 inputDelta_, uint256 reportedOut_, uint16 takePaysBps_, uint256 settleReport_) external {
        (inputDelta, reportedOut, takePaysBps, settleReport) = (inputDelta_, reportedOut_, takePaysBps_, settleReport_);
    }

    function setCallbacks(uint8 n, bool tamper_) external {
        (callbacks, tamper) = (n, tamper_);
    }

    function unlock(bytes calldata data) external returns (bytes memory) {
        bytes memory route = data;
        if (tamper) route[60] = bytes1(uint8(route[60]) ^ 1);
        for (uint256 i = 0; i < callbacks; ++i) {
            IExecutorLike(msg.sender).unlockCallback(route);
        }
        _reenterAll(address(0));
        return "";
    }

    function swap(Key memory key, Params memory params, bytes calldata) external returns (int256) {
        _reenterAll(key.currency0 == address(0) ? key.currency1 : key.currency0);
        int256 dIn = inputDelta == 0 ? params.amountSpecified : inputDelta;
        int256 dOut = int256(reportedOut);
        (int256 d0, int256 d1) = params.zeroForOne ? (dIn, dOut) : (dOut, dIn);
        return (d0 << 128) | int256(uint256(uint128(int128(d1))));
    }

    function take(address currency, address to, uint256 amount) external {
        uint256 pay = (amount * takePaysBps) / 10_000;
        if (pay == 0) return;
        if (currency == address(0)) {
            (bool ok,) = to.call{value: pay < address(this).balance ? pay : address(this).balance}("");
            ok; // a dishonest manager does not care
        } else {
            uint256 have = ITransfer(currency).balanceOf(address(this));
            ITransfer(currency).transfer(to, pay < have ? pay : have);
        }
    }

    function sync(address) external {}

    function settle() external payable returns (uint256) {
        return settleReport == 0 ? msg.value : settleReport;
    }

    receive() external payable {}
}

/// @notice A Uniswap V4 hook on the real PoolManager that attacks whoever swaps through its pool, from an
///         address with BEFORE_SWAP | AFTER_SWAP | AFTER_SWAP_RETURNS_DELTA (placed there with vm.etch).
///         `mode`: 0 honest, 1 re-enters the executor from beforeSwap and afterSwap, 2 keeps the whole
///         output (returns it as its delta and takes it), 3 keeps `keepBps` of the output, 4 takes tokens
///         out of the PoolManager for itself without paying (so the unlock can never settle), 5 reverts.
contract HostileHook is Reenterer {
    uint160 public constant FLAGS = (1 << 7) | (1 << 6) | (1 << 2);
    address public manager;
    uint8 public mode;
    uint16 public keepBps;

    error HookRefuses();

    function setup(address manager_, uint8 mode_, uint16 keepBps_) external {
        (manager, mode, keepBps) = (manager_, mode_, keepBps_);
    }

    function beforeSwap(address, Key calldata key, Params calldata, bytes calldata)
        external
        returns (bytes4, int256, uint24)
    {
        if (mode == 1) _reenterAll(key.currency1);
        if (mode == 5) revert HookRefuses();
        if (mode == 4) IManagerLike(manager).take(key.currency1, address(this), 1000);
        return (this.beforeSwap.selector, 0, 0);
    }

    function afterSwap(address, Key calldata key, Params calldata params, int256 delta, bytes calldata)
        external
        returns (bytes4, int128)
    {
        if (mode == 1) _reenterAll(key.currency1);
        if (mode != 2 && mode != 3) return (this.afterSwap.selector, 0);
        bool specified0 = (params.amountSpecified < 0) == params.zeroForOne;
        int128 out = specified0 ? int128(delta) : int128(delta >> 128);
        if (out <= 0) return (this.afterSwap.selector, 0);
        uint256 keep = mode == 2 ? uint256(uint128(out)) : (uint256(uint128(out)) * keepBps) / 10_000;
        IManagerLike(manager).take(specified0 ? key.currency1 : key.currency0, address(this), keep);
        return (this.afterSwap.selector, int128(int256(keep)));
    }

    receive() external payable {}
}
