//! Which profile is in force at an instant: cron transitions read in the
//! schedule's time zone, with holidays. Pure.
