//! The group committer's view of fjall's journal: [`JournalSync`] makes it durable
//! without holding the engine's journal lock, and zero-fills it ahead of the engine's
//! writer so that each fsync writes data only.
//!
//! Why the zero fill: fjall sizes each new journal with `set_len`, which leaves a sparse
//! file. Every append then lands in a hole, so every fsync must also allocate blocks and
//! write the inode. Measured on this project's 2-core machine (ext4), appending 5 KB and
//! calling fdatasync took 206-260 µs and 83-117 µs of CPU into a hole, and 136 µs and
//! 56 µs into blocks written with zeros beforehand.
//!
//! Invariants a reader must keep:
//! 1. Every journal write of the engine is caused by a call that holds the journal gate
//!    for reading ([`crate::store::Inner::commit`] and its siblings); fjall's own
//!    background work writes only bytes such a call already handed to it (its buffer) or
//!    a new journal file.
//! 2. Zeros are written only with the gate held for writing and the engine's buffer
//!    flushed, and only over a range the file system reports as a hole (`SEEK_DATA`).
//!    The journal's contents are therefore never changed: a zero-filled region reads
//!    exactly as the hole it replaced, and recovery sees the same bytes. (Not a read of
//!    the range: a read under the gate took 23 ms now and then, stalling every writer.)
//! 3. Never past the file's length: fjall reopens a journal in append mode after a
//!    restart, and zeros past the end would sit between two of its records, where
//!    recovery would stop.
//! 4. The committer only tries the gate (never waits for it): a writer stalled inside
//!    the engine (write backpressure) must not hold up acknowledgements.

use std::fs::File;
#[cfg(unix)]
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use fjall::PersistMode;

use crate::store::Inner;
use crate::{Error, Result};

/// Bytes zeroed at a time, ahead of the engine's writer. The fsync after a chunk writes
/// it and allocates its blocks, so it is the slow one; a small chunk keeps its extra time
/// small. Measured with one client (20k sequential 1 KB puts, three runs each, on an
/// earlier version that read the range before zeroing it): 1 MiB chunks gave 5% more
/// puts/s than 256 KiB but twice the p99.9 (4.0-4.6 ms against 1.8-2.1 ms); 64 KiB gave
/// fewer puts/s and slower outliers.
#[cfg(unix)]
const CHUNK: u64 = 256 << 10;

/// What a chunk is filled from. Every commit waits while the committer holds the gate to
/// write a chunk; a fresh zeroed buffer per chunk (256 KiB of new pages to fault in) made
/// that hold 525 µs on average, against 302 µs from this one (a 300k-record load at 32
/// connections, 1,400 chunks). Never written, so its pages are the kernel's zero page.
#[cfg(unix)]
static ZEROS: [u8; CHUNK as usize] = [0; CHUNK as usize];

/// Makes the journal durable for the group committer: the engine's journal lock is held
/// only to hand the buffered journal to the OS (`PersistMode::Buffer`), then the active
/// journal file is fsynced through a handle of our own, so writers keep appending while
/// the disk syncs.
///
/// fjall keeps its journals as `<db>/<n>.jnl`, the active one being the highest `n`; a
/// rotation fsyncs the journal it seals, so a write flushed into a journal that is sealed
/// before our fsync is durable either way.
pub(crate) struct JournalSync {
    dir: PathBuf,
    active: Option<Active>,
}

/// The active journal and how far it is zero-filled.
#[cfg_attr(not(unix), allow(dead_code))]
struct Active {
    id: u64,
    file: File,
    /// Everything below this offset is the engine's data or zeros of ours.
    zeroed: u64,
    /// A block left as a hole in the middle of the last zeroed chunk: once the engine
    /// has written it, the next chunk is due. `None`: due now.
    tripwire: Option<u64>,
    /// Nothing more to zero in this file (its end reached, or zeroing failed).
    done: bool,
}

impl JournalSync {
    pub(crate) fn new(dir: PathBuf) -> Self {
        JournalSync { dir, active: None }
    }

    /// One group commit's sync: zero ahead if due, flush the engine's buffer, fsync.
    pub(crate) fn sync(&mut self, inner: &Inner) -> Result<()> {
        let io = |e| Error::Engine(fjall::Error::Io(e));
        let mut id = match &self.active {
            Some(a) => a.id,
            None => self.newest().map_err(io)?,
        };
        while self.dir.join(format!("{}.jnl", id + 1)).exists() {
            id += 1;
        }
        if self.active.as_ref().map(|a| a.id) != Some(id) {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(self.dir.join(format!("{id}.jnl")))
                .map_err(io)?;
            self.active = Some(Active {
                id,
                file,
                zeroed: 0,
                tripwire: None,
                done: false,
            });
        }
        let Some(active) = &mut self.active else {
            return Ok(());
        };
        active.zero_ahead(inner);
        inner.db.persist(PersistMode::Buffer)?;
        active.file.sync_data().map_err(io)
    }

    /// The highest journal number in the directory.
    fn newest(&self) -> std::io::Result<u64> {
        let mut newest = 0;
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            let n = name
                .to_str()
                .and_then(|n| n.strip_suffix(".jnl"))
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(n) = n {
                newest = newest.max(n);
            }
        }
        Ok(newest)
    }
}

#[cfg(not(unix))]
impl Active {
    /// Only where holes can be found (unix); elsewhere the journal stays as fjall made it.
    fn zero_ahead(&mut self, _inner: &Inner) {}
}

#[cfg(unix)]
impl Active {
    /// Zeroes the next chunk if the engine reached the tripwire of the last one. Best
    /// effort: a failure only costs the speed-up, so it stops zeroing this file.
    fn zero_ahead(&mut self, inner: &Inner) {
        if self.done || !self.due() {
            return;
        }
        let Some(_gate) = inner.journal_gate.try_write() else {
            return; // a commit is in flight; the next sync tries again
        };
        if let Err(e) = self.zero_chunk(inner) {
            tracing::warn!(journal = self.id, error = %e, "journal zero fill stopped");
            self.done = true;
        }
    }

    /// Whether the engine has written the tripwire block (or there is none yet).
    fn due(&self) -> bool {
        match self.tripwire {
            None => true,
            Some(t) => next_hole(&self.file, t) != Some(t),
        }
    }

    /// With the gate held for writing: zeroes `[zeroed, zeroed + CHUNK)`, or from where
    /// the engine's data ends if it got there first, except for a tripwire block in the
    /// middle.
    fn zero_chunk(&mut self, inner: &Inner) -> Result<()> {
        let io = |e| Error::Engine(fjall::Error::Io(e));
        // No commit is in flight; after this, the engine has nothing buffered either.
        inner.db.persist(PersistMode::Buffer)?;
        let meta = self.file.metadata().map_err(io)?;
        let len = meta.len();
        let block = block_size(&meta);
        // Where the engine's data ends, if it passed the zeroed region.
        let mut start = self
            .zeroed
            .max(next_hole(&self.file, self.zeroed).unwrap_or(0));
        start = start.next_multiple_of(block);
        let end = start.saturating_add(CHUNK).min(len / block * block);
        if start >= end {
            self.done = true;
            return Ok(());
        }
        // Invariant 2: only over what the file system reports as a hole, which reads as
        // zeros. (Linux file systems report written pages not yet on disk as data.)
        if let Some(data) = next_data(&self.file, start).map_err(io)? {
            if data < end {
                // Never expected (the engine writes front to back): resume after it.
                self.zeroed = next_hole(&self.file, data)
                    .unwrap_or(len)
                    .next_multiple_of(block);
                self.tripwire = None;
                return Ok(());
            }
        }
        let zeros = &ZEROS[..(end - start) as usize];
        let trip = (start + (end - start) / 2) / block * block;
        if trip > start && trip + block < end {
            let (head, tail) = zeros.split_at((trip - start) as usize);
            self.file.write_all_at(head, start).map_err(io)?;
            self.file
                .write_all_at(&tail[block as usize..], trip + block)
                .map_err(io)?;
            self.tripwire = Some(trip);
        } else {
            self.file.write_all_at(zeros, start).map_err(io)?;
            self.tripwire = None;
        }
        self.zeroed = end;
        if end == len / block * block {
            self.done = true;
        }
        Ok(())
    }
}

/// The unit in which a hole can exist: the file's preferred I/O size, which is the block
/// size on local file systems. Capped so that a chunk keeps room for its tripwire (a
/// network file system may report its transfer size; with blocks larger than this the
/// tripwire is never a hole, and the file is zeroed a chunk per sync until its end).
#[cfg(unix)]
fn block_size(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.blksize().clamp(4096, CHUNK / 4)
}

/// The first hole at or after `offset` (the end of the file counts as one); `None` if
/// the file system cannot tell or `offset` is past the end.
#[cfg(unix)]
fn next_hole(file: &File, offset: u64) -> Option<u64> {
    rustix::fs::seek(file, rustix::fs::SeekFrom::Hole(offset)).ok()
}

/// The first data at or after `offset`, or `None` if only a hole follows it. A file
/// system without hole support reports everything before the end as data.
#[cfg(unix)]
fn next_data(file: &File, offset: u64) -> std::io::Result<Option<u64>> {
    match rustix::fs::seek(file, rustix::fs::SeekFrom::Data(offset)) {
        Ok(at) => Ok(Some(at)),
        Err(rustix::io::Errno::NXIO) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
