//! Text as a person reads it.

use unicode_general_category::{GeneralCategory, get_general_category};

/// A character a reader does not see as what it is: a format character (Unicode category
/// Cf: zero-width spaces and joiners, direction marks and overrides, the byte-order mark)
/// or whitespace other than the plain space (a no-break space, the line and paragraph
/// separators). A console line writes them as escapes (`trace::OneLine`); a client name may
/// not hold them (two names that look alike would differ).
pub fn is_invisible(c: char) -> bool {
    get_general_category(c) == GeneralCategory::Format || (c.is_whitespace() && c != ' ')
}

#[cfg(test)]
mod tests {
    use super::is_invisible;

    #[test]
    fn zero_width_and_other_invisible_characters_are_told_apart_from_a_space() {
        for c in [
            '\u{200b}', '\u{200d}', '\u{2060}', '\u{00a0}', '\u{202e}', '\u{feff}', '\u{2028}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", u32::from(c));
        }
        for c in [' ', 'a', 'А', '.'] {
            assert!(!is_invisible(c), "{c:?}");
        }
    }
}
