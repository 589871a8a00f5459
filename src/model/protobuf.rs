//! A minimal protobuf wire-format reader: iterate the fields of one message without a schema.
//! Every length is checked against the buffer; groups (wire types 3/4) are refused.
//!
//! Hand-written on purpose: tract's ONNX types exist only behind the `run` feature, and the core
//! must list ONNX files without it (and read raw tensor bytes in place, by offset).

/// One field of a message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field<'a> {
    pub tag: u32,
    /// 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
    pub wire: u8,
    /// The value of varint / fixed fields.
    pub num: u64,
    /// The payload of length-delimited fields.
    pub bytes: &'a [u8],
    /// Absolute offset of `bytes` in the file.
    pub offset: usize,
}

/// Iterator over the fields of a message found at absolute offset `base`.
pub(crate) struct Fields<'a> {
    b: &'a [u8],
    base: usize,
    p: usize,
    failed: bool,
}

pub(crate) fn fields(b: &[u8], base: usize) -> Fields<'_> {
    Fields {
        b,
        base,
        p: 0,
        failed: false,
    }
}

/// Read a varint at `*p`.
pub(crate) fn varint(b: &[u8], p: &mut usize) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..70).step_by(7) {
        let byte = *b.get(*p).ok_or("protobuf: truncated varint")?;
        *p += 1;
        if shift == 63 && byte > 1 {
            return Err("protobuf: varint overflows 64 bits".into());
        }
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("protobuf: varint longer than 10 bytes".into())
}

impl<'a> Fields<'a> {
    fn next_field(&mut self) -> Result<Field<'a>, String> {
        let key = varint(self.b, &mut self.p)?;
        let tag = u32::try_from(key >> 3).map_err(|_| "protobuf: field number too large")?;
        let wire = (key & 7) as u8;
        let mut f = Field {
            tag,
            wire,
            num: 0,
            bytes: &[],
            offset: 0,
        };
        match wire {
            0 => f.num = varint(self.b, &mut self.p)?,
            1 => {
                let s = self
                    .b
                    .get(self.p..self.p + 8)
                    .ok_or("protobuf: truncated fixed64")?;
                f.num = u64::from_le_bytes(s.try_into().map_err(|_| "protobuf: truncated")?);
                self.p += 8;
            }
            5 => {
                let s = self
                    .b
                    .get(self.p..self.p + 4)
                    .ok_or("protobuf: truncated fixed32")?;
                f.num = u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
                self.p += 4;
            }
            2 => {
                let len = varint(self.b, &mut self.p)?;
                let len = usize::try_from(len).map_err(|_| "protobuf: length too large")?;
                let end = self
                    .p
                    .checked_add(len)
                    .filter(|&e| e <= self.b.len())
                    .ok_or_else(|| {
                        format!(
                            "protobuf: field {tag} of {len} bytes runs past the end of its message"
                        )
                    })?;
                f.bytes = &self.b[self.p..end];
                f.offset = self.base + self.p;
                self.p = end;
            }
            w => return Err(format!("protobuf: unsupported wire type {w} (field {tag})")),
        }
        Ok(f)
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<Field<'a>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.p >= self.b.len() {
            return None;
        }
        let r = self.next_field();
        self.failed = r.is_err();
        Some(r)
    }
}

/// Values of a repeated varint field, packed (wire 2) or not (wire 0), appended to `out`.
pub(crate) fn push_varints(f: &Field<'_>, out: &mut Vec<u64>) -> Result<(), String> {
    match f.wire {
        0 => out.push(f.num),
        2 => {
            let mut p = 0;
            while p < f.bytes.len() {
                out.push(varint(f.bytes, &mut p)?);
            }
        }
        w => {
            return Err(format!(
                "protobuf: field {} has wire type {w}, expected varints",
                f.tag
            ));
        }
    }
    Ok(())
}

/// Values of a repeated fixed-width field (4 or 8 bytes), packed or not, appended to `out`.
pub(crate) fn push_fixed(f: &Field<'_>, width: usize, out: &mut Vec<u64>) -> Result<(), String> {
    match (f.wire, width) {
        (5, 4) | (1, 8) => out.push(f.num),
        (2, _) => {
            if !f.bytes.len().is_multiple_of(width) {
                return Err(format!(
                    "protobuf: packed field {} is not a multiple of {width} bytes",
                    f.tag
                ));
            }
            for c in f.bytes.chunks_exact(width) {
                let mut a = [0u8; 8];
                a[..width].copy_from_slice(c);
                out.push(u64::from_le_bytes(a));
            }
        }
        (w, _) => {
            return Err(format!(
                "protobuf: field {} has wire type {w}, expected fixed{}",
                f.tag,
                width * 8
            ));
        }
    }
    Ok(())
}

pub(crate) fn string(f: &Field<'_>) -> Result<String, String> {
    std::str::from_utf8(f.bytes)
        .map(str::to_owned)
        .map_err(|_| format!("protobuf: string field {} is not UTF-8", f.tag))
}
