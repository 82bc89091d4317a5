//! The CSV cut into files under a byte cap (Slack takes files up to 1 GB; Herald's
//! cap is a setting, far below). Pure: records go in one by one, finished parts come
//! out as soon as they are full, so an export holds at most one part in memory.
//!
//! Every part is a CSV of its own, with the BOM and the header, so each opens alone in
//! a spreadsheet; a record is never split across parts.

use crate::core::csv;

/// One finished file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub bytes: Vec<u8>,
    /// Records in it, the header not counted.
    pub rows: usize,
}

/// Cuts records into parts of at most `cap` bytes (a single record bigger than that
/// goes alone in a part: it cannot be cut).
#[derive(Debug)]
pub struct Parts {
    cap: usize,
    /// BOM and header: how every part begins.
    opening: Vec<u8>,
    current: Vec<u8>,
    rows: usize,
    finished: usize,
}

impl Parts {
    pub fn new(cap: usize, header: &str) -> Self {
        let mut opening = csv::BOM.to_vec();
        opening.extend_from_slice(header.as_bytes());
        Self {
            cap,
            current: opening.clone(),
            opening,
            rows: 0,
            finished: 0,
        }
    }

    /// Adds one record; returns the part it closed when the record did not fit in it.
    pub fn push(&mut self, record: &str) -> Option<Part> {
        let full = self.rows > 0 && self.current.len() + record.len() > self.cap;
        let closed = full.then(|| self.take());
        self.current.extend_from_slice(record.as_bytes());
        self.rows += 1;
        closed
    }

    /// The last part: the one being filled, or the header alone when there were no
    /// records at all (an empty log is still a file that says so).
    pub fn finish(mut self) -> Option<Part> {
        (self.rows > 0 || self.finished == 0).then(|| self.take())
    }

    fn take(&mut self) -> Part {
        self.finished += 1;
        let bytes = std::mem::replace(&mut self.current, self.opening.clone());
        Part {
            bytes,
            rows: std::mem::take(&mut self.rows),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "a,b\r\n";

    fn split(cap: usize, records: &[&str]) -> Vec<Part> {
        let mut parts = Parts::new(cap, HEADER);
        let mut out: Vec<Part> = records.iter().filter_map(|r| parts.push(r)).collect();
        out.extend(parts.finish());
        out
    }

    #[test]
    fn records_fill_parts_up_to_the_cap_each_part_with_bom_and_header() {
        // BOM (3) + header (5) = 8 bytes; each record is 6.
        let records = ["1,aa\r\n", "2,bb\r\n", "3,cc\r\n", "4,dd\r\n", "5,ee\r\n"];
        let parts = split(8 + 6 * 2, &records);
        let rows: Vec<usize> = parts.iter().map(|p| p.rows).collect();
        assert_eq!(rows, [2, 2, 1]);
        for part in &parts {
            assert!(part.bytes.len() <= 20, "{} bytes", part.bytes.len());
            assert!(part.bytes.starts_with(b"\xEF\xBB\xBFa,b\r\n"));
        }
        let body: String = parts
            .iter()
            .map(|p| String::from_utf8(p.bytes[8..].to_vec()).unwrap())
            .collect();
        assert_eq!(body, records.concat());
    }

    #[test]
    fn a_record_bigger_than_the_cap_goes_alone_and_whole() {
        let big = "x".repeat(50) + "\r\n";
        let parts = split(20, &["1,a\r\n", &big, "2,b\r\n"]);
        let rows: Vec<usize> = parts.iter().map(|p| p.rows).collect();
        assert_eq!(rows, [1, 1, 1]);
        assert!(parts[1].bytes.ends_with(big.as_bytes()));
    }

    #[test]
    fn an_empty_log_is_one_file_with_the_header_alone() {
        let parts = split(100, &[]);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].rows, 0);
        assert_eq!(parts[0].bytes, b"\xEF\xBB\xBFa,b\r\n");
    }
}
