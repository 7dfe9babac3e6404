//! Call numbers: handed out once, never reused or changed; calls read
//! earlier that turn out to be part of another are named in it; finalised
//! calls judged and forgotten.

use foldhash::{HashMap, HashSet};

use crate::analysis::{Analyzer, AssembledCall, FrameOwner};
use crate::verdict;

use super::{CallDigest, JudgedCall, SessionObserver};

/// Call numbers handed out, and what is needed to keep them stable.
#[derive(Default)]
pub(super) struct Numbering {
    /// Live calls' ids (as correlation builds them) -> number and the id
    /// shown, which differs when a finalised call had the same id.
    numbers: HashMap<String, (u32, String)>,
    next_number: u32,
    /// Ids of finalised calls (by hash, 8 bytes each), with how often each
    /// was used: a later call with the same id (a Call-ID reused, the same
    /// RTP ports an hour later) is shown as `id#2`.
    finalized_ids: HashMap<u64, u32>,
    absorbed: HashMap<String, Vec<(u32, String)>>,
    pub(super) digests: HashMap<u32, CallDigest>,
}

impl Numbering {
    pub(super) fn judge_all<'a>(&mut self, analyzer: &'a Analyzer) -> Vec<JudgedCall<'a>> {
        let now = analyzer.now();
        let assembled = analyzer.assemble();
        self.note_absorbed(&assembled);
        assembled
            .into_iter()
            .map(|call| self.judge(analyzer, call, now))
            .collect()
    }

    /// Calls numbered before that are no longer calls of their own were
    /// joined to another: say so on the one that took them.
    pub(super) fn note_absorbed(&mut self, assembled: &[AssembledCall<'_>]) {
        // Every numbered live call is in `numbers`; one missing from this
        // assembly is no longer a call of its own: it was joined to
        // another. Say so on the one that took it.
        if self.numbers.len() <= assembled.len()
            && assembled.iter().all(|c| self.numbers.contains_key(&c.id))
        {
            return;
        }
        let ids: HashSet<u64> = assembled.iter().map(|c| id_hash(&c.id)).collect();
        let gone: Vec<(String, u32)> = self
            .numbers
            .iter()
            .filter(|(id, _)| !ids.contains(&id_hash(id)))
            .map(|(id, (n, _))| (id.clone(), *n))
            .collect();
        for (gone, number) in gone {
            self.numbers.remove(&gone);
            if let Some(taker) = assembled
                .iter()
                .find(|c| c.parts.standalone_ids().contains(&gone))
            {
                let list = self.absorbed.entry(taker.id.clone()).or_default();
                if !list.iter().any(|(n, _)| *n == number) {
                    list.push((number, gone));
                }
            }
        }
    }

    /// Calls that are no longer calls of their own after a partial
    /// assembly: those numbered are named in the call that took them, if
    /// one of `assembled` did.
    pub(super) fn note_gone(&mut self, gone: &[String], assembled: &[AssembledCall<'_>]) {
        for g in gone {
            let Some((number, _)) = self.numbers.remove(g) else {
                continue;
            };
            self.absorbed.remove(g);
            if let Some(taker) = assembled
                .iter()
                .find(|c| c.parts.standalone_ids().contains(g))
            {
                let list = self.absorbed.entry(taker.id.clone()).or_default();
                if !list.iter().any(|(n, _)| *n == number) {
                    list.push((number, g.clone()));
                }
            }
        }
    }

    /// The call's number and the id it is shown with, handed out now if
    /// it has none yet.
    pub(super) fn number(&mut self, id: &str) -> (u32, String) {
        if let Some(n) = self.numbers.get(id) {
            return n.clone();
        }
        self.next_number += 1;
        let shown = match self.finalized_ids.get(&id_hash(id)) {
            Some(n) => format!("{id}#{}", n + 1),
            None => id.to_string(),
        };
        self.numbers
            .insert(id.to_string(), (self.next_number, shown.clone()));
        (self.next_number, shown)
    }

    pub(super) fn judge<'a>(
        &mut self,
        analyzer: &'a Analyzer,
        mut call: AssembledCall<'a>,
        now: i64,
    ) -> JudgedCall<'a> {
        let (number, shown_id) = self.number(&call.id);
        let absorbed = self.absorbed.get(&call.id).cloned().unwrap_or_default();
        call.id = shown_id;
        let verdict = verdict::judge(call.kind, &call.parts, now);
        let frames = call.parts.frame_count(analyzer);
        JudgedCall {
            number,
            absorbed,
            call,
            verdict,
            frames,
        }
    }

    /// Finalises the calls that finished by capture time now; returns
    /// their ids as correlation gave them.
    pub(super) fn sweep(
        &mut self,
        analyzer: &mut Analyzer,
        observer: &mut impl SessionObserver,
    ) -> Vec<String> {
        self.finalize_where(analyzer, observer, false)
    }

    /// Finalises every call.
    pub(super) fn finalize_all(
        &mut self,
        analyzer: &mut Analyzer,
        observer: &mut impl SessionObserver,
    ) -> Vec<String> {
        self.finalize_where(analyzer, observer, true)
    }

    fn finalize_where(
        &mut self,
        analyzer: &mut Analyzer,
        observer: &mut impl SessionObserver,
        all: bool,
    ) -> Vec<String> {
        let mut gone = Vec::new();
        let owners: Vec<FrameOwner> = {
            let an: &Analyzer = analyzer;
            let now = an.now();
            let mut owners = Vec::new();
            let calls = an.assemble();
            self.note_absorbed(&calls);
            // Calls still going get their numbers now too, in start order,
            // so numbers follow the order calls began.
            let mut finished = Vec::new();
            for call in calls {
                if all || call.finished(now) {
                    finished.push(self.judge(an, call, now));
                } else {
                    self.number(&call.id);
                }
            }
            observer.finalized_all(&finished);
            for c in &finished {
                owners.extend(c.call.parts.frame_owners());
                gone.push(self.forget(c));
            }
            owners
        };
        if !owners.is_empty() {
            analyzer.release(&owners);
        }
        gone
    }

    /// Whether the call differs from what the last changed-calls read saw;
    /// remembers it as seen.
    pub(super) fn changed(&mut self, c: &JudgedCall<'_>) -> bool {
        let d = CallDigest {
            end_ts: c.call.end_ts,
            frames: c.frames,
            code: c.verdict.code.to_string(),
            summary: c.verdict.summary.clone(),
        };
        self.digests.insert(c.number, d.clone()).as_ref() != Some(&d)
    }

    /// Drops what was kept for a call now finalised; returns the id
    /// correlation gave it (before any `#n`).
    pub(super) fn forget(&mut self, c: &JudgedCall<'_>) -> String {
        let base = c.call.id.split('#').next().unwrap_or(&c.call.id);
        self.numbers.remove(base);
        self.absorbed.remove(base);
        self.digests.remove(&c.number);
        *self.finalized_ids.entry(id_hash(base)).or_insert(0) += 1;
        base.to_string()
    }
}

fn id_hash(id: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x6361_6c6c).hash_one(id)
}
