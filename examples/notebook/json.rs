//! JSON as Python's `json_tricks` reads and writes it.
//!
//! The notebook example reads `inputs1.json`/`inputs2.json` written by
//! `json_tricks.dump` and writes its answer in the same format. The format is
//! described in `shared/formats/notebook-json.md` ("the format doc" below).
//!
//! - [`Json`] is the value model (objects keep insertion order); big lists of floats are
//!   packed ([`Json::Floats`]: 8 bytes a number, so memory follows the input's size).
//! - [`parse`] is a strict RFC 8259 parser that also accepts `NaN`, `Infinity`
//!   and `-Infinity` (what `json_tricks.dump(..., allow_nan=True)` writes).
//! - [`to_string`] / [`write_json`] write exactly what Python's `json.dumps` writes: one
//!   line, `", "` and `": "` separators, `\uXXXX` for non-ASCII, floats as `repr(float)`;
//!   `write_json` streams into a file.
//! - [`to_ndarray`] decodes numbers, nested lists and json_tricks
//!   ndarray objects (nested or `"b64:"` compact); [`ndarray_json`] encodes one.
//!
//! **What is by hand, and why.** Base64 is the `base64` crate's. The parser is ours:
//! serde_json refuses `NaN` and `Infinity` (the crates that patch them over read them as 0),
//! a pre-pass rewriting them would need a lexer of its own, and its value tree is a 32-byte
//! `Value` per number, where this parser packs float lists as it reads them. The writer is
//! ours: serde_json's formatter writes `,`/`:` separators, raw UTF-8 and Rust's float
//! digits, and Python's `repr` differs from both std's and `ryu`'s digits on exact ties
//! (see [`shortest_digits`]).

use std::fmt::{self, Write};

/// Deepest nesting of lists and objects that [`parse`] accepts; deeper input is
/// an error instead of a stack overflow.
pub(crate) const MAX_DEPTH: usize = 512;

/// Most dimensions an ndarray may have (numpy's own limit is 64).
const MAX_NDIM: usize = 64;

/// The error for a gzip-compressed compact ndarray, which this reader refuses.
const GZ_REFUSAL: &str = "compressed ndarray (b64.gz) is not supported; \
                          dump with ndarray_compact=False or without compression";

// ---------------------------------------------------------------------------
// Value model
// ---------------------------------------------------------------------------

/// A JSON value. Objects keep their keys in insertion order (and keep duplicate
/// keys; [`Json::get`] returns the last one, as a Python dict would).
///
/// Big lists of floats are [`Json::Floats`], one flat buffer instead of a value per number
/// (an ndarray of millions of floats is 8 bytes a number, not a 32-byte `Json` each); equality
/// does not tell the two forms apart.
#[derive(Debug, Clone)]
pub(crate) enum Json {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer literal that fits in `i64`.
    Int(i64),
    /// An integer literal past `i64::MAX` that fits in `u64` (numpy's `uint64`, which
    /// json_tricks writes as it is, up to 2⁶⁴ − 1).
    UInt(u64),
    /// Any other number, including `NaN`, `Infinity` and `-Infinity`.
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    Array(Vec<Json>),
    /// A list of [`PACK_MIN`] or more floats, or a list of such lists of one shape, nested:
    /// `[[1.5, 2.5], [3.5, 4.5]]` as shape `[2, 2]` and data `1.5, 2.5, 3.5, 4.5`.
    Floats(Packed),
    /// An object as (key, value) pairs in insertion order.
    Object(Vec<(String, Json)>),
}

/// Lists of at least this many floats are stored packed ([`Json::Floats`]); shorter ones (a
/// shape, a gradient of six) stay lists of values, which the code that reads them expects.
pub(crate) const PACK_MIN: usize = 64;

/// Nested lists of floats of one rectangular `shape` (at least one dimension, none zero), the
/// floats row-major in `data`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Packed {
    pub(crate) shape: Vec<usize>,
    pub(crate) data: Vec<f64>,
}

/// A list of floats of `shape` (row-major `data`): packed when it is big ([`PACK_MIN`]
/// floats and no zero dimension), nested values otherwise. Written the same either way.
pub(crate) fn floats(shape: &[usize], data: Vec<f64>) -> Json {
    assert_eq!(
        shape.iter().product::<usize>(),
        data.len(),
        "floats: shape {shape:?}"
    );
    if data.len() >= PACK_MIN && !shape.is_empty() && !shape.contains(&0) {
        Json::Floats(Packed {
            shape: shape.to_vec(),
            data,
        })
    } else {
        nest(shape, &data)
    }
}

impl Packed {
    /// The index (one entry per dimension) of the `i`-th float of `data`.
    pub(crate) fn index(&self, mut i: usize) -> Vec<usize> {
        let mut index = vec![0; self.shape.len()];
        for (k, &d) in index.iter_mut().zip(&self.shape).rev() {
            *k = i % d;
            i /= d;
        }
        index
    }

    /// The first item: a float, or the first of the nested lists.
    pub(crate) fn first(&self) -> Json {
        let stride = self.data.len() / self.shape[0];
        match self.shape[1..] {
            [] => Json::Float(self.data[0]),
            ref inner => Json::Floats(Packed {
                shape: inner.to_vec(),
                data: self.data[..stride].to_vec(),
            }),
        }
    }

    /// Whether `items` are these nested lists, value for value.
    fn equals(&self, items: &[Json]) -> bool {
        let (len, inner) = (self.shape[0], &self.shape[1..]);
        if items.len() != len {
            return false;
        }
        let stride = self.data.len() / len;
        items.iter().enumerate().all(|(i, item)| {
            let part = &self.data[i * stride..(i + 1) * stride];
            match item {
                Json::Float(x) => inner.is_empty() && *x == part[0],
                Json::Array(sub) if !inner.is_empty() => Packed {
                    shape: inner.to_vec(),
                    data: part.to_vec(),
                }
                .equals(sub),
                Json::Floats(sub) => sub.shape == inner && sub.data == part,
                _ => false,
            }
        })
    }
}

impl PartialEq for Json {
    fn eq(&self, other: &Json) -> bool {
        match (self, other) {
            (Json::Null, Json::Null) => true,
            (Json::Bool(a), Json::Bool(b)) => a == b,
            (Json::Int(a), Json::Int(b)) => a == b,
            (Json::UInt(a), Json::UInt(b)) => a == b,
            (Json::Float(a), Json::Float(b)) => a == b,
            (Json::Str(a), Json::Str(b)) => a == b,
            (Json::Array(a), Json::Array(b)) => a == b,
            (Json::Floats(a), Json::Floats(b)) => a == b,
            (Json::Floats(p), Json::Array(items)) | (Json::Array(items), Json::Floats(p)) => {
                p.equals(items)
            }
            (Json::Object(a), Json::Object(b)) => a == b,
            _ => false,
        }
    }
}

impl Json {
    /// The value under `key` if `self` is an object holding it (the last one
    /// when the key is duplicated, like Python's `dict`).
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(pairs) => pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The items if `self` is a list.
    pub(crate) fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The value with packed lists ([`Json::Floats`]) written out as lists of values.
    #[cfg(test)]
    pub(crate) fn to_tree(&self) -> Json {
        match self {
            Json::Floats(p) => nest(&p.shape, &p.data),
            Json::Array(items) => Json::Array(items.iter().map(Json::to_tree).collect()),
            Json::Object(pairs) => Json::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_tree()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// What kind of value this is, for error messages: `"null"`, `"a boolean"`,
    /// `"a number"`, `"a string"`, `"a list"` or `"an object"`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Int(_) | Json::UInt(_) | Json::Float(_) => "a number",
            Json::Str(_) => "a string",
            Json::Array(_) | Json::Floats(_) => "a list",
            Json::Object(_) => "an object",
        }
    }
}

impl From<f64> for Json {
    /// A float value (written as Python's `repr(float)`).
    fn from(x: f64) -> Self {
        Json::Float(x)
    }
}

impl From<i64> for Json {
    /// An integer value.
    fn from(i: i64) -> Self {
        Json::Int(i)
    }
}

impl From<&str> for Json {
    /// A string value.
    fn from(s: &str) -> Self {
        Json::Str(s.to_owned())
    }
}

impl From<Vec<Json>> for Json {
    /// A list value.
    fn from(items: Vec<Json>) -> Self {
        Json::Array(items)
    }
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

/// Parses one JSON document (RFC 8259, plus the literals `NaN`, `Infinity` and
/// `-Infinity`).
///
/// Integers that fit in `i64` become [`Json::Int`]; every other number becomes
/// [`Json::Float`] through Rust's correctly rounded `str::parse::<f64>`.
/// Errors say what was wrong and where, e.g.
/// `expected ',' or ']', found '}' at line 3, column 17` or
/// `unexpected end of input (truncated file?) at line 1, column 5000`.
/// Never panics; nesting deeper than [`MAX_DEPTH`] is an error.
pub(crate) fn parse(text: &str) -> Result<Json, String> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
    };
    p.skip_ws();
    if p.pos == p.bytes.len() {
        return Err("empty input: no JSON value found".to_owned());
    }
    let value = p.value()?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error(&format!(
            "unexpected trailing characters after the JSON value, found {}",
            p.found()
        )));
    }
    Ok(value)
}

/// Recursive-descent parser state over the input bytes (`pos` is a byte offset).
struct Parser<'a> {
    /// The whole input.
    text: &'a str,
    /// The same input as bytes.
    bytes: &'a [u8],
    /// Byte offset of the cursor; always on a char boundary between tokens.
    pos: usize,
    /// How many lists/objects enclose the cursor.
    depth: usize,
}

impl Parser<'_> {
    /// The byte at the cursor, if any.
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// `message` followed by the 1-based line and column (in characters) of the cursor.
    fn error(&self, message: &str) -> String {
        self.error_at(self.pos, message)
    }

    /// `message` followed by the 1-based line and column (in characters) of byte `pos`.
    fn error_at(&self, pos: usize, message: &str) -> String {
        let before = &self.bytes[..pos.min(self.bytes.len())];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        // Count characters, not bytes: skip UTF-8 continuation bytes.
        let column = 1 + before[line_start..]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count();
        format!("{message} at line {line}, column {column}")
    }

    /// The error for input that ends where more was expected.
    fn eof(&self) -> String {
        self.error("unexpected end of input (truncated file?)")
    }

    /// The character at the cursor, quoted, or "end of input".
    fn found(&self) -> String {
        match self
            .text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
        {
            Some(c) => format!("{c:?}"),
            None => "end of input".to_owned(),
        }
    }

    /// The error for an unexpected character (or end of input) where `expected` should be.
    fn unexpected(&self, expected: &str) -> String {
        if self.pos >= self.bytes.len() {
            self.eof()
        } else {
            self.error(&format!("expected {expected}, found {}", self.found()))
        }
    }

    /// Parses a value starting at the cursor (no leading whitespace).
    fn value(&mut self) -> Result<Json, String> {
        match self.peek() {
            None => Err(self.eof()),
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'N') => self.literal("NaN", Json::Float(f64::NAN)),
            Some(b'I') => self.literal("Infinity", Json::Float(f64::INFINITY)),
            Some(_) => Err(self.unexpected("a JSON value")),
        }
    }

    /// Parses the keyword `word` at the cursor and returns `value`.
    fn literal(&mut self, word: &str, value: Json) -> Result<Json, String> {
        let rest = &self.bytes[self.pos..];
        if rest.starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else if word.as_bytes().starts_with(rest) {
            // The input stops part-way through the keyword.
            Err(self.error_at(
                self.bytes.len(),
                "unexpected end of input (truncated file?)",
            ))
        } else {
            Err(self.error(&format!("invalid literal, expected `{word}`")))
        }
    }

    /// Increments the nesting depth, failing past [`MAX_DEPTH`].
    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!(
                "nesting deeper than {MAX_DEPTH} levels of lists/objects"
            )));
        }
        Ok(())
    }

    /// Parses a list; the cursor is on `[`.
    ///
    /// Floats, and lists packed as [`Json::Floats`] of one shape, go straight into one flat
    /// buffer; the first other value turns the list into values ([`Json::Array`]).
    fn array(&mut self) -> Result<Json, String> {
        self.enter()?;
        self.pos += 1;
        let mut list = List::Packing {
            count: 0,
            inner: Vec::new(),
            data: Vec::new(),
        };
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Json::Array(Vec::new()));
        }
        loop {
            self.skip_ws();
            list.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(list.finish());
                }
                _ => return Err(self.unexpected("',' or ']'")),
            }
        }
    }

    /// Parses an object; the cursor is on `{`.
    fn object(&mut self) -> Result<Json, String> {
        self.enter()?;
        self.pos += 1;
        let mut pairs = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Json::Object(pairs));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("'\"' starting an object key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("':'"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value()?;
            pairs.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Json::Object(pairs));
                }
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
    }

    /// Advances over ASCII digits and returns how many there were.
    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Parses a number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`) or `-Infinity`.
    fn number(&mut self) -> Result<Json, String> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            if self.peek() == Some(b'I') {
                return self.literal("Infinity", Json::Float(f64::NEG_INFINITY));
            }
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error("invalid number: leading zeros are not allowed"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.unexpected("a digit in the number")),
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            is_float = true;
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.unexpected("a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            is_float = true;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.unexpected("a digit in the exponent"));
            }
        }
        let literal = &self.text[start..self.pos];
        if !is_float && let Ok(i) = literal.parse::<i64>() {
            return Ok(Json::Int(i));
        }
        if !is_float && let Ok(u) = literal.parse::<u64>() {
            return Ok(Json::UInt(u));
        }
        literal.parse::<f64>().map(Json::Float).map_err(|e| {
            self.error_at(
                start,
                &format!("invalid number {} ({e})", quote_str(literal)),
            )
        })
    }

    /// Reads 4 hex digits of a `\u` escape at the cursor.
    fn hex4(&mut self) -> Result<u16, String> {
        let mut value = 0u16;
        for _ in 0..4 {
            let digit = match self.peek() {
                None => return Err(self.eof()),
                Some(b) => (b as char).to_digit(16),
            };
            match digit {
                // A hex digit is < 16, so the shift and the cast cannot lose bits.
                Some(d) => value = (value << 4) | d as u16,
                None => {
                    return Err(self.unexpected("a hex digit in a \\u escape"));
                }
            }
            self.pos += 1;
        }
        Ok(value)
    }

    /// Parses a string; the cursor is on the opening `"`.
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The run stops at an ASCII byte or the end, both char boundaries.
            out.push_str(&self.text[run_start..self.pos]);
            match self.peek() {
                None => return Err(self.eof()),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(b) => {
                    return Err(self.error(&format!(
                        "unescaped control character U+{b:04X} in a string"
                    )));
                }
            }
        }
    }

    /// Parses one escape sequence (the cursor is on the backslash) onto `out`.
    fn escape(&mut self, out: &mut String) -> Result<(), String> {
        let start = self.pos;
        self.pos += 1;
        let c = match self.peek() {
            None => return Err(self.eof()),
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                let code = match unit {
                    0xD800..=0xDBFF => {
                        // A high surrogate must be followed by a `\u` low surrogate.
                        let high = unit;
                        let next_start = self.pos;
                        match (self.peek(), self.bytes.get(self.pos + 1)) {
                            (Some(b'\\'), Some(b'u')) => {
                                self.pos += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..=0xDFFF).contains(&low) {
                                    return Err(self.error_at(
                                        next_start,
                                        &format!(
                                            "invalid surrogate pair \\u{high:04x}\\u{low:04x} in a string"
                                        ),
                                    ));
                                }
                                0x10000
                                    + ((u32::from(high) - 0xD800) << 10)
                                    + (u32::from(low) - 0xDC00)
                            }
                            (None, _) | (Some(b'\\'), None) => return Err(self.eof()),
                            _ => {
                                return Err(self.error_at(
                                    start,
                                    &format!("unpaired surrogate \\u{high:04x} in a string"),
                                ));
                            }
                        }
                    }
                    0xDC00..=0xDFFF => {
                        return Err(self.error_at(
                            start,
                            &format!("unpaired surrogate \\u{unit:04x} in a string"),
                        ));
                    }
                    _ => u32::from(unit),
                };
                // Surrogates were handled above, so this is always a valid scalar value.
                out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                return Ok(());
            }
            Some(_) => {
                return Err(self.error(&format!(
                    "invalid escape in a string: '\\' followed by {}",
                    self.found()
                )));
            }
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------

/// A list being parsed: packed while its items are floats (or packed lists of one shape).
enum List {
    /// `count` items, each a float (`inner` empty) or packed lists of shape `inner`.
    Packing {
        count: usize,
        inner: Vec<usize>,
        data: Vec<f64>,
    },
    Values(Vec<Json>),
}

impl List {
    fn push(&mut self, item: Json) {
        if let List::Packing { count, inner, data } = self {
            match &item {
                Json::Float(x) if inner.is_empty() => {
                    data.push(*x);
                    *count += 1;
                    return;
                }
                Json::Floats(p) if *count == 0 || p.shape == *inner => {
                    if *count == 0 {
                        *inner = p.shape.clone();
                    }
                    data.extend_from_slice(&p.data);
                    *count += 1;
                    return;
                }
                _ => *self = List::Values(self.unpack()),
            }
        }
        if let List::Values(items) = self {
            items.push(item);
        }
    }

    /// The packed items as values.
    fn unpack(&mut self) -> Vec<Json> {
        match self {
            List::Packing { count, inner, data } if inner.is_empty() => {
                data.drain(..).map(Json::Float).take(*count).collect()
            }
            List::Packing { count, inner, data } => {
                let stride = data.len() / (*count).max(1);
                data.chunks(stride.max(1))
                    .take(*count)
                    .map(|part| {
                        Json::Floats(Packed {
                            shape: inner.clone(),
                            data: part.to_vec(),
                        })
                    })
                    .collect()
            }
            List::Values(items) => core::mem::take(items),
        }
    }

    fn finish(self) -> Json {
        match self {
            List::Packing {
                count,
                mut inner,
                data,
            } if count >= PACK_MIN || !inner.is_empty() => {
                inner.insert(0, count);
                Json::Floats(Packed { shape: inner, data })
            }
            mut short @ List::Packing { .. } => Json::Array(short.unpack()),
            List::Values(items) => Json::Array(items),
        }
    }
}

/// Writes `v` exactly as Python's `json.dumps` (and so `json_tricks.dump`) does:
/// one line, separators `", "` and `": "`, keys in insertion order, non-ASCII
/// as `\uXXXX` (`ensure_ascii`), floats as [`float_repr`], and non-finite
/// floats as `NaN`, `Infinity`, `-Infinity` (`allow_nan=True`). No trailing newline.
pub(crate) fn to_string(v: &Json) -> String {
    let mut out = String::new();
    // writing into a `String` cannot fail
    let _ = write_json(&mut out, v);
    out
}

/// [`to_string`] into any `fmt::Write` sink (a file through [`IoSink`], a
/// [`Prefix`]), stopping at the sink's first error.
pub(crate) fn write_json(out: &mut impl Write, v: &Json) -> fmt::Result {
    write_value(out, v)
}

/// A `fmt::Write` over an `io::Write` (the answer file, buffered): the first I/O error stops
/// the writing and is kept in `error`.
pub(crate) struct IoSink<W: std::io::Write> {
    pub(crate) inner: W,
    pub(crate) error: Option<std::io::Error>,
}

impl<W: std::io::Write> Write for IoSink<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.inner.write_all(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            fmt::Error
        })
    }
}

/// The JSON text of `v` up to `limit` bytes, and whether there was more: what the
/// summary shows of a value, without writing the rest of it (an ndarray of millions).
pub(crate) fn prefix(v: &Json, limit: usize) -> (String, bool) {
    let mut p = Prefix {
        text: String::new(),
        limit,
    };
    let more = write_value(&mut p, v).is_err();
    (p.text, more)
}

/// How much of an offending value an error message quotes.
const QUOTE_LIMIT: usize = 80;

/// `v` as JSON for an error message: up to [`QUOTE_LIMIT`] bytes, then `…`, so that one bad
/// value (a megabyte string) cannot make a megabyte error line.
pub(crate) fn quote(v: &Json) -> String {
    match prefix(v, QUOTE_LIMIT) {
        (text, true) => format!("{text}…"),
        (text, false) => text,
    }
}

/// [`quote`] for a piece of the input text (a malformed number, a dtype's name).
fn quote_str(s: &str) -> String {
    quote(&Json::Str(s.to_owned()))
}

/// A sink that keeps the first `limit` bytes and then refuses, which stops the writer.
struct Prefix {
    text: String,
    limit: usize,
}

impl Write for Prefix {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.limit - self.text.len();
        if s.len() <= room {
            self.text.push_str(s);
            return Ok(());
        }
        // cut at a char boundary (the text is ASCII: `ensure_ascii`)
        let mut cut = room;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        self.text.push_str(&s[..cut]);
        Err(fmt::Error)
    }
}

/// Appends the JSON text of `v` to `out`.
fn write_value(out: &mut impl Write, v: &Json) -> fmt::Result {
    match v {
        Json::Null => out.write_str("null"),
        Json::Bool(b) => out.write_str(if *b { "true" } else { "false" }),
        Json::Int(i) => write!(out, "{i}"),
        Json::UInt(u) => write!(out, "{u}"),
        Json::Float(x) => write_float(out, *x),
        Json::Str(s) => write_str(out, s),
        Json::Array(items) => {
            out.write_char('[')?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                write_value(out, item)?;
            }
            out.write_char(']')
        }
        Json::Floats(p) => write_packed(out, &p.shape, &p.data),
        Json::Object(pairs) => {
            out.write_char('{')?;
            for (i, (key, value)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                write_str(out, key)?;
                out.write_str(": ")?;
                write_value(out, value)?;
            }
            out.write_char('}')
        }
    }
}

/// Appends row-major `data` as nested lists of `shape`.
fn write_packed(out: &mut impl Write, shape: &[usize], data: &[f64]) -> fmt::Result {
    let Some((&len, inner)) = shape.split_first() else {
        return write_float(out, data[0]);
    };
    let stride: usize = inner.iter().product();
    out.write_char('[')?;
    for i in 0..len {
        if i > 0 {
            out.write_str(", ")?;
        }
        write_packed(out, inner, &data[i * stride..(i + 1) * stride])?;
    }
    out.write_char(']')
}

/// Appends `s` as a quoted JSON string, escaped like Python's `ensure_ascii=True`:
/// printable ASCII (space to `~`) as is, the short escapes `\" \\ \n \r \t \b \f`,
/// everything else (including DEL) as lowercase `\uXXXX` UTF-16 units.
fn write_str(out: &mut impl Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            '\u{8}' => out.write_str("\\b")?,
            '\u{c}' => out.write_str("\\f")?,
            ' '..='~' => out.write_char(c)?,
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(out, "\\u{unit:04x}")?;
                }
            }
        }
    }
    out.write_char('"')
}

/// Python's `repr(x)` for a float, plus json_tricks' `NaN`/`Infinity`/`-Infinity`.
///
/// The digits are the shortest that round-trip (see [`shortest_digits`]).
/// With digits `d1…dn` and `x = 0.d1…dn × 10^decpt`, Python writes scientific
/// notation iff `decpt <= -4 || decpt > 16`, with an explicit exponent sign and
/// at least two exponent digits (`1e-05`, `1e+16`); otherwise fixed notation
/// with at least one digit after the point (`1.0`, `0.0001`).
pub(crate) fn float_repr(x: f64) -> String {
    let mut out = String::new();
    let _ = write_float(&mut out, x);
    out
}

/// Appends [`float_repr`]`(x)` to `out`, without allocating anything else (the answer's
/// arrays write millions of floats).
fn write_float(out: &mut impl Write, x: f64) -> fmt::Result {
    if x.is_nan() {
        return out.write_str("NaN");
    }
    if x.is_infinite() {
        return out.write_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
    }
    let (digits, exponent) = shortest_digits(x.abs());
    let digits = digits.as_str();
    let n = digits.len() as i32;
    let decpt = exponent + 1;
    if x.is_sign_negative() {
        out.write_char('-')?;
    }
    if decpt <= -4 || decpt > 16 {
        out.write_str(&digits[..1])?;
        if n > 1 {
            out.write_char('.')?;
            out.write_str(&digits[1..])?;
        }
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        write!(out, "e{exp_sign}{:02}", exponent.unsigned_abs())
    } else if decpt <= 0 {
        out.write_str("0.")?;
        for _ in 0..decpt.unsigned_abs() {
            out.write_char('0')?;
        }
        out.write_str(digits)
    } else if decpt < n {
        let point = decpt as usize;
        out.write_str(&digits[..point])?;
        out.write_char('.')?;
        out.write_str(&digits[point..])
    } else {
        out.write_str(digits)?;
        for _ in 0..decpt - n {
            out.write_char('0')?;
        }
        out.write_str(".0")
    }
}

/// Up to 17 significant decimal digits (an `f64`'s shortest round-trip form never needs
/// more), on the stack.
struct Digits {
    bytes: [u8; 17],
    len: usize,
}

impl Digits {
    fn as_str(&self) -> &str {
        // only ASCII digits are ever stored
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("0")
    }

    /// The digits as an integer (at most 17 digits: fits in `u64`).
    fn value(&self) -> u64 {
        self.bytes[..self.len]
            .iter()
            .fold(0, |v, &d| v * 10 + u64::from(d - b'0'))
    }
}

/// A fixed buffer that `write!` fills: Rust's `{:e}` of an `f64` without a `String`.
struct Stack<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Stack<N> {
    fn new() -> Self {
        Stack {
            bytes: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> fmt::Write for Stack<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The shortest decimal digits that round-trip to the finite `x >= 0`, and the
/// decimal exponent of the first digit (`x ≈ d1.d2…dn × 10^exponent`).
///
/// Rust's `{:e}` gives shortest round-trip digits, closest to `x`; but when `x`
/// lies exactly halfway between two shortest candidates it takes the upper one,
/// while Python (David Gay's dtoa) takes the one with the even last digit
/// (e.g. 1816042961767161.25 is `1816042961767161.2` in Python). So an odd last
/// digit is swapped for its even neighbour when that neighbour also round-trips
/// and `x` is exactly their midpoint ([`is_exactly`], integer arithmetic).
///
/// This is the one float formatting done by hand: neither std nor `ryu` offers
/// Python's tie rule.
fn shortest_digits(x: f64) -> (Digits, i32) {
    let mut sci = Stack::<32>::new();
    // 17 digits, a point and `e-324` fit in 32 bytes
    let _ = write!(sci, "{x:e}");
    let (mantissa, exponent) = sci.as_str().split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mut digits = Digits {
        bytes: [b'0'; 17],
        len: 0,
    };
    for &b in mantissa.as_bytes().iter().filter(|&&b| b != b'.') {
        digits.bytes[digits.len] = b;
        digits.len += 1;
    }
    let last = digits.bytes[digits.len - 1];
    if last.is_multiple_of(2) {
        return (digits, exponent);
    }
    // Both neighbours keep n digits: the last digit is odd, so 1..=9 ± 1 stays in 0..=9.
    let scale = exponent - (digits.len as i32 - 1);
    for neighbour in [last - 1, last + 1] {
        let mut candidate = Stack::<40>::new();
        let head = &digits.as_str()[..digits.len - 1];
        let _ = write!(candidate, "{head}{}e{scale}", neighbour as char);
        if candidate.as_str().parse::<f64>() != Ok(x) {
            continue;
        }
        // the midpoint of the two candidates: the lower one's digits, then a 5
        let lower = digits.value() - u64::from(neighbour < last);
        if is_exactly(x, lower * 10 + 5, scale - 1) {
            digits.bytes[digits.len - 1] = neighbour;
            return (digits, exponent);
        }
    }
    (digits, exponent)
}

/// Whether the finite `x > 0` is exactly `m · 10^k`: both written as an odd integer times a
/// power of two, compared as integers.
fn is_exactly(x: f64, m: u64, k: i32) -> bool {
    // m · 10^k = r · 2^(a+k) · 5^(b+k) with r coprime to 10
    let (mut r, mut a, mut b) = (m, 0i32, 0i32);
    while r % 2 == 0 {
        r /= 2;
        a += 1;
    }
    while r % 5 == 0 {
        r /= 5;
        b += 1;
    }
    // a binary float has no factor 5 in its denominator, and an odd part below 2^53
    let fives = b + k;
    if fives < 0 {
        return false;
    }
    let mut odd = r;
    for _ in 0..fives {
        odd *= 5;
        if odd >= 1 << 53 {
            return false;
        }
    }
    if odd >= 1 << 53 {
        return false;
    }
    // x = mantissa · 2^e, reduced to an odd mantissa
    let bits = x.to_bits();
    let (field, fraction) = ((bits >> 52) & 0x7ff, bits & ((1 << 52) - 1));
    let (mut mantissa, mut e) = if field == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, field as i32 - 1075)
    };
    let zeros = mantissa.trailing_zeros();
    mantissa >>= zeros;
    e += zeros as i32;
    mantissa == odd && e == a + k
}

// ---------------------------------------------------------------------------
// ndarrays
// ---------------------------------------------------------------------------

/// A dense array of `f64` with its shape; `data` is in logical row-major order
/// (`ndarray.tolist()` order), so `data.len()` is the product of `shape`
/// (1 for the 0-d shape `[]`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NdArray {
    /// Size of each dimension, outermost first; empty for a 0-d array.
    pub(crate) shape: Vec<usize>,
    /// The elements in row-major order.
    pub(crate) data: Vec<f64>,
}

/// The numpy dtypes this reader understands (variants named after numpy's
/// `float64`, `int32`, `uint8`, ...), with their byte size.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Dtype {
    F64,
    F32,
    I64,
    I32,
    I16,
    I8,
    U64,
    U32,
    U16,
    U8,
    Bool,
}

/// The supported dtype names, for error messages.
const DTYPE_NAMES: &str =
    "float64, float32, int64, int32, int16, int8, uint64, uint32, uint16, uint8, bool";

impl Dtype {
    /// The dtype called `name` by numpy's `str(array.dtype)`.
    fn from_name(name: &str) -> Option<Dtype> {
        Some(match name {
            "float64" => Dtype::F64,
            "float32" => Dtype::F32,
            "int64" => Dtype::I64,
            "int32" => Dtype::I32,
            "int16" => Dtype::I16,
            "int8" => Dtype::I8,
            "uint64" => Dtype::U64,
            "uint32" => Dtype::U32,
            "uint16" => Dtype::U16,
            "uint8" => Dtype::U8,
            "bool" => Dtype::Bool,
            _ => return None,
        })
    }

    /// numpy's name for the dtype.
    fn name(self) -> &'static str {
        match self {
            Dtype::F64 => "float64",
            Dtype::F32 => "float32",
            Dtype::I64 => "int64",
            Dtype::I32 => "int32",
            Dtype::I16 => "int16",
            Dtype::I8 => "int8",
            Dtype::U64 => "uint64",
            Dtype::U32 => "uint32",
            Dtype::U16 => "uint16",
            Dtype::U8 => "uint8",
            Dtype::Bool => "bool",
        }
    }

    /// Bytes per element in the raw buffer.
    fn itemsize(self) -> usize {
        match self {
            Dtype::F64 | Dtype::I64 | Dtype::U64 => 8,
            Dtype::F32 | Dtype::I32 | Dtype::U32 => 4,
            Dtype::I16 | Dtype::U16 => 2,
            Dtype::I8 | Dtype::U8 | Dtype::Bool => 1,
        }
    }

    /// Inclusive value range of an integer dtype.
    fn int_range(self) -> Option<(i128, i128)> {
        let bits = 8 * self.itemsize() as u32;
        match self {
            Dtype::I64 | Dtype::I32 | Dtype::I16 | Dtype::I8 => {
                Some((-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1))
            }
            Dtype::U64 | Dtype::U32 | Dtype::U16 | Dtype::U8 => Some((0, (1i128 << bits) - 1)),
            Dtype::F64 | Dtype::F32 | Dtype::Bool => None,
        }
    }

    /// Converts one JSON element (at index `path`) of an array of this dtype to `f64`.
    fn element(self, v: &Json, path: &[usize]) -> Result<f64, String> {
        let wrong = |expected: &str| {
            format!(
                "{} is {}, expected {expected}",
                describe_path(path),
                v.kind()
            )
        };
        if self == Dtype::Bool {
            return match v {
                Json::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
                Json::Int(i @ (0 | 1)) => Ok(*i as f64),
                _ => Err(wrong("true or false (dtype bool)")),
            };
        }
        let x = match v {
            Json::Int(i) => *i as f64,
            Json::UInt(u) => *u as f64,
            Json::Float(x) => *x,
            _ => return Err(wrong("a number")),
        };
        match self.int_range() {
            None if self == Dtype::F32 => Ok(f64::from(x as f32)),
            None => Ok(x),
            Some((lo, hi)) => {
                let fits = match v {
                    Json::Int(i) => (lo..=hi).contains(&i128::from(*i)),
                    Json::UInt(u) => (lo..=hi).contains(&i128::from(*u)),
                    // `hi + 1` is a power of two, so it converts to f64 exactly.
                    _ => x.fract() == 0.0 && x >= lo as f64 && x < (hi + 1) as f64,
                };
                if fits {
                    Ok(x)
                } else {
                    Err(format!(
                        "{} is {}, which is not a valid {} value",
                        describe_path(path),
                        quote(v),
                        self.name()
                    ))
                }
            }
        }
    }

    /// Decodes one raw element (exactly `itemsize` bytes) to `f64`.
    fn decode_raw(self, raw: &[u8], big_endian: bool) -> f64 {
        match self {
            Dtype::F64 => f64::from_le_bytes(le_bytes(raw, big_endian)),
            Dtype::F32 => f64::from(f32::from_le_bytes(le_bytes(raw, big_endian))),
            Dtype::I64 => i64::from_le_bytes(le_bytes(raw, big_endian)) as f64,
            Dtype::I32 => f64::from(i32::from_le_bytes(le_bytes(raw, big_endian))),
            Dtype::I16 => f64::from(i16::from_le_bytes(le_bytes(raw, big_endian))),
            Dtype::I8 => f64::from(i8::from_le_bytes(le_bytes(raw, big_endian))),
            Dtype::U64 => u64::from_le_bytes(le_bytes(raw, big_endian)) as f64,
            Dtype::U32 => f64::from(u32::from_le_bytes(le_bytes(raw, big_endian))),
            Dtype::U16 => f64::from(u16::from_le_bytes(le_bytes(raw, big_endian))),
            Dtype::U8 => f64::from(raw[0]),
            Dtype::Bool => f64::from(u8::from(raw[0] != 0)),
        }
    }
}

/// The `N` bytes of `raw` in little-endian order (reversed if `big_endian`).
fn le_bytes<const N: usize>(raw: &[u8], big_endian: bool) -> [u8; N] {
    let mut bytes = [0u8; N];
    bytes.copy_from_slice(&raw[..N]);
    if big_endian {
        bytes.reverse();
    }
    bytes
}

/// `element [1][2]` for an index path, `the 0-d value` for the empty path.
fn describe_path(path: &[usize]) -> String {
    if path.is_empty() {
        "the 0-d value".to_owned()
    } else {
        let index: String = path.iter().map(|i| format!("[{i}]")).collect();
        format!("element {index}")
    }
}

/// Decodes an array from a plain number (0-d), a plain (nested) list of
/// numbers, or a json_tricks ndarray object
/// `{"__ndarray__": <number | nested list | "b64:..." string>, "dtype": ..., "shape": [...]}`
/// with optional `"Corder"` and `"endian"`.
///
/// Nested-list data is checked for raggedness and against `"shape"`; it is
/// always in logical row-major order whatever `"Corder"` says (the format doc).
/// A `"b64:"` string is the raw buffer of the dtype (little-endian unless
/// `"endian": "big"`), in C order, or in Fortran order when `"Corder": false`.
/// Integer and bool elements become `f64` (bool as 0/1); float32 values are
/// rounded to `f32` as numpy would.
pub(crate) fn to_ndarray(v: &Json) -> Result<NdArray, String> {
    match v {
        Json::Int(_) | Json::UInt(_) | Json::Float(_) => Ok(NdArray {
            shape: Vec::new(),
            data: vec![Dtype::F64.element(v, &[])?],
        }),
        Json::Array(_) | Json::Floats(_) => nested_to_ndarray(v, Dtype::F64),
        Json::Object(_) => match v.get("__ndarray__") {
            Some(data) => tricks_to_ndarray(v, data),
            None => Err(
                "object is not a json_tricks ndarray (it has no \"__ndarray__\" key)".to_owned(),
            ),
        },
        _ => Err(format!(
            "expected a number, a list of numbers or a json_tricks ndarray, found {}",
            v.kind()
        )),
    }
}

/// The shape of nested lists, read along the first element at each level
/// (raggedness is found later by [`flatten`]).
fn infer_shape(v: &Json) -> Vec<usize> {
    let mut shape = Vec::new();
    let mut current = v;
    while let Json::Array(items) = current {
        shape.push(items.len());
        match items.first() {
            Some(first) => current = first,
            None => break,
        }
    }
    if let Json::Floats(p) = current {
        shape.extend_from_slice(&p.shape);
    }
    shape
}

/// Decodes (nested) lists or a bare number as an array of `dtype`, inferring the shape.
fn nested_to_ndarray(v: &Json, dtype: Dtype) -> Result<NdArray, String> {
    let shape = infer_shape(v);
    if shape.len() > MAX_NDIM {
        return Err(format!(
            "nested list has {} levels, more than the {MAX_NDIM} dimensions allowed",
            shape.len()
        ));
    }
    let mut data = Vec::new();
    flatten(v, &shape, &mut Vec::new(), dtype, &mut data)?;
    Ok(NdArray { shape, data })
}

/// Appends the elements of `v` (expected to have `shape`, at index `path`)
/// to `out` in row-major order.
fn flatten(
    v: &Json,
    shape: &[usize],
    path: &mut Vec<usize>,
    dtype: Dtype,
    out: &mut Vec<f64>,
) -> Result<(), String> {
    if let Json::Floats(p) = v {
        return flatten_packed(p, shape, path, dtype, out);
    }
    let Some((&len, inner)) = shape.split_first() else {
        if let Json::Array(_) = v {
            return Err(format!(
                "ragged nested list: {} is a list, expected a number",
                describe_path(path)
            ));
        }
        out.push(dtype.element(v, path)?);
        return Ok(());
    };
    match v {
        Json::Array(items) if items.len() == len => {
            for (i, item) in items.iter().enumerate() {
                path.push(i);
                flatten(item, inner, path, dtype, out)?;
                path.pop();
            }
            Ok(())
        }
        Json::Array(items) => Err(format!(
            "ragged nested list: {} has {} items, expected {len}",
            describe_path(path),
            items.len()
        )),
        Json::Int(_) | Json::UInt(_) | Json::Float(_) => Err(format!(
            "ragged nested list: {} is a number, expected a list of {len} items",
            describe_path(path)
        )),
        _ => Err(format!(
            "{} is {}, expected a list of {len} items",
            describe_path(path),
            v.kind()
        )),
    }
}

/// [`flatten`] for packed lists: the same elements, the same errors (reported where the
/// depth-first walk of the lists would meet them first: along the first items).
fn flatten_packed(
    p: &Packed,
    shape: &[usize],
    path: &mut Vec<usize>,
    dtype: Dtype,
    out: &mut Vec<f64>,
) -> Result<(), String> {
    let depth = path.len();
    for (level, &want) in shape.iter().enumerate() {
        let Some(&have) = p.shape.get(level) else {
            return Err(format!(
                "ragged nested list: {} is a number, expected a list of {want} items",
                describe_path(path)
            ));
        };
        if have != want {
            return Err(format!(
                "ragged nested list: {} has {have} items, expected {want}",
                describe_path(path)
            ));
        }
        path.push(0);
    }
    if p.shape.len() > shape.len() {
        return Err(format!(
            "ragged nested list: {} is a list, expected a number",
            describe_path(path)
        ));
    }
    path.truncate(depth);
    out.reserve(p.data.len());
    for (i, &x) in p.data.iter().enumerate() {
        match dtype.element(&Json::Float(x), &[]) {
            Ok(v) => out.push(v),
            Err(_) => {
                // the element's own path (`p.shape` is `shape` here), built only for the message
                let mut at = path.clone();
                at.extend(p.index(i));
                return dtype.element(&Json::Float(x), &at).map(|_| ());
            }
        }
    }
    Ok(())
}

/// Decodes a json_tricks ndarray object whose `"__ndarray__"` value is `data`.
fn tricks_to_ndarray(obj: &Json, data: &Json) -> Result<NdArray, String> {
    let dtype = match obj.get("dtype") {
        Some(Json::Str(name)) => Dtype::from_name(name).ok_or_else(|| {
            format!(
                "unsupported ndarray dtype {} (supported: {DTYPE_NAMES})",
                quote_str(name)
            )
        })?,
        Some(other) => {
            return Err(format!(
                "ndarray \"dtype\" is {}, expected a string such as \"float64\"",
                other.kind()
            ));
        }
        None => return Err("ndarray object has no \"dtype\"".to_owned()),
    };
    let shape = match obj.get("shape") {
        Some(Json::Array(dims)) => dims
            .iter()
            .map(|d| match d {
                Json::Int(n) => usize::try_from(*n).ok(),
                Json::UInt(n) => usize::try_from(*n).ok(),
                _ => None,
            })
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| {
                format!(
                    "ndarray \"shape\" must hold non-negative integers, found {}",
                    quote(&Json::Array(dims.clone()))
                )
            })?,
        Some(other) => {
            return Err(format!(
                "ndarray \"shape\" is {}, expected a list of integers",
                other.kind()
            ));
        }
        None => return Err("ndarray object has no \"shape\"".to_owned()),
    };
    if shape.len() > MAX_NDIM {
        return Err(format!(
            "ndarray \"shape\" has {} dimensions, more than the {MAX_NDIM} allowed",
            shape.len()
        ));
    }
    let c_order = match obj.get("Corder") {
        None => true,
        Some(Json::Bool(b)) => *b,
        Some(other) => {
            return Err(format!(
                "ndarray \"Corder\" is {}, expected true or false",
                other.kind()
            ));
        }
    };
    match data {
        Json::Str(text) => decode_compact(obj, text, dtype, shape, c_order),
        Json::Int(_) | Json::UInt(_) | Json::Float(_) | Json::Array(_) | Json::Floats(_) => {
            let array = nested_to_ndarray(data, dtype)?;
            if array.shape == shape {
                return Ok(array);
            }
            // json_tricks reshapes empty data to any shape with a zero in it.
            if array.data.is_empty() && shape.contains(&0) {
                return Ok(NdArray {
                    shape,
                    data: array.data,
                });
            }
            Err(format!(
                "__ndarray__ data has shape {:?} but \"shape\" says {:?}",
                array.shape, shape
            ))
        }
        other => Err(format!(
            "\"__ndarray__\" is {}, expected a number, a nested list or a \"b64:\" string",
            other.kind()
        )),
    }
}

/// Decodes the compact form `"b64:<base64 of the raw buffer>"`.
fn decode_compact(
    obj: &Json,
    text: &str,
    dtype: Dtype,
    shape: Vec<usize>,
    c_order: bool,
) -> Result<NdArray, String> {
    if text.starts_with("b64.gz:") {
        return Err(GZ_REFUSAL.to_owned());
    }
    let Some(payload) = text.strip_prefix("b64:") else {
        let preview: String = text.chars().take(16).collect();
        return Err(format!(
            "\"__ndarray__\" string must start with \"b64:\", found {preview:?}"
        ));
    };
    // json_tricks writes native order when "endian" is absent; we read that as little.
    let big_endian = match obj.get("endian") {
        None => false,
        Some(Json::Str(e)) if e == "little" || e == "native" => false,
        Some(Json::Str(e)) if e == "big" => true,
        Some(other) => {
            return Err(format!(
                "unsupported ndarray \"endian\" {} (expected \"little\" or \"big\")",
                quote(other)
            ));
        }
    };
    let bytes = base64_decode(payload)?;
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .and_then(|n| n.checked_mul(dtype.itemsize()).map(|b| (n, b)));
    let Some((count, needed)) = count else {
        return Err(format!("ndarray \"shape\" {shape:?} is too large"));
    };
    if bytes.len() != needed {
        return Err(format!(
            "b64 data holds {} bytes but shape {:?} of {} needs {} ({} elements x {} bytes)",
            bytes.len(),
            shape,
            dtype.name(),
            needed,
            count,
            dtype.itemsize()
        ));
    }
    let raw: Vec<f64> = bytes
        .chunks_exact(dtype.itemsize())
        .map(|chunk| dtype.decode_raw(chunk, big_endian))
        .collect();
    let data = if c_order || shape.len() < 2 {
        raw
    } else {
        fortran_to_row_major(&shape, &raw)
    };
    Ok(NdArray { shape, data })
}

/// Reorders a Fortran-order (column-major) buffer of `shape` to row-major order.
fn fortran_to_row_major(shape: &[usize], fortran: &[f64]) -> Vec<f64> {
    let mut strides = vec![1usize; shape.len()];
    for k in 1..shape.len() {
        strides[k] = strides[k - 1] * shape[k - 1];
    }
    let mut index = vec![0usize; shape.len()];
    let mut out = Vec::with_capacity(fortran.len());
    for _ in 0..fortran.len() {
        let offset: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum();
        out.push(fortran[offset]);
        // Advance the row-major multi-index (last dimension fastest).
        for k in (0..shape.len()).rev() {
            index[k] += 1;
            if index[k] < shape[k] {
                break;
            }
            index[k] = 0;
        }
    }
    out
}

/// Decodes standard base64 (RFC 4648 alphabet `A–Z a–z 0–9 + /`, `=` padding
/// required), as Python's `base64.standard_b64encode` writes it, with the `base64` crate;
/// only the error messages are ours (they name the offset, as the parser's do).
fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::{DecodeError, Engine as _, alphabet};
    // Python's decoder ignores the unused low bits of the last symbol; json_tricks' own
    // encoder never sets them, so allowing them only accepts what Python accepts
    const PYTHON: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    let invalid = |what: String| format!("invalid base64 in \"__ndarray__\": {what}");
    if !text.len().is_multiple_of(4) {
        return Err(invalid(format!(
            "length {} is not a multiple of 4 (truncated or unpadded?)",
            text.len()
        )));
    }
    PYTHON.decode(text).map_err(|e| match e {
        DecodeError::InvalidByte(offset, b'=') | DecodeError::InvalidLastSymbol(offset, b'=') => {
            invalid(format!("misplaced '=' padding at offset {offset}"))
        }
        DecodeError::InvalidByte(offset, byte) | DecodeError::InvalidLastSymbol(offset, byte) => {
            let shown = match text.get(offset..).and_then(|s| s.chars().next()) {
                Some(c) => format!("{c:?}"),
                None => format!("byte 0x{byte:02x}"),
            };
            invalid(format!("character {shown} at offset {offset}"))
        }
        other => invalid(other.to_string()),
    })
}

/// Encodes a float64 array as json_tricks does:
/// `{"__ndarray__": <nested lists, or a bare number for shape []>, "dtype": "float64", "shape": [...]}`,
/// plus `"Corder": true` when the array has 2 or more dimensions, keys in that order.
///
/// # Panics
/// If `data_row_major.len()` is not the product of `shape`.
pub(crate) fn ndarray_json(shape: &[usize], data_row_major: impl Into<Vec<f64>>) -> Json {
    let data_row_major: Vec<f64> = data_row_major.into();
    let count: usize = shape.iter().product();
    assert_eq!(
        data_row_major.len(),
        count,
        "ndarray_json: {} values for shape {shape:?}",
        data_row_major.len()
    );
    let nested = if shape.is_empty() {
        Json::Float(data_row_major[0])
    } else {
        floats(shape, data_row_major)
    };
    let mut pairs = vec![
        ("__ndarray__".to_owned(), nested),
        ("dtype".to_owned(), Json::from("float64")),
        (
            "shape".to_owned(),
            Json::Array(shape.iter().map(|&d| Json::Int(d as i64)).collect()),
        ),
    ];
    if shape.len() >= 2 {
        pairs.push(("Corder".to_owned(), Json::Bool(true)));
    }
    Json::Object(pairs)
}

/// Row-major `data` as nested lists of `shape` (a bare number for shape `[]`).
fn nest(shape: &[usize], data: &[f64]) -> Json {
    match shape.split_first() {
        None => Json::Float(data[0]),
        Some((&len, inner)) => {
            let stride: usize = inner.iter().product();
            Json::Array(
                (0..len)
                    .map(|i| nest(inner, &data[i * stride..(i + 1) * stride]))
                    .collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error message of parsing `text` (which must fail).
    fn parse_err(text: &str) -> String {
        match parse(text) {
            Ok(v) => panic!("{text:?} parsed as {v:?}, expected an error"),
            Err(e) => e,
        }
    }

    /// Parses `text` (which must be valid) and decodes it as an ndarray.
    fn nd(text: &str) -> Result<NdArray, String> {
        to_ndarray(&parse(text).expect("test input is valid JSON"))
    }

    /// The ndarray error for `text` (which must be valid JSON but a bad array).
    fn nd_err(text: &str) -> String {
        match nd(text) {
            Ok(a) => panic!("{text:?} decoded as {a:?}, expected an error"),
            Err(e) => e,
        }
    }

    /// splitmix64, for deterministic test data.
    fn splitmix64(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Standard base64 with padding (the inverse of `base64_decode`, tests only).
    fn b64_encode(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
            let group = (b(0) << 16) | (b(1) << 8) | b(2);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(group >> (18 - 6 * i)) as usize & 63] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    // --- The format doc's encodings (shared/formats/notebook-json.md), verbatim ---

    /// `np.array([1.5, -2.0])` per the format doc.
    const DOC_1D: &str = r#"{"__ndarray__": [1.5, -2.0], "dtype": "float64", "shape": [2]}"#;
    /// `np.array(4.0)` (0-d) per the format doc.
    const DOC_0D: &str = r#"{"__ndarray__": 4.0, "dtype": "float64", "shape": []}"#;
    /// `np.arange(6.).reshape(2, 3)` per the format doc.
    const DOC_2D: &str = r#"{"__ndarray__": [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], "dtype": "float64", "shape": [2, 3], "Corder": true}"#;
    /// `np.array([1, 2])` per the format doc.
    const DOC_INT: &str = r#"{"__ndarray__": [1, 2], "dtype": "int64", "shape": [2]}"#;
    /// A plain list per the format doc.
    const DOC_LIST: &str = "[1.5, -2.0]";
    /// A numpy scalar per the format doc.
    const DOC_SCALAR: &str = "1.5";
    /// The compact (`ndarray_compact=True`) form per the format doc.
    const DOC_COMPACT: &str = r#"{"__ndarray__": "b64:AAAAAAAA+D8AAAAAAAAAwA==", "dtype": "float64", "shape": [2], "endian": "little"}"#;

    #[test]
    fn doc_examples_round_trip_byte_for_byte() {
        for line in [
            DOC_1D,
            DOC_0D,
            DOC_2D,
            DOC_INT,
            DOC_LIST,
            DOC_SCALAR,
            DOC_COMPACT,
        ] {
            assert_eq!(to_string(&parse(line).unwrap()), line);
        }
    }

    #[test]
    fn doc_examples_decode() {
        let arr = |shape: &[usize], data: &[f64]| NdArray {
            shape: shape.to_vec(),
            data: data.to_vec(),
        };
        assert_eq!(nd(DOC_1D), Ok(arr(&[2], &[1.5, -2.0])));
        assert_eq!(nd(DOC_0D), Ok(arr(&[], &[4.0])));
        assert_eq!(
            nd(DOC_2D),
            Ok(arr(&[2, 3], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]))
        );
        assert_eq!(nd(DOC_INT), Ok(arr(&[2], &[1.0, 2.0])));
        assert_eq!(nd(DOC_LIST), Ok(arr(&[2], &[1.5, -2.0])));
        assert_eq!(nd(DOC_SCALAR), Ok(arr(&[], &[1.5])));
        assert_eq!(nd(DOC_COMPACT), Ok(arr(&[2], &[1.5, -2.0])));
    }

    #[test]
    fn ndarray_json_writes_the_doc_encodings() {
        assert_eq!(to_string(&ndarray_json(&[2], [1.5, -2.0])), DOC_1D);
        assert_eq!(to_string(&ndarray_json(&[], [4.0])), DOC_0D);
        let arange: Vec<f64> = (0..6).map(f64::from).collect();
        assert_eq!(to_string(&ndarray_json(&[2, 3], arange)), DOC_2D);
    }

    #[test]
    fn ndarray_json_handles_zero_sized_and_column_shapes() {
        assert_eq!(
            to_string(&ndarray_json(&[2, 0], [])),
            r#"{"__ndarray__": [[], []], "dtype": "float64", "shape": [2, 0], "Corder": true}"#
        );
        assert_eq!(
            to_string(&ndarray_json(&[0], [])),
            r#"{"__ndarray__": [], "dtype": "float64", "shape": [0]}"#
        );
        assert_eq!(
            to_string(&ndarray_json(&[2, 1], [0.5, -1.0])),
            r#"{"__ndarray__": [[0.5], [-1.0]], "dtype": "float64", "shape": [2, 1], "Corder": true}"#
        );
        // And they decode back to the same shape and data.
        for (shape, data) in [
            (vec![2, 0], vec![]),
            (vec![0, 3], vec![]),
            (vec![2, 1], vec![0.5, -1.0]),
            (vec![2, 2, 2], (0..8).map(f64::from).collect()),
        ] {
            let decoded = to_ndarray(&ndarray_json(&shape, data.as_slice())).unwrap();
            assert_eq!((decoded.shape, decoded.data), (shape, data));
        }
    }

    #[test]
    #[should_panic(expected = "3 values for shape [2, 2]")]
    fn ndarray_json_panics_on_length_mismatch() {
        ndarray_json(&[2, 2], [1.0, 2.0, 3.0]);
    }

    // --- Float repr ---

    #[test]
    fn float_repr_matches_python_for_the_brief_cases() {
        // Expected strings are Python 3 `repr(float)`.
        let cases: [(f64, &str); 15] = [
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (0.0003353501304664781, "0.0003353501304664781"),
            (4.5399929762484854e-05, "4.5399929762484854e-05"),
            (2980.9579870417283, "2980.9579870417283"),
            (1e22, "1e+22"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
        ];
        for (x, expected) in cases {
            assert_eq!(float_repr(x), expected, "repr of {x:e}");
            assert_eq!(to_string(&Json::Float(x)), expected);
        }
        assert_eq!(float_repr(0.0), "0.0");
        assert_eq!(float_repr(f64::NAN), "NaN");
        assert_eq!(float_repr(f64::INFINITY), "Infinity");
        assert_eq!(float_repr(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn float_repr_matches_python_reference_values() {
        // Generated with Python 3.11:
        //   struct.unpack('<d', struct.pack('<Q', bits))[0] -> repr(...)
        // for splitmix64 bit patterns, exact ties (Python rounds half to even,
        // Rust's `{:e}` rounds half up), subnormals and classics.
        let cases: [(u64, &str); 21] = [
            (0x5f642f87d5e23888, "3.303778546120037e+151"),
            (0x5a4d78533d034cb5, "9.974442341450515e+126"),
            (0x8a85ffdaea35a5a6, "-5.723283178330414e-258"),
            (0xad002edb4259d53a, "-6.206564233230391e-92"),
            (0x807b1f5869c624bc, "-2.4139775406228154e-306"),
            (0x1e2ac6b725fc033e, "2.3248868839223238e-163"),
            (0x3071c63893f2dcbd, "2.4560297239909136e-75"),
            (0x82642fea4a219753, "-3.8584217869967736e-297"),
            (0x0dca4f660c8165f2, "3.0825976145037273e-242"),
            (0x7dc96cfcca651d33, "8.314175714249465e+297"),
            (0x20302015e7ad3ab7, "1.2026823719308303e-153"),
            (0x2433d25f79ed09f7, "2.7271207063881374e-134"),
            (0xc30a624afd4ce2ba, "-928302951406679.2"),
            (0x4319ceb9ce882be5, "1816042961767161.2"),
            (0x42b1bf3e16fc2cd0, "19513078119468.812"),
            (0xc286fe02e70a3b40, "-3160028275015.4062"),
            (0x000fffffffffffff, "2.225073858507201e-308"),
            (0x0000000000000001, "5e-324"),
            (0x0010000000000000, "2.2250738585072014e-308"),
            (0x3fb999999999999a, "0.1"),
            (0x3fd3333333333334, "0.30000000000000004"),
        ];
        for (bits, expected) in cases {
            assert_eq!(
                float_repr(f64::from_bits(bits)),
                expected,
                "bits {bits:#018x}"
            );
        }
    }

    /// The float writer of earlier sessions, kept as the oracle for the allocation-free
    /// one: the tie decided on the exact decimal expansion (`{x:.800e}`, at most 767
    /// significant digits), checked against Python above.
    fn reference_repr(x: f64) -> String {
        fn split_sci(sci: &str) -> (String, i32) {
            let (mantissa, exponent) = sci.split_once('e').unwrap();
            (mantissa.replace('.', ""), exponent.parse().unwrap())
        }
        let (mut digits, exponent) = split_sci(&format!("{:e}", x.abs()));
        let last = digits.as_bytes()[digits.len() - 1];
        if last % 2 == 1 {
            let scale = exponent - (digits.len() as i32 - 1);
            let head = digits[..digits.len() - 1].to_owned();
            for neighbour in [last - 1, last + 1] {
                let candidate = format!("{head}{}", neighbour as char);
                if format!("{candidate}e{scale}").parse::<f64>() != Ok(x.abs()) {
                    continue;
                }
                let (exact, exact_exponent) = split_sci(&format!("{:.800e}", x.abs()));
                let lower = if neighbour < last {
                    &candidate
                } else {
                    &digits
                };
                if exact_exponent == exponent && exact.trim_end_matches('0') == format!("{lower}5")
                {
                    digits = candidate;
                    break;
                }
            }
        }
        // the layout: the writer's own (its cases are pinned above); only the digits differ
        let n = digits.len() as i32;
        let sign = if x.is_sign_negative() { "-" } else { "" };
        let decpt = exponent + 1;
        if decpt <= -4 || decpt > 16 {
            let frac = if n > 1 {
                format!(".{}", &digits[1..])
            } else {
                String::new()
            };
            let exp_sign = if exponent < 0 { '-' } else { '+' };
            format!(
                "{sign}{}{frac}e{exp_sign}{:02}",
                &digits[..1],
                exponent.unsigned_abs()
            )
        } else if decpt <= 0 {
            format!(
                "{sign}0.{}{digits}",
                "0".repeat(decpt.unsigned_abs() as usize)
            )
        } else if decpt < n {
            let p = decpt as usize;
            format!("{sign}{}.{}", &digits[..p], &digits[p..])
        } else {
            format!("{sign}{digits}{}.0", "0".repeat((decpt - n) as usize))
        }
    }

    #[test]
    fn float_repr_agrees_with_the_exact_expansion_oracle() {
        // splitmix64 bit patterns (every exponent), short decimals (most of them take the
        // tie path: odd last digit with a round-tripping neighbour), and quarter/eighth
        // values near 2^50..2^53, where exact ties live (1816042961767161.25)
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let mut checked = 0;
        let mut ties = 0;
        let mut check = |x: f64| {
            if x.is_finite() {
                let (ours, oracle) = (float_repr(x), reference_repr(x));
                assert_eq!(ours, oracle, "bits {:#018x}", x.to_bits());
                checked += 1;
                // a tie: the digits are not Rust's `{:e}` ones (the even neighbour was taken)
                let rust = format!("{:e}", x.abs());
                let rust_digits = rust.split('e').next().unwrap_or("").replace('.', "");
                ties += usize::from(shortest_digits(x.abs()).0.as_str() != rust_digits);
            }
        };
        for _ in 0..20_000 {
            check(f64::from_bits(next()));
        }
        for k in -8_000..8_000 {
            for scale in [1e-1, 1e-2, 1e-3, 1e-4, 1e3] {
                check(f64::from(k) * scale);
            }
        }
        for _ in 0..20_000 {
            let base = (next() >> 11) as f64; // below 2^53
            for frac in [0.25, 0.5, 0.75, 0.125, 0.375] {
                check((base / 8.0).floor() + frac);
            }
        }
        assert!(checked > 100_000, "{checked}");
        assert!(
            ties > 100,
            "{ties} ties among {checked}: the tie path is exercised"
        );
    }

    #[test]
    fn error_lines_quote_at_most_80_bytes_of_an_offending_value() {
        let long = "d".repeat(10_000);
        let e = nd_err(&format!(
            r#"{{"__ndarray__": [1], "dtype": "{long}", "shape": [1]}}"#
        ));
        assert!(e.starts_with("unsupported ndarray dtype \"ddd"), "{e}");
        assert!(e.contains("ddd…"), "{e}");
        assert!(e.len() < 250, "{} bytes: {e}", e.len());
        let e = nd_err(&format!(
            r#"{{"__ndarray__": [1], "dtype": "float64", "shape": ["{long}"]}}"#
        ));
        assert!(e.ends_with("…"), "{e}");
        assert!(e.len() < 200, "{} bytes", e.len());
        let e = nd_err(&format!(
            r#"{{"__ndarray__": "b64:AAAAAAAA8D8=", "dtype": "float64", "shape": [1], "endian": "{long}"}}"#
        ));
        assert!(e.starts_with("unsupported ndarray \"endian\" \"ddd"), "{e}");
        assert!(e.len() < 250, "{} bytes: {e}", e.len());
        // short values are quoted whole
        assert_eq!(quote(&Json::from("little-ish")), "\"little-ish\"");
    }

    /// Asserts that `x` is written and read back to the very same bits.
    fn assert_round_trips(x: f64) {
        let text = to_string(&Json::Float(x));
        match parse(&text) {
            Ok(Json::Float(y)) => assert_eq!(y.to_bits(), x.to_bits(), "{text}"),
            other => panic!("{text} parsed as {other:?}"),
        }
    }

    #[test]
    fn every_finite_float_round_trips() {
        let mut state = 0xF10A7_u64;
        let mut checked = 0;
        while checked < 4000 {
            let x = f64::from_bits(splitmix64(&mut state));
            if x.is_finite() {
                assert_round_trips(x);
                checked += 1;
            }
        }
        let mut edges = vec![
            0.0,
            -0.0,
            5e-324,
            -5e-324,
            f64::from_bits(0x000f_ffff_ffff_ffff), // largest subnormal
            f64::MIN_POSITIVE,
            f64::EPSILON,
            f64::MAX,
            f64::MIN,
            0.1 + 0.2,
            9007199254740993.0,
            1e16 - 2.0,
        ];
        for e in -323..=308 {
            edges.push(format!("1e{e}").parse().unwrap());
        }
        for k in 0..64 {
            edges.push(f64::from_bits(k)); // the smallest subnormals
            edges.push(f64::from_bits(0x0010_0000_0000_0000 - 1 - k));
        }
        for x in edges {
            assert_round_trips(x);
            assert_round_trips(-x);
        }
    }

    // --- Writer ---

    #[test]
    fn strings_are_escaped_like_python_ensure_ascii() {
        // Python 3.11: json.dumps(["caf\u00e9 \U0001F600 \"q\" \\ / \n\r\t\b\f \x01 \x7f \u2028"])
        let python = r#"["caf\u00e9 \ud83d\ude00 \"q\" \\ / \n\r\t\b\f \u0001 \u007f \u2028"]"#;
        let value = Json::Array(vec![Json::from(
            "café 😀 \"q\" \\ / \n\r\t\u{8}\u{c} \u{1} \u{7f} \u{2028}",
        )]);
        assert_eq!(to_string(&value), python);
        assert_eq!(parse(python), Ok(value));
    }

    #[test]
    fn containers_are_written_like_python() {
        // Python 3.11: json.dumps({"a": [1, 2.5, None, True, False, {}, []], "b": {"c": "d"}})
        let python = r#"{"a": [1, 2.5, null, true, false, {}, []], "b": {"c": "d"}}"#;
        let value = Json::Object(vec![
            (
                "a".to_owned(),
                Json::Array(vec![
                    Json::Int(1),
                    Json::Float(2.5),
                    Json::Null,
                    Json::Bool(true),
                    Json::Bool(false),
                    Json::Object(vec![]),
                    Json::Array(vec![]),
                ]),
            ),
            (
                "b".to_owned(),
                Json::Object(vec![("c".to_owned(), Json::from("d"))]),
            ),
        ]);
        assert_eq!(to_string(&value), python);
        assert_eq!(parse(python), Ok(value));
    }

    // --- Parser ---

    #[test]
    fn numbers_parse_to_int_or_float() {
        assert_eq!(parse("0"), Ok(Json::Int(0)));
        assert_eq!(parse("-0"), Ok(Json::Int(0)));
        assert_eq!(parse("-7"), Ok(Json::Int(-7)));
        assert_eq!(parse("9223372036854775807"), Ok(Json::Int(i64::MAX)));
        assert_eq!(parse("-9223372036854775808"), Ok(Json::Int(i64::MIN)));
        assert_eq!(parse("9223372036854775808"), Ok(Json::UInt(1 << 63)));
        assert_eq!(parse("18446744073709551615"), Ok(Json::UInt(u64::MAX)));
        assert_eq!(
            parse("18446744073709551616"),
            Ok(Json::Float(18446744073709551616.0))
        );
        assert_eq!(parse("1.0"), Ok(Json::Float(1.0)));
        assert_eq!(parse("1E5"), Ok(Json::Float(1e5)));
        assert_eq!(parse("-2.5e-3"), Ok(Json::Float(-2.5e-3)));
        assert_eq!(parse("1e+2"), Ok(Json::Float(100.0)));
        assert_eq!(parse("1e400"), Ok(Json::Float(f64::INFINITY)));
        assert_eq!(parse("Infinity"), Ok(Json::Float(f64::INFINITY)));
        assert_eq!(parse("-Infinity"), Ok(Json::Float(f64::NEG_INFINITY)));
        assert!(matches!(parse("NaN"), Ok(Json::Float(x)) if x.is_nan()));
        assert_eq!(
            to_string(&parse("[NaN, Infinity, -Infinity]").unwrap()),
            "[NaN, Infinity, -Infinity]"
        );
        // Correctly rounded: the halfway case between 1 and 1 + 2^-52 rounds to even.
        assert_eq!(
            parse("1.00000000000000011102230246251565404236316680908203125"),
            Ok(Json::Float(1.0))
        );
    }

    #[test]
    fn strings_parse_all_escapes() {
        assert_eq!(
            parse(r#""\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00""#),
            Ok(Json::from("\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{20ac}\u{1f600}"))
        );
        assert_eq!(parse("\"é😀 raw\""), Ok(Json::from("é😀 raw")));
    }

    #[test]
    fn whitespace_and_nesting() {
        let v = parse(" \t\r\n{ \"a\" : [ 1 , { \"b\" : [ ] } ] , \"c\":{}}\n ").unwrap();
        assert_eq!(to_string(&v), r#"{"a": [1, {"b": []}], "c": {}}"#);
    }

    #[test]
    fn duplicate_keys_keep_order_and_get_returns_the_last() {
        let v = parse(r#"{"k": 1, "j": 2, "k": 3}"#).unwrap();
        assert_eq!(v.get("k"), Some(&Json::Int(3)));
        assert_eq!(v.get("missing"), None);
        assert_eq!(to_string(&v), r#"{"k": 1, "j": 2, "k": 3}"#);
    }

    #[test]
    fn error_truncated_input() {
        assert_eq!(
            parse_err("[1, 2"),
            "unexpected end of input (truncated file?) at line 1, column 6"
        );
        let long = format!("[{}", "0, ".repeat(1666)); // 4999 characters
        assert_eq!(
            parse_err(&long),
            "unexpected end of input (truncated file?) at line 1, column 5000"
        );
        assert_eq!(
            parse_err("{\"a\": \"unterminated"),
            "unexpected end of input (truncated file?) at line 1, column 20"
        );
        assert_eq!(
            parse_err("[tru"),
            "unexpected end of input (truncated file?) at line 1, column 5"
        );
    }

    #[test]
    fn error_not_json() {
        assert_eq!(
            parse_err("hello"),
            "expected a JSON value, found 'h' at line 1, column 1"
        );
        assert_eq!(
            parse_err("{'a': 1}"),
            "expected '\"' starting an object key, found '\\'' at line 1, column 2"
        );
        assert_eq!(
            parse_err("[True]"),
            "expected a JSON value, found 'T' at line 1, column 2"
        );
        assert_eq!(
            parse_err("[nan]"),
            "invalid literal, expected `null` at line 1, column 2"
        );
        assert_eq!(
            parse_err("[1, 2,]"),
            "expected a JSON value, found ']' at line 1, column 7"
        );
        assert_eq!(
            parse_err("{\"a\" 1}"),
            "expected ':', found '1' at line 1, column 6"
        );
    }

    #[test]
    fn error_wrong_nesting_names_line_and_column() {
        assert_eq!(
            parse_err("[1, 2}"),
            "expected ',' or ']', found '}' at line 1, column 6"
        );
        assert_eq!(
            parse_err("{\"a\": 1]"),
            "expected ',' or '}', found ']' at line 1, column 8"
        );
        // Columns count characters, not bytes.
        assert_eq!(
            parse_err("{\n  \"é\": [1,\n    2 3]}"),
            "expected ',' or ']', found '3' at line 3, column 7"
        );
    }

    #[test]
    fn error_trailing_garbage_and_empty_input() {
        assert_eq!(
            parse_err("[1] x"),
            "unexpected trailing characters after the JSON value, found 'x' at line 1, column 5"
        );
        assert_eq!(
            parse_err("{}{}"),
            "unexpected trailing characters after the JSON value, found '{' at line 1, column 3"
        );
        assert_eq!(parse_err(""), "empty input: no JSON value found");
        assert_eq!(parse_err(" \n\t"), "empty input: no JSON value found");
    }

    #[test]
    fn error_bad_numbers_and_strings() {
        assert_eq!(
            parse_err("01"),
            "invalid number: leading zeros are not allowed at line 1, column 2"
        );
        assert_eq!(
            parse_err("[1.]"),
            "expected a digit after the decimal point, found ']' at line 1, column 4"
        );
        assert_eq!(
            parse_err("-x"),
            "expected a digit in the number, found 'x' at line 1, column 2"
        );
        assert_eq!(
            parse_err("[.5]"),
            "expected a JSON value, found '.' at line 1, column 2"
        );
        assert_eq!(
            parse_err("\"a\nb\""),
            "unescaped control character U+000A in a string at line 1, column 3"
        );
        assert_eq!(
            parse_err(r#""\x""#),
            "invalid escape in a string: '\\' followed by 'x' at line 1, column 3"
        );
        assert_eq!(
            parse_err(r#""\u12G4""#),
            "expected a hex digit in a \\u escape, found 'G' at line 1, column 6"
        );
        assert_eq!(
            parse_err(r#""\ud800x""#),
            "unpaired surrogate \\ud800 in a string at line 1, column 2"
        );
        assert_eq!(
            parse_err(r#""\udc00""#),
            "unpaired surrogate \\udc00 in a string at line 1, column 2"
        );
        assert_eq!(
            parse_err(r#""\ud800\u0041""#),
            "invalid surrogate pair \\ud800\\u0041 in a string at line 1, column 8"
        );
    }

    #[test]
    fn error_nesting_too_deep_instead_of_stack_overflow() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert_eq!(
            parse_err(&too_deep),
            "nesting deeper than 512 levels of lists/objects at line 1, column 513"
        );
        assert!(parse_err(&"[{\"a\": ".repeat(100_000)).starts_with("nesting deeper than 512"));
    }

    /// A document using every feature of the grammar, spread over lines.
    const EVERYTHING: &str = "{\"ints\": [0, -0, 17, -9223372036854775808, 123456789012345678901],\n \
        \"floats\": [1.5, -2.0e-3, 6.02E+23, 1e400, NaN, Infinity, -Infinity],\n \
        \"text\": \"esc \\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00 raw é😀\",\n \
        \"lits\": [true, false, null], \"nested\": {\"a\": [[], {}, [[1]]]}}";

    #[test]
    fn never_panics_and_every_prefix_is_reported_as_truncated() {
        assert!(parse(EVERYTHING).is_ok());
        for (end, _) in EVERYTHING.char_indices() {
            let e = parse(&EVERYTHING[..end]).expect_err("a proper prefix is incomplete");
            assert!(
                e.starts_with("unexpected end of input (truncated file?)")
                    || (end == 0 && e.starts_with("empty input")),
                "prefix of length {end}: {e}"
            );
        }
    }

    #[test]
    fn never_panics_on_random_input() {
        let mut state = 0xBAD_5EED_u64;
        let alphabet: Vec<char> = "[]{}\",:-+.0123456789eEtrufalsnNIiy\\u/ \n\tébd8D\u{0}"
            .chars()
            .collect();
        for round in 0..6000 {
            let len = (splitmix64(&mut state) % 48) as usize;
            let text: String = if round % 3 == 0 {
                // Raw random bytes, made into a str.
                let bytes: Vec<u8> = (0..len).map(|_| splitmix64(&mut state) as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            } else if round % 3 == 1 {
                (0..len)
                    .map(|_| alphabet[(splitmix64(&mut state) % alphabet.len() as u64) as usize])
                    .collect()
            } else {
                // One character of a valid document replaced.
                let mut chars: Vec<char> = EVERYTHING.chars().collect();
                let at = (splitmix64(&mut state) % chars.len() as u64) as usize;
                chars[at] = alphabet[(splitmix64(&mut state) % alphabet.len() as u64) as usize];
                chars.into_iter().collect()
            };
            if let Ok(v) = parse(&text) {
                let _ = to_ndarray(&v);
                assert!(parse(&to_string(&v)).is_ok(), "rewrite of {text:?}");
            }
        }
    }

    // --- ndarray decoding ---

    #[test]
    fn plain_numbers_and_lists_decode() {
        assert_eq!(
            nd("[[1, 2.5], [-3, 4]]"),
            Ok(NdArray {
                shape: vec![2, 2],
                data: vec![1.0, 2.5, -3.0, 4.0]
            })
        );
        assert_eq!(
            nd("[]"),
            Ok(NdArray {
                shape: vec![0],
                data: vec![]
            })
        );
        assert_eq!(
            nd("[[], []]"),
            Ok(NdArray {
                shape: vec![2, 0],
                data: vec![]
            })
        );
        assert_eq!(
            nd("-3"),
            Ok(NdArray {
                shape: vec![],
                data: vec![-3.0]
            })
        );
    }

    #[test]
    fn error_ragged_lists() {
        assert_eq!(
            nd_err("[[1, 2, 3], [4, 5]]"),
            "ragged nested list: element [1] has 2 items, expected 3"
        );
        assert_eq!(
            nd_err("[[1, 2], 3]"),
            "ragged nested list: element [1] is a number, expected a list of 2 items"
        );
        assert_eq!(
            nd_err(r#"[[1, 2], "ab"]"#),
            "element [1] is a string, expected a list of 2 items"
        );
        assert_eq!(
            nd_err("[[1, 2], [3, [4]]]"),
            "ragged nested list: element [1][1] is a list, expected a number"
        );
    }

    #[test]
    fn error_non_number_element_names_its_index() {
        assert_eq!(
            nd_err(r#"[[1, 2, 3], [4, 5, "6"]]"#),
            "element [1][2] is a string, expected a number"
        );
        assert_eq!(
            nd_err("[1, null]"),
            "element [1] is null, expected a number"
        );
        assert_eq!(
            nd_err(
                r#"{"__ndarray__": [[1.0], [true]], "dtype": "float64", "shape": [2, 1], "Corder": true}"#
            ),
            "element [1][0] is a boolean, expected a number"
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": "x", "dtype": "float64", "shape": []}"#),
            "\"__ndarray__\" string must start with \"b64:\", found \"x\""
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": {}, "dtype": "float64", "shape": []}"#),
            "\"__ndarray__\" is an object, expected a number, a nested list or a \"b64:\" string"
        );
        assert_eq!(
            nd_err(r#""1.5""#),
            "expected a number, a list of numbers or a json_tricks ndarray, found a string"
        );
        assert_eq!(
            nd_err(r#"{"x": [1]}"#),
            "object is not a json_tricks ndarray (it has no \"__ndarray__\" key)"
        );
    }

    #[test]
    fn error_shape_mismatch() {
        assert_eq!(
            nd_err(
                r#"{"__ndarray__": [[1, 2, 3], [4, 5, 6]], "dtype": "float64", "shape": [3, 2], "Corder": true}"#
            ),
            "__ndarray__ data has shape [2, 3] but \"shape\" says [3, 2]"
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": 1.0, "dtype": "float64", "shape": [1]}"#),
            "__ndarray__ data has shape [] but \"shape\" says [1]"
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": [1.0], "dtype": "float64", "shape": []}"#),
            "__ndarray__ data has shape [1] but \"shape\" says []"
        );
        // json_tricks reshapes empty data to a declared shape containing 0.
        assert_eq!(
            nd(r#"{"__ndarray__": [], "dtype": "float64", "shape": [0, 3], "Corder": true}"#),
            Ok(NdArray {
                shape: vec![0, 3],
                data: vec![]
            })
        );
    }

    #[test]
    fn error_bad_metadata() {
        assert_eq!(
            nd_err(r#"{"__ndarray__": [1], "dtype": "complex128", "shape": [1]}"#),
            "unsupported ndarray dtype \"complex128\" (supported: float64, float32, int64, int32, \
             int16, int8, uint64, uint32, uint16, uint8, bool)"
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": [1], "shape": [1]}"#),
            "ndarray object has no \"dtype\""
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": [1], "dtype": "float64"}"#),
            "ndarray object has no \"shape\""
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": [1], "dtype": "float64", "shape": [-1]}"#),
            "ndarray \"shape\" must hold non-negative integers, found [-1]"
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": [1], "dtype": "float64", "shape": 1}"#),
            "ndarray \"shape\" is a number, expected a list of integers"
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": [[1]], "dtype": "float64", "shape": [1, 1], "Corder": 1}"#),
            "ndarray \"Corder\" is a number, expected true or false"
        );
    }

    #[test]
    fn dtypes_convert_like_numpy() {
        // Integer dtypes take integral values in range.
        assert_eq!(
            nd(r#"{"__ndarray__": [-128, 127], "dtype": "int8", "shape": [2]}"#).map(|a| a.data),
            Ok(vec![-128.0, 127.0])
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": [0, 256], "dtype": "uint8", "shape": [2]}"#),
            "element [1] is 256, which is not a valid uint8 value"
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": [1.5], "dtype": "int64", "shape": [1]}"#),
            "element [0] is 1.5, which is not a valid int64 value"
        );
        // uint64 values past i64::MAX parse exactly, up to 2^64 - 1 as json_tricks accepts
        assert_eq!(
            nd(r#"{"__ndarray__": [18446744073709551615, 0], "dtype": "uint64", "shape": [2]}"#)
                .map(|a| a.data),
            Ok(vec![18446744073709551615u64 as f64, 0.0])
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": [18446744073709551615], "dtype": "int64", "shape": [1]}"#),
            "element [0] is 18446744073709551615, which is not a valid int64 value"
        );
        assert_eq!(
            nd(r#"{"__ndarray__": [9223372036854777856], "dtype": "uint64", "shape": [1]}"#)
                .map(|a| a.data),
            Ok(vec![9223372036854777856.0])
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": [18446744073709551616], "dtype": "uint64", "shape": [1]}"#),
            "element [0] is 1.8446744073709552e+19, which is not a valid uint64 value"
        );
        // Bool is 0/1.
        assert_eq!(
            nd(r#"{"__ndarray__": [true, false], "dtype": "bool", "shape": [2]}"#).map(|a| a.data),
            Ok(vec![1.0, 0.0])
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": [2], "dtype": "bool", "shape": [1]}"#),
            "element [0] is a number, expected true or false (dtype bool)"
        );
        // float32 values are rounded to f32, as numpy.asarray(..., dtype=float32) does.
        assert_eq!(
            nd(r#"{"__ndarray__": 0.1, "dtype": "float32", "shape": []}"#).map(|a| a.data),
            Ok(vec![0.10000000149011612])
        );
        // Nested data is row-major whatever "Corder" says (the format doc).
        assert_eq!(
            nd(r#"{"__ndarray__": [[1, 2], [3, 4]], "dtype": "float64", "shape": [2, 2], "Corder": false}"#)
                .map(|a| a.data),
            Ok(vec![1.0, 2.0, 3.0, 4.0])
        );
    }

    // --- Compact (b64) ndarrays ---

    #[test]
    fn b64_constructed_by_hand_matches_the_doc() {
        let mut raw = Vec::new();
        raw.extend_from_slice(&1.5f64.to_le_bytes());
        raw.extend_from_slice(&(-2.0f64).to_le_bytes());
        let encoded = format!("b64:{}", b64_encode(&raw));
        assert_eq!(encoded, "b64:AAAAAAAA+D8AAAAAAAAAwA==");
        // Without "endian" the buffer is read as little-endian.
        let text = format!(r#"{{"__ndarray__": "{encoded}", "dtype": "float64", "shape": [2]}}"#);
        assert_eq!(nd(&text).map(|a| a.data), Ok(vec![1.5, -2.0]));
    }

    #[test]
    fn b64_fortran_order_is_reordered_to_row_major() {
        // Python: base64.b64encode(struct.pack('<6d', 1, 4, 2, 5, 3, 6)), the
        // column-major buffer of [[1, 2, 3], [4, 5, 6]].
        let text = r#"{"__ndarray__": "b64:AAAAAAAA8D8AAAAAAAAQQAAAAAAAAABAAAAAAAAAFEAAAAAAAAAIQAAAAAAAABhA", "dtype": "float64", "shape": [2, 3], "Corder": false}"#;
        assert_eq!(
            nd(text),
            Ok(NdArray {
                shape: vec![2, 3],
                data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
            })
        );
        // The same buffer in C order is read as is.
        let c_order = text.replace("\"Corder\": false", "\"Corder\": true");
        assert_eq!(
            nd(&c_order).map(|a| a.data),
            Ok(vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0])
        );
        // A 3-d Fortran buffer: element (i, j, k) sits at i + 2j + 4k.
        let fortran: Vec<f64> = (0..8)
            .map(|off| f64::from(100 * (off % 2) + 10 * (off / 2 % 2) + off / 4))
            .collect();
        let raw: Vec<u8> = fortran.iter().flat_map(|x| x.to_le_bytes()).collect();
        let text = format!(
            r#"{{"__ndarray__": "b64:{}", "dtype": "float64", "shape": [2, 2, 2], "Corder": false}}"#,
            b64_encode(&raw)
        );
        assert_eq!(
            nd(&text).map(|a| a.data),
            Ok(vec![0.0, 1.0, 10.0, 11.0, 100.0, 101.0, 110.0, 111.0])
        );
    }

    #[test]
    fn b64_other_dtypes_and_big_endian() {
        // Expected buffers from Python's base64.b64encode(struct.pack(...)).
        let cases: [(&str, &str, &str, Vec<f64>); 7] = [
            // struct.pack('>2d', 1.5, -2.0)
            (
                "P/gAAAAAAADAAAAAAAAAAA==",
                "float64",
                "big",
                vec![1.5, -2.0],
            ),
            // struct.pack('<4i', 1, -2, 3, -4)
            (
                "AQAAAP7///8DAAAA/P///w==",
                "int32",
                "little",
                vec![1.0, -2.0, 3.0, -4.0],
            ),
            // struct.pack('<3f', 0.1, -2.5, 3.0)
            (
                "zczMPQAAIMAAAEBA",
                "float32",
                "little",
                vec![0.10000000149011612, -2.5, 3.0],
            ),
            // bytes([0, 1, 255])
            ("AAH/", "uint8", "little", vec![0.0, 1.0, 255.0]),
            // bytes([1, 0, 1])
            ("AQAB", "bool", "little", vec![1.0, 0.0, 1.0]),
            // struct.pack('>2h', -300, 7)
            ("/tQABw==", "int16", "big", vec![-300.0, 7.0]),
            // struct.pack('<Q', 2**63 + 2048)
            (
                "AAgAAAAAAIA=",
                "uint64",
                "little",
                vec![9223372036854777856.0],
            ),
        ];
        for (b64, dtype, endian, expected) in cases {
            let text = format!(
                r#"{{"__ndarray__": "b64:{b64}", "dtype": "{dtype}", "shape": [{}], "endian": "{endian}"}}"#,
                expected.len()
            );
            assert_eq!(nd(&text).map(|a| a.data), Ok(expected), "{dtype} {endian}");
        }
    }

    #[test]
    fn error_b64_gz_is_refused() {
        assert_eq!(
            nd_err(
                r#"{"__ndarray__": "b64.gz:H4sIAAAAAAAC/w==", "dtype": "float64", "shape": [2]}"#
            ),
            "compressed ndarray (b64.gz) is not supported; dump with ndarray_compact=False or without compression"
        );
    }

    #[test]
    fn error_bad_base64() {
        assert_eq!(
            nd_err(r#"{"__ndarray__": "b64:AAAA!AAA", "dtype": "float64", "shape": [1]}"#),
            "invalid base64 in \"__ndarray__\": character '!' at offset 4"
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": "b64:AAAAAAAA+D8", "dtype": "float64", "shape": [1]}"#),
            "invalid base64 in \"__ndarray__\": length 11 is not a multiple of 4 (truncated or unpadded?)"
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": "b64:AA==AAAA", "dtype": "float64", "shape": [1]}"#),
            "invalid base64 in \"__ndarray__\": misplaced '=' padding at offset 2"
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": "b64:AAA=AAAA+D8=", "dtype": "float64", "shape": [1]}"#),
            "invalid base64 in \"__ndarray__\": misplaced '=' padding at offset 3"
        );
        assert_eq!(
            nd_err(r#"{"__ndarray__": "b64:A=A=", "dtype": "uint8", "shape": [1]}"#),
            "invalid base64 in \"__ndarray__\": misplaced '=' padding at offset 1"
        );
        assert_eq!(
            nd_err(
                r#"{"__ndarray__": "b64:AAAA", "dtype": "float64", "shape": [1], "endian": "middle"}"#
            ),
            "unsupported ndarray \"endian\" \"middle\" (expected \"little\" or \"big\")"
        );
    }

    #[test]
    fn error_b64_wrong_byte_length() {
        assert_eq!(
            nd_err(
                r#"{"__ndarray__": "b64:AAAAAAAA+D8AAAAAAAAAwA==", "dtype": "float64", "shape": [3]}"#
            ),
            "b64 data holds 16 bytes but shape [3] of float64 needs 24 (3 elements x 8 bytes)"
        );
        assert_eq!(
            nd_err(
                r#"{"__ndarray__": "b64:AAAA", "dtype": "float64", "shape": [4294967296, 4294967296]}"#
            ),
            "ndarray \"shape\" [4294967296, 4294967296] is too large"
        );
    }

    #[test]
    fn base64_decodes_what_python_encodes() {
        let mut state = 0xB64_u64;
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|_| splitmix64(&mut state) as u8).collect();
            assert_eq!(base64_decode(&b64_encode(&bytes)), Ok(bytes));
        }
    }

    // --- Single numbers ---
}
