//! The additional header names a request signs, asked "is this header one of them?" once per
//! header of the request. A scan per question made signing quadratic (thousands of additional
//! headers on thousands of headers); past a handful of names they are hashed instead.

use std::collections::HashSet;

use smallvec::SmallVec;

/// Up to this many names a scan is cheaper than hashing (the usual case is zero to three).
const SCANNED: usize = 8;

/// A set of header names borrowed from the caller.
pub enum NameSet<'a> {
    /// On the stack: signing runs per request and must not allocate for the usual case.
    Few(SmallVec<[&'a str; SCANNED]>),
    Many(HashSet<&'a str>),
}

impl<'a> NameSet<'a> {
    pub fn new<I: IntoIterator<Item = &'a str>>(names: I) -> Self {
        let mut names = names.into_iter();
        let mut few = SmallVec::new();
        for name in names.by_ref() {
            if few.len() == SCANNED {
                let mut many: HashSet<&'a str> = few.into_iter().collect();
                many.insert(name);
                many.extend(names);
                return NameSet::Many(many);
            }
            few.push(name);
        }
        NameSet::Few(few)
    }

    #[inline]
    pub fn contains(&self, name: &str) -> bool {
        match self {
            NameSet::Few(names) => names.contains(&name),
            NameSet::Many(names) => names.contains(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_and_many_answer_alike() {
        for n in [0, 1, SCANNED, SCANNED + 1, 100] {
            let names: Vec<String> = (0..n).map(|i| format!("h{i}")).collect();
            let set = NameSet::new(names.iter().map(String::as_str));
            for i in 0..n + 5 {
                assert_eq!(set.contains(&format!("h{i}")), i < n, "{n} {i}");
            }
            assert!(!set.contains(""));
        }
    }
}
