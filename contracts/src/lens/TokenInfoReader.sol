// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title TokenInfoReader
/// @notice Deployless batch read of ERC-20 metadata that tolerates non-standard tokens: a reverting
///         `decimals()` is reported, `symbol()`/`name()` may return `string` or `bytes32`.
/// @dev Output: abi.encode(Info[]), Info = (bool decimalsOk, uint8 decimals, bytes symbol, bytes name),
///      symbol/name as the raw return data (the caller decodes either form).
contract TokenInfoReader {
    struct Info {
        bool decimalsOk;
        uint8 decimals;
        bytes symbol;
        bytes name;
    }

    constructor(address[] memory tokens) {
        Info[] memory out = new Info[](tokens.length);
        for (uint256 i = 0; i < tokens.length; ++i) {
            out[i] = _read(tokens[i]);
        }
        bytes memory encoded = abi.encode(out);
        assembly {
            return(add(encoded, 32), mload(encoded))
        }
    }

    function _read(address token) private view returns (Info memory info) {
        if (token.code.length == 0) return info;
        (bool ok, bytes memory ret) = token.staticcall{gas: 50_000}(abi.encodeWithSignature("decimals()"));
        if (ok && ret.length >= 32) {
            uint256 d = abi.decode(ret, (uint256));
            if (d <= 255) {
                info.decimalsOk = true;
                info.decimals = uint8(d);
            }
        }
        (, info.symbol) = token.staticcall{gas: 50_000}(abi.encodeWithSignature("symbol()"));
        (, info.name) = token.staticcall{gas: 50_000}(abi.encodeWithSignature("name()"));
    }
}
