//! Maximum-likelihood fitting: BFGS with a Moré–Thuente line search (argmin) over log
//! parameters, with the objective's value and gradient computed together and cached.

use std::cell::RefCell;

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::{linesearch::MoreThuenteLineSearch, quasinewton::BFGS};

use super::PredictError;

/// A smooth function of unconstrained parameters to minimise (a mean negative log-likelihood).
pub trait Objective {
    /// The value and gradient at `theta`; non-finite values mark points outside the domain.
    fn value_and_gradient(&self, theta: &[f64]) -> (f64, Vec<f64>);
}

/// Where the optimiser stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub theta: Vec<f64>,
    pub value: f64,
    pub iterations: u64,
    pub gradient_norm: f64,
}

/// Gradient norm (of the mean negative log-likelihood) accepted as converged.
const GRADIENT_TOLERANCE: f64 = 1e-7;
const MAX_ITERATIONS: u64 = 500;

/// A point with its value and gradient.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

struct Cached<'a, O> {
    objective: &'a O,
    last: RefCell<Option<Evaluated>>,
}

impl<O: Objective> Cached<'_, O> {
    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        if let Some((at, value, gradient)) = self.last.borrow().as_ref() {
            if at.as_slice() == theta {
                return (*value, gradient.clone());
            }
        }
        let (value, gradient) = self.objective.value_and_gradient(theta);
        // Outside the domain: a huge value sends the line search back.
        let (value, gradient) = if value.is_finite() && gradient.iter().all(|g| g.is_finite()) {
            (value, gradient)
        } else {
            (f64::MAX / 4.0, vec![0.0; theta.len()])
        };
        *self.last.borrow_mut() = Some((theta.to_vec(), value, gradient.clone()));
        (value, gradient)
    }
}

impl<O: Objective> CostFunction for Cached<'_, O> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, theta: &Self::Param) -> Result<f64, argmin::core::Error> {
        Ok(self.eval(theta).0)
    }
}

impl<O: Objective> Gradient for Cached<'_, O> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, theta: &Self::Param) -> Result<Vec<f64>, argmin::core::Error> {
        Ok(self.eval(theta).1)
    }
}

/// Minimises `objective` from `start`. Fails when the optimiser stops without a small gradient.
pub fn minimize<O: Objective>(objective: &O, start: Vec<f64>) -> Result<Minimum, PredictError> {
    let n = start.len();
    let problem = Cached { objective, last: RefCell::new(None) };
    let (start_value, _) = problem.eval(&start);
    if start_value >= f64::MAX / 8.0 {
        return Err(PredictError::NotConverged { iterations: 0, detail: "the likelihood is not finite at the starting point".into() });
    }
    let eye: Vec<Vec<f64>> = (0..n).map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect()).collect();
    let fail = |e: argmin::core::Error| PredictError::NotConverged { iterations: 0, detail: e.to_string() };
    let solver = BFGS::new(MoreThuenteLineSearch::new())
        .with_tolerance_grad(GRADIENT_TOLERANCE)
        .map_err(fail)?
        .with_tolerance_cost(0.0)
        .map_err(fail)?;
    let result = Executor::new(problem, solver).configure(|state| state.param(start).inv_hessian(eye).max_iters(MAX_ITERATIONS)).run();
    let result = result.map_err(fail)?;
    let state = result.state();
    let iterations = state.get_iter();
    let theta = state.get_best_param().cloned().ok_or_else(|| PredictError::NotConverged { iterations, detail: "no parameters".into() })?;
    let (value, gradient) = result.problem.problem.as_ref().map(|p| p.eval(&theta)).unwrap_or((f64::NAN, vec![f64::NAN; n]));
    let gradient_norm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
    // The line search can stop a hair above the tolerance once the likelihood is flat to machine
    // precision; anything beyond a loose bound is a real failure.
    if !value.is_finite() || gradient_norm.is_nan() || gradient_norm >= GRADIENT_TOLERANCE * 1e3 {
        let why = match state.get_termination_status() {
            TerminationStatus::Terminated(TerminationReason::MaxItersReached) => format!("stopped after {MAX_ITERATIONS} iterations"),
            other => format!("{other:?}"),
        };
        return Err(PredictError::NotConverged { iterations, detail: format!("{why}; gradient norm {gradient_norm:.3e}") });
    }
    Ok(Minimum { theta, value, iterations, gradient_norm })
}
