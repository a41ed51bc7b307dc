"""Bundle submission to block builders (Flashbots-style JSON-RPC, see /work/shared/notes/bundles-spec.md).

One module per job: `signing` (X-Flashbots-Signature), `transactions` (EIP-1559 signing, nonce manager),
`rpc` (async JSON-RPC transport), `dialects` (what each builder accepts; one bundle written in each),
`client` (BundleClient for one builder), `fanout` (many builders, many blocks), `inclusion` (did it land,
where, built by whom).
"""

from arbbot.execution.bundles.client import BundleClient, CallBundleResult, SendBundleResult, TxSimulation
from arbbot.execution.bundles.dialects import DIALECTS, Dialect, DialectRefusal, InternalBundle, RefundIntent
from arbbot.execution.bundles.errors import (
    BundleError,
    EndpointBadResponse,
    EndpointError,
    EndpointHttpError,
    EndpointRpcError,
    EndpointTimeout,
    EndpointUnreachable,
    NonceTooLowError,
    SignatureError,
)
from arbbot.execution.bundles.fanout import BUILDER_PRESETS, BuilderEndpoint, BundleFanout, FanoutReport
from arbbot.execution.bundles.inclusion import InclusionResult, InclusionStatus, InclusionTracker
from arbbot.execution.bundles.rpc import JsonRpcClient
from arbbot.execution.bundles.signing import FlashbotsSigner
from arbbot.execution.bundles.transactions import Fees, NonceManager, SignedTx, TransactionSigner, bundle_hash, tx_hash

__all__ = [
    "BUILDER_PRESETS",
    "DIALECTS",
    "BuilderEndpoint",
    "BundleClient",
    "BundleError",
    "BundleFanout",
    "CallBundleResult",
    "Dialect",
    "DialectRefusal",
    "EndpointBadResponse",
    "EndpointError",
    "EndpointHttpError",
    "EndpointRpcError",
    "EndpointTimeout",
    "EndpointUnreachable",
    "FanoutReport",
    "Fees",
    "FlashbotsSigner",
    "InclusionResult",
    "InclusionStatus",
    "InclusionTracker",
    "InternalBundle",
    "JsonRpcClient",
    "NonceManager",
    "NonceTooLowError",
    "RefundIntent",
    "SendBundleResult",
    "SignatureError",
    "SignedTx",
    "TransactionSigner",
    "TxSimulation",
    "bundle_hash",
    "tx_hash",
]
