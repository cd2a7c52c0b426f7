//! Standard output for the subcommands: `print!` panics when the reader went away (`portolan history list |
//! head`); these write through a locked handle and end the process quietly instead, as a command killed by
//! SIGPIPE would (exit status 141).

use std::io::Write;

/// Writes `text` to standard output; a closed pipe ends the process with status 141, any other error with 1.
pub fn write(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("portolan: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}
/// `print!` that survives a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write(&format!($($arg)*)) };
}
/// `println!` that survives a closed pipe.
macro_rules! outln {
    () => { $crate::out::write("\n") };
    ($($arg:tt)*) => { $crate::out::write(&format!("{}\n", format_args!($($arg)*))) };
}
