//! Which symbols share a name, found once for the whole write: validation uses it to refuse a
//! duplicate global, and every writer's string table to store each name once — so no name is
//! hashed twice.
//!
//! Each name is hashed once; the (hash, index) pairs are sorted (in place), which brings equal
//! names together without the random memory accesses of a hash table of hundreds of
//! thousands of entries; only names whose hashes collide are compared.

use crate::hash::FxHasher;
use std::hash::Hasher;

/// For each symbol, the first symbol with the same name.
#[derive(Clone, Debug, Default)]
pub(crate) struct SameNames {
    first: Vec<u32>,
}

/// A non-local name seen twice: `symbols[second]` repeats `symbols[first]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Duplicate {
    pub first: usize,
    pub second: usize,
}

impl SameNames {
    /// Groups `count` names (`name(i)`), and finds the first `i` whose name a lower non-local
    /// symbol (`global(j)`) already has, when `i` is non-local too. Empty names are never
    /// duplicates. At most `u32::MAX` names.
    #[cfg(test)]
    pub(crate) fn find<'a>(
        count: usize,
        name: impl Fn(usize) -> &'a [u8],
        global: impl Fn(usize) -> bool,
    ) -> (SameNames, Option<Duplicate>) {
        let keys = (0..count).map(|i| SameNames::key(name(i), i)).collect();
        SameNames::group(keys, name, global)
    }

    /// Name `i`'s sort key: its hash, and `i`. Validation makes them while it checks the
    /// symbols, for [`SameNames::group`].
    #[inline]
    pub(crate) fn key(name: &[u8], i: usize) -> u64 {
        (u64::from(hash32(name)) << 32) | i as u64
    }

    /// Groups the names `0..keys.len()` from their keys (`keys[i]` is `key(name(i), i)`), and
    /// finds the first `i` whose name a lower non-local symbol (`global(j)`) already has, when
    /// `i` is non-local too. Empty names are never duplicates.
    pub(crate) fn group<'a>(
        mut keys: Vec<u64>,
        name: impl Fn(usize) -> &'a [u8],
        global: impl Fn(usize) -> bool,
    ) -> (SameNames, Option<Duplicate>) {
        // By hash, then index (the low 32 bits), in place. An LSD radix sort of the hashes was
        // as fast at 200,000 names but needs a second array of keys, and grew 17x from 200,000
        // to 2,000,000 names against pdqsort's 12.5x on this machine.
        keys.sort_unstable();
        let mut first: Vec<u32> = (0..keys.len() as u32).collect();
        let mut duplicate: Option<Duplicate> = None;
        let mut run: Vec<u32> = Vec::new();
        let mut start = 0;
        while start < keys.len() {
            let hash = keys[start] >> 32;
            let mut end = start + 1;
            while keys.get(end).is_some_and(|k| k >> 32 == hash) {
                end += 1;
            }
            if end - start > 1 {
                // Names whose hashes collide: sort by (name, index) and group equal names.
                run.clear();
                run.extend(keys[start..end].iter().map(|&k| k as u32));
                run.sort_unstable_by(|&a, &b| {
                    name(a as usize).cmp(name(b as usize)).then(a.cmp(&b))
                });
                let mut g = 0;
                while g < run.len() {
                    let leader = run[g];
                    let mut h = g + 1;
                    while run
                        .get(h)
                        .is_some_and(|&m| name(m as usize) == name(leader as usize))
                    {
                        h += 1;
                    }
                    let mut first_global: Option<usize> = None;
                    for &m in &run[g..h] {
                        let m = m as usize;
                        first[m] = leader;
                        if !global(m) || name(m).is_empty() {
                            continue;
                        }
                        match first_global {
                            None => first_global = Some(m),
                            Some(f) => {
                                if duplicate.is_none_or(|d| m < d.second) {
                                    duplicate = Some(Duplicate {
                                        first: f,
                                        second: m,
                                    });
                                }
                                break;
                            }
                        }
                    }
                    g = h;
                }
            }
            start = end;
        }
        (SameNames { first }, duplicate)
    }

    /// The first symbol whose name equals symbol `i`'s (`i` itself if none before it).
    #[inline]
    pub(crate) fn first(&self, i: usize) -> usize {
        self.first.get(i).map_or(i, |&f| f as usize)
    }
}

fn hash32(bytes: &[u8]) -> u32 {
    let mut h = FxHasher::default();
    h.write(bytes);
    (h.finish() >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_equal_names_and_finds_the_first_duplicate() {
        let names = ["a", "b", "a", "", "c", "b", "", "c", "a"];
        let globals = [false, true, false, true, true, false, true, true, true];
        let (same, dup) = SameNames::find(names.len(), |i| names[i].as_bytes(), |i| globals[i]);
        let firsts: Vec<usize> = (0..names.len()).map(|i| same.first(i)).collect();
        assert_eq!(firsts, [0, 1, 0, 3, 4, 1, 3, 4, 0]);
        // `c` at 7 repeats the global at 4; `a` at 8 is the first non-local `a`; empty names
        // never count.
        assert_eq!(
            dup,
            Some(Duplicate {
                first: 4,
                second: 7
            })
        );
    }

    #[test]
    fn many_names_sort_like_few() {
        let names: Vec<String> = (0..5000).map(|i| format!("n{}", i % 1700)).collect();
        let (same, dup) = SameNames::find(names.len(), |i| names[i].as_bytes(), |_| false);
        assert_eq!(dup, None);
        for i in 0..names.len() {
            assert_eq!(same.first(i), i % 1700, "{i}");
        }
        let (_, dup) = SameNames::find(names.len(), |i| names[i].as_bytes(), |i| i >= 10);
        assert_eq!(
            dup,
            Some(Duplicate {
                first: 10,
                second: 1710
            })
        );
    }
}

/// Sorts `ids` by the bytes of `name(id)`, a name before any longer name it begins; equal
/// names by id. The names must hold no NUL byte (validation makes sure).
///
/// Each name's first sixteen bytes become two integer keys, read once, in symbol order. Where
/// those bytes take few values at each place, as numbered names' do, the keys become one
/// integer each, and a radix sort orders them ([`sort_coded`]). Otherwise, eight bytes at a
/// time: the entries are sorted by the first key; runs of equal first keys (names often
/// share a prefix: `function_1`, `function_2`, ...) by the second; only runs that agree on
/// all sixteen bytes read their names again, further on. Either way the usual sort is
/// integer sorts, with no string comparisons and none of the random accesses to the names
/// they would make.
///
/// `how` says what many ids (32,768 or more; any number in debug builds, so that the tests take
/// these paths) cost: see [`Sorting`].
pub(crate) fn sort_by_name<'a>(
    ids: &mut [u32],
    name: impl Fn(u32) -> &'a [u8] + Sync,
    how: Sorting,
) {
    const HALVES_FROM: usize = 1 << 15;
    let many = cfg!(debug_assertions) || ids.len() >= HALVES_FROM;
    if ids.len() < 2 || !many || how == Sorting::OneThread {
        sort_keyed(ids, &name);
        return;
    }
    if how == Sorting::LowMemory && sort_coded(ids, &name, true) {
        return;
    }
    let half = ids.len() / 2;
    let (left, right) = ids.split_at_mut(half);
    if how == Sorting::TwoThreads {
        crate::parallel::join(
            true,
            || sort_keyed(left, &name),
            || sort_keyed(right, &name),
        );
    } else {
        sort_keyed(left, &name);
        sort_keyed(right, &name);
    }
    let mut merged = Vec::with_capacity(ids.len());
    let (mut i, mut j) = (0, half);
    while let (Some(&a), Some(&b)) = (ids.get(i).filter(|_| i < half), ids.get(j)) {
        if (name(b), b) < (name(a), a) {
            merged.push(b);
            j += 1;
        } else {
            merged.push(a);
            i += 1;
        }
    }
    merged.extend_from_slice(ids.get(i..half).unwrap_or(&[]));
    merged.extend_from_slice(ids.get(j..).unwrap_or(&[]));
    ids.copy_from_slice(&merged);
}

/// How [`sort_by_name`] spends threads and memory on many ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sorting {
    /// In two halves at once, on two threads, then merged.
    TwoThreads,
    /// Whole, on this thread (when another thread is busy beside it): no merge.
    OneThread,
    /// For the streamed, low-memory path: whole and in place if the names can be coded (8
    /// bytes an id, see [`sort_coded`]); otherwise in two halves one after the other, then
    /// merged, half the keys (24 bytes an id) at a time.
    LowMemory,
}

/// [`sort_by_name`] on one thread.
fn sort_keyed<'a>(ids: &mut [u32], name: &impl Fn(u32) -> &'a [u8]) {
    // Debug builds code any number of ids, so that the tests take this path.
    let coded = ids.len() >= 2 && (cfg!(debug_assertions) || ids.len() >= CODED_FROM);
    if !(coded && sort_coded(ids, name, false)) {
        sort_keyed_from(ids, 0, name);
    }
}

/// Sorts `ids` whose names are equal before `depth` by the rest of their names, then id.
fn sort_keyed_from<'a>(ids: &mut [u32], depth: usize, name: &impl Fn(u32) -> &'a [u8]) {
    let mut keyed: Vec<(u64, u64, u32)> = ids
        .iter()
        .map(|&id| {
            let n = name(id);
            (key8(n, depth), key8(n, depth + 8), id)
        })
        .collect();
    sort_level(&mut keyed, depth, name);
    for (slot, (_, _, id)) in ids.iter_mut().zip(keyed) {
        *slot = id;
    }
}

/// Bits of a radix sort's digit: 2,048 counters, which stay in the first-level cache.
const DIGIT_BITS: u32 = 11;

/// From this many ids, [`sort_keyed`] tries [`sort_coded`] first.
const CODED_FROM: usize = 1 << 12;

/// The places [`sort_coded`] codes: a name's first sixteen bytes.
const CODED_PLACES: usize = 16;

/// Sorts `ids` as [`sort_keyed`] does, if the names' first bytes take few enough values;
/// returns whether it did.
///
/// Names that share a prefix differ in few byte values at each place: the places after
/// `function_` in `function_0` .. `function_999999` hold eleven values each (ten digits and
/// the end of the name). Numbered by its rank among the values seen at its place, each byte
/// becomes a digit of a mixed-radix number that orders the names as their bytes do. When the
/// number for at least the first eight places fits in 64 bits beside the id, a radix sort of
/// those integers ([`radix_sort`], or [`radix_sort_in_place`]) orders the names in a few linear passes over 8 bytes an
/// id: pdqsort of the 24-byte keys grows as n log n. Ids whose names agree on
/// every coded place are sorted further by [`sort_keyed_from`].
///
/// It holds 16 bytes an id, where [`sort_keyed_from`] holds 24: each name's two keys, read
/// once, then its number and the radix sort's scratch. `in_place` (for [`Sorting::LowMemory`])
/// halves that: the names are read again to be numbered, rather than their keys kept, and the
/// numbers sorted in place ([`radix_sort_in_place`]), a little slower.
fn sort_coded<'a>(ids: &mut [u32], name: &impl Fn(u32) -> &'a [u8], in_place: bool) -> bool {
    // Byte `place` (0..8) of a key.
    let byte = |key: u64, place: usize| usize::from((key >> (56 - 8 * place)) as u8);
    // Two words an id (kept keys, then numbers and scratch), or one (numbers). Fresh memory
    // is slow to fault in, so the sort asks for it once.
    let n = ids.len();
    let mut words: Vec<u64> = Vec::with_capacity(if in_place { n } else { 2 * n });
    // Which values each place holds.
    let mut seen = [[false; 256]; CODED_PLACES];
    for &id in ids.iter() {
        let bytes = name(id);
        let (k0, k1) = (key8(bytes, 0), key8(bytes, 8));
        for place in 0..8 {
            seen[place][byte(k0, place)] = true;
            seen[place + 8][byte(k1, place)] = true;
        }
        if !in_place {
            words.extend([k0, k1]);
        }
    }
    // The first `places` places, whose numbers fit beside the ids.
    let max_id = ids.iter().copied().max().unwrap_or(0);
    let id_bits = u32::BITS - max_id.leading_zeros();
    let room = 64 - id_bits;
    let mut numbers = 1u64;
    let mut places = 0;
    for values in &seen {
        let count = values.iter().filter(|&&v| v).count() as u64;
        match numbers.checked_mul(count) {
            Some(n) if room == 64 || n <= 1 << room => numbers = n,
            _ => break,
        }
        places += 1;
    }
    if places < 8 {
        return false;
    }
    // `digit[place][b]`: value b's rank at its place, times the place's weight (the product
    // of the counts at the coded places after it); zero past the coded places.
    let mut digit = [[0u64; 256]; CODED_PLACES];
    let mut weight = 1u64;
    for place in (0..places).rev() {
        let mut rank = 0;
        for (d, &present) in digit[place].iter_mut().zip(&seen[place]) {
            if present {
                *d = rank * weight;
                rank += 1;
            }
        }
        weight *= rank;
    }
    let (high, low) = digit.split_at(8);
    let number = |key: u64, digit: &[[u64; 256]]| -> u64 {
        let mut n = 0;
        for (place, digit) in digit.iter().enumerate().take(8) {
            n += digit[byte(key, place)];
        }
        n
    };
    let code =
        |k0: u64, k1: u64, id: u32| (number(k0, high) + number(k1, low)) << id_bits | u64::from(id);
    let number_bits = u64::BITS - (numbers - 1).leading_zeros();
    let coded: &[u64] = if in_place {
        words.extend(ids.iter().map(|&id| {
            let bytes = name(id);
            code(key8(bytes, 0), key8(bytes, 8), id)
        }));
        radix_sort_in_place(&mut words, id_bits, number_bits);
        &words
    } else {
        // Word `i` is read after words `2i` and `2i + 1`, which no earlier step overwrote.
        for (i, &id) in ids.iter().enumerate() {
            words[i] = code(words[2 * i], words[2 * i + 1], id);
        }
        let (numbered, scratch) = words.split_at_mut(n);
        radix_sort(numbered, scratch, id_bits, number_bits)
    };

    // Equal numbers are names equal in every coded place: equal names if they end there (put
    // in id order), or names to compare further.
    let id_mask = (1u64 << id_bits) - 1;
    for (slot, &c) in ids.iter_mut().zip(coded) {
        *slot = (c & id_mask) as u32;
    }
    let mut start = 0;
    while start < coded.len() {
        let number = coded[start] >> id_bits;
        let mut end = start + 1;
        while coded.get(end).is_some_and(|&c| c >> id_bits == number) {
            end += 1;
        }
        if end - start > 1 {
            let run = &mut ids[start..end];
            if name(run[0]).len() >= places {
                sort_keyed_from(run, places, name);
            } else {
                run.sort_unstable();
            }
        }
        start = end;
    }
    true
}

/// Sorts `keys` by their bits `from..from + bits`, stably: an LSD radix sort, eleven bits a
/// pass, skipping a pass whose digit is the same in every key. The passes go back and forth
/// between `keys` and `scratch` (as long); returns the one that holds the result.
fn radix_sort<'k>(keys: &'k mut [u64], scratch: &'k mut [u64], from: u32, bits: u32) -> &'k [u64] {
    let (mut keys, mut scratch) = (keys, scratch);
    let mut shift = from;
    while shift < from + bits {
        let width = DIGIT_BITS.min(from + bits - shift);
        let mask = (1u64 << width) - 1;
        let mut at = vec![0usize; 1 << width];
        for &k in keys.iter() {
            at[(k >> shift & mask) as usize] += 1;
        }
        if !at.contains(&keys.len()) {
            let mut start = 0;
            for slot in at.iter_mut() {
                let n = *slot;
                *slot = start;
                start += n;
            }
            for &k in keys.iter() {
                let d = (k >> shift & mask) as usize;
                scratch[at[d]] = k;
                at[d] += 1;
            }
            std::mem::swap(&mut keys, &mut scratch);
        }
        shift += width;
    }
    keys
}

/// Sorts `keys` by their bits `from..from + bits`, then whole, in place: an MSD radix sort
/// (American flag sort) of up to eleven bits a level, each bucket sorted by the bits after
/// its digit, and a bucket of a few hundred keys as integers. Going down rather than up, it
/// needs no second array, where [`radix_sort`] needs a scratch array as long as the keys.
fn radix_sort_in_place(keys: &mut [u64], from: u32, bits: u32) {
    const SMALL: usize = 256;
    if keys.len() <= SMALL || bits == 0 || u32::try_from(keys.len()).is_err() {
        keys.sort_unstable();
        return;
    }
    // Fewer buckets than keys: a bucket's counters cost as much as its keys.
    let width = DIGIT_BITS.min(bits).min(keys.len().ilog2() - 2);
    let shift = from + bits - width;
    let mask = (1u64 << width) - 1;
    let digit = |k: u64| (k >> shift & mask) as usize;
    let buckets = 1usize << width;
    // Counts, then where each bucket ends; `next`, the next slot of each to fill.
    let mut end = [0u32; 1 << DIGIT_BITS];
    let mut next = [0u32; 1 << DIGIT_BITS];
    for &k in keys.iter() {
        end[digit(k)] += 1;
    }
    let mut at = 0;
    for (next, end) in next.iter_mut().zip(end.iter_mut()).take(buckets) {
        *next = at;
        at += *end;
        *end = at;
    }
    // Each key goes to its bucket's next slot, taking the key there on to its own bucket.
    for d in 0..buckets {
        while next[d] < end[d] {
            let mut k = keys[next[d] as usize];
            loop {
                let e = digit(k);
                if e == d {
                    break;
                }
                std::mem::swap(&mut k, &mut keys[next[e] as usize]);
                next[e] += 1;
            }
            keys[next[d] as usize] = k;
            next[d] += 1;
        }
    }
    let mut start = 0;
    for &stop in end.iter().take(buckets) {
        if stop - start > 1 {
            radix_sort_in_place(&mut keys[start as usize..stop as usize], from, bits - width);
        }
        start = stop;
    }
}

/// Bytes `depth..depth + 8` of `name` as a big-endian integer, zero-padded.
#[inline]
fn key8(name: &[u8], depth: usize) -> u64 {
    if let Some(&bytes) = name.get(depth..).and_then(|rest| rest.first_chunk::<8>()) {
        return u64::from_be_bytes(bytes);
    }
    let mut key = [0u8; 8];
    if let Some(rest) = name.get(depth..) {
        let n = rest.len().min(8);
        key[..n].copy_from_slice(&rest[..n]);
    }
    u64::from_be_bytes(key)
}

/// Past this many bytes of common prefix, a run is sorted by comparing the rest of the names.
const KEYED_DEPTH: usize = 64;

/// Sorts `v` (names equal before `depth`; `.0` holds bytes `depth..depth + 8`, `.1` the
/// eight after) by the first key, then each run of equal first keys deeper.
fn sort_level<'a>(v: &mut [(u64, u64, u32)], depth: usize, name: &impl Fn(u32) -> &'a [u8]) {
    v.sort_unstable_by_key(|e| e.0);
    let next = depth + 8;
    let mut start = 0;
    while start < v.len() {
        let key = v[start].0;
        let mut end = start + 1;
        while v.get(end).is_some_and(|e| e.0 == key) {
            end += 1;
        }
        let run = &mut v[start..end];
        // A key whose last byte is 0 holds the rest of a name: equal keys of that kind are
        // equal names, with nothing further to compare.
        if run.len() > 1 && key & 0xff != 0 {
            if next >= KEYED_DEPTH {
                run.sort_unstable_by(|a, b| {
                    let rest = |e: &(u64, u64, u32)| name(e.2).get(next..).unwrap_or(&[]);
                    rest(a).cmp(rest(b)).then(a.2.cmp(&b.2))
                });
            } else {
                // The second key moves up; the one after it is read from the names only if
                // this run needs it.
                let deeper = run.iter().any(|e| e.1 & 0xff != 0);
                for e in run.iter_mut() {
                    e.0 = e.1;
                    e.1 = if deeper { key8(name(e.2), next + 8) } else { 0 };
                }
                sort_level(run, next, name);
            }
        } else if run.len() > 1 {
            run.sort_unstable_by_key(|e| e.2);
        }
        start = end;
    }
}

#[cfg(test)]
mod sort_tests {
    use super::{sort_by_name, sort_coded, sort_keyed_from, Sorting};

    #[test]
    fn sorts_like_bytes() {
        let mut names: Vec<String> = (0..3000).map(|i| format!("function_{i}")).collect();
        names.extend((0..50).map(|i| format!("{}{i}", "p".repeat(100))));
        names.extend(["", "a", "ab", "a\u{1}", "function_", "zz", "function_1"].map(String::from));
        let mut ids: Vec<u32> = (0..names.len() as u32).collect();
        sort_by_name(
            &mut ids,
            |i| names[i as usize].as_bytes(),
            Sorting::TwoThreads,
        );
        let mut expected: Vec<u32> = (0..names.len() as u32).collect();
        expected.sort_by(|&a, &b| {
            names[a as usize]
                .as_bytes()
                .cmp(names[b as usize].as_bytes())
                .then(a.cmp(&b))
        });
        assert_eq!(ids, expected);
    }

    /// The order `sort_by_name` promises: bytes, then id.
    fn expected(ids: &[u32], names: &[String]) -> Vec<u32> {
        let mut expected = ids.to_vec();
        expected.sort_by(|&a, &b| {
            names[a as usize]
                .as_bytes()
                .cmp(names[b as usize].as_bytes())
                .then(a.cmp(&b))
        });
        expected
    }

    /// Names of every length around the keys' 8 and 16 bytes, repeated, sharing prefixes
    /// past 16 and past 64 bytes, with bytes above 0x7f.
    fn awkward_names() -> Vec<String> {
        let stems = [
            "",
            "a",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmno",
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
            "abcdefghijklmnopqrstuvwxyz",
            "\u{e9}t\u{e9}",
            "\u{7f}",
            "z",
        ];
        let long = "q".repeat(70);
        let mut names: Vec<String> = Vec::new();
        for i in 0..2500 {
            let stem = stems[i % stems.len()];
            names.push(match i % 5 {
                0 => stem.to_string(),
                1 => format!("{stem}{}", i % 37),
                2 => format!("{long}{}", i % 11),
                3 => format!("{stem}{long}{}", i % 3),
                _ => format!("_{}", i % 400),
            });
        }
        names
    }

    #[test]
    fn sorts_like_bytes_from_any_order_with_repeats() {
        // Few names and many, ids in order, reversed and shuffled.
        let names = awkward_names();
        let n = names.len() as u32;
        for count in [0, 1, 2, 40, 1000, n] {
            let ascending: Vec<u32> = (0..count).collect();
            let reversed: Vec<u32> = (0..count).rev().collect();
            // A fixed shuffle: multiples of a number prime to `count`.
            let shuffled: Vec<u32> = (0..count)
                .map(|i| ((u64::from(i) * 7919) % u64::from(count.max(1))) as u32)
                .collect();
            for ids in [ascending, reversed, shuffled] {
                for how in [Sorting::TwoThreads, Sorting::OneThread, Sorting::LowMemory] {
                    let mut sorted = ids.clone();
                    sort_by_name(&mut sorted, |i| names[i as usize].as_bytes(), how);
                    assert_eq!(sorted, expected(&ids, &names), "{count} names");
                }
            }
        }
    }

    #[test]
    fn coded_and_keyed_sorts_agree() {
        let names = awkward_names();
        let n = names.len() as u32;
        let name = |i: u32| names[i as usize].as_bytes();
        let shuffled: Vec<u32> = (0..n).map(|i| (i * 7919) % n).collect();
        let mut coded = shuffled.clone();
        assert!(sort_coded(&mut coded, &name, false));
        let mut in_place = shuffled.clone();
        assert!(sort_coded(&mut in_place, &name, true));
        let mut keyed = shuffled.clone();
        sort_keyed_from(&mut keyed, 0, &name);
        assert_eq!(coded, expected(&shuffled, &names));
        assert_eq!(in_place, coded);
        assert_eq!(keyed, coded);
    }

    #[test]
    fn radix_sort_in_place_orders_like_a_plain_sort() {
        // Numbers of 0 to 46 bits over ids of 18 bits: uniform, few distinct, and all in one
        // top digit.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for bits in [0, 1, 5, 11, 12, 23, 33, 46] {
            for n in [0, 1, 2, 255, 256, 257, 5000, 70_000] {
                for spread in [bits, bits.min(3)] {
                    let mut keys: Vec<u64> = (0..n as u64)
                        .map(|id| {
                            let number = if spread == 0 {
                                0
                            } else {
                                next() >> (64 - spread)
                            };
                            (number << 18) | ((id * 40_503) % (1 << 18))
                        })
                        .collect();
                    let mut expected = keys.clone();
                    expected.sort_unstable();
                    super::radix_sort_in_place(&mut keys, 18, bits);
                    assert_eq!(keys, expected, "{n} keys of {bits} bits, {spread} spread");
                }
            }
        }
    }

    #[test]
    fn coding_gives_way_to_names_of_many_values() {
        // 94 values at each of the first eight places: 52 bits, more than the 51 that ids of
        // 13 bits leave.
        let names: Vec<String> = (0..5000u32)
            .map(|i| {
                (0..8u32)
                    .map(|place| char::from(0x21 + ((i * (2 * place + 1) + place) % 94) as u8))
                    .collect::<String>()
                    + "tail"
            })
            .collect();
        let ids: Vec<u32> = (0..names.len() as u32).rev().collect();
        let name = |i: u32| names[i as usize].as_bytes();
        let mut sorted = ids.clone();
        assert!(!sort_coded(&mut sorted, &name, false));
        assert!(!sort_coded(&mut sorted, &name, true));
        assert_eq!(sorted, ids, "left as it was");
        sort_by_name(&mut sorted, name, Sorting::OneThread);
        assert_eq!(sorted, expected(&ids, &names));
    }
}
