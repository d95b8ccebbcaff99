//! Response templates, modelled on real PAN-OS / Panorama responses: the envelopes here, one
//! submodule per family of commands. The simulator renders its own XML; it never uses the
//! client's types.
//!
//! Quoting follows the real devices: `keygen` and the 400/403 errors use the spaced,
//! single-quoted form (`<response status = 'success'>`), code 18 uses single quotes, everything
//! else double quotes.

pub mod devices;
pub mod ha;
pub mod jobs;
pub mod software;
pub mod system;
pub mod tables;

/// XML-escapes text for an element or attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `<response status="success"><result>…</result></response>` around already-rendered XML,
/// pretty-printed with four spaces like the real devices' multi-line output.
pub fn success(inner: &str) -> String {
    format!("<response status=\"success\">\n    <result>\n{inner}    </result>\n</response>\n")
}

/// `<response status="success"><result>TEXT</result></response>`, text escaped.
pub fn text_result(text: &str) -> String {
    format!(
        "<response status=\"success\"><result>{}</result></response>",
        escape(text)
    )
}

/// A plain-text result as the real HA suspend/functional answers print it (on its own line).
pub fn text_result_pretty(text: &str) -> String {
    format!(
        "<response status=\"success\">\n  <result>{}</result>\n</response>\n",
        escape(text)
    )
}

/// The code-19 "job enqueued" answer.
pub fn enqueued(line: &str, job: u32) -> String {
    format!(
        "<response status=\"success\" code=\"19\">\n  <result>\n    <msg>\n      <line>{}</line>\n    </msg>\n    <job>{job}</job>\n  </result>\n</response>\n",
        escape(line)
    )
}

/// An error with a message line and no code: `<response status="error"><msg><line>…`.
pub fn error_line(msg: &str) -> String {
    format!(
        "<response status=\"error\"><msg><line>{}</line></msg></response>",
        escape(msg)
    )
}

/// An error with a code and a message line.
pub fn error_code_line(code: u16, msg: &str) -> String {
    format!(
        "<response status=\"error\" code=\"{code}\"><msg><line>{}</line></msg></response>",
        escape(msg)
    )
}

/// Code 17 for an unknown command word, with the CDATA line real devices print.
pub fn unexpected(path: &str) -> String {
    format!(
        "<response status=\"error\" code=\"17\"><msg><line><![CDATA[ {} is unexpected]]></line></msg></response>",
        path.replace("]]>", "")
    )
}

/// Code 17 for a missing argument.
pub fn missing(path: &str) -> String {
    format!(
        "<response status=\"error\" code=\"17\"><msg><line><![CDATA[ {} is missing]]></line></msg></response>",
        path.replace("]]>", "")
    )
}

/// Code 18, single-quoted, as real devices send it.
pub fn malformed_request() -> String {
    "<response status='error' code='18'><msg><line>Malformed Request</line></msg></response>"
        .to_string()
}

/// The keygen answer, spaced and single-quoted.
pub fn keygen(key: &str) -> String {
    format!(
        "<response status = 'success'><result><key>{}</key></result></response>",
        escape(key)
    )
}

/// The HTTP 403 body (`Invalid Credential`), spaced and single-quoted.
pub fn forbidden() -> String {
    "<response status = 'error' code = '403'><result><msg>Invalid Credential</msg></result></response>"
        .to_string()
}

/// The HTTP 400 body, spaced and single-quoted, with the message under `result/msg`.
pub fn bad_request(msg: &str) -> String {
    format!(
        "<response status = 'error' code = '400'><result><msg>{}</msg></result></response>",
        escape(msg)
    )
}

/// A `<tag>text</tag>` line at `indent` spaces, text escaped.
pub(crate) fn field(out: &mut String, indent: usize, tag: &str, text: &str) {
    use std::fmt::Write as _;
    let _ = writeln!(out, "{:indent$}<{tag}>{}</{tag}>", "", escape(text));
}

/// A deterministic pseudo-random number for table rows (splitmix64).
pub(crate) fn mix(seed: u64, i: u64) -> u64 {
    let mut z = seed
        .wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_well_formed_and_quoted_like_the_devices() {
        for xml in [
            keygen("K=="),
            forbidden(),
            bad_request("Parameter \"cmd\" is required"),
            malformed_request(),
            unexpected("show -> bogus"),
            error_line("job 4 not found"),
            enqueued("Download job enqueued with jobid 3", 3),
            text_result("yes"),
        ] {
            roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
        }
        assert!(keygen("K").starts_with("<response status = 'success'>"));
        assert!(forbidden().starts_with("<response status = 'error' code = '403'>"));
        assert_eq!(escape("a<b&'\""), "a&lt;b&amp;&apos;&quot;");
    }
}
