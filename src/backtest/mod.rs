//! Replay CloudWatch metric traces through the engine on an in-process estate.
