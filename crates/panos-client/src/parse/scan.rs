//! A one-pass reader for the big table answers (the software catalog, the legacy route table,
//! the ARP table): it keeps only the fields a table needs instead of building the whole
//! document, which is most of the cost of reading these answers.
//!
//! It reads a strict subset of XML, and only answers whose envelope says success: names
//! without a prefix, no namespace declaration, no XML declaration, processing instruction or
//! DTD, no carriage return, only the five predefined entities and character references, no
//! character XML forbids. For anything else it gives up ([`None`]) and the caller parses the
//! answer as a document, which classifies the error or reads what this reader left.
//!
//! What it must not do: read an answer the document parser refuses, or find a field the
//! document walk would not (each step of a path and each field of a row is the first child
//! element of that name, as [`super::child`] and [`super::Row`] find them, its text all the
//! text below it, trimmed).

use std::borrow::Cow;

use super::envelope::{document_text, parsing_options};
use super::{Ctx, Fields};

/// Where a table is in an answer, and which of its fields are read.
pub(crate) struct Table<const H: usize, const N: usize> {
    /// The path from `<response>` to the element whose `<entry>` children are the rows.
    pub(crate) rows_at: &'static [&'static str],
    /// How many steps down `rows_at` is the element the heading fields are read from.
    pub(crate) heading_at: usize,
    /// The fields read from that element (the ARP table's `max` and `total`).
    pub(crate) heading: [&'static str; H],
    /// The fields read from each row.
    pub(crate) fields: [&'static str; N],
}

/// A table as read: its heading fields and its rows.
pub(crate) struct Scanned<'i, const H: usize, const N: usize> {
    pub(crate) heading: Texts<'i, H>,
    pub(crate) rows: Vec<Texts<'i, N>>,
}

/// The trimmed text of each named field, `None` when the field is absent.
pub(crate) struct Texts<'i, const N: usize> {
    names: &'static [&'static str; N],
    texts: [Option<Cow<'i, str>>; N],
}

impl<'i, const N: usize> Texts<'i, N> {
    fn new(names: &'static [&'static str; N]) -> Self {
        Self {
            names,
            texts: [const { None }; N],
        }
    }

    fn trimmed(self) -> Self {
        Self {
            names: self.names,
            texts: self.texts.map(|text| text.map(trim)),
        }
    }
}

impl<const N: usize> Fields for Texts<'_, N> {
    fn text_ref(&self, name: &str) -> Option<Cow<'_, str>> {
        let at = self.names.iter().position(|&known| known == name);
        debug_assert!(at.is_some(), "{name} is not a field of this table");
        let text = self.texts[at?].as_deref()?;
        (!text.is_empty()).then_some(Cow::Borrowed(text))
    }
}

/// Reads `table` from `body`, or `None` when the answer is not a success or not in the subset
/// this reader takes (the caller then parses it as a document).
pub(crate) fn read<'i, const H: usize, const N: usize>(
    ctx: &Ctx<'_>,
    body: &'i str,
    table: &'static Table<H, N>,
) -> Option<Scanned<'i, H, N>> {
    if !ctx.http_ok() {
        return None;
    }
    let mut s = Scanner {
        text: document_text(body),
        pos: 0,
        nodes: 0,
        nodes_limit: parsing_options().nodes_limit / 2,
    };
    s.misc()?;
    let (mut status, mut code) = (None, None);
    let root = s.start_tag(|name, value| match name {
        "status" => status = Some(value),
        "code" => code = Some(value),
        _ => {}
    })?;
    if root.name != "response" || !is_success(status, code)? {
        return None;
    }
    let mut out = Scanned {
        heading: Texts::new(&table.heading),
        rows: Vec::new(),
    };
    if !root.empty {
        s.content(table, &mut out)?;
    }
    s.misc()?;
    (s.pos == s.text.len()).then(|| Scanned {
        heading: out.heading.trimmed(),
        rows: out.rows,
    })
}

/// Whether the envelope says success as [`super::envelope`] judges it; `None` (give up) for a
/// value it would judge some other way, or that attribute normalisation would change.
fn is_success(status: Option<&str>, code: Option<&str>) -> Option<bool> {
    let plain = |value: &str| !value.contains(['&', '\t', '\n']);
    if !status.is_none_or(plain) || !code.is_none_or(plain) {
        return None;
    }
    if status.unwrap_or("").trim() != "success" {
        return Some(false);
    }
    match code.map(str::trim) {
        None | Some("") => Some(true),
        Some(code) => Some(matches!(code.parse::<u32>().ok()?, 0 | 19 | 20)),
    }
}

/// What an element is to the table being read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The element that many steps down the path (0: `<response>`).
    Path(usize),
    /// A row.
    Row,
    /// Inside a field, whose text it adds to.
    Field(Slot),
    /// Anything else: checked, not read.
    Skip,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Heading(usize),
    Row(usize),
}

/// An open element: its name (for its end tag), its role, and which of the names its role
/// looks for among its children have been seen (bit 0 the next path step, then the fields).
struct Frame<'i> {
    name: &'i str,
    role: Role,
    seen: u64,
}

impl Frame<'_> {
    /// Whether this is the first child seen of the name `bit` stands for, and notes it.
    fn first(&mut self, bit: usize) -> bool {
        let mask = 1u64 << bit;
        let first = self.seen & mask == 0;
        self.seen |= mask;
        first
    }

    /// The role of a child element `name`.
    fn child<const H: usize, const N: usize>(&mut self, name: &str, table: &Table<H, N>) -> Role {
        match self.role {
            Role::Path(step) => {
                if table.rows_at.get(step) == Some(&name) && self.first(0) {
                    return Role::Path(step + 1);
                }
                if step == table.heading_at
                    && let Some(at) = table.heading.iter().position(|&h| h == name)
                    && self.first(1 + at)
                {
                    return Role::Field(Slot::Heading(at));
                }
                if step == table.rows_at.len() && name == "entry" {
                    Role::Row
                } else {
                    Role::Skip
                }
            }
            Role::Row => match table.fields.iter().position(|&f| f == name) {
                Some(at) if self.first(at) => Role::Field(Slot::Row(at)),
                _ => Role::Skip,
            },
            role @ (Role::Field(_) | Role::Skip) => role,
        }
    }
}

/// The deepest nesting read; deeper answers are left to the document parser.
const MAX_DEPTH: usize = 256;

/// A start tag.
struct Tag<'i> {
    name: &'i str,
    /// `<name/>`.
    empty: bool,
}

struct Scanner<'i> {
    text: &'i str,
    pos: usize,
    /// An upper bound on the nodes the document parser would make (one per tag, comment,
    /// CDATA section and run of text), held well under its limit.
    nodes: u32,
    nodes_limit: u32,
}

impl<'i> Scanner<'i> {
    fn bytes(&self) -> &'i [u8] {
        self.text.as_bytes()
    }

    fn rest(&self) -> &'i [u8] {
        &self.bytes()[self.pos..]
    }

    fn count_node(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes < self.nodes_limit).then_some(())
    }

    /// White space and comments, before or after the root element.
    fn misc(&mut self) -> Option<()> {
        loop {
            self.spaces()?;
            if !self.rest().starts_with(b"<!--") {
                return Some(());
            }
            self.comment()?;
        }
    }

    /// Skips white space; `None` at a carriage return.
    fn spaces(&mut self) -> Option<bool> {
        let (bytes, start) = (self.bytes(), self.pos);
        let mut at = start;
        while let Some(&b) = bytes.get(at) {
            match b {
                b' ' | b'\t' | b'\n' => at += 1,
                b'\r' => return None,
                _ => break,
            }
        }
        self.pos = at;
        Some(at > start)
    }

    /// A name without a prefix, of ASCII letters, digits and `_.-`.
    fn name(&mut self) -> Option<&'i str> {
        let (bytes, start) = (self.bytes(), self.pos);
        if !bytes
            .get(start)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        {
            return None;
        }
        let mut at = start + 1;
        while bytes
            .get(at)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            at += 1;
        }
        self.pos = at;
        // A name going on with another character (`:`, non-ASCII) is not in the subset.
        match bytes.get(at) {
            Some(b' ' | b'\t' | b'\n' | b'/' | b'>' | b'=') => self.text.get(start..at),
            _ => None,
        }
    }

    /// A start tag at `<`, its attributes checked and given to `attribute`.
    fn start_tag(&mut self, mut attribute: impl FnMut(&'i str, &'i str)) -> Option<Tag<'i>> {
        if self.rest().first() != Some(&b'<') {
            return None;
        }
        self.pos += 1;
        let name = self.name()?;
        self.count_node()?;
        let mut names: [&str; 8] = [""; 8];
        let mut count = 0;
        loop {
            let spaced = self.spaces()?;
            match self.rest() {
                [b'/', b'>', ..] => {
                    self.pos += 2;
                    return Some(Tag { name, empty: true });
                }
                [b'>', ..] => {
                    self.pos += 1;
                    return Some(Tag { name, empty: false });
                }
                _ if !spaced => return None,
                _ => {}
            }
            let key = self.name()?;
            if key == "xmlns" || count == names.len() || names[..count].contains(&key) {
                return None;
            }
            names[count] = key;
            count += 1;
            self.spaces()?;
            if self.rest().first() != Some(&b'=') {
                return None;
            }
            self.pos += 1;
            self.spaces()?;
            let quote = *self.rest().first()?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            self.pos += 1;
            let start = self.pos;
            let end = start + self.rest().iter().position(|&b| b == quote)?;
            while self.pos < end {
                match self.bytes()[self.pos] {
                    b'<' => return None,
                    b'&' => {
                        self.reference()?;
                    }
                    b => self.plain(b)?,
                }
            }
            self.pos += 1;
            attribute(key, &self.text[start..end]);
        }
    }

    /// Steps over a byte of character data, or `None` when XML forbids it here (a control
    /// character, a carriage return, U+FFFE or U+FFFF).
    fn plain(&mut self, b: u8) -> Option<()> {
        if SPECIAL[usize::from(b)] {
            match b {
                b'>' | b'<' | b'&' => {}
                0xEF => {
                    if self.rest().get(1) == Some(&0xBF)
                        && matches!(self.rest().get(2), Some(0xBE | 0xBF))
                    {
                        return None;
                    }
                }
                _ => return None,
            }
        }
        self.pos += 1;
        Some(())
    }

    /// A reference at `&`: its character.
    fn reference(&mut self) -> Option<char> {
        let rest = &self.text[self.pos + 1..];
        let end = rest.bytes().take(12).position(|b| b == b';')?;
        let c = reference_char(&rest[..end])?;
        self.pos += end + 2;
        Some(c)
    }

    /// Character data up to the next `<` or the end, checked, and whether it holds references.
    fn text(&mut self) -> Option<(&'i str, bool)> {
        let (bytes, start) = (self.bytes(), self.pos);
        let mut references = false;
        loop {
            let mut at = self.pos;
            // Indentation, eight spaces at a time.
            while bytes.get(at..at + 8) == Some(b"        ") {
                at += 8;
            }
            while bytes.get(at).is_some_and(|&b| !SPECIAL[usize::from(b)]) {
                at += 1;
            }
            self.pos = at;
            let Some(&b) = bytes.get(at) else {
                break;
            };
            match b {
                b'<' => break,
                b'&' => {
                    self.reference()?;
                    references = true;
                }
                // `]]>` may not appear in character data (the byte before it is a `>`).
                b'>' if bytes[..at].ends_with(b"]]") => return None,
                _ => self.plain(b)?,
            }
        }
        Some((&self.text[start..self.pos], references))
    }

    /// A comment at `<!--`.
    fn comment(&mut self) -> Option<()> {
        self.pos += 4;
        self.count_node()?;
        loop {
            match self.rest() {
                [b'-', b'-', b'>', ..] => {
                    self.pos += 3;
                    return Some(());
                }
                // `--` only ends a comment; a comment may not end with `-` (`--->`).
                [b'-', b'-', ..] | [] => return None,
                [b, ..] => self.plain(*b)?,
            }
        }
    }

    /// A CDATA section at `<![CDATA[`: its text.
    fn cdata(&mut self) -> Option<&'i str> {
        self.pos += 9;
        self.count_node()?;
        let start = self.pos;
        loop {
            match self.rest() {
                [b']', b']', b'>', ..] => {
                    self.pos += 3;
                    return Some(&self.text[start..self.pos - 3]);
                }
                [] => return None,
                [b, ..] => self.plain(*b)?,
            }
        }
    }

    /// An end tag at `</`: its name.
    fn end_tag(&mut self) -> Option<&'i str> {
        self.pos += 2;
        let name = self.name()?;
        self.spaces()?;
        if self.rest().first() != Some(&b'>') {
            return None;
        }
        self.pos += 1;
        Some(name)
    }

    /// The content of `<response>` and its end tag, reading `table` into `out`.
    fn content<const H: usize, const N: usize>(
        &mut self,
        table: &'static Table<H, N>,
        out: &mut Scanned<'i, H, N>,
    ) -> Option<()> {
        let mut stack = vec![Frame {
            name: "response",
            role: Role::Path(0),
            seen: 0,
        }];
        let mut row = Texts::new(&table.fields);
        loop {
            let role = stack.last()?.role;
            let (text, references) = self.text()?;
            if !text.is_empty() {
                self.count_node()?;
                if let Role::Field(slot) = role {
                    let text = if references {
                        Cow::Owned(decode(text)?)
                    } else {
                        Cow::Borrowed(text)
                    };
                    append(slot_of(slot, out, &mut row), text);
                }
            }
            match self.rest() {
                [b'<', b'/', ..] => {
                    let name = self.end_tag()?;
                    let frame = stack.pop()?;
                    if frame.name != name {
                        return None;
                    }
                    if frame.role == Role::Row {
                        let done = std::mem::replace(&mut row, Texts::new(&table.fields));
                        out.rows.push(done.trimmed());
                    }
                    if stack.is_empty() {
                        return Some(());
                    }
                }
                [b'<', b'!', b'-', b'-', ..] => self.comment()?,
                rest if rest.starts_with(b"<![CDATA[") => {
                    let text = self.cdata()?;
                    if let Role::Field(slot) = role {
                        append(slot_of(slot, out, &mut row), Cow::Borrowed(text));
                    }
                }
                [b'<', b'!' | b'?', ..] | [] => return None,
                _ => {
                    let tag = self.start_tag(|_, _| {})?;
                    let child = stack.last_mut()?.child(tag.name, table);
                    if !tag.empty {
                        if stack.len() == MAX_DEPTH {
                            return None;
                        }
                        stack.push(Frame {
                            name: tag.name,
                            role: child,
                            seen: 0,
                        });
                    } else if child == Role::Row {
                        out.rows.push(Texts::new(&table.fields));
                    }
                }
            }
        }
    }
}

/// The text a field's slot holds so far.
fn slot_of<'s, 'i, const H: usize, const N: usize>(
    slot: Slot,
    out: &'s mut Scanned<'i, H, N>,
    row: &'s mut Texts<'i, N>,
) -> &'s mut Option<Cow<'i, str>> {
    match slot {
        Slot::Heading(at) => &mut out.heading.texts[at],
        Slot::Row(at) => &mut row.texts[at],
    }
}

/// Adds a piece of text to a field's text, copying only when there are two pieces.
fn append<'i>(text: &mut Option<Cow<'i, str>>, piece: Cow<'i, str>) {
    match text {
        Some(text) if !text.is_empty() => text.to_mut().push_str(&piece),
        _ => *text = Some(piece),
    }
}

/// A text without the white space around it, borrowed where it was.
fn trim(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) if text.trim().len() == text.len() => Cow::Owned(text),
        Cow::Owned(text) => Cow::Owned(text.trim().to_owned()),
    }
}

/// Character data with its references (already checked) replaced by their characters.
fn decode(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = at + rest[at..].find(';')?;
        out.push(reference_char(&rest[at + 1..end])?);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The character of a reference `&name;` (`name` without `&` and `;`): a predefined entity,
/// or a character reference to a character XML allows other than a carriage return.
fn reference_char(name: &str) -> Option<char> {
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = name.strip_prefix('#')?;
            let (digits, radix) = match number.strip_prefix('x') {
                Some(hex) => (hex, 16),
                None => (number, 10),
            };
            if digits.is_empty() || !digits.bytes().all(|b| char::from(b).is_digit(radix)) {
                return None;
            }
            char::from_u32(u32::from_str_radix(digits, radix).ok()?)?
        }
    };
    let allowed = c >= ' ' || c == '\t' || c == '\n';
    (allowed && c != '\u{FFFE}' && c != '\u{FFFF}').then_some(c)
}

/// The bytes that end a run of plain character data: markup and references, the control
/// characters XML forbids (and the carriage return, left to the document parser), and 0xEF,
/// which starts U+FFFE and U+FFFF.
const SPECIAL: [bool; 256] = {
    let mut special = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        special[b] = b != 0x09 && b != 0x0A;
        b += 1;
    }
    special[b'<' as usize] = true;
    special[b'>' as usize] = true;
    special[b'&' as usize] = true;
    special[0xEF] = true;
    special
};

#[cfg(test)]
mod tests;
