//! Helpers shared by the model tests: write fixture bytes to a temp dir, build tiny files.

use std::path::PathBuf;

use bitlens::tensor::Tensor;

/// Write `bytes` as `name` inside a fresh temp dir (kept alive by the returned guard).
pub fn write_temp(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write fixture");
    (dir, path)
}

/// A safetensors file from raw JSON header and data (no validation: for bad-input tests).
pub fn raw_safetensors(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

pub fn t(name: &str, shape: &[usize], data: &[f32]) -> Tensor {
    Tensor::new(name, shape.to_vec(), data.to_vec())
}

/// A minimal zip archive (stored members, no compression) — for .npz/.pt fixtures.
pub fn zip_stored(members: &[(&str, &[u8])]) -> Vec<u8> {
    zip_members(
        members
            .iter()
            .map(|(n, d)| (*n, d.to_vec(), d.len(), 0u16))
            .collect(),
    )
}

/// A zip archive with raw-deflated members (`miniz_oxide` level 6).
pub fn zip_deflated(members: &[(&str, &[u8])]) -> Vec<u8> {
    zip_members(
        members
            .iter()
            .map(|(n, d)| {
                (
                    *n,
                    miniz_oxide::deflate::compress_to_vec(d, 6),
                    d.len(),
                    8u16,
                )
            })
            .collect(),
    )
}

fn zip_members(members: Vec<(&str, Vec<u8>, usize, u16)>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, raw_len, method) in &members {
        let offset = out.len() as u32;
        let crc = 0u32; // bitlens does not check CRCs; a zero CRC keeps the helper tiny
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&20u16.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(*raw_len as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&method.to_le_bytes());
        central.extend_from_slice(&[0; 4]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&(data.len() as u32).to_le_bytes());
        central.extend_from_slice(&(*raw_len as u32).to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0; 4]); // extra len, comment len
        central.extend_from_slice(&[0; 4]); // disk, internal attrs
        central.extend_from_slice(&[0; 4]); // external attrs
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
