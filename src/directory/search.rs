//! Matching what an admin types against names: pure, so every odd input is a test row.
//!
//! Names and queries are folded the same way before comparing: case, full-width ASCII
//! (`ＳＡＬＥＳ` = `sales`), half-width katakana (`ｾｰﾙｽ` = `セールス`, voiced marks
//! included) and katakana against hiragana (`せーるす` finds `セールス`). Matches rank
//! exact, then prefix, then the start of a word inside the name, then anywhere.

/// Half-width katakana U+FF66…U+FF9D as their full-width forms.
const HALF_KATAKANA: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";

/// A name or query in the form both are compared in.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let code = c as u32;
        let c = match code {
            0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            0xFF66..=0xFF9D => HALF_KATAKANA
                .chars()
                .nth((code - 0xFF66) as usize)
                .unwrap_or(c),
            // Voiced and semi-voiced marks (half-width, spacing and combining) join the
            // kana before them.
            0xFF9E | 0x309B | 0x3099 => {
                if let Some(last) = out.pop() {
                    out.push(voiced(last).unwrap_or(last));
                }
                continue;
            }
            0xFF9F | 0x309C | 0x309A => {
                if let Some(last) = out.pop() {
                    out.push(semi_voiced(last).unwrap_or(last));
                }
                continue;
            }
            _ => c,
        };
        // Katakana → hiragana (ァ…ヶ), then lower case.
        let c = match c as u32 {
            k @ 0x30A1..=0x30F6 => char::from_u32(k - 0x60).unwrap_or(c),
            _ => c,
        };
        out.extend(c.to_lowercase());
    }
    // Voiced marks were applied to katakana or hiragana already in `out`.
    out.chars()
        .map(|c| match c as u32 {
            k @ 0x30A1..=0x30F6 => char::from_u32(k - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// か → が, ウ → ヴ, は → ば (hiragana or katakana); None when the kana takes no mark.
fn voiced(c: char) -> Option<char> {
    let code = c as u32;
    let base = if (0x30A1..=0x30F6).contains(&code) {
        code - 0x60
    } else {
        code
    };
    let voiced = match base {
        // か…ぢ (each followed by its voiced form), つ…ど, は-row.
        0x304B..=0x3062 if (base - 0x304B) % 2 == 0 => base + 1,
        0x3064 | 0x3066 | 0x3068 => base + 1,
        0x306F..=0x307D if (base - 0x306F) % 3 == 0 => base + 1,
        0x3046 => 0x3094,
        _ => return None,
    };
    char::from_u32(voiced)
}

/// は → ぱ (hiragana or katakana).
fn semi_voiced(c: char) -> Option<char> {
    let code = c as u32;
    let base = if (0x30A1..=0x30F6).contains(&code) {
        code - 0x60
    } else {
        code
    };
    match base {
        0x306F..=0x307D if (base - 0x306F) % 3 == 0 => char::from_u32(base + 2),
        _ => None,
    }
}

/// How well a folded key matches a folded query; lower is better, None is no match.
pub fn rank(key: &str, query: &str) -> Option<u8> {
    if query.is_empty() {
        return Some(3);
    }
    let at = key.find(query)?;
    if at == 0 {
        return Some(if key.len() == query.len() { 0 } else { 1 });
    }
    let before = key[..at].chars().next_back();
    if before.is_some_and(|c| matches!(c, '-' | '_' | '.' | ' ' | '/' | '(' | '・')) {
        return Some(2);
    }
    // A later occurrence may start a word even if the first does not.
    let word_start = key.match_indices(query).any(|(i, _)| {
        key[..i]
            .chars()
            .next_back()
            .is_some_and(|c| matches!(c, '-' | '_' | '.' | ' ' | '/' | '(' | '・'))
    });
    Some(if word_start { 2 } else { 3 })
}

/// The best rank over a candidate's keys.
pub fn best_rank<'a>(keys: impl IntoIterator<Item = &'a str>, query: &str) -> Option<u8> {
    keys.into_iter().filter_map(|k| rank(k, query)).min()
}

/// Separates the names in a [`Names`] haystack; never part of a folded name.
const SEP: u8 = 0;

/// An entry's names, folded and joined, so a search runs one SIMD substring scan per
/// entry (`memchr::memmem`) instead of one per name.
pub struct Names {
    hay: String,
    first_len: usize,
}

impl Names {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut hay = String::new();
        let mut first_len = 0;
        for (i, name) in names.into_iter().enumerate() {
            let folded: String = fold(name).chars().filter(|c| *c != '\0').collect();
            if folded.is_empty() || (i > 0 && hay.split('\0').any(|k| k == folded)) {
                continue;
            }
            if !hay.is_empty() {
                hay.push('\0');
            } else {
                first_len = folded.len();
            }
            hay.push_str(&folded);
        }
        Self { hay, first_len }
    }

    /// The main name, folded: what ties are broken on.
    pub fn first(&self) -> &str {
        &self.hay[..self.first_len]
    }

    /// The best [`rank`] over the names, from the positions the finder reports.
    pub fn rank(&self, finder: &memchr::memmem::Finder<'_>) -> Option<u8> {
        let needle = finder.needle().len();
        if needle == 0 {
            return Some(3);
        }
        let bytes = self.hay.as_bytes();
        let mut best: Option<u8> = None;
        for at in finder.find_iter(bytes) {
            let start = at == 0 || bytes[at - 1] == SEP;
            let end = at + needle == bytes.len() || bytes[at + needle] == SEP;
            let rank = if start && end {
                0
            } else if start {
                1
            } else if self.hay[..at]
                .chars()
                .next_back()
                .is_some_and(|c| matches!(c, '-' | '_' | '.' | ' ' | '/' | '(' | '・'))
            {
                2
            } else {
                3
            };
            best = Some(best.map_or(rank, |b| b.min(rank)));
            if rank == 0 {
                break;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_case_and_kana_fold_alike() {
        let cases = [
            ("ＳＡＬＥＳ－Tokyo", "sales-tokyo"),
            ("ｾｰﾙｽ", "せーるす"),
            ("セールス", "せーるす"),
            ("ｶﾞｲﾄﾞ", "がいど"),
            ("ﾊﾟﾌﾞﾘｯｸ", "ぱぶりっく"),
            ("カ\u{3099}イド", "がいど"),
            ("ｳﾞｨｰﾅｽ", "ゔぃーなす"),
            ("営業部", "営業部"),
            ("Taro　Yamada", "taro yamada"),
        ];
        for (input, folded) in cases {
            assert_eq!(fold(input), folded, "{input}");
        }
    }

    #[test]
    fn exact_beats_prefix_beats_word_beats_anywhere() {
        let q = fold("sales");
        assert_eq!(rank("sales", &q), Some(0));
        assert_eq!(rank("sales-tokyo", &q), Some(1));
        assert_eq!(rank("jp-sales", &q), Some(2));
        assert_eq!(rank("wholesales", &q), Some(3));
        assert_eq!(rank("support", &q), None);
        assert_eq!(
            rank("presales-sales", &q),
            Some(2),
            "a later word start counts"
        );
        assert_eq!(
            best_rank(["taro", "やまだ たろう"], &fold("タロウ")),
            Some(2)
        );
    }

    #[test]
    fn names_rank_like_rank_over_each_name() {
        let names = Names::new(["taro", "やまだ たろう", "タロウ"]);
        assert_eq!(names.first(), "taro");
        for (q, expected) in [
            ("taro", Some(0)),
            ("たろう", Some(0)),
            ("ta", Some(1)),
            ("ろう", Some(3)),
            ("x", None),
        ] {
            let finder = memchr::memmem::Finder::new(q.as_bytes());
            assert_eq!(names.rank(&finder), expected, "{q}");
        }
        let channel = Names::new(["jp-sales"]);
        let finder = memchr::memmem::Finder::new("sales".as_bytes());
        assert_eq!(channel.rank(&finder), Some(2));
    }

    #[test]
    fn no_input_panics() {
        for s in ["ﾞ", "ﾟ", "゛", "\u{3099}", "ｶﾞﾞ", "", "\u{FF9E}a"] {
            let _ = fold(s);
            let _ = rank(&fold(s), &fold(s));
        }
    }
}
