//! The least-squares and optimisation work, one binary: the NIST data against its JSON files
//! (`nist_data.rs`), levenberg-marquardt on the NIST problems through
//! `shapegrad::levenberg_marquardt` (`levenberg_marquardt.rs`), argmin's solvers through
//! `shapegrad::argmin` (`argmin.rs`). The forward and reverse Jacobians themselves are checked
//! op by op in the registry (`tests/ops/`).

#[path = "../../examples/common/fit.rs"]
#[cfg(feature = "levenberg-marquardt")]
mod fit;
#[path = "../../examples/common/nist.rs"]
mod nist;

#[cfg(feature = "argmin")]
mod argmin;
#[cfg(feature = "levenberg-marquardt")]
mod levenberg_marquardt;
mod nist_data;
