//! Text a service sent (STS's `Code` and `Message`, a metadata service's role name, an HTTP
//! library's words about a malformed answer), made safe to quote in an error or a log record:
//! control and bidirectional-formatting characters escaped, length capped. Such text is
//! untrusted: raw, a CR/LF forges log lines and `ESC [2J` clears the reader's terminal.

use std::fmt::Write;

/// `text` cut to `max_chars` characters (`...` marks a cut) with every control character
/// (C0, DEL, C1), line/paragraph separator and bidi override written as an escape (`\n`,
/// `\r`, `\t`, else `\u{1b}`), so that what is shown is one line of visible characters.
pub fn escaped(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4) + 3);
    for (n, c) in text.chars().enumerate() {
        if n == max_chars {
            out.push_str("...");
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// [`escaped`] in double quotes, for values such as a role name or a code.
pub fn quoted(text: &str, max_chars: usize) -> String {
    format!("\"{}\"", escaped(text, max_chars))
}

/// Characters that move the cursor, change the terminal or reorder what is displayed.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            escaped("a\r\nWARNING forged\x1b[2J\u{7f}\u{85}\u{202e}z\ttab", 100),
            "a\\r\\nWARNING forged\\u{1b}[2J\\u{7f}\\u{85}\\u{202e}z\\ttab"
        );
        assert_eq!(
            escaped("plain text, ünïcode 中文", 100),
            "plain text, ünïcode 中文"
        );
        assert_eq!(quoted("r\n1", 10), "\"r\\n1\"");
    }

    #[test]
    fn length_is_capped_in_characters() {
        assert_eq!(escaped("abcdef", 3), "abc...");
        assert_eq!(escaped("abc", 3), "abc");
        assert_eq!(escaped("中文字符", 2), "中文...");
        // The cap counts source characters: escapes cannot grow it without bound.
        assert!(escaped(&"\x1b".repeat(10_000), 100).len() <= 100 * 7 + 3);
    }
}
