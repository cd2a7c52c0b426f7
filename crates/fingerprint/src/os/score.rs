//! Scoring a subject fingerprint against reference fingerprints, as Nmap's book describes it
//! (osdetect-guess.html): for every test line of the subject that the reference also has, and every
//! attribute of that subject line that the reference line also has, the attribute's MatchPoints weight is
//! added to the possible points, and to the matched points when the subject's value matches the
//! reference expression. Accuracy = matched / possible; 1.0 is a perfect match.
//!
//! Listing (measured against Nmap 7.93, see tests/fixtures/os/README.md): references are ranked by
//! accuracy, highest first, ties in database order; a name already listed is not listed again; a guess
//! is listed only when its accuracy is at least [`GUESS_THRESHOLD_PERCENT`] and at most
//! [`GUESS_SPREAD_PERCENT`] below the best one; up to [`MAX_KEPT`] are kept (they feed the class summary,
//! [`OsGuess::summary`]) and the first [`MAX_LISTED`] listed. Perfect matches, when there are any, are the whole
//! answer: up to [`MAX_PERFECT`] distinct names, and none at all ("too many") beyond that.

use portolan_model::{OsClass, OsInfo, OsMatch};

use super::db::{OsDb, RefFingerprint};
use super::fingerprint::SubjectFingerprint;

/// Lowest accuracy listed at all, in percent (0.8528 listed, 0.8485 not).
pub const GUESS_THRESHOLD_PERCENT: u32 = 85;
/// How far below the best guess a guess may be and still be listed, in percentage points: a difference
/// of accuracies, not a ratio (measured with crafted databases, tests/fixtures/os/README.md).
pub const GUESS_SPREAD_PERCENT: u32 = 10;
/// Most perfect matches (distinct names) Nmap lists; with more it says "Too many fingerprints match this
/// host to give specific OS details" and lists none (measured: 36 listed, 37 refused).
pub const MAX_PERFECT: usize = 36;
/// Most matches Nmap keeps for the class summary (measured: classes of the 36th guess counted, of the
/// 37th not).
pub const MAX_KEPT: usize = 36;
/// Most (vendor, family) groups and most device types the class summary shows; with more Nmap prints no
/// summary at all (measured: 8 shown, 9 omitted, for each).
pub const MAX_SUMMARY_GROUPS: usize = 8;
pub const MAX_SUMMARY_TYPES: usize = 8;
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

/// `p` reaches [`GUESS_THRESHOLD_PERCENT`] and lies within [`GUESS_SPREAD_PERCENT`] of `best`, in exact
/// integer arithmetic (m/q >= T/100 and m/q >= M/Q - S/100), so boundary cases do not hang on float
/// rounding.
fn listable_guess(p: Points, best: Points) -> bool {
    if p.possible == 0 {
        return false;
    }
    let (m, q) = (i128::from(p.matched), i128::from(p.possible));
    let (bm, bq) = (i128::from(best.matched), i128::from(best.possible));
    let (t, spread) = (
        i128::from(GUESS_THRESHOLD_PERCENT),
        i128::from(GUESS_SPREAD_PERCENT),
    );
    100 * m >= t * q && 100 * m * bq >= (100 * bm - spread * bq) * q
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
    /// Every match Nmap keeps (at most [`MAX_KEPT`], listed ones first): guesses beyond the ten listed
    /// still count in the class summary ([`OsGuess::summary`]).
    pub kept: Vec<Scored<'a>>,
}

/// Matches a subject the way Nmap lists results: perfect matches when there are any (distinct names, at
/// most [`MAX_PERFECT`], none when there are more), else the best guesses
/// ([`GUESS_THRESHOLD_PERCENT`], [`GUESS_SPREAD_PERCENT`], at most [`MAX_LISTED`]).
pub fn guess<'a>(db: &'a OsDb, subject: &SubjectFingerprint) -> OsGuess<'a> {
    let ranked = rank(db, subject);
    let best = ranked.first().map(|s| s.points);
    let perfect = best.is_some_and(Points::is_perfect);
    let mut kept: Vec<Scored<'a>> = Vec::new();
    // One more perfect match than can be listed tells "too many" apart.
    let limit = if perfect { MAX_PERFECT + 1 } else { MAX_KEPT };
    for s in ranked {
        if kept.len() >= limit {
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
        if kept.iter().any(|m| m.reference.name == s.reference.name) {
            continue;
        }
        kept.push(s);
    }
    let too_many = perfect && kept.len() > MAX_PERFECT;
    if too_many {
        kept.clear();
    }
    let listed = if perfect { MAX_PERFECT } else { MAX_LISTED };
    let matches = kept.iter().take(listed).copied().collect();
    OsGuess {
        perfect,
        too_many,
        matches,
        kept,
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

    /// An `OsInfo` with these matches and the subject's fingerprint in the form Nmap writes to XML
    /// ([`SubjectFingerprint::printed_text`]); ports used are the engine's to fill.
    pub fn to_os_info(&self, subject: &SubjectFingerprint) -> OsInfo {
        OsInfo {
            ports_used: Vec::new(),
            matches: self.to_model(),
            fingerprint: Some(subject.printed_text()),
        }
    }
}

/// One `Running:` entry: an OS vendor and family with the generations seen, best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningGroup {
    pub vendor: String,
    pub family: String,
    pub generations: Vec<String>,
    /// Accuracy of the best match carrying this group (printed only when guessing).
    pub percent: u8,
}

impl RunningGroup {
    /// `Vendor Family Gen|Gen`, the family left out when it repeats the vendor (`Linux 5.X`).
    pub fn label(&self) -> String {
        let mut out = self.vendor.clone();
        if self.family != self.vendor {
            out.push(' ');
            out.push_str(&self.family);
        }
        if !self.generations.is_empty() {
            out.push(' ');
            out.push_str(&self.generations.join("|"));
        }
        out
    }
}

/// Nmap's class summary: `Device type:`, `Running:` / `Running (JUST GUESSING):` and `OS CPE:` lines.
///
/// Measured rules (tests/fixtures/os/README.md): the distinct classes (vendor, family, generation,
/// device type) of the kept matches, in match order, each with the accuracy and the CPEs of the first
/// match carrying it; device types and (vendor, family) groups in order of first appearance, a group's
/// generations joined with `|` (an empty generation adds nothing); CPEs in class order without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsSummary {
    pub device_types: Vec<String>,
    pub running: Vec<RunningGroup>,
    pub cpe: Vec<String>,
    /// Guesses, not perfect matches: `Running (JUST GUESSING):` with percentages.
    pub guessing: bool,
}

impl OsSummary {
    /// The lines Nmap prints, in order (`OS CPE:` only when there is a CPE).
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("Device type: {}", self.device_types.join("|"))];
        let groups: Vec<String> = self
            .running
            .iter()
            .map(|g| {
                if self.guessing {
                    format!("{} ({}%)", g.label(), g.percent)
                } else {
                    g.label()
                }
            })
            .collect();
        let label = if self.guessing {
            "Running (JUST GUESSING)"
        } else {
            "Running"
        };
        out.push(format!("{label}: {}", groups.join(", ")));
        if !self.cpe.is_empty() {
            out.push(format!("OS CPE: {}", self.cpe.join(" ")));
        }
        out
    }
}

impl OsGuess<'_> {
    /// The class summary Nmap prints above the match list, or `None` where it prints none: when the
    /// list itself is not printed, when nothing matched, or when the kept matches span more than
    /// [`MAX_SUMMARY_GROUPS`] groups or [`MAX_SUMMARY_TYPES`] device types.
    pub fn summary(&self, osscan_guess: bool) -> Option<OsSummary> {
        if self.too_many || self.kept.is_empty() || !self.printed(osscan_guess) {
            return None;
        }
        let mut seen: Vec<(&str, &str, Option<&str>, &str)> = Vec::new();
        let mut summary = OsSummary {
            device_types: Vec::new(),
            running: Vec::new(),
            cpe: Vec::new(),
            guessing: !self.perfect,
        };
        for m in &self.kept {
            for c in &m.reference.classes {
                let key = (
                    c.vendor.as_str(),
                    c.family.as_str(),
                    c.generation.as_deref(),
                    c.device_type.as_str(),
                );
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                if !summary.device_types.contains(&c.device_type) {
                    summary.device_types.push(c.device_type.clone());
                }
                let group = match summary
                    .running
                    .iter_mut()
                    .position(|g| g.vendor == c.vendor && g.family == c.family)
                {
                    Some(i) => &mut summary.running[i],
                    None => {
                        summary.running.push(RunningGroup {
                            vendor: c.vendor.clone(),
                            family: c.family.clone(),
                            generations: Vec::new(),
                            percent: m.points.percent(),
                        });
                        let last = summary.running.len() - 1;
                        &mut summary.running[last]
                    }
                };
                if let Some(g) = &c.generation
                    && !group.generations.contains(g)
                {
                    group.generations.push(g.clone());
                }
                for cpe in &c.cpe {
                    if !summary.cpe.contains(cpe) {
                        summary.cpe.push(cpe.clone());
                    }
                }
            }
        }
        if summary.running.len() > MAX_SUMMARY_GROUPS
            || summary.device_types.len() > MAX_SUMMARY_TYPES
        {
            return None;
        }
        Some(summary)
    }
}
