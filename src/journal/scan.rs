//! Verifying segments in order: what startup recovery and `v9bridge journal verify` share.
//!
//! Every frame's checksum and body are checked, and the ordering rules: signal ids and epochs
//! strictly increase, segments do not overlap. Damage in the last segment with no good record
//! after it is what a torn write leaves (the file ends inside a record, the last record's
//! checksum fails, a zero-filled tail): a [`Problem::Torn`], cut at startup. Damage with good
//! records after it, or in any other segment, is [`Problem::Corrupt`].

use super::error::{Damage, Error};
use super::record::{body_len, check_frame, decode_body, Kind, Record, FRAME_HEAD};
use super::segment::{FrameReader, Header, Step};
use std::path::{Path, PathBuf};

/// Records per kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Indexed by [`Kind::index`].
    pub by_kind: [u64; Kind::ALL.len()],
}

impl Counts {
    /// Records of one kind.
    pub fn get(&self, kind: Kind) -> u64 {
        self.by_kind[kind.index()]
    }

    /// All records.
    pub fn total(&self) -> u64 {
        self.by_kind.iter().sum()
    }

    fn add(&mut self, other: &Counts) {
        for (a, b) in self.by_kind.iter_mut().zip(other.by_kind) {
            *a += b;
        }
    }
}

/// The last kill-switch record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KillSwitchState {
    /// Armed (signals refused) or released.
    pub armed: bool,
    /// Who did it.
    pub by: String,
    /// When, Unix ns.
    pub wall_ns: i64,
}

/// What the records read so far add up to.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// Highest signal id.
    pub last_id: u64,
    /// Highest epoch.
    pub last_epoch: u64,
    /// The last kill-switch record.
    pub kill_switch: Option<KillSwitchState>,
    /// Accounts a loss limit excluded and nobody re-armed since: (account, rule).
    pub loss_excluded: Vec<(String, String)>,
    /// Records per kind.
    pub counts: Counts,
    /// Journal-wide end of the previous segment (segments may not overlap).
    prev_end: u64,
}

impl State {
    /// A LossLimit record: the account is excluded (`rule`) or re-armed (`rule` empty).
    fn loss_limit(&mut self, account: &str, rule: &str) {
        self.loss_excluded.retain(|(a, _)| a != account);
        // Bounded by the configured accounts the engine journals (at most 256), but a
        // journal is input too: keep the newest few hundred.
        if !rule.is_empty() && self.loss_excluded.len() < 1024 {
            self.loss_excluded.push((account.to_string(), rule.to_string()));
        }
    }
}

/// What is wrong with a segment, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A torn write at the end of the last segment: cut at `offset`, `bytes` long.
    Torn {
        /// File offset of the torn record.
        offset: u64,
        /// Bytes from there to the end of the file.
        bytes: u64,
    },
    /// Damage a torn write does not explain.
    Corrupt {
        /// File offset of the damaged record (or 0 for the header).
        offset: u64,
        /// What is wrong.
        damage: Damage,
    },
}

/// One segment, verified.
#[derive(Clone, Debug)]
pub struct SegmentScan {
    /// The file.
    pub path: PathBuf,
    /// Its base (from the file name).
    pub base: u64,
    /// Its header, if readable.
    pub header: Option<Header>,
    /// Good records per kind in this segment.
    pub counts: Counts,
    /// File length.
    pub len: u64,
    /// File offset just past the last good record (or the header).
    pub good_end: u64,
    /// What is wrong, if anything.
    pub problem: Option<Problem>,
}

/// Verifies the segment `path` (named for `base`), adding its good records to `st`. `last`:
/// whether it is the journal's last segment, the only one a torn write can explain.
pub fn scan_segment(
    base: u64,
    path: &Path,
    last: bool,
    st: &mut State,
) -> Result<SegmentScan, Error> {
    let len = std::fs::metadata(path).map_err(|e| Error::io("stat", path, e))?.len();
    let mut scan = SegmentScan {
        path: path.to_path_buf(),
        base,
        header: None,
        counts: Counts::default(),
        len,
        good_end: 0,
        problem: None,
    };
    let (mut r, header) = FrameReader::open(path)?;
    let header = match header {
        Ok(h) => h,
        Err(damage) => {
            let torn = last && frames_after(path, 0, |_, _| {})? == 0;
            scan.problem = Some(if torn {
                Problem::Torn { offset: 0, bytes: len }
            } else {
                Problem::Corrupt { offset: 0, damage }
            });
            st.prev_end = base + if torn { 0 } else { len };
            return Ok(scan);
        }
    };
    scan.header = Some(header);
    scan.good_end = r.offset();
    let order = if header.base != base {
        Some("the header's base differs from the file name")
    } else if base < st.prev_end {
        Some("the segment overlaps the previous one")
    } else if header.first_id <= st.last_id {
        Some("the segment's first id is not above the previous segment's ids")
    } else {
        None
    };
    if let Some(what) = order {
        scan.problem = Some(Problem::Corrupt { offset: 0, damage: Damage::OutOfOrder(what) });
        st.prev_end = base + len;
        return Ok(scan);
    }
    loop {
        match r.step().map_err(|e| Error::io("read", path, e))? {
            Step::Frame { offset, start, len: n } => {
                let applied = decode_body(r.body(start, n)).and_then(|(t, rec)| apply(st, t, &rec));
                match applied {
                    Ok(kind) => scan.counts.by_kind[kind.index()] += 1,
                    Err(damage) => {
                        scan.problem = Some(Problem::Corrupt { offset, damage });
                        break;
                    }
                }
                scan.good_end = r.offset();
            }
            Step::End => break,
            Step::Bad { offset, damage } => {
                let torn = last && frames_after(path, offset, |_, _| {})? == 0;
                scan.problem = Some(if torn {
                    Problem::Torn { offset, bytes: len - offset }
                } else {
                    Problem::Corrupt { offset, damage }
                });
                break;
            }
        }
    }
    st.counts.add(&scan.counts);
    let torn = matches!(scan.problem, Some(Problem::Torn { .. }));
    st.prev_end = base + if torn { scan.good_end } else { len };
    Ok(scan)
}

/// Adds one record to the state, checking the ordering rules.
fn apply(st: &mut State, wall_ns: i64, rec: &Record<'_>) -> Result<Kind, Damage> {
    match *rec {
        Record::Signal { id, .. } => {
            if id <= st.last_id {
                return Err(Damage::OutOfOrder("signal id not above the previous one"));
            }
            st.last_id = id;
        }
        Record::Epoch { n } => {
            if n <= st.last_epoch {
                return Err(Damage::OutOfOrder("epoch not above the previous one"));
            }
            st.last_epoch = n;
        }
        Record::KillSwitch { armed, by } => {
            st.kill_switch = Some(KillSwitchState { armed, by: by.to_string(), wall_ns });
        }
        Record::LossLimit { account, rule } => st.loss_limit(account, rule),
        _ => {}
    }
    Ok(rec.kind())
}

/// After corruption at `from` in `path`: finds the checksummed records that still follow (by
/// trying every byte offset) and raises `st`'s last id and epoch (and kill switch) to theirs, so
/// that a fresh segment never reuses an id the damaged region may hold. Returns how many.
pub(super) fn salvage(path: &Path, from: u64, st: &mut State) -> Result<u64, Error> {
    frames_after(path, from, |wall_ns, rec| match *rec {
        Record::Signal { id, .. } => st.last_id = st.last_id.max(id),
        Record::Epoch { n } => st.last_epoch = st.last_epoch.max(n),
        Record::KillSwitch { armed, by } => {
            st.kill_switch = Some(KillSwitchState { armed, by: by.to_string(), wall_ns });
        }
        Record::LossLimit { account, rule } => st.loss_limit(account, rule),
        _ => {}
    })
}

/// Calls `f` for every checksummed, decodable frame that starts after file offset `from`,
/// trying every byte offset (a damaged frame's length cannot be trusted). Returns how many.
/// Reads the rest of the file into memory: startup only, and only after damage.
fn frames_after(path: &Path, from: u64, mut f: impl FnMut(i64, &Record<'_>)) -> Result<u64, Error> {
    let data = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let mut i = usize::try_from(from).unwrap_or(usize::MAX).saturating_add(1);
    let mut found = 0;
    while i + FRAME_HEAD <= data.len() {
        let mut head = [0u8; FRAME_HEAD];
        head.copy_from_slice(&data[i..i + FRAME_HEAD]);
        let frame = body_len(&head).ok().and_then(|n| {
            let body = data.get(i + FRAME_HEAD..i + FRAME_HEAD + n)?;
            check_frame(&head, body).ok()?;
            decode_body(body).ok().map(|(t, rec)| (n, t, rec))
        });
        match frame {
            Some((n, wall_ns, rec)) => {
                f(wall_ns, &rec);
                found += 1;
                i += FRAME_HEAD + n;
            }
            None => i += 1,
        }
    }
    Ok(found)
}
