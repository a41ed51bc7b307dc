"""Chain access: node processes, RPC helpers."""
