//! Budget periods, forecasts and thresholds. Pure.
