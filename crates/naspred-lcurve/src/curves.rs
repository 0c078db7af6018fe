//! Parametric learning-curve families of LCE (NASLib's `lce/parametric_model.py`) and LCE-m
//! (pybnn's `curvefunctions.py`), with epochs `x` counted from 1.

/// A parametric curve family: `y = f(θ, x)`.
pub trait CurveFamily: Copy + Send + Sync {
    /// Number of curve parameters.
    fn n_params(self) -> usize;
    /// The curve at epoch `x`.
    fn eval(self, p: &[f64], x: f64) -> f64;
    /// Name as NASLib / pybnn spell it.
    fn name(self) -> &'static str;
}

/// The four LCE families (the ones the paper's code keeps), parameters in NASLib's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LceFamily {
    /// `ln(a ln x + b)`; `a, b > 0`.
    LogLogLinear,
    /// `a / (1 + (x / e^b)^c)`.
    LogPower,
    /// Morgan-Mercer-Flodin `α − (α − β) / (1 + (κx)^δ)`, parameters `(α, β, δ, κ)`.
    Mmf,
    /// `ymax x^η / (κη + x^η)` (κ·η in the denominator, as coded); `ymax, κ > 0`.
    Hill3,
}

impl LceFamily {
    /// The ensemble's families, in order.
    pub const ALL: [LceFamily; 4] = [
        LceFamily::LogLogLinear,
        LceFamily::LogPower,
        LceFamily::Mmf,
        LceFamily::Hill3,
    ];

    /// Which of the curve parameters and the trailing σ must stay positive (the L-BFGS-B bounds
    /// `(eps, inf)`).
    pub fn positive(self) -> &'static [bool] {
        match self {
            LceFamily::LogLogLinear => &[true, true, true],
            LceFamily::LogPower => &[false, false, false, false],
            LceFamily::Mmf => &[false, false, false, false, false],
            LceFamily::Hill3 => &[true, false, true, true],
        }
    }
}

impl CurveFamily for LceFamily {
    fn n_params(self) -> usize {
        match self {
            LceFamily::LogLogLinear => 2,
            LceFamily::LogPower | LceFamily::Hill3 => 3,
            LceFamily::Mmf => 4,
        }
    }

    #[inline]
    fn eval(self, p: &[f64], x: f64) -> f64 {
        match self {
            LceFamily::LogLogLinear => (p[0] * x.ln() + p[1]).ln(),
            LceFamily::LogPower => p[0] / (1.0 + (x / p[1].exp()).powf(p[2])),
            LceFamily::Mmf => p[0] - (p[0] - p[1]) / (1.0 + (p[3] * x).powf(p[2])),
            LceFamily::Hill3 => {
                let xe = x.powf(p[1]);
                p[0] * xe / (p[2] * p[1] + xe)
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            LceFamily::LogLogLinear => "logloglinear",
            LceFamily::LogPower => "logpower",
            LceFamily::Mmf => "mmf",
            LceFamily::Hill3 => "hill3",
        }
    }
}

/// The four LCE-m families (pybnn's `curve_combination_models`), parameters in pybnn's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LcemFamily {
    /// `α − (α − β) / (1 + (κx)^δ)`, parameters `(α, β, κ, δ)`.
    Mmf,
    /// `ln(a ln x + b)`.
    LogLogLinear,
    /// `θ x^η / (κ^η + x^η)`, parameters `(θ, η, κ)`.
    DrHillZeroBackground,
    /// `a / (1 + (x / e^b)^c)`.
    LogPower,
}

impl LcemFamily {
    /// The model combination's families, in order.
    pub const ALL: [LcemFamily; 4] = [
        LcemFamily::Mmf,
        LcemFamily::LogLogLinear,
        LcemFamily::DrHillZeroBackground,
        LcemFamily::LogPower,
    ];

    /// pybnn's starting point of the least-squares fit (1.0 where it has no default).
    pub fn defaults(self) -> &'static [f64] {
        match self {
            LcemFamily::Mmf => &[0.7, 0.1, 0.01, 5.0],
            LcemFamily::LogLogLinear => &[1.0, 1.0],
            LcemFamily::DrHillZeroBackground => &[0.772320, 0.586449, 2.460843],
            LcemFamily::LogPower => &[0.77, 2.98, -0.51],
        }
    }
}

impl CurveFamily for LcemFamily {
    fn n_params(self) -> usize {
        match self {
            LcemFamily::Mmf => 4,
            LcemFamily::LogLogLinear => 2,
            LcemFamily::DrHillZeroBackground | LcemFamily::LogPower => 3,
        }
    }

    #[inline]
    fn eval(self, p: &[f64], x: f64) -> f64 {
        match self {
            LcemFamily::Mmf => p[0] - (p[0] - p[1]) / (1.0 + (p[2] * x).powf(p[3])),
            LcemFamily::LogLogLinear => (p[0] * x.ln() + p[1]).ln(),
            LcemFamily::DrHillZeroBackground => {
                let xe = x.powf(p[1]);
                p[0] * xe / (p[2].powf(p[1]) + xe)
            }
            LcemFamily::LogPower => p[0] / (1.0 + (x / p[1].exp()).powf(p[2])),
        }
    }

    fn name(self) -> &'static str {
        match self {
            LcemFamily::Mmf => "mmf",
            LcemFamily::LogLogLinear => "loglog_linear",
            LcemFamily::DrHillZeroBackground => "dr_hill_zero_background",
            LcemFamily::LogPower => "log_power",
        }
    }
}
