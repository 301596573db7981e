//! Maximum-likelihood fitting: BFGS with a Moré–Thuente line search (argmin) over log
//! parameters, with the objective's value and gradient computed together and cached.

use std::cell::RefCell;

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::{linesearch::MoreThuenteLineSearch, neldermead::NelderMead, quasinewton::BFGS};

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
    /// BFGS's final inverse Hessian estimate (a warm start for a related problem).
    pub inv_hessian: Option<Vec<Vec<f64>>>,
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

/// Minimises `objective` from `start` with BFGS. When BFGS stops early (a line search that finds
/// no descent, a curved valley), a derivative-free Nelder–Mead run finds the basin and BFGS
/// polishes from there. Fails when neither reaches a small gradient.
pub fn minimize<O: Objective>(objective: &O, start: Vec<f64>) -> Result<Minimum, PredictError> {
    let problem = Cached { objective, last: RefCell::new(None) };
    let (start_value, _) = problem.eval(&start);
    if start_value >= f64::MAX / 8.0 {
        return Err(PredictError::NotConverged { iterations: 0, detail: "the likelihood is not finite at the starting point".into() });
    }
    match bfgs(&problem, start.clone(), None) {
        Ok(m) => Ok(m),
        Err(first) => {
            let basin = nelder_mead(&problem, start).map_err(|_| first.clone())?;
            bfgs(&problem, basin, None).map_err(|_| first)
        }
    }
}

/// Minimises `objective` starting from the minimum of `sample` (a cheaper problem with the same
/// shape, e.g. a subsample of the data): its parameters and inverse Hessian make the full run
/// short. Falls back to a cold `minimize` when the warm start does not converge.
pub fn minimize_warm<O: Objective, S: Objective>(objective: &O, sample: &S, start: Vec<f64>) -> Result<Minimum, PredictError> {
    let warm = match minimize(sample, start.clone()) {
        Ok(m) => m,
        Err(_) => return minimize(objective, start),
    };
    let problem = Cached { objective, last: RefCell::new(None) };
    match bfgs(&problem, warm.theta.clone(), warm.inv_hessian.clone()) {
        Ok(mut m) => {
            m.iterations += warm.iterations;
            Ok(m)
        }
        Err(_) => minimize(objective, start),
    }
}

fn not_converged(iterations: u64) -> impl Fn(argmin::core::Error) -> PredictError {
    move |e| PredictError::NotConverged { iterations, detail: e.to_string() }
}

fn bfgs<O: Objective>(problem: &Cached<'_, O>, start: Vec<f64>, inv_hessian: Option<Vec<Vec<f64>>>) -> Result<Minimum, PredictError> {
    let n = start.len();
    let eye: Vec<Vec<f64>> = inv_hessian.unwrap_or_else(|| (0..n).map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect()).collect());
    let solver = BFGS::new(MoreThuenteLineSearch::new())
        .with_tolerance_grad(GRADIENT_TOLERANCE)
        .map_err(not_converged(0))?
        .with_tolerance_cost(0.0)
        .map_err(not_converged(0))?;
    let shared = Cached { objective: problem.objective, last: RefCell::new(None) };
    let result = Executor::new(shared, solver)
        .configure(|state| state.param(start).inv_hessian(eye).max_iters(MAX_ITERATIONS))
        .run()
        .map_err(not_converged(0))?;
    let state = result.state();
    let iterations = state.get_iter();
    let theta = state.get_best_param().cloned().ok_or_else(|| PredictError::NotConverged { iterations, detail: "no parameters".into() })?;
    let (value, gradient) = problem.eval(&theta);
    let gradient_norm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
    // The line search can stop a hair above the tolerance once the likelihood is flat to machine
    // precision; anything beyond a loose bound is a real failure.
    if !value.is_finite() || value >= f64::MAX / 8.0 || gradient_norm.is_nan() || gradient_norm >= GRADIENT_TOLERANCE * 1e3 {
        let why = match state.get_termination_status() {
            TerminationStatus::Terminated(TerminationReason::MaxItersReached) => format!("stopped after {MAX_ITERATIONS} iterations"),
            other => format!("{other:?}"),
        };
        return Err(PredictError::NotConverged { iterations, detail: format!("{why}; gradient norm {gradient_norm:.3e}") });
    }
    Ok(Minimum { theta, value, iterations, gradient_norm, inv_hessian: state.get_inv_hessian().cloned() })
}

/// Nelder–Mead from a simplex around `start` (steps of ±0.5 in each log parameter).
fn nelder_mead<O: Objective>(problem: &Cached<'_, O>, start: Vec<f64>) -> Result<Vec<f64>, PredictError> {
    let mut simplex = vec![start.clone()];
    for i in 0..start.len() {
        let mut p = start.clone();
        p[i] += 0.5;
        simplex.push(p);
    }
    let solver = NelderMead::new(simplex).with_sd_tolerance(1e-10).map_err(not_converged(0))?;
    let shared = Cached { objective: problem.objective, last: RefCell::new(None) };
    let result = Executor::new(shared, solver).configure(|state| state.max_iters(4000)).run().map_err(not_converged(0))?;
    result.state().get_best_param().cloned().ok_or_else(|| PredictError::NotConverged { iterations: 0, detail: "no parameters".into() })
}
