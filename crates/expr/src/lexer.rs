//! Tokenizer shared by every expression kind. It never fails on its own: a character
//! that starts no token becomes [`Tok::Bad`], so the parser can report it as DynamoDB
//! does (`Syntax error; token: "<char>", near: "..."`).

/// One token's kind. Text-bearing kinds borrow from the expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    /// A bare word: attribute name, keyword or function name.
    Ident(&'a str),
    /// `#name`, text includes the `#`.
    NamePh(&'a str),
    /// `:value`, text includes the `:`.
    ValuePh(&'a str),
    /// Decimal digits (list indexes).
    Int(&'a str),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    /// A character no token starts with, or a lone `#`/`:`.
    Bad(&'a str),
    Eof,
}

/// A token and its byte span in the source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    pub tok: Tok<'a>,
    pub start: usize,
    pub end: usize,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Splits `src` into tokens, ending with exactly one [`Tok::Eof`].
pub(crate) fn tokenize(src: &str) -> Vec<Token<'_>> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Length of the run of word bytes starting at `from`.
    let word_len = |from: usize| {
        bytes
            .iter()
            .skip(from)
            .take_while(|b| is_word_byte(**b))
            .count()
    };
    while let Some(&b) = bytes.get(i) {
        if b == b' ' || b == b'\t' || b == b'\n' || b == b'\r' {
            i += 1;
            continue;
        }
        let start = i;
        let text = |end: usize| src.get(start..end).unwrap_or("");
        let (tok, end) = match b {
            b'(' => (Tok::LParen, i + 1),
            b')' => (Tok::RParen, i + 1),
            b'[' => (Tok::LBracket, i + 1),
            b']' => (Tok::RBracket, i + 1),
            b',' => (Tok::Comma, i + 1),
            b'.' => (Tok::Dot, i + 1),
            b'+' => (Tok::Plus, i + 1),
            b'-' => (Tok::Minus, i + 1),
            b'=' => (Tok::Eq, i + 1),
            b'<' => match bytes.get(i + 1) {
                Some(b'>') => (Tok::Ne, i + 2),
                Some(b'=') => (Tok::Le, i + 2),
                _ => (Tok::Lt, i + 1),
            },
            b'>' => match bytes.get(i + 1) {
                Some(b'=') => (Tok::Ge, i + 2),
                _ => (Tok::Gt, i + 1),
            },
            b'#' | b':' => {
                let n = word_len(i + 1);
                let end = i + 1 + n;
                if n == 0 {
                    (Tok::Bad(text(i + 1)), i + 1)
                } else if b == b'#' {
                    (Tok::NamePh(text(end)), end)
                } else {
                    (Tok::ValuePh(text(end)), end)
                }
            }
            b'0'..=b'9' => {
                let digits = bytes
                    .iter()
                    .skip(i)
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let end = i + digits;
                (Tok::Int(text(end)), end)
            }
            _ if is_word_byte(b) => {
                let end = i + word_len(i);
                (Tok::Ident(text(end)), end)
            }
            _ => {
                // One whole (possibly multi-byte) character.
                let len = src
                    .get(i..)
                    .and_then(|s| s.chars().next())
                    .map_or(1, char::len_utf8);
                (Tok::Bad(text(i + len)), i + len)
            }
        };
        out.push(Token { tok, start, end });
        i = end;
    }
    out.push(Token {
        tok: Tok::Eof,
        start: src.len(),
        end: src.len(),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok<'_>> {
        tokenize(src).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens() {
        assert_eq!(
            kinds("a.b[3] <> :v AND #n>=x"),
            vec![
                Tok::Ident("a"),
                Tok::Dot,
                Tok::Ident("b"),
                Tok::LBracket,
                Tok::Int("3"),
                Tok::RBracket,
                Tok::Ne,
                Tok::ValuePh(":v"),
                Tok::Ident("AND"),
                Tok::NamePh("#n"),
                Tok::Ge,
                Tok::Ident("x"),
                Tok::Eof
            ]
        );
        assert_eq!(kinds("é#"), vec![Tok::Bad("é"), Tok::Bad("#"), Tok::Eof]);
    }
}
