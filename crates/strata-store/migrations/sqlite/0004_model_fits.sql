-- Fitted predictive models (BG/NBD purchase counts, Gamma-Gamma spend): every successful fit is a
-- row; the newest row of a kind is the fit in force. A failed fit writes nothing.
CREATE TABLE model_fits (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT NOT NULL,
    fitted_at         TEXT NOT NULL,
    calibration_end   TEXT NOT NULL,
    time_unit         TEXT NOT NULL,
    -- The parameters as a JSON object (r, alpha, a, b; or p, q, gamma).
    params            TEXT NOT NULL,
    log_likelihood    REAL NOT NULL,
    customers         INTEGER NOT NULL,
    repeat_customers  INTEGER NOT NULL,
    iterations        INTEGER NOT NULL,
    seconds           REAL NOT NULL,
    fitted_by         TEXT NOT NULL
);
CREATE INDEX model_fits_kind ON model_fits (kind, id);
