//! The support table of the HTML check: `caniemail.txt` (an extract of caniemail.com's
//! data, MIT licence, attribution in the file), parsed once.

use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The clients of the table's columns: (family, platform, family name, platform name).
pub(crate) const CLIENTS: [(&str, &str, &str, &str); 12] = [
    ("apple-mail", "macos", "Apple Mail", "macOS"),
    ("apple-mail", "ios", "Apple Mail", "iOS"),
    ("gmail", "desktop-webmail", "Gmail", "Desktop Webmail"),
    ("gmail", "ios", "Gmail", "iOS"),
    ("gmail", "android", "Gmail", "Android"),
    ("outlook", "windows", "Outlook", "Windows"),
    ("outlook", "windows-mail", "Outlook", "Windows Mail"),
    ("outlook", "macos", "Outlook", "macOS"),
    ("outlook", "outlook-com", "Outlook", "Outlook.com"),
    ("yahoo", "desktop-webmail", "Yahoo! Mail", "Desktop Webmail"),
    ("samsung-email", "android", "Samsung Email", "Android"),
    ("thunderbird", "macos", "Mozilla Thunderbird", "macOS"),
];

/// Support of a feature in one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Support {
    Yes,
    No,
    Partial,
}

/// One cell: the support and its note numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cell {
    pub support: Support,
    pub notes: Vec<String>,
}

/// One feature of the table.
#[derive(Debug, Clone)]
pub(crate) struct Feature {
    pub slug: String,
    pub category: String,
    pub title: String,
    pub keywords: String,
    pub tags: Vec<String>,
    pub description: String,
    /// One per [`CLIENTS`] entry; `None`: not tested there.
    pub cells: Vec<Option<Cell>>,
    pub notes: BTreeMap<String, String>,
}

const DATA: &str = include_str!("caniemail.txt");

/// The table (a malformed line is a bug caught by the tests; it is skipped here).
pub(crate) static FEATURES: LazyLock<Vec<Feature>> = LazyLock::new(|| parse(DATA));

fn cell(text: &str) -> Option<Cell> {
    let mut parts = text.split('#');
    let support = match parts.next()? {
        "y" => Support::Yes,
        "n" => Support::No,
        "a" => Support::Partial,
        _ => return None,
    };
    Some(Cell {
        support,
        notes: parts.map(str::to_owned).collect(),
    })
}

fn parse(data: &str) -> Vec<Feature> {
    let mut features: Vec<Feature> = Vec::new();
    for line in data.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('|').collect();
        if let [key, text] = fields[..] {
            let Some((slug, number)) = key.split_once('#') else {
                continue;
            };
            if let Some(f) = features.iter_mut().find(|f| f.slug == slug) {
                f.notes.insert(number.to_owned(), text.to_owned());
            }
            continue;
        }
        let [slug, category, title, keywords, tags, cells, description] = fields[..] else {
            continue;
        };
        features.push(Feature {
            slug: slug.to_owned(),
            category: category.to_owned(),
            title: title.to_owned(),
            keywords: keywords.to_owned(),
            tags: tags.split_whitespace().map(str::to_owned).collect(),
            description: description.to_owned(),
            cells: cells.split_whitespace().map(cell).collect(),
            notes: BTreeMap::new(),
        });
    }
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_table_is_well_formed() {
        let lines = DATA
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        let (mut features, mut notes) = (0, 0);
        for line in lines {
            let fields: Vec<&str> = line.split('|').collect();
            match fields.len() {
                2 => notes += 1,
                7 => {
                    features += 1;
                    for token in fields[5].split_whitespace() {
                        assert!(token == "-" || cell(token).is_some(), "{token}: {line}");
                    }
                }
                n => panic!("{n} fields: {line}"),
            }
        }
        assert_eq!(FEATURES.len(), features);
        assert!(features >= 40, "only {features} features");
        let noted: usize = FEATURES.iter().map(|f| f.notes.len()).sum();
        assert_eq!(noted, notes, "a note line names no feature");
        for f in FEATURES.iter() {
            assert_eq!(f.cells.len(), CLIENTS.len(), "{}", f.slug);
            assert!(matches!(f.category.as_str(), "html" | "css" | "image"));
            for c in f.cells.iter().flatten() {
                for n in &c.notes {
                    assert!(f.notes.contains_key(n), "{} note {n} missing", f.slug);
                }
            }
            for n in f.notes.keys() {
                assert!(
                    f.cells.iter().flatten().any(|c| c.notes.contains(n)),
                    "{} note {n} unused",
                    f.slug
                );
            }
        }
    }

    #[test]
    fn cells_parse_support_and_notes() {
        assert_eq!(
            cell("a#1#6"),
            Some(Cell {
                support: Support::Partial,
                notes: vec!["1".into(), "6".into()]
            })
        );
        assert_eq!(cell("-"), None);
        assert_eq!(cell("y").map(|c| c.support), Some(Support::Yes));
    }
}
