//! What the error log says to people, in Japanese and English: the ephemeral progress
//! of `/herald log`, the message that carries the files, and the fix of a callback.

use crate::core::catalog::Lang;

/// `12,345`: thousands grouped, as both languages write them.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The first answer, before any row is read.
pub fn started(lang: Lang, days: u32) -> String {
    match lang {
        Lang::Ja => format!(
            ":hourglass_flowing_sand: 過去{days}日間のエラーログ(CSV)を作成しています… 完了したらDMに送ります。"
        ),
        Lang::En => format!(
            ":hourglass_flowing_sand: Exporting the error log of the last {days} days as CSV… It goes to your DM when done."
        ),
    }
}

/// The answer while rows are read.
pub fn progress(lang: Lang, rows: usize) -> String {
    let rows = count(rows);
    match lang {
        Lang::Ja => format!(":hourglass_flowing_sand: エクスポート中… {rows} 行"),
        Lang::En => format!(":hourglass_flowing_sand: Exporting… {rows} rows"),
    }
}

/// The last answer, once the files are in the DM.
pub fn sent(lang: Lang, rows: usize, files: usize) -> String {
    let rows = count(rows);
    match lang {
        Lang::Ja => format!(":white_check_mark: {rows} 行をDMに送りました(ファイル {files} 件)。"),
        Lang::En if files == 1 => {
            format!(":white_check_mark: Sent {rows} rows (1 file) to your DM.")
        }
        Lang::En => format!(":white_check_mark: Sent {rows} rows ({files} files) to your DM."),
    }
}

/// The last answer when the export did not reach the DM.
pub fn failed(lang: Lang) -> &'static str {
    lang.pick(
        ":x: エラーログを送れませんでした。しばらくしてからもう一度 `/herald log` を実行してください。続く場合は、Heraldに `files:write` の権限があるか(manifest.yml)を確認してください。",
        ":x: The error log could not be sent. Try `/herald log` again in a while; if it keeps failing, check that Herald has the `files:write` scope (manifest.yml).",
    )
}

/// The message in the DM that carries the files.
pub fn comment(lang: Lang, days: u32, rows: usize, files: usize) -> String {
    let rows = count(rows);
    match (lang, files) {
        (Lang::Ja, 1) => format!("Heraldのエラーログ: 過去{days}日間、{rows} 行。"),
        (Lang::Ja, _) => format!(
            "Heraldのエラーログ: 過去{days}日間、{rows} 行。大きいため {files} 個のファイルに分けました(どれも先頭に見出し行があります)。"
        ),
        (Lang::En, 1) => format!("Herald's error log: the last {days} days, {rows} rows."),
        (Lang::En, _) => format!(
            "Herald's error log: the last {days} days, {rows} rows, in {files} files (each with the header row)."
        ),
    }
}

/// The title of part `n` of `total` (1-based; known once the export ends).
pub fn title(lang: Lang, days: u32, n: usize, total: usize) -> String {
    match (lang, total) {
        (Lang::Ja, 1) => format!("エラーログ(過去{days}日間)"),
        (Lang::Ja, _) => format!("エラーログ(過去{days}日間){n}/{total}"),
        (Lang::En, 1) => format!("Error log (last {days} days)"),
        (Lang::En, _) => format!("Error log (last {days} days) {n} of {total}"),
    }
}

/// `/herald log` with a number of days Herald does not take; `argument` comes escaped
/// for mrkdwn (as `admin`'s help escapes every argument it quotes).
pub fn bad_days(lang: Lang, argument: &str) -> String {
    match lang {
        Lang::Ja => format!(
            "`{argument}` は日数として使えません。1から365までの日数を指定してください(例: `/herald log 7`。省略すると30日)。"
        ),
        Lang::En => format!(
            "`{argument}` is not a number of days Herald can export: give 1 to 365 (like `/herald log 7`; 30 when left out)."
        ),
    }
}

/// The fix of a callback the platform never accepted.
pub fn callback_fix(lang: Lang) -> &'static str {
    lang.pick(
        "プラットフォームが返信を受け付けませんでした。`/herald connect callback <URL>` の送り先と、プラットフォーム側のログを確認してください。",
        "The platform did not accept the reply. Check the address set with `/herald connect callback <URL>` and the platform's own logs.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_thousands() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (12_000, "12,000"),
            (1_234_567, "1,234,567"),
        ];
        for (n, expected) in cases {
            assert_eq!(count(n), expected);
        }
    }

    #[test]
    fn every_text_exists_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            let other = if lang == Lang::Ja { Lang::En } else { Lang::Ja };
            assert_ne!(started(lang, 30), started(other, 30));
            assert_ne!(progress(lang, 5), progress(other, 5));
            assert_ne!(sent(lang, 5, 2), sent(other, 5, 2));
            assert_ne!(failed(lang), failed(other));
            assert_ne!(comment(lang, 30, 5, 2), comment(other, 30, 5, 2));
            assert_ne!(title(lang, 30, 1, 2), title(other, 30, 1, 2));
            assert_ne!(bad_days(lang, "400"), bad_days(other, "400"));
            assert_ne!(callback_fix(lang), callback_fix(other));
        }
        assert_eq!(
            progress(Lang::En, 12_000),
            ":hourglass_flowing_sand: Exporting… 12,000 rows"
        );
        assert!(sent(Lang::En, 3, 1).contains("(1 file)"));
    }
}
