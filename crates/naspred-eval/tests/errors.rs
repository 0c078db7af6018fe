//! Predictor errors keep their source chain; a caught panic becomes a typed error.

use std::error::Error as _;

use naspred_eval::{catch_predictor_panic, error_chain, in_caught_call, PredictorError};

/// A typed error with a source of its own.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode architecture 3")]
struct EncodeError {
    #[source]
    source: std::io::Error,
}

fn typed() -> EncodeError {
    EncodeError {
        source: std::io::Error::other("disk on fire"),
    }
}

#[test]
fn a_fit_error_built_from_a_typed_error_returns_it_as_its_source() {
    let e = PredictorError::fit("xgb", typed());
    let src = e.source().expect("a source");
    let enc = src.downcast_ref::<EncodeError>().expect("the typed error");
    assert_eq!(enc.to_string(), "cannot encode architecture 3");
    // The whole chain, as a record stores it.
    assert_eq!(e.to_string(), "xgb: fit failed");
    assert_eq!(
        error_chain(&e),
        "xgb: fit failed: cannot encode architecture 3: disk on fire"
    );
    assert!(e.is_fit() && !e.is_query());

    let q = PredictorError::query("gp", typed());
    assert!(q.source().unwrap().is::<EncodeError>());
    assert!(q.is_query());
}

#[test]
fn reason_only_errors_have_no_source_and_keep_their_text() {
    let e = PredictorError::fit_msg("lcsvr", "needs at least 3 training architectures");
    assert!(e.source().is_none());
    assert!(matches!(e, PredictorError::FitReason { .. }));
    assert_eq!(
        error_chain(&e),
        "lcsvr: fit failed: needs at least 3 training architectures"
    );
    let q = PredictorError::query_msg("lce", "every extrapolation failed");
    assert!(matches!(q, PredictorError::QueryReason { .. }) && q.is_query());
}

#[test]
fn error_chain_does_not_repeat_a_source_its_parent_already_prints() {
    /// An error that prints its source itself (`"{source}"` in the message).
    #[derive(Debug, thiserror::Error)]
    #[error("cannot read results.jsonl: {source}")]
    struct Io {
        source: std::io::Error,
    }
    let e = PredictorError::fit(
        "omni",
        Io {
            source: std::io::Error::other("permission denied"),
        },
    );
    assert_eq!(
        error_chain(&e),
        "omni: fit failed: cannot read results.jsonl: permission denied"
    );
}

#[test]
fn a_panic_becomes_a_panicked_error_with_its_payload() {
    assert!(!in_caught_call());
    let r: Result<(), _> = catch_predictor_panic("gcn", || {
        assert!(in_caught_call());
        panic!("Torch(\"mat1 and mat2 shapes cannot be multiplied\")")
    });
    match r {
        Err(PredictorError::Panicked { key, message }) => {
            assert_eq!(key, "gcn");
            assert!(message.contains("shapes cannot be multiplied"), "{message}");
        }
        other => panic!("expected a caught panic, got {other:?}"),
    }
    assert!(!in_caught_call(), "the flag is reset after the panic");
    // A String payload (formatted panic) and a non-string payload.
    let n = 7;
    let r: Result<(), _> = catch_predictor_panic("mlp", || panic!("index {n} out of range"));
    assert_eq!(
        r.unwrap_err().to_string(),
        "mlp: panicked: index 7 out of range"
    );
    let r: Result<(), _> = catch_predictor_panic("mlp", || std::panic::panic_any(42_u8));
    assert!(matches!(r, Err(PredictorError::Panicked { .. })));
    // tch's text of a libtorch error: the C++ stack frames after the first (escaped) line go.
    let r: Result<(), _> = catch_predictor_panic("gcn", || {
        panic!(
            r#"Torch("shapes cannot be multiplied (2x3 and 4x5)\nException raised from meta\nframe #0: c10::Error")"#
        )
    });
    assert_eq!(
        r.unwrap_err().to_string(),
        r#"gcn: panicked: Torch("shapes cannot be multiplied (2x3 and 4x5) [...]"#
    );
    // Errors and values pass through untouched.
    assert_eq!(catch_predictor_panic("x", || Ok(3)).unwrap(), 3);
    let r: Result<(), _> =
        catch_predictor_panic("x", || Err(PredictorError::NotFitted { key: "x".into() }));
    assert!(matches!(r, Err(PredictorError::NotFitted { .. })));
}
