//! The tokenizer of every text field: NFKC + lowercase, words for Latin text, bigrams for kana/kanji runs (no
//! dictionary, so it works offline for any vocabulary). Index and query side share it.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::text;

/// The tokenizer for every text field: see the module docs.
#[derive(Clone, Default)]
pub struct ShopTokenizer {
    tokens: Vec<Token>,
}

pub struct ShopTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    next: usize,
}

impl Tokenizer for ShopTokenizer {
    type TokenStream<'a> = ShopTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, input: &'a str) -> ShopTokenStream<'a> {
        self.tokens.clear();
        let normalized = text::normalize(input);
        for (position, (term, from, to)) in text::terms(&normalized).into_iter().enumerate() {
            self.tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position,
                text: term,
                position_length: 1,
            });
        }
        ShopTokenStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

impl TokenStream for ShopTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}
