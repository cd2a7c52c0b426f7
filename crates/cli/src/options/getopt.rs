//! Phase 1: argv words -> raw (option, value) pairs, with the rules of GNU `getopt_long_only` that Nmap
//! relies on: `--name` and `-name` are long options (a unique prefix is enough), a single-dash word that is
//! not a long option is a cluster of short options (`-nvr`, `-p22`, `-T4`), `=` or the next word gives a
//! long option its value, words that are not options are targets wherever they stand, and `--` ends the
//! options. Nmap's own clusters come on top: `-sTU` (scan letters) and `-PS22,80` (probe letter + value).

use super::OptionError;
use super::table::{self, Arg, OptDef, Spelling};

/// One option as written on the command line.
#[derive(Debug, Clone)]
pub struct RawOpt {
    pub def: &'static OptDef,
    /// The option's canonical spelling (`-p`, `--min-rate`, `-sT`), for messages.
    pub name: String,
    pub value: Option<String>,
}

/// What phase 1 found.
#[derive(Debug, Default)]
pub struct RawArgs {
    pub opts: Vec<RawOpt>,
    pub targets: Vec<String>,
}

/// Splits `args` (without the program name). Stops early, returning what it has so far, at `-h`/`-V`:
/// the caller checks the last option for them.
pub fn split(args: &[String]) -> Result<RawArgs, OptionError> {
    let mut out = RawArgs::default();
    let mut i = 0;
    while i < args.len() {
        let word = &args[i];
        i += 1;
        if word == "--" {
            out.targets.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(body) = word.strip_prefix("--") {
            long_option(body, word, args, &mut i, &mut out)?;
        } else if let Some(body) = word.strip_prefix('-').filter(|b| !b.is_empty()) {
            let mut chars = body.chars();
            let first = chars.next();
            let single = chars.next().is_none();
            let is_short = first.is_some_and(table::is_short_letter);
            if single && is_short {
                short_cluster(body, args, &mut i, &mut out)?;
            } else {
                // getopt_long_only: try a long option first; fall back to short options only if none matches.
                let name = body.split_once('=').map_or(body, |(n, _)| n);
                match match_long(name, word)? {
                    Some(_) => long_option(body, word, args, &mut i, &mut out)?,
                    None if is_short => short_cluster(body, args, &mut i, &mut out)?,
                    None => return Err(OptionError::Unrecognized(word.clone())),
                }
            }
        } else {
            out.targets.push(word.clone());
            continue;
        }
        if out.opts.last().is_some_and(|o| o.def.id.is_some_and(|id| matches!(id, table::Id::Help | table::Id::Version))) {
            break;
        }
    }
    Ok(out)
}

/// Finds the long option `name` (exact, else a unique prefix). `Ok(None)`: no long option matches.
fn match_long(name: &str, word: &str) -> Result<Option<&'static OptDef>, OptionError> {
    if name.is_empty() {
        return Ok(None);
    }
    if let Some((_, d)) = table::long_names().find(|(n, _)| *n == name) {
        return Ok(Some(d));
    }
    let candidates: Vec<(&str, &'static OptDef)> = table::long_names().filter(|(n, _)| n.starts_with(name)).collect();
    match candidates.as_slice() {
        [] => Ok(None),
        [(_, d), rest @ ..] if rest.iter().all(|(_, o)| std::ptr::eq(*o, *d)) => Ok(Some(*d)),
        _ => {
            let dashes = if word.starts_with("--") { "--" } else { "-" };
            let list: Vec<String> = candidates.iter().map(|(n, _)| format!("'{dashes}{n}'")).collect();
            Err(OptionError::Ambiguous { option: word.to_owned(), candidates: list.join(" ") })
        }
    }
}

fn long_option(
    body: &str,
    word: &str,
    args: &[String],
    i: &mut usize,
    out: &mut RawArgs,
) -> Result<(), OptionError> {
    let (name, attached) = match body.split_once('=') {
        Some((n, v)) => (n, Some(v.to_owned())),
        None => (body, None),
    };
    let Some(def) = match_long(name, word)? else {
        return Err(OptionError::Unrecognized(word.split_once('=').map_or(word, |(n, _)| n).to_owned()));
    };
    let shown = word.split_once('=').map_or(word, |(n, _)| n).to_owned();
    let value = match def.arg {
        Arg::None => {
            if attached.is_some() {
                return Err(OptionError::UnexpectedArgument(shown));
            }
            None
        }
        Arg::Optional => attached,
        Arg::Required => match attached {
            Some(v) => Some(v),
            None => Some(next_word(args, i).ok_or(OptionError::MissingArgument(shown))?),
        },
    };
    out.opts.push(RawOpt { def, name: def.name(), value });
    Ok(())
}

fn next_word(args: &[String], i: &mut usize) -> Option<String> {
    let w = args.get(*i).cloned();
    if w.is_some() {
        *i += 1;
    }
    w
}

/// `body` is the word without its leading `-`; its first letter is a short option.
fn short_cluster(body: &str, args: &[String], i: &mut usize, out: &mut RawArgs) -> Result<(), OptionError> {
    let mut rest = body;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            's' => return scan_letters(rest, body, args, i, out),
            'P' => return ping_probe(rest, body, out),
            'o' => return output_prefix(rest, body),
            _ => {}
        }
        let Some(def) = table::find(Spelling::Short(c)) else {
            // The whole word: in `-foo` the stray letter alone would puzzle more than it helps.
            return Err(OptionError::Unrecognized(format!("-{body}")));
        };
        let name = format!("-{c}");
        match def.arg {
            Arg::None => out.opts.push(RawOpt { def, name: def.name(), value: None }),
            Arg::Optional => {
                let value = (!rest.is_empty()).then(|| rest.to_owned());
                out.opts.push(RawOpt { def, name: def.name(), value });
                return Ok(());
            }
            Arg::Required => {
                let value = if rest.is_empty() {
                    next_word(args, i).ok_or(OptionError::MissingArgument(name))?
                } else {
                    rest.to_owned()
                };
                out.opts.push(RawOpt { def, name: def.name(), value: Some(value) });
                return Ok(());
            }
        }
        if out.opts.last().is_some_and(|o| o.def.id.is_some_and(|id| matches!(id, table::Id::Help | table::Id::Version))) {
            return Ok(());
        }
    }
    Ok(())
}

/// `-sTU`: every letter is a scan type; `-sI` takes the next word as its zombie.
fn scan_letters(letters: &str, body: &str, args: &[String], i: &mut usize, out: &mut RawArgs) -> Result<(), OptionError> {
    if letters.is_empty() {
        return Err(OptionError::Invalid("-s needs scan type letters, e.g. -sT or -sn".into()));
    }
    for c in letters.chars() {
        let Some(def) = table::find(Spelling::Scan(c)) else {
            return Err(OptionError::Unrecognized(format!("-{body}")));
        };
        let value = match def.arg {
            Arg::Required => Some(next_word(args, i).ok_or_else(|| OptionError::MissingArgument(format!("-s{c}")))?),
            _ => None,
        };
        out.opts.push(RawOpt { def, name: format!("-s{c}"), value });
    }
    Ok(())
}

/// `-PS22,80`: one probe letter, then its value.
fn ping_probe(rest: &str, body: &str, out: &mut RawArgs) -> Result<(), OptionError> {
    let Some(c) = rest.chars().next() else {
        return Err(OptionError::Invalid("-P needs a probe type, e.g. -Pn or -PS22,80".into()));
    };
    let Some(def) = table::find(Spelling::Ping(c)) else {
        return Err(OptionError::Unrecognized(format!("-{body}")));
    };
    let name = format!("-P{c}");
    let tail = &rest[c.len_utf8()..];
    let value = match def.arg {
        _ if tail.is_empty() => None,
        Arg::None => {
            return Err(OptionError::BadValue { option: name, message: format!("takes no value, but '{tail}' is attached") });
        }
        _ => Some(tail.to_owned()),
    };
    out.opts.push(RawOpt { def, name, value });
    Ok(())
}

/// A word `-o...` that is not one of the output options: either a letter that is no output format, or a file
/// name glued to the option (`-oNscan.txt`), which Nmap refuses because it is easy to get wrong.
fn output_prefix(rest: &str, body: &str) -> Result<(), OptionError> {
    let Some(c) = rest.chars().next() else {
        return Err(OptionError::Invalid("-o needs an output format: -oN, -oX, -oG, -oA or -oJ".into()));
    };
    let opt = format!("o{c}");
    let tail = &rest[c.len_utf8()..];
    match table::long_names().find(|(n, _)| *n == opt) {
        Some(_) => Err(OptionError::Invalid(format!(
            "-{opt}{tail}: put the file name in a separate word: -{opt} {tail}"
        ))),
        None => Err(OptionError::Unrecognized(format!("-{body}"))),
    }
}
