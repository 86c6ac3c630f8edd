//! Replay CloudWatch metric traces through the engine on an in-process
//! estate.

pub mod alarms;
pub mod baseline;
pub mod costing;
pub mod load;
pub mod mapping;
pub mod sim;
pub mod timeline;
pub mod trace;
