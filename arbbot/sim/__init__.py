"""Fork simulation: run candidate transactions on an exact copy of chain state before sending them."""
