//! NumPy `.npy` (format 1.0/2.0/3.0) and `.npz` (a zip of `.npy` members, stored or deflated).
//!
//! Header: magic `\x93NUMPY`, major, minor, header length (u16 for 1.x, u32 for 2.x/3.x), then a
//! Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`. Accepted
//! `descr`: byte order `<`, `>`, `|`, `=` + kind `f`, `i`, `u`, `b` + size. Object arrays (`O`)
//! are refused: their payload is a pickle.

use super::dtype::DType;
use super::source::{Parsed, Payload, RawLoc, numel, raw_info, unsupported_info};
use super::zip;

/// Largest header accepted (NumPy itself limits to 10 kB unless told otherwise).
const MAX_HEADER_BYTES: usize = 1 << 20;

/// A parsed `.npy` header.
#[derive(Debug)]
struct Header {
    dtype: Result<DType, String>,
    big_endian: bool,
    fortran: bool,
    shape: Vec<usize>,
    /// Bytes from the start of the `.npy` to the data.
    data_start: usize,
    item_size: usize,
}

fn parse_header(b: &[u8]) -> Result<Header, String> {
    let (text, data_start) = header_text(b)?;
    let (descr, fortran, shape) = header_fields(text)?;
    let (dtype, big_endian, item_size) = element_type(&descr)?;
    Ok(Header {
        dtype,
        big_endian,
        fortran,
        shape,
        data_start,
        item_size,
    })
}

/// The header's dict literal, after the magic, version and length checks, and the offset of
/// the data that follows it.
fn header_text(b: &[u8]) -> Result<(&str, usize), String> {
    if !b.starts_with(b"\x93NUMPY") {
        return Err("missing the \\x93NUMPY magic".into());
    }
    let major = *b.get(6).ok_or("truncated before the version")?;
    let (hlen, start) = match major {
        1 => (
            usize::from(u16::from_le_bytes([
                *b.get(8).ok_or("truncated")?,
                *b.get(9).ok_or("truncated")?,
            ])),
            10,
        ),
        2 | 3 => {
            let s = b.get(8..12).ok_or("truncated header length")?;
            (u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize, 12)
        }
        v => return Err(format!("unsupported .npy format version {v}")),
    };
    if hlen > MAX_HEADER_BYTES {
        return Err(format!("header length {hlen} exceeds {MAX_HEADER_BYTES}"));
    }
    let end = start + hlen;
    let text = b
        .get(start..end)
        .ok_or_else(|| format!("header length {hlen} is longer than the file"))?;
    let text = std::str::from_utf8(text).map_err(|_| "header is not UTF-8".to_string())?;
    Ok((text, end))
}

/// `descr`, `fortran_order` and `shape` from the dict literal (each required, no other key).
fn header_fields(text: &str) -> Result<(String, bool, Vec<usize>), String> {
    let mut p = Lit {
        s: text.as_bytes(),
        i: 0,
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    p.expect(b'{')?;
    loop {
        p.ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        p.expect(b':')?;
        match key.as_str() {
            "descr" => {
                descr = Some(p.string().map_err(|_| {
                    "descr is not a simple type string (structured arrays are not supported)"
                        .to_string()
                })?);
            }
            "fortran_order" => fortran = Some(p.boolean()?),
            "shape" => shape = Some(p.tuple()?),
            other => return Err(format!("unexpected header key `{other}`")),
        }
        p.ws();
        if !p.eat(b',') {
            p.expect(b'}')?;
            break;
        }
    }
    let descr = descr.ok_or("header has no descr")?;
    let fortran = fortran.ok_or("header has no fortran_order")?;
    let shape = shape.ok_or("header has no shape")?;
    Ok((descr, fortran, shape))
}

/// A `descr` such as `<f4`: the element type (`Err` for a known kind bitlens lists but does not
/// decode), whether it is big-endian, and the item size. Object arrays are refused.
fn element_type(descr: &str) -> Result<(Result<DType, String>, bool, usize), String> {
    if !descr.is_ascii() {
        return Err(format!("descr `{descr}` is not an ASCII type string"));
    }
    let (order, rest) = descr.split_at(descr.len().min(1));
    let big_endian = match order {
        "<" | "|" | "=" => false,
        ">" => true,
        _ => return Err(format!("descr `{descr}` has no byte-order character")),
    };
    let (kind, size) = rest.split_at(rest.len().min(1));
    if kind == "O" {
        return Err("object arrays are refused (their payload is a pickle)".into());
    }
    let size: usize = size
        .parse()
        .map_err(|_| format!("unsupported descr `{descr}`"))?;
    let dtype = match (kind, size) {
        ("f", 2) => Ok(DType::F16),
        ("f", 4) => Ok(DType::F32),
        ("f", 8) => Ok(DType::F64),
        ("i", 1) => Ok(DType::I8),
        ("i", 2) => Ok(DType::I16),
        ("i", 4) => Ok(DType::I32),
        ("i", 8) => Ok(DType::I64),
        ("u", 1) => Ok(DType::U8),
        ("u", 2) => Ok(DType::U16),
        ("u", 4) => Ok(DType::U32),
        ("u", 8) => Ok(DType::U64),
        ("b", 1) => Ok(DType::Bool),
        ("f" | "c" | "V" | "S" | "U" | "M" | "m", s) if s > 0 => {
            Err(format!("descr `{descr}` is not decoded by bitlens"))
        }
        _ => return Err(format!("unsupported descr `{descr}`")),
    };
    Ok((dtype, big_endian, size))
}

/// A tiny parser for the Python literal subset used in `.npy` headers.
struct Lit<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lit<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!(
                "header: expected `{}` at byte {}",
                c as char, self.i
            ))
        }
    }
    fn string(&mut self) -> Result<String, String> {
        self.ws();
        let q = *self.s.get(self.i).ok_or("header: unexpected end")?;
        if q != b'\'' && q != b'"' {
            return Err(format!("header: expected a string at byte {}", self.i));
        }
        let start = self.i + 1;
        let len = self.s[start..]
            .iter()
            .position(|&c| c == q)
            .ok_or("header: unterminated string")?;
        self.i = start + len + 1;
        Ok(String::from_utf8_lossy(&self.s[start..start + len]).into_owned())
    }
    fn boolean(&mut self) -> Result<bool, String> {
        self.ws();
        for (word, v) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if self.s[self.i..].starts_with(word) {
                self.i += word.len();
                return Ok(v);
            }
        }
        Err("header: fortran_order is not True/False".into())
    }
    fn tuple(&mut self) -> Result<Vec<usize>, String> {
        self.expect(b'(')?;
        let mut out = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(out);
            }
            self.ws();
            let start = self.i;
            while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
            let digits = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
            let d: usize = digits
                .parse()
                .map_err(|_| format!("header: bad shape entry at byte {start}"))?;
            out.push(d);
            if out.len() > 32 {
                return Err("header: shape has more than 32 dimensions".into());
            }
            if !self.eat(b',') {
                self.expect(b')')?;
                return Ok(out);
            }
        }
    }
}

fn fortran_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = Vec::with_capacity(shape.len());
    let mut acc = 1usize;
    for &d in shape {
        s.push(acc);
        acc = acc.saturating_mul(d);
    }
    s
}

/// Build the listing for one array whose bytes are `data_len` long after the header.
fn entry(
    name: String,
    h: Header,
    src: usize,
    base: usize,
    data_len: usize,
) -> Result<(super::TensorInfo, RawLoc), String> {
    let n = numel(&h.shape)?;
    let need = n.checked_mul(h.item_size).ok_or("array size overflows")?;
    if need > data_len {
        return Err(format!(
            "`{name}`: shape {:?} needs {need} data bytes, {data_len} present",
            h.shape
        ));
    }
    let dtype = h.dtype.clone().map_err(|e| format!("`{name}`: {e}"))?;
    let mut loc = RawLoc::contiguous(src, base + h.data_start, need, dtype);
    loc.big_endian = h.big_endian;
    if h.fortran && h.shape.len() > 1 {
        loc.strides = Some(fortran_strides(&h.shape));
    }
    Ok((raw_info(name, h.shape, dtype, need as u64), loc))
}

fn push(
    parsed: &mut Parsed,
    name: String,
    h: Header,
    build: impl FnOnce(Header) -> Result<(super::TensorInfo, Payload), String>,
) -> Result<(), String> {
    if let Err(why) = &h.dtype {
        let n = numel(&h.shape)?;
        let size = n.checked_mul(h.item_size).ok_or("array size overflows")?;
        parsed.entries.push(unsupported_info(
            name,
            h.shape.clone(),
            format!("npy {why}"),
            size as u64,
            why.clone(),
        ));
        return Ok(());
    }
    parsed.entries.push(build(h)?);
    Ok(())
}

pub(crate) fn parse_npy_file(b: &[u8]) -> Result<Parsed, String> {
    let h = parse_header(b)?;
    let mut parsed = Parsed::default();
    let data_len = b.len() - h.data_start.min(b.len());
    push(&mut parsed, "array".into(), h, |h| {
        let (info, loc) = entry("array".into(), h, 0, 0, data_len)?;
        Ok((info, Payload::Raw(loc)))
    })?;
    Ok(parsed)
}

pub(crate) fn parse_npz(b: &[u8]) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    for e in zip::entries(b)? {
        let Some(name) = e.name.strip_suffix(".npy") else {
            continue;
        };
        let name = name.to_owned();
        let data = &b[e.data_offset..e.data_offset + e.compressed];
        match e.method {
            0 => {
                let h = parse_header(data).map_err(|m| format!("member `{}`: {m}", e.name))?;
                let data_len = data.len().saturating_sub(h.data_start);
                let base = e.data_offset;
                push(&mut parsed, name.clone(), h, |h| {
                    let (info, loc) = entry(name, h, 0, base, data_len)?;
                    Ok((info, Payload::Raw(loc)))
                })?;
            }
            8 => {
                let prefix = zip::inflate_prefix(data, e.uncompressed.min(MAX_HEADER_BYTES + 16));
                let h = parse_header(&prefix).map_err(|m| format!("member `{}`: {m}", e.name))?;
                let data_len = e.uncompressed.saturating_sub(h.data_start);
                let (offset, compressed, uncompressed) =
                    (e.data_offset, e.compressed, e.uncompressed);
                push(&mut parsed, name.clone(), h, |h| {
                    let (mut info, inner) = entry(name, h, 0, 0, data_len)?;
                    info.size_bytes = compressed as u64;
                    Ok((
                        info,
                        Payload::Deflated {
                            src: 0,
                            offset,
                            compressed,
                            uncompressed,
                            inner,
                        },
                    ))
                })?;
            }
            m => {
                return Err(format!(
                    "member `{}` uses unsupported compression method {m}",
                    e.name
                ));
            }
        }
    }
    Ok(parsed)
}

/// Serialize one array as `.npy` v1.0 (`<f4`, C order) — for tests and exports.
pub fn write_npy_f32(shape: &[usize], data: &[f32]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape_txt = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_txt}, }}");
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_literal_parses() {
        let b = write_npy_f32(&[3, 4], &[0.0; 12]);
        let h = parse_header(&b).unwrap();
        assert_eq!(h.shape, vec![3, 4]);
        assert_eq!(h.data_start % 64, 0);
        assert!(!h.fortran);
    }

    #[test]
    fn object_arrays_are_refused() {
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        let h = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n";
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        assert!(parse_header(&b).unwrap_err().contains("object arrays"));
    }
}
