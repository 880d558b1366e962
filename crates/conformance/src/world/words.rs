//! The language a feature is written in (`# language: es`). The words the pages use in
//! it come from the target's profile (`[texts.es]`, see [`crate::profile`]): written
//! down there, not read from the portal, so that the suite checks the portal's words
//! rather than repeating them. [`Translator`] turns the article's words, as a feature
//! quotes them, into the target's.

use std::sync::Arc;

use crate::profile::{Profile, Texts};

/// Translates the article's words (as a feature quotes them) into a target's.
#[derive(Debug, Clone)]
pub struct Translator {
    vocabulary: Arc<Profile>,
}

impl Translator {
    /// With `profiles/portal.toml` as the vocabulary.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            vocabulary: Arc::new(Profile::portal()?),
        })
    }

    /// The key the article's `words` stand for in `code`, if they are one of its texts.
    pub fn key_of(&self, code: &str, words: &str) -> Option<String> {
        let vocabulary = self.vocabulary.texts(code)?;
        vocabulary.key_of(words).map(str::to_owned)
    }

    /// `words` in the target's `texts`: the target's text for the key they stand for,
    /// or the words themselves when they are no key's text. A key the target's table
    /// lacks is an error naming it.
    pub fn say(&self, texts: &Texts, words: &str) -> anyhow::Result<String> {
        match self.key_of(&texts.code, words) {
            Some(key) => Ok(texts.text(&key)?.to_owned()),
            None => Ok(words.to_owned()),
        }
    }
}

/// The language a feature file declares in its `# language: xx` line (before its first
/// keyword), if any.
pub fn declared_language(feature_source: &str) -> Option<String> {
    feature_source
        .lines()
        .map(str::trim)
        .take_while(|l| l.is_empty() || l.starts_with('#'))
        .find_map(|l| {
            let rest = l.trim_start_matches('#').trim();
            let (key, value) = rest.split_once(':')?;
            (key.trim() == "language").then(|| value.trim().to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_line_is_read_before_the_feature() {
        assert_eq!(
            declared_language("# language: de\n# A comment\n@tag\nFunktionalität: x\n"),
            Some("de".into())
        );
        assert_eq!(
            declared_language("# A comment\n#language:fr\nFonctionnalité: x"),
            Some("fr".into())
        );
        assert_eq!(declared_language("Feature: x\n# language: es\n"), None);
    }
}
