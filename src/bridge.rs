//! The bridge to nalgebra 0.34, on which the solvers behind the features `levenberg-marquardt`
//! and `argmin` are built, while shapegrad is on nalgebra 0.35.
//!
//! Both versions store a static matrix the same way (`ArrayStorage`, column-major
//! `[[T; R]; C]`), so a conversion is a copy of the array, no arithmetic.

use nalgebra::SMatrix;
use nalgebra_034 as na034;

/// A nalgebra 0.34 static matrix (a solver's parameter or result) as a nalgebra 0.35 one.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "argmin")] {
/// use shapegrad::argmin::from_034;
///
/// let old = shapegrad::nalgebra_034::Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
/// assert_eq!(from_034(&old), nalgebra::Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
/// # }
/// ```
#[inline]
pub fn from_034<const R: usize, const C: usize>(
    m: &na034::SMatrix<f64, R, C>,
) -> SMatrix<f64, R, C> {
    SMatrix::from_data(nalgebra::ArrayStorage(m.data.0))
}

/// A nalgebra 0.35 static matrix (a start point) as a nalgebra 0.34 one.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "argmin")] {
/// use shapegrad::argmin::to_034;
///
/// let start = to_034(&nalgebra::Vector2::new(-1.2, 1.0));
/// assert_eq!(start, shapegrad::nalgebra_034::Vector2::new(-1.2, 1.0));
/// # }
/// ```
#[inline]
pub fn to_034<const R: usize, const C: usize>(m: &SMatrix<f64, R, C>) -> na034::SMatrix<f64, R, C> {
    na034::SMatrix::from_data(na034::ArrayStorage(m.data.0))
}

#[cfg(test)]
mod tests {
    use super::{from_034, to_034};

    #[test]
    fn round_trip_keeps_every_entry_in_place() {
        // column-major on both sides: entry (i, j) stays (i, j)
        let m = nalgebra::Matrix2x3::new(1.0, 2.0, 3.0, 4.0, 5.0, 6.0);
        let old = to_034(&m);
        assert_eq!(old[(0, 2)], 3.0);
        assert_eq!(old[(1, 0)], 4.0);
        assert_eq!(from_034(&old), m);
    }
}
