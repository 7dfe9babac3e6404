//! What the call list shows and in which order: the sort columns, the
//! filter (result, stage, kind, code, free text) and its dialog.

use super::model::StoredCall;

/// The list's columns, in the order shown; each can be sorted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Number,
    Start,
    Kind,
    Parties,
    Stage,
    Code,
    Duration,
    Frames,
}

impl SortKey {
    pub const ALL: [SortKey; 8] = [
        SortKey::Number,
        SortKey::Start,
        SortKey::Kind,
        SortKey::Parties,
        SortKey::Stage,
        SortKey::Code,
        SortKey::Duration,
        SortKey::Frames,
    ];

    pub fn title(self) -> &'static str {
        match self {
            SortKey::Number => "#",
            SortKey::Start => "start UTC",
            SortKey::Kind => "kind",
            SortKey::Parties => "from -> to / endpoints",
            SortKey::Stage => "stage",
            SortKey::Code => "code",
            SortKey::Duration => "duration",
            SortKey::Frames => "frames",
        }
    }
}

/// Which verdicts the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResultFilter {
    #[default]
    Any,
    Failed,
    Ok,
    Waiting,
}

impl ResultFilter {
    pub const ALL: [ResultFilter; 4] = [
        ResultFilter::Any,
        ResultFilter::Failed,
        ResultFilter::Ok,
        ResultFilter::Waiting,
    ];

    pub fn text(self) -> &'static str {
        match self {
            ResultFilter::Any => "any",
            ResultFilter::Failed => "failed",
            ResultFilter::Ok => "ok",
            ResultFilter::Waiting => "waiting (capture ended)",
        }
    }
}

/// What the list shows; every part must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub result: ResultFilter,
    pub stage: Option<String>,
    pub kind: Option<String>,
    pub code: Option<String>,
    /// Free text (`/`), matched case-blind against Call-ID, URIs,
    /// addresses, ufrags, id, code and kind.
    pub text: String,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    pub(crate) fn matches(&self, e: &StoredCall) -> bool {
        let r = &e.row;
        let result = match self.result {
            ResultFilter::Any => true,
            ResultFilter::Failed => r.failed,
            ResultFilter::Ok => !r.failed && !r.pending,
            ResultFilter::Waiting => r.pending,
        };
        result
            && self.stage.as_ref().is_none_or(|s| *s == r.stage)
            && self.kind.as_ref().is_none_or(|k| *k == r.kind)
            && self.code.as_ref().is_none_or(|c| *c == r.code)
            && self.text_matches(r)
    }

    /// `#N` is call number N exactly; any other text is looked for in
    /// the call's search text, case-blind.
    fn text_matches(&self, r: &super::model::CallRow) -> bool {
        if self.text.is_empty() {
            return true;
        }
        if let Some(n) = self
            .text
            .strip_prefix('#')
            .and_then(|n| n.parse::<u32>().ok())
        {
            return r.number == n;
        }
        r.search.contains(&self.text.to_lowercase())
    }

    /// One line saying what is filtered, for the header.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.result != ResultFilter::Any {
            parts.push(self.result.text().to_string());
        }
        if let Some(s) = &self.stage {
            parts.push(format!("stage {s}"));
        }
        if let Some(k) = &self.kind {
            parts.push(format!("kind {k}"));
        }
        if let Some(c) = &self.code {
            parts.push(format!("code {c}"));
        }
        if !self.text.is_empty() {
            parts.push(format!("/{}", self.text));
        }
        parts.join(", ")
    }
}

/// The filter dialog (F7): a copy of the filter being edited.
#[derive(Debug, Clone)]
pub struct FilterDialog {
    pub field: usize,
    pub draft: Filter,
}

pub const FILTER_FIELDS: [&str; 4] = ["result", "stage", "kind", "code"];

/// Moves one field of the filter dialog to its next (or previous) choice;
/// "any" sits before the first.
pub(crate) fn cycle_filter(f: &mut Filter, field: usize, choices: &[String], forward: bool) {
    if field == 0 {
        let all = ResultFilter::ALL;
        let i = all.iter().position(|r| *r == f.result).unwrap_or(0);
        let n = all.len();
        f.result = all[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
        return;
    }
    let slot = match field {
        1 => &mut f.stage,
        2 => &mut f.kind,
        _ => &mut f.code,
    };
    // Position 0 is "any", then the choices.
    let n = choices.len() + 1;
    let i = slot
        .as_ref()
        .and_then(|s| choices.iter().position(|c| c == s))
        .map_or(0, |p| p + 1);
    let j = if forward {
        (i + 1) % n
    } else {
        (i + n - 1) % n
    };
    *slot = (j > 0).then(|| choices[j - 1].clone());
}
