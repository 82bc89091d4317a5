//! Text a database cannot store: found in a webhook body before anything is stored.
//!
//! PostgreSQL's `text` refuses U+0000, and no UTF-8 column can hold a lone UTF-16
//! surrogate. JSON can spell both (`\u0000`, `\ud800`), and a value that reaches a column
//! (a conversation id, a name, a key) would fail its write: at ingest a whole group
//! commit, at delivery a job reclaimed every lease. So the webhook refuses such a body
//! with a 422 that names the field, on SQLite too, so both backends agree.
//!
//! The scan reads the raw JSON text (serde_json refuses lone surrogates without saying
//! where), keeping only the path to the current string: it allocates per key, not per
//! byte, and is linear in the body.

/// An unstorable string: where it is and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unstorable {
    /// `$` for the root, `customer.name`, `fields[2]`, like the event's field errors.
    pub path: String,
    pub reason: &'static str,
}

const NUL: &str = "contains U+0000 (NUL), which cannot be stored";
const SURROGATE: &str = "contains a lone UTF-16 surrogate escape, which is not text";

enum Frame {
    Object { key: String, expecting_key: bool },
    Array { index: usize },
}

/// The first string (object key or value) in `body` that cannot be stored, if any.
/// Bodies that are not JSON are left for the JSON parser to refuse.
pub fn find(body: &[u8]) -> Option<Unstorable> {
    // Fast path: without a backslash or a NUL byte there is nothing to find.
    if !body.iter().any(|&b| b == b'\\' || b == 0) {
        return None;
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => {
                let is_key = matches!(
                    stack.last(),
                    Some(Frame::Object {
                        expecting_key: true,
                        ..
                    })
                );
                let (end, text, problem) = scan_string(body, i + 1);
                if let Some(reason) = problem {
                    let mut path = path_of(&stack, is_key);
                    if is_key {
                        path = join_key(&path, &text);
                    }
                    return Some(Unstorable { path, reason });
                }
                if is_key && let Some(Frame::Object { key, .. }) = stack.last_mut() {
                    *key = text;
                }
                i = end;
            }
            b'{' => stack.push(Frame::Object {
                key: String::new(),
                expecting_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Frame::Object { expecting_key, .. }) = stack.last_mut() {
                    *expecting_key = false;
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { expecting_key, .. }) => *expecting_key = true,
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            0 => {
                return Some(Unstorable {
                    path: path_of(&stack, false),
                    reason: NUL,
                });
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Reads a string from just after its opening quote; returns the index of its closing
/// quote, its text (escapes kept as written: enough to name a key) and what is wrong.
fn scan_string(body: &[u8], start: usize) -> (usize, String, Option<&'static str>) {
    let mut i = start;
    let mut problem = None;
    while i < body.len() {
        match body[i] {
            b'"' => break,
            0 => problem = problem.or(Some(NUL)),
            b'\\' if body.get(i + 1) == Some(&b'u') => {
                let unit = hex4(body, i + 2);
                match unit {
                    Some(0) => problem = problem.or(Some(NUL)),
                    Some(0xD800..=0xDBFF) => {
                        let low = (body.get(i + 6) == Some(&b'\\')
                            && body.get(i + 7) == Some(&b'u'))
                        .then(|| hex4(body, i + 8))
                        .flatten();
                        if matches!(low, Some(0xDC00..=0xDFFF)) {
                            i += 6;
                        } else {
                            problem = problem.or(Some(SURROGATE));
                        }
                    }
                    Some(0xDC00..=0xDFFF) => problem = problem.or(Some(SURROGATE)),
                    _ => {}
                }
                i += 5;
            }
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    let end = i.min(body.len());
    let text = String::from_utf8_lossy(&body[start..end]).into_owned();
    (end, text, problem)
}

fn hex4(body: &[u8], at: usize) -> Option<u32> {
    let digits = body.get(at..at + 4)?;
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// The path of the value being read; for a key, of the object holding it.
fn path_of(stack: &[Frame], is_key: bool) -> String {
    let frames = if is_key {
        &stack[..stack.len().saturating_sub(1)]
    } else {
        stack
    };
    let mut path = String::new();
    for frame in frames {
        match frame {
            Frame::Object { key, .. } => path = join_key(&path, key),
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    if path.is_empty() { "$".into() } else { path }
}

fn join_key(path: &str, key: &str) -> String {
    // Keep a hostile key from making the error message large.
    let key: String = key.chars().take(64).collect();
    if path.is_empty() || path == "$" {
        key
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstorable_strings_are_found_with_their_path() {
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            (r#"{"title":"ok","n":1}"#, None),
            (r#"{"title":"a\\u0000b"}"#, None),
            (r#"{"title":"caf\u00e9 \ud83d\ude00"}"#, None),
            (r#"{"title":"a\u0000b"}"#, Some(("title", NUL))),
            (
                r#"{"customer":{"name":"x\u0000"}}"#,
                Some(("customer.name", NUL)),
            ),
            (
                r#"{"fields":{"k\u0000":"v"}}"#,
                Some(("fields.k\\u0000", NUL)),
            ),
            (
                r#"{"tags":["a","b","\ud800"]}"#,
                Some(("tags[2]", SURROGATE)),
            ),
            (r#"{"t":"\udc00"}"#, Some(("t", SURROGATE))),
            (r#"{"t":"\ud800\u0041"}"#, Some(("t", SURROGATE))),
            (
                r#"{"a":{"b":1},"c":[{"d":"\u0000"}]}"#,
                Some(("c[0].d", NUL)),
            ),
            (r#""\u0000""#, Some(("$", NUL))),
        ];
        for (body, expected) in cases {
            let got = find(body.as_bytes()).map(|u| (u.path, u.reason));
            let expected = expected.map(|(p, r)| (p.to_string(), r));
            assert_eq!(got, expected, "{body}");
        }
    }

    #[test]
    fn a_raw_nul_byte_is_found_too() {
        let body = b"{\"title\":\"a\0b\"}";
        assert_eq!(find(body).map(|u| u.path), Some("title".into()));
    }
}
