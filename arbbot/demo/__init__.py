"""`arbbot demo`: the whole loop on the local mainnet replica (see arbbot.demo.run)."""
