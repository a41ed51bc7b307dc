//! arbbot's compiled hot path: exact V2/V3 quotes and the cycle solver, for Python as `arbbot_native`.
//!
//! The pure-Python models in `arbbot.amm` are the reference: every function here is tested to the wei
//! against them (and, for V3, against the deployed pool). Pool objects are immutable snapshots: a new
//! price/tick/liquidity makes a new object sharing the tick table.

pub mod curve;
pub mod math;
pub mod solve;
pub mod v2;
pub mod v3;

#[cfg(feature = "python")]
mod py {
    use std::sync::Arc;

    use pyo3::exceptions::{PyTypeError, PyValueError};
    use pyo3::prelude::*;
    use pyo3::types::{PyBytes, PyInt};

    use crate::math::{fits_u128, low_u128, U256};
    use crate::solve as core;
    use crate::solve::{Hop, Outcome, Params, PoolState};
    use crate::v2::V2State;
    use crate::v3::{TickTable, V3State};

    /// A V3 swap as Python sees it: (amount_in, amount_out, sqrt_price_x96, tick, liquidity, ticks_crossed).
    type SwapResult = (Py<PyAny>, Py<PyAny>, Py<PyAny>, i32, u128, u32);

    fn to_u256(ob: &Bound<'_, PyAny>, field: &str) -> PyResult<U256> {
        if let Ok(v) = ob.extract::<u128>() {
            return Ok(crate::math::u(v));
        }
        let v: Bound<'_, PyInt> = ob
            .cast::<PyInt>()
            .map_err(|_| PyTypeError::new_err(format!("{field}: expected an int")))?
            .clone();
        if v.lt(0)? {
            return Err(PyValueError::new_err(format!(
                "{field}: must not be negative"
            )));
        }
        let bits: usize = v.call_method0("bit_length")?.extract()?;
        if bits > 256 {
            return Err(PyValueError::new_err(format!(
                "{field}: does not fit 256 bits"
            )));
        }
        let bytes = v.call_method1("to_bytes", (32, "little"))?;
        let bytes = bytes
            .cast::<PyBytes>()
            .map_err(|_| PyTypeError::new_err("to_bytes"))?;
        Ok(U256::try_from_le_slice(bytes.as_bytes()).expect("32 bytes"))
    }

    fn from_u256(py: Python<'_>, x: U256) -> PyResult<Py<PyAny>> {
        if fits_u128(&x) {
            return Ok(low_u128(&x).into_pyobject(py)?.into_any().unbind());
        }
        let bytes = PyBytes::new(py, &x.to_le_bytes::<32>());
        Ok(py
            .get_type::<PyInt>()
            .call_method1("from_bytes", (bytes, "little"))?
            .unbind())
    }

    /// A Uniswap V2 pool's reserves and fee.
    #[pyclass(frozen, module = "arbbot_native")]
    pub struct V2Pool {
        st: V2State,
    }

    #[pymethods]
    impl V2Pool {
        #[new]
        fn new(
            reserve0: &Bound<'_, PyAny>,
            reserve1: &Bound<'_, PyAny>,
            fee_bps: u32,
        ) -> PyResult<Self> {
            let r0 = to_u256(reserve0, "reserve0")?;
            let r1 = to_u256(reserve1, "reserve1")?;
            if !fits_u128(&r0) || !fits_u128(&r1) {
                return Err(PyValueError::new_err("reserves must fit 128 bits"));
            }
            if fee_bps > 10_000 {
                return Err(PyValueError::new_err(format!(
                    "fee_bps: must be 0..10000, got {fee_bps}"
                )));
            }
            Ok(V2Pool {
                st: V2State {
                    reserve0: low_u128(&r0),
                    reserve1: low_u128(&r1),
                    fee_bps,
                },
            })
        }

        /// Exact output for `amount` in; None where the model refuses (empty reserves, zero amount).
        fn quote_exact_in(
            &self,
            py: Python<'_>,
            zero_for_one: bool,
            amount: &Bound<'_, PyAny>,
        ) -> PyResult<Option<Py<PyAny>>> {
            let a = to_u256(amount, "amount")?;
            match self.st.quote_exact_in(zero_for_one, a) {
                Ok(o) => Ok(Some(from_u256(py, o)?)),
                Err(_) => Ok(None),
            }
        }
    }

    /// A Uniswap V3 pool: price, tick, in-range liquidity, and its initialized ticks (from the bitmap).
    #[pyclass(frozen, module = "arbbot_native")]
    pub struct V3Pool {
        st: V3State,
    }

    #[pymethods]
    impl V3Pool {
        #[new]
        #[allow(clippy::too_many_arguments)]
        fn new(
            fee: u32,
            tick_spacing: i32,
            sqrt_price_x96: &Bound<'_, PyAny>,
            tick: i32,
            liquidity: u128,
            words: Vec<(i32, Bound<'_, PyAny>)>,
            nets: Vec<(i32, i128)>,
        ) -> PyResult<Self> {
            if fee >= 1_000_000 {
                return Err(PyValueError::new_err(format!(
                    "fee: must be below 1000000 pips, got {fee}"
                )));
            }
            let mut ws = Vec::with_capacity(words.len());
            for (w, v) in &words {
                ws.push((*w, to_u256(v, "bitmap word")?));
            }
            let table = TickTable::new(tick_spacing, &ws, &nets).map_err(PyValueError::new_err)?;
            let sqrt_price = to_u256(sqrt_price_x96, "sqrt_price_x96")?;
            Ok(V3Pool {
                st: V3State {
                    fee,
                    sqrt_price,
                    tick,
                    liquidity,
                    table: Arc::new(table),
                },
            })
        }

        /// The same ticks with a new price, tick and liquidity (a Swap event's state).
        fn with_slot(
            &self,
            sqrt_price_x96: &Bound<'_, PyAny>,
            tick: i32,
            liquidity: u128,
        ) -> PyResult<V3Pool> {
            let mut st = self.st.clone();
            st.sqrt_price = to_u256(sqrt_price_x96, "sqrt_price_x96")?;
            st.tick = tick;
            st.liquidity = liquidity;
            Ok(V3Pool { st })
        }

        fn quote_exact_in(
            &self,
            py: Python<'_>,
            zero_for_one: bool,
            amount: &Bound<'_, PyAny>,
        ) -> PyResult<Option<Py<PyAny>>> {
            let a = to_u256(amount, "amount")?;
            match self.st.quote_exact_in(zero_for_one, a) {
                Ok(o) => Ok(Some(from_u256(py, o)?)),
                Err(_) => Ok(None),
            }
        }

        fn quote_exact_out(
            &self,
            py: Python<'_>,
            zero_for_one: bool,
            amount: &Bound<'_, PyAny>,
        ) -> PyResult<Option<Py<PyAny>>> {
            let a = to_u256(amount, "amount")?;
            match self.st.quote_exact_out(zero_for_one, a) {
                Ok(o) => Ok(Some(from_u256(py, o)?)),
                Err(_) => Ok(None),
            }
        }

        /// UniswapV3Pool.swap: (amount_in, amount_out, sqrt_price_x96, tick, liquidity, ticks_crossed);
        /// ValueError with the reason where the pool reverts.
        #[pyo3(signature = (zero_for_one, exact_in, amount, sqrt_price_limit_x96=None))]
        fn swap(
            &self,
            py: Python<'_>,
            zero_for_one: bool,
            exact_in: bool,
            amount: &Bound<'_, PyAny>,
            sqrt_price_limit_x96: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<SwapResult> {
            let a = to_u256(amount, "amount")?;
            let limit = match sqrt_price_limit_x96 {
                Some(l) => Some(to_u256(l, "sqrt_price_limit_x96")?),
                None => None,
            };
            let r = self
                .st
                .swap(zero_for_one, exact_in, a, limit)
                .map_err(PyValueError::new_err)?;
            Ok((
                from_u256(py, r.amount_in)?,
                from_u256(py, r.amount_out)?,
                from_u256(py, r.sqrt_price)?,
                r.tick,
                r.liquidity,
                r.crossed,
            ))
        }

        #[getter]
        fn initialized_ticks(&self) -> Vec<i32> {
            let s = self.st.table.spacing;
            self.st.table.compressed.iter().map(|c| c * s).collect()
        }
    }

    fn hops_of(hops: &[(Bound<'_, PyAny>, bool)]) -> PyResult<Vec<Hop>> {
        let mut out = Vec::with_capacity(hops.len());
        for (ob, zero_for_one) in hops {
            let pool = if let Ok(p) = ob.cast::<V3Pool>() {
                PoolState::V3(p.get().st.clone())
            } else if let Ok(p) = ob.cast::<V2Pool>() {
                PoolState::V2(p.get().st)
            } else {
                return Err(PyTypeError::new_err(
                    "hops: each pool must be an arbbot_native V2Pool or V3Pool",
                ));
            };
            out.push(Hop {
                pool,
                zero_for_one: *zero_for_one,
            });
        }
        Ok(out)
    }

    /// Exact output of the cycle for `amount` in; None where a hop reverts or gives nothing.
    #[pyfunction]
    fn quote_cycle(
        py: Python<'_>,
        hops: Vec<(Bound<'_, PyAny>, bool)>,
        amount: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let hops = hops_of(&hops)?;
        let a = to_u256(amount, "amount")?;
        if a.is_zero() {
            return Ok(None);
        }
        match core::quote_cycle(&hops, a) {
            Some(o) => Ok(Some(from_u256(py, o)?)),
            None => Ok(None),
        }
    }

    /// The smallest input whose exact cycle output is >= need (None: unreachable).
    #[pyfunction]
    fn cycle_min_input(
        py: Python<'_>,
        hops: Vec<(Bound<'_, PyAny>, bool)>,
        need: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let hops = hops_of(&hops)?;
        let n = to_u256(need, "need")?;
        match core::cycle_min_input(&hops, n) {
            Some(o) => Ok(Some(from_u256(py, o)?)),
            None => Ok(None),
        }
    }

    fn params(
        max_input: &Bound<'_, PyAny>,
        loan_fee_bps: u64,
        scan_budget: u64,
    ) -> PyResult<Params> {
        Ok(Params {
            max_input: to_u256(max_input, "max_input")?,
            loan_fee_bps,
            scan_budget,
        })
    }

    /// (amount_in, amount_out, profit, certified, quotes) of the most profitable input; None when no
    /// input pays; NotImplemented when the values are outside what this path handles.
    #[pyfunction]
    #[pyo3(signature = (hops, max_input, loan_fee_bps=0, scan_budget=1024))]
    fn solve(
        py: Python<'_>,
        hops: Vec<(Bound<'_, PyAny>, bool)>,
        max_input: &Bound<'_, PyAny>,
        loan_fee_bps: u64,
        scan_budget: u64,
    ) -> PyResult<Py<PyAny>> {
        let hops = hops_of(&hops)?;
        let p = params(max_input, loan_fee_bps, scan_budget)?;
        let outcome = py.detach(|| core::solve(&hops, &p));
        match outcome {
            Outcome::NoProfit => Ok(py.None()),
            Outcome::Unsupported => Ok(py.NotImplemented()),
            Outcome::Found(s) => Ok((
                from_u256(py, s.amount_in)?,
                from_u256(py, s.amount_out)?,
                from_u256(py, s.profit)?,
                s.certified,
                s.quotes,
            )
                .into_pyobject(py)?
                .into_any()
                .unbind()),
        }
    }

    /// The exact filter and bound: None when no input can pay, else (relaxed maximiser floored,
    /// an integer no exact profit exceeds).
    #[pyfunction]
    #[pyo3(signature = (hops, max_input, loan_fee_bps=0))]
    fn relax(
        py: Python<'_>,
        hops: Vec<(Bound<'_, PyAny>, bool)>,
        max_input: &Bound<'_, PyAny>,
        loan_fee_bps: u64,
    ) -> PyResult<Option<(Py<PyAny>, Py<PyAny>)>> {
        let hops = hops_of(&hops)?;
        let p = params(max_input, loan_fee_bps, 0)?;
        if p.max_input.is_zero() {
            return Ok(None);
        }
        match core::relax_only(&hops, &p) {
            Some(r) => Ok(Some((from_u256(py, r.x)?, from_u256(py, r.upper)?))),
            None => Ok(None),
        }
    }

    #[pymodule]
    fn arbbot_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add_class::<V2Pool>()?;
        m.add_class::<V3Pool>()?;
        m.add_function(wrap_pyfunction!(quote_cycle, m)?)?;
        m.add_function(wrap_pyfunction!(cycle_min_input, m)?)?;
        m.add_function(wrap_pyfunction!(solve, m)?)?;
        m.add_function(wrap_pyfunction!(relax, m)?)?;
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        Ok(())
    }
}
