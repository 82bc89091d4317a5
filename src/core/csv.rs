//! CSV as RFC 4180 writes it, for files people open in a spreadsheet.
//!
//! A cell is quoted when it holds a comma, a double quote, CR or LF (quotes inside are
//! doubled); lines end in CRLF. A cell that a spreadsheet would run as a formula (one
//! beginning with `=`, `+`, `-`, `@`, or a tab or CR, per OWASP's "CSV injection") gets a
//! leading `'`, so a webhook's text can never become a formula on an admin's machine.
//! [`BOM`] opens the file: Excel reads UTF-8 without one as the system code page
//! (Shift_JIS in Japan), which garbles every Japanese cell.

use std::borrow::Cow;

/// The UTF-8 byte order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The line end RFC 4180 prescribes.
pub const CRLF: &str = "\r\n";

/// Characters that make a spreadsheet read a cell as a formula when they lead it.
const FORMULA_LEADS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One cell, made formula-safe and quoted when it needs to be.
pub fn cell(value: &str) -> Cow<'_, str> {
    let safe: Cow<'_, str> = if value.starts_with(FORMULA_LEADS) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    };
    if safe.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", safe.replace('"', "\"\"")))
    } else {
        safe
    }
}

/// One record: the cells joined with commas, ending in CRLF.
pub fn record<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = String::new();
    for (i, value) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&cell(value.as_ref()));
    }
    line.push_str(CRLF);
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_only_when_rfc_4180_needs_it() {
        let cases = [
            ("plain", "plain"),
            ("", ""),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("cr\rhere", "\"cr\rhere\""),
            ("山田 太郎", "山田 太郎"),
            ("2026-11-21T10:00:00+09:00", "2026-11-21T10:00:00+09:00"),
        ];
        for (value, expected) in cases {
            assert_eq!(cell(value), expected, "{value:?}");
        }
    }

    #[test]
    fn cells_a_spreadsheet_would_run_as_formulas_are_prefixed() {
        let cases = [
            ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
            (
                "=HYPERLINK(\"x\",\"y\")",
                "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"",
            ),
            ("a=b", "a=b"),
        ];
        for (value, expected) in cases {
            assert_eq!(cell(value), expected, "{value:?}");
        }
    }

    #[test]
    fn a_record_joins_cells_with_commas_and_ends_in_crlf() {
        assert_eq!(record(&["a", "b,c", ""]), "a,\"b,c\",\r\n");
        assert_eq!(record::<&str>(&[]), "\r\n");
    }
}
