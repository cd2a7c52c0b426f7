//! OS detection's data side: the subject fingerprint format ([`fingerprint`]), the `nmap-os-db` database
//! ([`db`]) and Nmap's scoring and listing rules ([`score`]). Sending the probes and turning answers into a
//! subject fingerprint belong to the engine.

pub mod db;
pub mod fingerprint;
pub mod score;

pub use db::{
    Alt, Expr, MatchPoints, OsClassLine, OsDb, OsDbError, OsDbProblem, RefFingerprint, RefTest,
};
pub use fingerprint::{FingerprintError, SubjectFingerprint, TEST_ORDER, Test};
pub use score::{
    GUESS_SPREAD_PERCENT, GUESS_THRESHOLD_PERCENT, MAX_KEPT, MAX_LISTED, MAX_PERFECT,
    MAX_SUMMARY_GROUPS, MAX_SUMMARY_TYPES, OsGuess, OsSummary, Points, RunningGroup, Scored, guess,
    rank, score,
};
