//! Shared helpers of the end-to-end tests: where the built `portolan` binary is, and how to run it in the lab.
