//! Scoring a subject fingerprint against reference fingerprints, as Nmap's book describes it
//! (osdetect-guess.html): for every test line of the subject that the reference also has, and every
//! attribute of that subject line that the reference line also has, the attribute's MatchPoints weight is
//! added to the possible points, and to the matched points when the subject's value matches the
//! reference expression. Accuracy = matched / possible; 1.0 is a perfect match.
//!
//! Listing (measured against Nmap 7.93, see tests/fixtures/os/README.md): references are ranked by
//! accuracy, highest first, ties in database order; a name already listed is not listed again; a guess
//! is listed only when its accuracy is at least [`GUESS_THRESHOLD`] and at most [`GUESS_SPREAD`] below
//! the best one; at most [`MAX_LISTED`] are listed. Perfect matches, when there are any, are the whole
//! answer: up to [`MAX_PERFECT`] distinct names, and none at all ("too many") beyond that.

use portolan_model::{OsClass, OsInfo, OsMatch};

use super::db::{OsDb, RefFingerprint};
use super::fingerprint::SubjectFingerprint;

/// Lowest accuracy listed at all.
pub const GUESS_THRESHOLD: f64 = 0.85;
/// How far below the best guess a guess may be and still be listed (a difference of accuracies, not a
/// ratio: measured with crafted databases, tests/fixtures/os/README.md).
pub const GUESS_SPREAD: f64 = 0.10;
/// Most perfect matches (distinct names) Nmap lists; with more it says "Too many fingerprints match this
/// host to give specific OS details" and lists none (measured: 36 listed, 37 refused).
pub const MAX_PERFECT: usize = 36;
/// Most guesses Nmap lists.
pub const MAX_LISTED: usize = 10;

/// Points of one reference against the subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Points {
    pub matched: u32,
    pub possible: u32,
}

impl Points {
    /// matched / possible; 0 when nothing was comparable.
    pub fn accuracy(self) -> f64 {
        if self.possible == 0 {
            0.0
        } else {
            f64::from(self.matched) / f64::from(self.possible)
        }
    }
    pub fn is_perfect(self) -> bool {
        self.possible > 0 && self.matched == self.possible
    }
    /// Whole percent as Nmap prints it: rounded down (95.9% is printed 95%).
    pub fn percent(self) -> u8 {
        if self.possible == 0 {
            return 0;
        }
        // matched <= possible, so this is 0..=100.
        u8::try_from(u64::from(self.matched) * 100 / u64::from(self.possible)).unwrap_or(100)
    }
}

/// Scores one reference fingerprint. Weights come from the database's MatchPoints; the parser guarantees
/// every reference attribute has one, and subject attributes the reference lacks are skipped.
pub fn score(db: &OsDb, subject: &SubjectFingerprint, reference: &RefFingerprint) -> Points {
    let mut p = Points {
        matched: 0,
        possible: 0,
    };
    for test in &subject.tests {
        let Some(rtest) = reference.test(&test.name) else {
            continue;
        };
        for (attr, value) in &test.attrs {
            let Some(expr) = rtest.get(attr) else {
                continue;
            };
            let w = db.match_points.weight(&test.name, attr).unwrap_or(0);
            p.possible += w;
            if expr.matches(value) {
                p.matched += w;
            }
        }
    }
    p
}

/// One reference fingerprint and its points.
#[derive(Debug, Clone, Copy)]
pub struct Scored<'a> {
    pub reference: &'a RefFingerprint,
    pub points: Points,
}

/// Every reference of the database, best first (ties in database order).
pub fn rank<'a>(db: &'a OsDb, subject: &SubjectFingerprint) -> Vec<Scored<'a>> {
    let mut all: Vec<Scored<'a>> = db
        .fingerprints
        .iter()
        .map(|r| Scored {
            reference: r,
            points: score(db, subject, r),
        })
        .collect();
    // Compare matched/possible exactly by cross-multiplying: float ties must stay ties.
    all.sort_by(|a, b| {
        let l = u64::from(b.points.matched) * u64::from(a.points.possible);
        let r = u64::from(a.points.matched) * u64::from(b.points.possible);
        l.cmp(&r)
    });
    all
}

/// `p` reaches [`GUESS_THRESHOLD`] and lies within [`GUESS_SPREAD`] of `best`, in exact integer
/// arithmetic (m/p >= 85/100 and m/p >= M/P - 1/10), so boundary cases do not hang on float rounding.
fn listable_guess(p: Points, best: Points) -> bool {
    if p.possible == 0 {
        return false;
    }
    let (m, q) = (i128::from(p.matched), i128::from(p.possible));
    let (bm, bq) = (i128::from(best.matched), i128::from(best.possible));
    100 * m >= 85 * q && 10 * m * bq >= (10 * bm - bq) * q
}

/// The outcome of matching one subject.
#[derive(Debug, Clone)]
pub struct OsGuess<'a> {
    /// True when the best matches are perfect ones (Nmap's "OS details:").
    pub perfect: bool,
    /// More than [`MAX_PERFECT`] distinct perfect matches: none is listed.
    pub too_many: bool,
    /// Listed matches, best first.
    pub matches: Vec<Scored<'a>>,
}

/// Matches a subject the way Nmap lists results: perfect matches when there are any (distinct names, at
/// most [`MAX_PERFECT`], none when there are more), else the best guesses ([`GUESS_THRESHOLD`],
/// [`GUESS_SPREAD`], at most [`MAX_LISTED`]).
pub fn guess<'a>(db: &'a OsDb, subject: &SubjectFingerprint) -> OsGuess<'a> {
    let ranked = rank(db, subject);
    let best = ranked.first().map(|s| s.points);
    let perfect = best.is_some_and(Points::is_perfect);
    let mut matches: Vec<Scored<'a>> = Vec::new();
    let limit = if perfect { MAX_PERFECT + 1 } else { MAX_LISTED };
    for s in ranked {
        if matches.len() >= limit {
            break;
        }
        let keep = if perfect {
            s.points.is_perfect()
        } else {
            best.is_some_and(|b| listable_guess(s.points, b))
        };
        if !keep {
            break;
        }
        // Names repeat in nmap-os-db (one per measured variant); the best-ranked one stands for all.
        if matches.iter().any(|m| m.reference.name == s.reference.name) {
            continue;
        }
        matches.push(s);
    }
    let too_many = perfect && matches.len() > MAX_PERFECT;
    if too_many {
        matches.clear();
    }
    OsGuess {
        perfect,
        too_many,
        matches,
    }
}

impl OsGuess<'_> {
    /// Whether Nmap prints these matches in normal output ("OS details:" / "Aggressive OS guesses:").
    /// Perfect matches are always printed. Guesses are printed with `--osscan-guess`/`--fuzzy`; without
    /// it Nmap 7.93 printed none even for a best guess of 96% (measured, see the fixtures' README).
    pub fn printed(&self, osscan_guess: bool) -> bool {
        self.too_many || (!self.matches.is_empty() && (self.perfect || osscan_guess))
    }

    /// Nmap's normal-output line for these matches: `OS details: A, B` for perfect matches,
    /// `Aggressive OS guesses: A (96%), B (95%)` for guesses; `None` when Nmap prints neither
    /// (see [`OsGuess::printed`]).
    pub fn normal_output_line(&self, osscan_guess: bool) -> Option<String> {
        if !self.printed(osscan_guess) {
            return None;
        }
        if self.too_many {
            return Some(
                "Too many fingerprints match this host to give specific OS details".to_owned(),
            );
        }
        let items: Vec<String> = self
            .matches
            .iter()
            .map(|s| {
                if self.perfect {
                    s.reference.name.clone()
                } else {
                    format!("{} ({}%)", s.reference.name, s.points.percent())
                }
            })
            .collect();
        let label = if self.perfect {
            "OS details"
        } else {
            "Aggressive OS guesses"
        };
        Some(format!("{label}: {}", items.join(", ")))
    }

    /// The matches in the report model (the XML `<osmatch>`/`<osclass>` list, which Nmap writes whether
    /// or not the guesses are printed).
    pub fn to_model(&self) -> Vec<OsMatch> {
        self.matches
            .iter()
            .map(|s| {
                let accuracy = s.points.percent();
                OsMatch {
                    name: s.reference.name.clone(),
                    accuracy,
                    line: s.reference.line,
                    classes: s
                        .reference
                        .classes
                        .iter()
                        .map(|c| OsClass {
                            device_type: Some(c.device_type.clone()),
                            vendor: c.vendor.clone(),
                            family: c.family.clone(),
                            generation: c.generation.clone(),
                            accuracy,
                            cpe: c.cpe.clone(),
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// An `OsInfo` with these matches and the subject's printed fingerprint; ports used are the
    /// engine's to fill.
    pub fn to_os_info(&self, subject: &SubjectFingerprint) -> OsInfo {
        OsInfo {
            ports_used: Vec::new(),
            matches: self.to_model(),
            fingerprint: Some(subject.to_nmap_text()),
        }
    }
}
