"""Pure AMM math, one module per AMM behind one interface (`base.Pool`). No I/O anywhere here."""
