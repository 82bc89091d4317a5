//! One metric family in the Prometheus text exposition format (version 0.0.4): its
//! `# HELP` and `# TYPE` lines and its samples. Pure: a family is plain data, rendered
//! to a string, so the format's rules (escaping, `+Inf`, cumulative buckets) are tested
//! without a server.
//!
//! Herald's own families are built by [`super::Metrics::render`]; code that keeps state
//! of its own (Socket Mode's connections, say) builds a [`Family`] at scrape time and
//! passes it there to be appended.

use std::fmt::Write as _;

/// What a family measures, as the `# TYPE` line says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (until the process restarts); its name ends in `_total`.
    Counter,
    /// Goes up and down.
    Gauge,
    /// Observations counted into cumulative buckets, with their `_sum` and `_count`.
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A histogram's state at one moment: `cumulative[i]` observations were at most
/// `bounds[i]`; `count` is every observation (the `+Inf` bucket).
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    pub bounds: Vec<f64>,
    pub cumulative: Vec<u64>,
    pub count: u64,
    pub sum: f64,
}

#[derive(Debug, Clone, PartialEq)]
struct Sample {
    /// Appended to the family's name: `""`, `_bucket`, `_sum` or `_count`.
    suffix: &'static str,
    labels: Vec<(String, String)>,
    value: f64,
}

/// A metric family ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    name: String,
    help: String,
    kind: Kind,
    samples: Vec<Sample>,
}

impl Family {
    /// A counter; `name` must end in `_total`.
    pub fn counter(name: &str, help: &str) -> Self {
        debug_assert!(
            name.ends_with("_total"),
            "counter {name} must end in _total"
        );
        Self::new(name, help, Kind::Counter)
    }

    pub fn gauge(name: &str, help: &str) -> Self {
        Self::new(name, help, Kind::Gauge)
    }

    pub fn histogram(name: &str, help: &str) -> Self {
        Self::new(name, help, Kind::Histogram)
    }

    fn new(name: &str, help: &str, kind: Kind) -> Self {
        debug_assert!(is_name(name), "{name:?} is not a metric name");
        Self {
            name: name.to_string(),
            help: help.to_string(),
            kind,
            samples: Vec::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a sample of a counter or gauge.
    pub fn sample(mut self, labels: &[(&str, &str)], value: f64) -> Self {
        self.push(labels, value);
        self
    }

    /// [`Family::sample`] in place, for families filled in a loop.
    pub fn push(&mut self, labels: &[(&str, &str)], value: f64) {
        debug_assert!(self.kind != Kind::Histogram, "use push_buckets");
        self.samples.push(Sample {
            suffix: "",
            labels: owned(labels),
            value,
        });
    }

    /// Adds one histogram series: its `_bucket` lines (with `le`, ending in `+Inf`),
    /// `_sum` and `_count`.
    pub fn push_buckets(&mut self, labels: &[(&str, &str)], buckets: &Buckets) {
        debug_assert!(self.kind == Kind::Histogram, "only histograms have buckets");
        for (bound, count) in buckets.bounds.iter().zip(&buckets.cumulative) {
            self.push_bucket(labels, &number(*bound), *count);
        }
        self.push_bucket(labels, "+Inf", buckets.count);
        self.samples.push(Sample {
            suffix: "_sum",
            labels: owned(labels),
            value: buckets.sum,
        });
        self.samples.push(Sample {
            suffix: "_count",
            labels: owned(labels),
            value: count_value(buckets.count),
        });
    }

    fn push_bucket(&mut self, labels: &[(&str, &str)], le: &str, count: u64) {
        let mut labels = owned(labels);
        labels.push(("le".into(), le.into()));
        self.samples.push(Sample {
            suffix: "_bucket",
            labels,
            value: count_value(count),
        });
    }

    /// Appends the family's lines to `out`.
    pub fn write_to(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, escape_help(&self.help));
        let _ = writeln!(out, "# TYPE {} {}", self.name, self.kind.as_str());
        for sample in &self.samples {
            out.push_str(&self.name);
            out.push_str(sample.suffix);
            if !sample.labels.is_empty() {
                out.push('{');
                for (i, (name, value)) in sample.labels.iter().enumerate() {
                    debug_assert!(is_label_name(name), "{name:?} is not a label name");
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{name}=\"{}\"", escape_label(value));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", number(sample.value));
        }
    }
}

/// Every family, in order, as one exposition.
pub fn render(families: &[Family]) -> String {
    let mut out = String::new();
    for family in families {
        family.write_to(&mut out);
    }
    out
}

fn owned(labels: &[(&str, &str)]) -> Vec<(String, String)> {
    labels
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// Counts are exact in an f64 up to 2^53, far beyond any process's lifetime.
#[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
fn count_value(n: u64) -> f64 {
    n as f64
}

/// A sample value as the format writes it: Go's float syntax, `+Inf`, `-Inf`, `NaN`.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        v.to_string()
    }
}

/// A label value: backslash, double quote and line feed are escaped.
fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A HELP text: backslash and line feed are escaped (a quote is not).
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, and not reserved (`__…`).
fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    !name.starts_with("__")
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_renders_help_type_and_labelled_samples() {
        let family = Family::counter("herald_things_total", "Things seen.")
            .sample(&[("kind", "a"), ("code", "200")], 3.0)
            .sample(&[], 0.5);
        assert_eq!(
            render(&[family]),
            "# HELP herald_things_total Things seen.\n\
             # TYPE herald_things_total counter\n\
             herald_things_total{kind=\"a\",code=\"200\"} 3\n\
             herald_things_total 0.5\n"
        );
    }

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        let family = Family::gauge("g", "h").sample(&[("v", "a\\b\"c\nd")], 1.0);
        assert_eq!(
            render(&[family]),
            "# HELP g h\n# TYPE g gauge\ng{v=\"a\\\\b\\\"c\\nd\"} 1\n"
        );
    }

    #[test]
    fn help_escapes_backslash_and_newline_but_not_quotes() {
        let family = Family::gauge("g", "a \"b\" c\\d\ne");
        assert_eq!(
            render(&[family]),
            "# HELP g a \"b\" c\\\\d\\ne\n# TYPE g gauge\n"
        );
    }

    #[test]
    fn special_values_use_the_formats_spelling() {
        let cases = [
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
            (0.0, "0"),
            (12.0, "12"),
            (0.05, "0.05"),
            (1e-7, "0.0000001"),
        ];
        for (value, text) in cases {
            assert_eq!(number(value), text, "{value}");
        }
    }

    #[test]
    fn a_histogram_has_cumulative_buckets_ending_in_inf_then_sum_and_count() {
        let mut family = Family::histogram("lat_seconds", "Latency.");
        family.push_buckets(
            &[("m", "x")],
            &Buckets {
                bounds: vec![0.5, 1.0],
                cumulative: vec![1, 3],
                count: 4,
                sum: 7.25,
            },
        );
        assert_eq!(
            render(&[family]),
            "# HELP lat_seconds Latency.\n\
             # TYPE lat_seconds histogram\n\
             lat_seconds_bucket{m=\"x\",le=\"0.5\"} 1\n\
             lat_seconds_bucket{m=\"x\",le=\"1\"} 3\n\
             lat_seconds_bucket{m=\"x\",le=\"+Inf\"} 4\n\
             lat_seconds_sum{m=\"x\"} 7.25\n\
             lat_seconds_count{m=\"x\"} 4\n"
        );
    }

    #[test]
    fn names_follow_the_formats_grammar() {
        for good in ["a", "_a", "a:b_c9", "herald_x_total"] {
            assert!(is_name(good), "{good}");
        }
        for bad in ["", "9a", "a-b", "a b", "é"] {
            assert!(!is_name(bad), "{bad}");
        }
        assert!(is_label_name("event_type"));
        assert!(!is_label_name("__name__"));
        assert!(!is_label_name("a:b"));
    }
}
