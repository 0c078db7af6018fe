//! Typed, validated hyperparameters and NASLib's hyperparameter-search state.
//!
//! A predictor's tunable configuration is a typed struct implementing [`TunableParams`]: it
//! declares its tunable fields as an [`HpSpace`] (name, [`HpKind`], valid range), converts to
//! and from the [`Hyperparams`] map reported in result records, validates itself and draws from
//! NASLib's sampler. [`HpoState`] is the one implementation of NASLib's search protocol over such
//! a struct (defaults, current configuration, "the next draw keeps the defaults"), exposed to
//! the evaluator as the object-safe [`Tunable`] through
//! [`Predictor::tuning`](crate::predictor::Predictor::tuning).
//!
//! Validation never repairs a value: an unknown name, a non-finite value, a value outside its
//! range or a non-integral value for an integer parameter is an [`HpError`] naming the
//! parameter (no rounding, no truncation, no silent zero).
//!
//! ```
//! use naspred_eval::hpo::{HpError, HpSpace, HpSpec};
//! use naspred_eval::Hyperparams;
//!
//! const SPACE: HpSpace = HpSpace::new(&[
//!     HpSpec::integer("batch_size", 1.0, 4096.0),
//!     HpSpec::log_real("lr", 0.0, 10.0).open_below(),
//! ]);
//! let ok = Hyperparams::from([("batch_size".to_string(), 32.0), ("lr".to_string(), 1e-3)]);
//! assert!(SPACE.validate(&ok).is_ok());
//! let bad = Hyperparams::from([("batch_size".to_string(), 6.7)]);
//! assert!(matches!(SPACE.validate(&bad), Err(HpError::NotInteger { .. })));
//! let unknown = Hyperparams::from([("epochs".to_string(), 5.0)]);
//! assert!(matches!(SPACE.validate(&unknown), Err(HpError::Unknown { .. })));
//! ```

use std::fmt;

use rand::Rng;
use thiserror::Error;

use crate::predictor::{Hyperparams, PredictorRng};

/// Why a hyperparameter (map or typed configuration) was rejected.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum HpError {
    /// A name the predictor does not tune.
    #[error("unknown hyperparameter {name:?}; known: {known}")]
    Unknown {
        /// The name given.
        name: String,
        /// The tunable names, comma-separated.
        known: String,
    },
    /// A NaN or infinite value.
    #[error("hyperparameter {name} = {value} is not finite")]
    NotFinite {
        /// The parameter.
        name: String,
        /// Its value.
        value: f64,
    },
    /// A value outside the parameter's valid range.
    #[error("hyperparameter {name} = {value} is outside {}{lo}, {hi}]", bracket(*.lo_open))]
    OutOfRange {
        /// The parameter.
        name: String,
        /// Its value.
        value: f64,
        /// Lower bound.
        lo: f64,
        /// Upper bound (included).
        hi: f64,
        /// Whether the lower bound is excluded.
        lo_open: bool,
    },
    /// A non-integral value for an integer parameter (never rounded nor truncated).
    #[error("hyperparameter {name} = {value} must be an integer")]
    NotInteger {
        /// The parameter.
        name: String,
        /// Its value.
        value: f64,
    },
    /// A value that breaks a constraint beyond its range (a fixed set of values, a relation
    /// between fields, a non-tuned field).
    #[error("hyperparameter {name} = {value}: {reason}")]
    Invalid {
        /// The parameter.
        name: String,
        /// Its value.
        value: f64,
        /// The constraint.
        reason: String,
    },
}

fn bracket(lo_open: bool) -> &'static str {
    if lo_open {
        "("
    } else {
        "["
    }
}

impl HpError {
    /// An [`HpError::Invalid`] for `name`.
    pub fn invalid(name: &str, value: f64, reason: impl Into<String>) -> Self {
        HpError::Invalid {
            name: name.to_string(),
            value,
            reason: reason.into(),
        }
    }

    /// The parameter the error is about.
    pub fn name(&self) -> &str {
        match self {
            HpError::Unknown { name, .. }
            | HpError::NotFinite { name, .. }
            | HpError::OutOfRange { name, .. }
            | HpError::NotInteger { name, .. }
            | HpError::Invalid { name, .. } => name,
        }
    }
}

/// How a tunable parameter's values are interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HpKind {
    /// A real number.
    Real,
    /// A positive real number searched on a logarithmic scale (learning rates, weight decays).
    LogReal,
    /// An integer (counts, sizes, flags): the value must be integral.
    Integer,
}

impl fmt::Display for HpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HpKind::Real => "real",
            HpKind::LogReal => "log-real",
            HpKind::Integer => "integer",
        })
    }
}

/// The declaration of one tunable parameter: its name, kind and valid range `[lo, hi]` (or
/// `(lo, hi]` with [`HpSpec::open_below`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HpSpec {
    /// The name (reported as `hp_<name>`).
    pub name: &'static str,
    /// The kind.
    pub kind: HpKind,
    /// Lower bound.
    pub lo: f64,
    /// Upper bound (included; may be infinite, values themselves must be finite).
    pub hi: f64,
    /// Whether `lo` itself is excluded.
    pub lo_open: bool,
}

impl HpSpec {
    /// A real parameter in `[lo, hi]`.
    pub const fn real(name: &'static str, lo: f64, hi: f64) -> Self {
        HpSpec {
            name,
            kind: HpKind::Real,
            lo,
            hi,
            lo_open: false,
        }
    }

    /// A log-scale real parameter in `[lo, hi]` (usually with [`HpSpec::open_below`] at 0).
    pub const fn log_real(name: &'static str, lo: f64, hi: f64) -> Self {
        HpSpec {
            name,
            kind: HpKind::LogReal,
            lo,
            hi,
            lo_open: false,
        }
    }

    /// An integer parameter in `[lo, hi]`.
    pub const fn integer(name: &'static str, lo: f64, hi: f64) -> Self {
        HpSpec {
            name,
            kind: HpKind::Integer,
            lo,
            hi,
            lo_open: false,
        }
    }

    /// The same parameter with the lower bound excluded: `(lo, hi]`.
    pub const fn open_below(self) -> Self {
        HpSpec {
            lo_open: true,
            ..self
        }
    }

    /// Whether `value` is within the range (finiteness and integrality aside).
    pub fn in_range(&self, value: f64) -> bool {
        let above = if self.lo_open {
            value > self.lo
        } else {
            value >= self.lo
        };
        above && value <= self.hi
    }

    /// Checks one value: finite, integral for an integer parameter, within the range.
    ///
    /// # Errors
    /// [`HpError::NotFinite`], [`HpError::NotInteger`] or [`HpError::OutOfRange`].
    pub fn check(&self, value: f64) -> Result<(), HpError> {
        let name = self.name.to_string();
        if !value.is_finite() {
            return Err(HpError::NotFinite { name, value });
        }
        if self.kind == HpKind::Integer && value.fract() != 0.0 {
            return Err(HpError::NotInteger { name, value });
        }
        if !self.in_range(value) {
            return Err(HpError::OutOfRange {
                name,
                value,
                lo: self.lo,
                hi: self.hi,
                lo_open: self.lo_open,
            });
        }
        Ok(())
    }
}

impl fmt::Display for HpSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {}{}, {}])",
            self.name,
            self.kind,
            bracket(self.lo_open),
            self.lo,
            self.hi
        )
    }
}

/// The tunable parameters of a configuration: a set of [`HpSpec`]s with one validation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HpSpace {
    specs: &'static [HpSpec],
}

impl HpSpace {
    /// A space of these parameters (names are expected to be distinct).
    pub const fn new(specs: &'static [HpSpec]) -> Self {
        HpSpace { specs }
    }

    /// The empty space (nothing tunable).
    pub const EMPTY: HpSpace = HpSpace::new(&[]);

    /// The declarations.
    pub fn specs(&self) -> &'static [HpSpec] {
        self.specs
    }

    /// The declaration of `name`.
    pub fn get(&self, name: &str) -> Option<&'static HpSpec> {
        self.specs.iter().find(|s| s.name == name)
    }

    /// The names, in declaration order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        self.specs.iter().map(|s| s.name)
    }

    /// The error for a name outside the space.
    pub fn unknown(&self, name: &str) -> HpError {
        HpError::Unknown {
            name: name.to_string(),
            known: self.names().collect::<Vec<_>>().join(", "),
        }
    }

    /// Checks one named value.
    ///
    /// # Errors
    /// [`HpError::Unknown`] for a name outside the space, else [`HpSpec::check`]'s errors.
    pub fn check(&self, name: &str, value: f64) -> Result<(), HpError> {
        self.get(name)
            .ok_or_else(|| self.unknown(name))?
            .check(value)
    }

    /// Checks every entry of `hp` (a subset of the names is fine: only the named fields are
    /// set by [`TunableParams::with_hyperparams`]).
    ///
    /// # Errors
    /// The first offending entry in name order: [`HpError::Unknown`], [`HpError::NotFinite`],
    /// [`HpError::NotInteger`] or [`HpError::OutOfRange`].
    pub fn validate(&self, hp: &Hyperparams) -> Result<(), HpError> {
        hp.iter()
            .try_for_each(|(name, &value)| self.check(name, value))
    }
}

/// `exp(U(ln lo, ln hi))` with `U` one `rng.random::<f64>()` on `[0, 1)`: NASLib's
/// `loguniform`, the draw of every HPO sampler here.
pub fn loguniform<R: Rng + ?Sized>(rng: &mut R, lo: f64, hi: f64) -> f64 {
    let (a, b) = (lo.ln(), hi.ln());
    (a + (b - a) * rng.random::<f64>()).exp()
}

/// `exp(rng.random_range(ln lo..ln hi))` computed without a panic: rand's uniform-range
/// draw (52 random bits of one `u64`, `u * (b - a) + a`), which LcSVR and OMNI-NGB have always
/// used. It differs from [`loguniform`] in the last bits, so those predictors keep it to stay
/// bit-identical.
pub fn loguniform_range<R: Rng + ?Sized>(rng: &mut R, lo: f64, hi: f64) -> f64 {
    let (a, b) = (lo.ln(), hi.ln());
    // rand 0.9's `UniformFloat::sample_single`: a value in [1, 2) from the top 52 bits.
    let one_two = f64::from_bits((rng.random::<u64>() >> 12) | (1023u64 << 52));
    ((one_two - 1.0) * (b - a) + a).exp()
}

/// A typed, validated tunable configuration (linfa style): every params struct of a predictor
/// with NASLib's HPO implements it.
pub trait TunableParams: Clone + fmt::Debug + PartialEq {
    /// The tunable fields (names, kinds, ranges); [`TunableParams::to_hyperparams`] reports
    /// exactly these names.
    const SPACE: HpSpace;

    /// The tunable fields by name (reported as `hp_<name>`).
    fn to_hyperparams(&self) -> Hyperparams;

    /// A copy with the fields named in `hp` set; `hp` is validated first ([`HpSpace::validate`])
    /// and the result is [`validate`](TunableParams::validate)d.
    ///
    /// # Errors
    /// An [`HpError`] naming the first bad entry; `self` is unchanged.
    fn with_hyperparams(&self, hp: &Hyperparams) -> Result<Self, HpError>;

    /// One draw of NASLib's sampler around `self` (fields it does not sample are kept from
    /// `self` or set as NASLib's sampler sets them).
    fn sample(&self, rng: &mut PredictorRng) -> Self;

    /// Checks the whole configuration. The default checks the tunable fields against
    /// [`TunableParams::SPACE`]; types with other constraints extend it.
    ///
    /// # Errors
    /// An [`HpError`] naming the first bad field.
    fn validate(&self) -> Result<(), HpError> {
        Self::SPACE.validate(&self.to_hyperparams())
    }
}

/// The hyperparameter-search state of a predictor, as the evaluator's cross-validated search
/// (NASLib's `hpo_wrapper`) drives it. Object safe: see
/// [`Predictor::tuning`](crate::predictor::Predictor::tuning).
pub trait Tunable {
    /// The tunable parameters.
    fn space(&self) -> HpSpace;

    /// The current values of the tunable parameters.
    fn hyperparams(&self) -> Hyperparams;

    /// Sets the named parameters after validating them all (unknown names and bad values are
    /// rejected; on error nothing changes).
    ///
    /// # Errors
    /// An [`HpError`] naming the first bad entry.
    fn apply(&mut self, hp: &Hyperparams) -> Result<(), HpError>;

    /// NASLib's `set_random_hyperparams`: the first draw after construction or
    /// [`Tunable::reset`] keeps the defaults, every later one comes from the sampler.
    fn draw(&mut self, rng: &mut PredictorRng);

    /// NASLib's `reset_hyperparams`: back to the defaults, and the next draw keeps them.
    fn reset(&mut self);
}

/// The one implementation of NASLib's HPO rules over a [`TunableParams`] configuration: the
/// defaults, the current configuration and whether the next draw keeps the defaults.
///
/// Fields the sampler does not tune (epochs, thread counts, boosting rounds) are those of the
/// defaults, so they stay what they are across draws and resets.
#[derive(Clone, Debug, PartialEq)]
pub struct HpoState<P> {
    defaults: P,
    current: P,
    default_next: bool,
}

impl<P: TunableParams + Default> Default for HpoState<P> {
    /// `P::default()` as the defaults (trusted: not validated).
    fn default() -> Self {
        HpoState::trusted(P::default())
    }
}

impl<P: TunableParams> HpoState<P> {
    /// A state whose defaults (and current configuration) are `defaults`, validated.
    ///
    /// # Errors
    /// `defaults.validate()`'s error.
    pub fn new(defaults: P) -> Result<Self, HpError> {
        defaults.validate()?;
        Ok(HpoState::trusted(defaults))
    }

    /// A state on known-good defaults (a library's own constants), without validation.
    pub fn trusted(defaults: P) -> Self {
        HpoState {
            current: defaults.clone(),
            defaults,
            default_next: true,
        }
    }

    /// The defaults (what [`Tunable::reset`] restores).
    pub fn defaults(&self) -> &P {
        &self.defaults
    }

    /// The current configuration.
    pub fn current(&self) -> &P {
        &self.current
    }

    /// Whether the next [`Tunable::draw`] keeps the defaults.
    pub fn default_next(&self) -> bool {
        self.default_next
    }

    /// NASLib's `fit` filling in the defaults when no hyperparameters were set (the tree
    /// predictors' `BaseTree.fit`): from now on draws come from the sampler.
    pub fn settle(&mut self) {
        self.default_next = false;
    }
}

impl<P: TunableParams> Tunable for HpoState<P> {
    fn space(&self) -> HpSpace {
        P::SPACE
    }

    fn hyperparams(&self) -> Hyperparams {
        self.current.to_hyperparams()
    }

    /// Validates, then sets; like NASLib's `set_hyperparams`, a later draw samples.
    fn apply(&mut self, hp: &Hyperparams) -> Result<(), HpError> {
        self.current = self.current.with_hyperparams(hp)?;
        self.default_next = false;
        Ok(())
    }

    fn draw(&mut self, rng: &mut PredictorRng) {
        self.current = if std::mem::take(&mut self.default_next) {
            self.defaults.clone()
        } else {
            self.defaults.sample(rng)
        };
    }

    fn reset(&mut self) {
        self.current = self.defaults.clone();
        self.default_next = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[derive(Clone, Debug, PartialEq)]
    struct Toy {
        width: usize,
        lr: f64,
        epochs: usize,
    }

    impl Default for Toy {
        fn default() -> Self {
            Toy {
                width: 20,
                lr: 1e-3,
                epochs: 500,
            }
        }
    }

    impl TunableParams for Toy {
        const SPACE: HpSpace = HpSpace::new(&[
            HpSpec::integer("width", 1.0, 1024.0),
            HpSpec::log_real("lr", 0.0, 1.0).open_below(),
        ]);

        fn to_hyperparams(&self) -> Hyperparams {
            Hyperparams::from([
                ("width".to_string(), self.width as f64),
                ("lr".to_string(), self.lr),
            ])
        }

        fn with_hyperparams(&self, hp: &Hyperparams) -> Result<Self, HpError> {
            Self::SPACE.validate(hp)?;
            let mut p = self.clone();
            for (k, &v) in hp {
                match k.as_str() {
                    "width" => p.width = v as usize,
                    "lr" => p.lr = v,
                    _ => return Err(Self::SPACE.unknown(k)),
                }
            }
            p.validate()?;
            Ok(p)
        }

        fn sample(&self, rng: &mut PredictorRng) -> Self {
            Toy {
                width: rng.random_range(5..25),
                lr: loguniform(rng, 1e-4, 0.1),
                ..self.clone()
            }
        }
    }

    fn hp(pairs: &[(&str, f64)]) -> Hyperparams {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn validation_names_the_parameter_and_never_repairs() {
        let s = Toy::SPACE;
        let e = s.validate(&hp(&[("depth", 3.0)])).unwrap_err();
        assert_eq!(
            e,
            HpError::Unknown {
                name: "depth".into(),
                known: "width, lr".into()
            }
        );
        assert!(e.to_string().contains("depth"));
        let e = s.validate(&hp(&[("width", 6.7)])).unwrap_err();
        assert!(matches!(e, HpError::NotInteger { .. }));
        assert_eq!(e.name(), "width");
        assert!(matches!(
            s.validate(&hp(&[("lr", f64::NAN)])).unwrap_err(),
            HpError::NotFinite { .. }
        ));
        let e = s.validate(&hp(&[("lr", 0.0)])).unwrap_err();
        assert!(matches!(e, HpError::OutOfRange { lo_open: true, .. }));
        assert_eq!(e.to_string(), "hyperparameter lr = 0 is outside (0, 1]");
        assert!(matches!(
            s.validate(&hp(&[("width", 0.0)])).unwrap_err(),
            HpError::OutOfRange { .. }
        ));
        assert!(s.validate(&hp(&[("width", 1024.0), ("lr", 1.0)])).is_ok());
        assert!(s.validate(&Hyperparams::new()).is_ok());
        assert_eq!(
            s.get("lr").map(|x| x.to_string()).unwrap(),
            "lr (log-real, (0, 1])"
        );
    }

    #[test]
    fn state_draws_defaults_first_and_keeps_untuned_fields() {
        let defaults = Toy {
            epochs: 7,
            ..Toy::default()
        };
        let mut st = HpoState::new(defaults.clone()).unwrap();
        let mut rng = PredictorRng::seed_from_u64(3);
        st.draw(&mut rng);
        assert_eq!(st.current(), &defaults);
        let mut differs = false;
        for _ in 0..20 {
            st.draw(&mut rng);
            assert_eq!(st.current().epochs, 7);
            differs |= st.current() != &defaults;
        }
        assert!(differs);
        st.reset();
        assert!(st.default_next());
        assert_eq!(st.current(), &defaults);
        st.draw(&mut rng);
        assert_eq!(st.current(), &defaults);
        // Round trip, rejection leaves the state unchanged.
        let h = st.hyperparams();
        st.apply(&h).unwrap();
        assert_eq!(st.hyperparams(), h);
        assert!(st.apply(&hp(&[("width", 3.0), ("epochs", 2.0)])).is_err());
        assert!(st.apply(&hp(&[("width", 3.0), ("lr", -1.0)])).is_err());
        assert_eq!(st.current(), &defaults);
        st.apply(&hp(&[("width", 3.0)])).unwrap();
        assert_eq!(st.current().width, 3);
        assert!(HpoState::new(Toy {
            lr: 0.0,
            ..Toy::default()
        })
        .is_err());
        // settle: the next draw samples.
        st.reset();
        st.settle();
        st.draw(&mut rng);
        assert_ne!(st.current(), &defaults);
    }

    #[test]
    fn loguniform_draws_as_naslib_and_range_variant_as_rand() {
        let mut a = PredictorRng::seed_from_u64(11);
        let mut b = a.clone();
        for _ in 0..1000 {
            let u: f64 = b.random();
            let want = (1e-5f64.ln() + (0.1f64.ln() - 1e-5f64.ln()) * u).exp();
            assert_eq!(loguniform(&mut a, 1e-5, 0.1).to_bits(), want.to_bits());
        }
        for _ in 0..1000 {
            let want = b.random_range(1e-5f64.ln()..10f64.ln()).exp();
            assert_eq!(
                loguniform_range(&mut a, 1e-5, 10.0).to_bits(),
                want.to_bits()
            );
        }
    }
}
