// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

struct ProbeKey {
    address currency0;
    address currency1;
    uint24 fee;
    int24 tickSpacing;
    address hooks;
}

struct ProbeSwapParams {
    bool zeroForOne;
    int256 amountSpecified;
    uint160 sqrtPriceLimitX96;
}

interface IProbePoolManager {
    function unlock(bytes calldata data) external returns (bytes memory);
    function swap(ProbeKey memory key, ProbeSwapParams memory params, bytes calldata hookData)
        external
        returns (int256 delta);
    function extsload(bytes32[] calldata slots) external view returns (bytes32[] memory);
}

/// @title V4SwapProbe
/// @notice Runs a real PoolManager.swap and reports what it did without settling it: inside `unlock`
///         the swap runs (hooks included), then the callback reverts with the caller's BalanceDelta and
///         the pool's post-swap price, tick and liquidity (read through extsload), and `probe` returns
///         them. Every call ends in a revert, so nothing ever moves. Used by the exactness tests.
contract V4SwapProbe {
    error Probed(int256 amount0, int256 amount1, uint160 sqrtPriceX96, int24 tick, uint128 liquidity);

    IProbePoolManager public immutable manager;

    constructor(IProbePoolManager manager_) {
        manager = manager_;
    }

    function probe(ProbeKey calldata key, bool zeroForOne, int256 amountSpecified, uint160 sqrtPriceLimitX96)
        external
        returns (
            bool ok,
            int256 amount0,
            int256 amount1,
            uint160 sqrtPriceX96,
            int24 tick,
            uint128 liquidity,
            bytes memory reason
        )
    {
        try manager.unlock(abi.encode(key, zeroForOne, amountSpecified, sqrtPriceLimitX96)) {
            revert("unlock returned without the probe's revert");
        } catch (bytes memory data) {
            if (data.length == 4 + 5 * 32 && bytes4(data) == Probed.selector) {
                bytes memory body = new bytes(data.length - 4);
                for (uint256 i = 0; i < body.length; ++i) {
                    body[i] = data[i + 4];
                }
                (amount0, amount1, sqrtPriceX96, tick, liquidity) =
                    abi.decode(body, (int256, int256, uint160, int24, uint128));
                return (true, amount0, amount1, sqrtPriceX96, tick, liquidity, "");
            }
            return (false, 0, 0, 0, 0, 0, data);
        }
    }

    function unlockCallback(bytes calldata data) external returns (bytes memory) {
        require(msg.sender == address(manager), "not the manager");
        (ProbeKey memory key, bool zeroForOne, int256 amountSpecified, uint160 limit) =
            abi.decode(data, (ProbeKey, bool, int256, uint160));
        int256 delta = manager.swap(key, ProbeSwapParams(zeroForOne, amountSpecified, limit), "");
        bytes32 state = keccak256(abi.encode(keccak256(abi.encode(key)), uint256(6)));
        bytes32[] memory slots = new bytes32[](2);
        slots[0] = state;
        slots[1] = bytes32(uint256(state) + 3);
        bytes32[] memory words = manager.extsload(slots);
        uint256 slot0 = uint256(words[0]);
        revert Probed(
            delta >> 128,
            int256(int128(delta)),
            uint160(slot0),
            int24(int256(slot0 << 72) >> 232),
            uint128(uint256(words[1]))
        );
    }
}
