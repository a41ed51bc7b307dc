"""The local mainnet replica: real protocol bytecode from npm artifacts on an anvil node."""
