//! Holds the runtime tests of the route program (see `tests/`). A separate crate keeps the heavy
//! runtime dependencies out of the program crate, so building its IDL compiles only the program.
