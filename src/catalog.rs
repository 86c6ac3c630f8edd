//! Instance classes tidegate knows: engine, vCPUs, memory.
