//! A small, safe XML tree for the importers (Moodle XML and QTI): refuses documents whose DOCTYPE declares
//! entities (billion laughs, XXE), never resolves anything external, bounds nesting depth and size, and keeps
//! for every element its byte offset and an XPath-like location (`/quiz/question[3]/answer[2]`) so problems
//! can be located.

use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;

/// Deepest element nesting accepted (real files stay well under 40).
pub const MAX_DEPTH: usize = 128;
/// Largest document accepted, in bytes (Moodle files embed images as base64).
pub const MAX_BYTES: usize = 48 * 1024 * 1024;

/// A node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// An element with its local name (QTI 3 names normalised, see [`parse`]), attributes and children.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    /// Byte offset of the element's `<` in the document.
    pub offset: usize,
    /// Where it is: `/quiz/question[3]/answer[2]`.
    pub path: String,
}

/// Why a document could not be read, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlError {
    pub offset: usize,
    pub message: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.name == name)
    }

    /// Every descendant element named `name`, in document order.
    pub fn descendants<'a>(&'a self, name: &str, out: &mut Vec<&'a Element>) {
        for e in self.elements() {
            if e.name == name {
                out.push(e);
            }
            e.descendants(name, out);
        }
    }

    /// All the text inside, concatenated.
    pub fn text(&self) -> String {
        let mut s = String::new();
        collect_text(self, &mut s);
        s
    }

    /// The content serialised back as XML/HTML (text escaped), for keeping rich text as HTML.
    pub fn inner_html(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            write_node(n, &mut s);
        }
        s
    }
}

fn collect_text(e: &Element, s: &mut String) {
    for n in &e.children {
        match n {
            Node::Text(t) => s.push_str(t),
            Node::Element(c) => collect_text(c, s),
        }
    }
}

/// Serialises a node as XML.
pub fn write_node(n: &Node, s: &mut String) {
    match n {
        Node::Text(t) => s.push_str(&escape(t)),
        Node::Element(e) => {
            s.push('<');
            s.push_str(&e.name);
            for (k, v) in &e.attrs {
                s.push(' ');
                s.push_str(k);
                s.push_str("=\"");
                s.push_str(&escape_attr(v));
                s.push('"');
            }
            if e.children.is_empty() {
                s.push_str("/>");
            } else {
                s.push('>');
                for c in &e.children {
                    write_node(c, s);
                }
                s.push_str("</");
                s.push_str(&e.name);
                s.push('>');
            }
        }
    }
}

/// Escapes text content.
pub fn escape(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Escapes an attribute value (quotes and line breaks too, so they survive a round trip).
pub fn escape_attr(t: &str) -> String {
    escape(t)
        .replace('"', "&quot;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut cut = offset;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let before = &text[..cut];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// Locates many byte offsets of one text, as [`line_col`] does, without rescanning the text from its start for
/// each: a line index found by binary search, and the last column remembered for offsets that move forward along
/// a line (a Moodle XML file of 20,000 questions on one line would otherwise cost 20,000 scans of 16 MiB).
pub struct Locator<'a> {
    text: &'a str,
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
    /// The last offset located and its column.
    last: std::cell::Cell<(usize, usize)>,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Locator<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Locator {
            text,
            starts,
            last: std::cell::Cell::new((0, 1)),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut cut = offset.min(self.text.len());
        while !self.text.is_char_boundary(cut) {
            cut -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= cut);
        let start = self.starts[line - 1];
        let (from, column) = match self.last.get() {
            (at, column) if at >= start && at <= cut => (at, column),
            _ => (start, 1),
        };
        let column = column + self.text[from..cut].chars().count();
        self.last.set((cut, column));
        (line, column)
    }
}

/// QTI 3 spells names in kebab case with a `qti-` prefix (`qti-choice-interaction`, `max-choices`); QTI 2.1
/// in camel case (`choiceInteraction`, `maxChoices`). With `normalise`, QTI 3 names are turned into their 2.1
/// spelling so that one reader serves both. `data-*` attributes are kept as written.
fn normalise_name(name: &str, normalise: bool) -> String {
    if !normalise || name.starts_with("data-") {
        return name.to_owned();
    }
    let (name, prefixed) = match name.strip_prefix("qti-") {
        Some(rest) => (rest, true),
        None => (name, false),
    };
    if !prefixed && !name.contains('-') {
        return name.to_owned();
    }
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

struct Frame {
    element: Element,
    counts: HashMap<String, usize>,
}

/// Parses a whole document into its root element. A leading BOM is skipped; CRLF line ends are read as LF.
///
/// # Errors
/// A located error for malformed XML, a DOCTYPE that declares entities, an undefined entity, a document
/// nested deeper than [`MAX_DEPTH`] or larger than [`MAX_BYTES`].
pub fn parse(text: &str, normalise: bool) -> Result<Element, XmlError> {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    if text.len() > MAX_BYTES {
        return Err(XmlError {
            offset: 0,
            message: format!(
                "the document is {} bytes, more than the {MAX_BYTES} allowed: refused",
                text.len()
            ),
        });
    }
    let mut reader = Reader::from_str(&text[bom..]);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.expand_empty_elements = false;
    let mut stack: Vec<Frame> = vec![Frame {
        element: Element {
            name: String::new(),
            attrs: Vec::new(),
            children: Vec::new(),
            offset: 0,
            path: String::new(),
        },
        counts: HashMap::new(),
    }];
    let err = |offset: usize, path: &str, message: String| {
        let at = if path.is_empty() {
            String::new()
        } else {
            format!(" (at {path})")
        };
        XmlError {
            offset,
            message: format!("{message}{at}"),
        }
    };
    loop {
        let start = usize::try_from(reader.buffer_position()).unwrap_or(0) + bom;
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let offset = usize::try_from(reader.error_position()).unwrap_or(0) + bom;
                let path = stack
                    .last()
                    .map(|f| f.element.path.clone())
                    .unwrap_or_default();
                return Err(err(offset, &path, format!("malformed XML: {e}")));
            }
        };
        match event {
            Event::DocType(d) => {
                let body = String::from_utf8_lossy(d.as_ref()).to_ascii_uppercase();
                if body.contains("<!ENTITY") {
                    return Err(err(
                        start,
                        "",
                        "the DOCTYPE declares entities (`<!ENTITY`): refused, because entity expansion \
                         (billion laughs) and external entities (XXE) are not allowed"
                            .to_owned(),
                    ));
                }
            }
            Event::Start(s) => {
                let element = open(&s, start, normalise, &mut stack)
                    .map_err(|m| err(start, &path_of(&stack), m))?;
                if stack.len() > MAX_DEPTH {
                    return Err(err(
                        start,
                        &element.path,
                        format!("elements are nested deeper than {MAX_DEPTH} levels: refused"),
                    ));
                }
                stack.push(Frame {
                    element,
                    counts: HashMap::new(),
                });
            }
            Event::Empty(s) => {
                let element = open(&s, start, normalise, &mut stack)
                    .map_err(|m| err(start, &path_of(&stack), m))?;
                push_child(&mut stack, Node::Element(element));
            }
            Event::End(_) => {
                let Some(frame) = stack.pop() else {
                    return Err(err(start, "", "unexpected end tag".to_owned()));
                };
                if stack.is_empty() {
                    return Err(err(start, "", "unexpected end tag".to_owned()));
                }
                push_child(&mut stack, Node::Element(frame.element));
            }
            Event::Text(t) => {
                let s = t
                    .xml_content()
                    .map_err(|e| err(start, &path_of(&stack), format!("bad text: {e}")))?;
                push_text(&mut stack, &s);
            }
            Event::CData(c) => {
                let s = String::from_utf8_lossy(c.as_ref()).replace("\r\n", "\n");
                push_text(&mut stack, &s);
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten()
                } else {
                    match &*r {
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"amp" => Some('&'),
                        b"apos" => Some('\''),
                        b"quot" => Some('"'),
                        _ => None,
                    }
                };
                match resolved {
                    Some(c) => push_text(&mut stack, c.encode_utf8(&mut [0; 4])),
                    None => {
                        return Err(err(
                            start,
                            &path_of(&stack),
                            format!(
                                "undefined entity `&{};`",
                                String::from_utf8_lossy(r.as_ref())
                            ),
                        ))
                    }
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if stack.len() > 1 {
        let path = stack
            .last()
            .map(|f| f.element.path.clone())
            .unwrap_or_default();
        return Err(err(
            text.len(),
            &path,
            "the document ends before this element is closed".to_owned(),
        ));
    }
    let root = stack.pop().map(|f| f.element);
    root.and_then(|r| {
        r.children.into_iter().find_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    })
    .ok_or_else(|| XmlError {
        offset: 0,
        message: "the document has no root element".to_owned(),
    })
}

fn open(
    s: &quick_xml::events::BytesStart<'_>,
    offset: usize,
    normalise: bool,
    stack: &mut [Frame],
) -> Result<Element, String> {
    let raw = String::from_utf8_lossy(s.local_name().as_ref()).into_owned();
    let name = normalise_name(&raw, normalise);
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| format!("malformed attribute: {e}"))?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        let value = a
            .unescape_value()
            .map_err(|e| format!("bad attribute `{key}`: {e}"))?
            .into_owned();
        attrs.push((normalise_name(&key, normalise), value));
    }
    let depth = stack.len();
    let parent = stack.last_mut().ok_or("no parent")?;
    let n = parent.counts.entry(raw.clone()).or_insert(0);
    *n += 1;
    let path = if parent.element.path.is_empty() && depth == 1 {
        format!("/{raw}")
    } else {
        format!("{}/{raw}[{n}]", parent.element.path)
    };
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        offset,
        path,
    })
}

fn path_of(stack: &[Frame]) -> String {
    stack
        .last()
        .map(|f| f.element.path.clone())
        .unwrap_or_default()
}

fn push_child(stack: &mut [Frame], node: Node) {
    if let Some(f) = stack.last_mut() {
        f.element.children.push(node);
    }
}

fn push_text(stack: &mut [Frame], s: &str) {
    if let Some(f) = stack.last_mut() {
        if let Some(Node::Text(t)) = f.element.children.last_mut() {
            t.push_str(s);
        } else {
            f.element.children.push(Node::Text(s.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locator_agrees_with_line_col_forwards_and_backwards() {
        let text = "<a>\n  <b>é</b><c/>\n\n<d>ü</d></a>";
        let locator = Locator::new(text);
        let mut offsets: Vec<usize> = (0..=text.len() + 2).collect();
        offsets.extend((0..=text.len()).rev());
        for offset in offsets {
            assert_eq!(locator.line_col(offset), line_col(text, offset), "{offset}");
        }
    }

    #[test]
    fn paths_count_siblings_of_the_same_name() {
        let root = parse(
            "<quiz><question/><question><answer/><answer/></question></quiz>",
            false,
        )
        .expect("valid");
        let q2 = root.elements().nth(1).expect("q2");
        assert_eq!(q2.path, "/quiz/question[2]");
        assert_eq!(
            q2.elements().nth(1).expect("a2").path,
            "/quiz/question[2]/answer[2]"
        );
    }

    #[test]
    fn entities_in_a_doctype_are_refused() {
        let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\n<lolz>&lol2;</lolz>";
        let e = parse(bomb, false).expect_err("refused");
        assert!(e.message.contains("billion laughs"), "{}", e.message);
        assert_eq!(line_col(bomb, e.offset).0, 2);
        assert_eq!(
            Locator::new(bomb).line_col(e.offset),
            line_col(bomb, e.offset)
        );
    }

    #[test]
    fn an_undefined_entity_is_an_error_not_a_lookup() {
        let e = parse("<a>&xxe;</a>", false).expect_err("refused");
        assert!(
            e.message.contains("undefined entity `&xxe;`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let doc = "<a>".repeat(MAX_DEPTH + 5) + &"</a>".repeat(MAX_DEPTH + 5);
        let e = parse(&doc, false).expect_err("refused");
        assert!(e.message.contains("nested deeper"), "{}", e.message);
    }

    #[test]
    fn bom_crlf_and_references_are_handled() {
        let root = parse(
            "\u{feff}<a x=\"1 &amp; 2\">l1\r\nl2 &#233; <![CDATA[<b>]]></a>",
            false,
        )
        .expect("valid");
        assert_eq!(root.attr("x"), Some("1 & 2"));
        assert_eq!(root.text(), "l1\nl2 é <b>");
    }

    #[test]
    fn qti3_names_read_as_qti21_names() {
        let root = parse(
            "<qti-assessment-item><qti-choice-interaction max-choices=\"1\" data-x-y=\"z\"/></qti-assessment-item>",
            true,
        )
        .expect("valid");
        assert_eq!(root.name, "assessmentItem");
        let c = root.child("choiceInteraction").expect("child");
        assert_eq!(c.attr("maxChoices"), Some("1"));
        assert_eq!(c.attr("data-x-y"), Some("z"));
    }

    #[test]
    fn broken_xml_is_located() {
        let doc = "<quiz>\n<question>\n<answer></question></quiz>";
        let e = parse(doc, false).expect_err("broken");
        assert_eq!(line_col(doc, e.offset).0, 3);
        assert!(
            e.message.contains("/quiz/question[1]/answer[1]"),
            "{}",
            e.message
        );
    }
}
