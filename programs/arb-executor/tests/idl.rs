//! The committed IDL must be what the program builds today. The IDL is produced the way the Anchor
//! CLI does it (the `idl-build` feature prints it from `cargo test`), in a separate target directory
//! so the nested build does not wait on the outer build's lock.
//!
//! A test run only compares; after an interface change `make fixtures` rewrites the committed IDL (the
//! ignored `regenerate_idl`).

use std::path::{Path, PathBuf};

use anchor_lang_idl::build::IdlBuilder;

fn fresh_idl() -> anchor_lang_idl::types::Idl {
    let program = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| program.join("../../target"))
        .join("idl-build");
    // The builder would re-invoke cargo with `+$RUSTUP_TOOLCHAIN`; the toolchain running this test is
    // the one rustup resolves anyway.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    IdlBuilder::new()
        .program_path(program.to_path_buf())
        .cargo_args(vec![
            "--target-dir".into(),
            target.display().to_string(),
            "--locked".into(),
        ])
        .build()
        .expect("IDL build failed")
}

fn committed_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("idl/arb_executor.json")
}

#[test]
#[ignore = "rewrites the committed IDL: run by `make fixtures`, never by a test run"]
fn regenerate_idl() {
    let fresh = serde_json::to_string_pretty(&fresh_idl()).unwrap() + "\n";
    std::fs::write(committed_path(), fresh).unwrap();
}

#[test]
fn committed_idl_matches_a_fresh_build() {
    let idl = fresh_idl();
    let fresh = serde_json::to_string_pretty(&idl).unwrap() + "\n";
    let committed_path = committed_path();
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
    assert!(
        parse(&committed).is_some() && parse(&committed) == parse(&fresh),
        "{} is stale: regenerate with `make fixtures`",
        committed_path.display()
    );

    // The interface clients code against.
    assert_eq!(idl.address, arb_executor::ID.to_string());
    let ix = &idl.instructions[0];
    assert_eq!(idl.instructions.len(), 1);
    assert_eq!(ix.name, "execute_route");
    let args: Vec<&str> = ix.args.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(args, ["amount_in", "min_profit", "hops"]);
    assert!(idl.events.iter().any(|e| e.name == "RouteExecuted"));
}
