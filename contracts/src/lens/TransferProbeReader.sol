// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IPairForProbe {
    function token0() external view returns (address);
    function token1() external view returns (address);
    function swap(uint256 amount0Out, uint256 amount1Out, address to, bytes calldata data) external;
}

interface IERC20Balance {
    function balanceOf(address) external view returns (uint256);
}

/// @title TransferProbeReader
/// @notice Runtime code placed at an unused address through an eth_call state override. It starts a
///         Uniswap V2 flash swap, so the pair sends both tokens first; the callback measures what
///         actually arrived and aborts the swap. Less than was sent means the token takes a fee on
///         transfer. Nothing is ever moved: the swap always reverts.
contract TransferProbeReader {
    error Received(uint256 got0, uint256 got1);

    function probe(address pair, uint256 out0, uint256 out1) external returns (uint256 got0, uint256 got1) {
        try IPairForProbe(pair).swap(out0, out1, address(this), hex"01") {
            revert("swap did not call back");
        } catch (bytes memory data) {
            if (data.length != 68 || bytes4(data) != Received.selector) {
                assembly {
                    revert(add(data, 32), mload(data))
                }
            }
            assembly {
                got0 := mload(add(data, 36))
                got1 := mload(add(data, 68))
            }
        }
    }

    function uniswapV2Call(address, uint256, uint256, bytes calldata) external view {
        IPairForProbe pair = IPairForProbe(msg.sender);
        revert Received(
            IERC20Balance(pair.token0()).balanceOf(address(this)), IERC20Balance(pair.token1()).balanceOf(address(this))
        );
    }
}
