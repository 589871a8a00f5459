//! `bitlens formats`, `bitlens decode`, `bitlens encode`: the number-format lab on the command line.

use clap::Args;
use serde_json::{Value, json};

use super::{UsageError, usage};
use crate::numfmt::{Encoded, FieldKind, Format, Overflow, Rounding, ValueClass, names::NAMED};

/// `bitlens formats [--json]`
#[derive(Clone, Debug, Args)]
pub struct FormatsArgs {
    /// Print JSON (a list of formats with parameters and range).
    #[arg(long)]
    pub json: bool,
}

/// `bitlens decode --format FMT BITS [--json]`
#[derive(Clone, Debug, Args)]
pub struct DecodeArgs {
    /// Format name, e.g. f16, bf16, e4m3fn, e2m1fn, nf4, i8, fx8.4, e5m2b15 (see `bitlens formats`).
    #[arg(long, short = 'f', value_name = "FMT")]
    pub format: String,
    /// Bit pattern: hex 0x3c00, binary 0b0011110000000000, or a decimal pattern number.
    #[arg(value_name = "BITS")]
    pub bits: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `bitlens encode --format FMT VALUE [--rounding MODE] [--overflow POLICY] [--json]`
#[derive(Clone, Debug, Args)]
pub struct EncodeArgs {
    /// Format name (see `bitlens formats`).
    #[arg(long, short = 'f', value_name = "FMT")]
    pub format: String,
    /// Value: 0.1, -1.5, 1e-3, -0, inf, -inf, nan; 0x… / 0b… are raw bit patterns.
    #[arg(value_name = "VALUE", allow_hyphen_values = true)]
    pub value: String,
    /// nearest-even | nearest-away | toward-zero | up | down
    #[arg(long, value_name = "MODE", default_value = "nearest-even")]
    pub rounding: String,
    /// default (the format's own rule) | saturate
    #[arg(long, value_name = "POLICY", default_value = "default")]
    pub overflow: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Append one line to an output buffer (printed once at the end, see [`emit`]).
macro_rules! outln {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// Print the buffer (through the CLI's one output helper: a closed pipe ends quietly).
fn emit(out: &str) -> anyhow::Result<()> {
    super::out_line(format_args!("{}", out.strip_suffix('\n').unwrap_or(out)));
    Ok(())
}

fn parse_format(name: &str) -> anyhow::Result<Format> {
    Format::parse(name).map_err(|e| usage(e.0))
}

/// "0x3c00": lower-case, zero-padded to the width in nibbles.
pub fn bits_hex(fmt: &Format, bits: u64) -> String {
    format!("0x{bits:0w$x}", w = fmt.width().div_ceil(4) as usize)
}

/// "0b0011110000000000": zero-padded to the width.
pub fn bits_bin(fmt: &Format, bits: u64) -> String {
    format!("0b{bits:0w$b}", w = fmt.width() as usize)
}

/// The pattern grouped by field: "0 | 01111 | 0000000000".
fn grouped(fmt: &Format, bits: u64) -> String {
    fmt.fields()
        .iter()
        .map(|f| {
            format!(
                "{:0w$b}",
                (bits >> f.lsb) & crate::numfmt::width_mask(f.len),
                w = f.len as usize
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn field_names(fmt: &Format) -> String {
    fmt.fields()
        .iter()
        .map(|f| match f.kind {
            FieldKind::Sign => "sign",
            FieldKind::Exponent => "exponent",
            FieldKind::Mantissa => "mantissa",
            FieldKind::Integer => "integer",
            FieldKind::Fraction => "fraction",
            FieldKind::Magnitude => "magnitude",
            FieldKind::Code => "code",
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn num(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else if x.is_nan() {
        json!("nan")
    } else if x > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

fn opt_num(x: Option<f64>) -> Value {
    x.map_or(Value::Null, num)
}

/// A compact number for tables: integers and short decimals as they are, others as d.dddde±x.
fn short(x: f64) -> String {
    let plain = format!("{x}");
    if x == 0.0 || ((1e-4..1e7).contains(&x.abs()) && plain.len() <= 12) {
        return plain;
    }
    if (1e-3..1e7).contains(&x.abs()) {
        let p = format!("{x:.6}");
        return p.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    let sci = format!("{x:.5e}");
    match sci.split_once('e') {
        Some((m, e)) if m.contains('.') => {
            format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
        }
        _ => sci,
    }
}

fn kind_of(fmt: &Format) -> &'static str {
    match fmt {
        Format::Int(_) => "int",
        Format::Fixed(_) => "fixed",
        Format::Float(_) => "float",
        Format::Codebook(_) => "codebook",
    }
}

fn params(fmt: &Format) -> Value {
    match fmt {
        Format::Int(s) => json!({ "width": s.width, "encoding": format!("{:?}", s.encoding) }),
        Format::Fixed(s) => {
            json!({ "total_bits": s.total_bits, "frac_bits": s.frac_bits, "signed": s.signed })
        }
        Format::Float(s) => json!({
            "sign": s.sign, "exp_bits": s.exp_bits, "man_bits": s.man_bits, "bias": s.bias,
            "special": format!("{:?}", s.special),
        }),
        Format::Codebook(c) => json!({ "codebook": format!("{c:?}") }),
    }
}

fn aliases(fmt: &Format) -> Vec<&'static str> {
    match fmt {
        Format::Float(s) => NAMED
            .iter()
            .find(|(_, _, spec, _)| spec == s)
            .map(|(_, a, _, _)| a.to_vec())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

pub fn run_formats(args: FormatsArgs) -> anyhow::Result<()> {
    let mut out = String::new();
    let catalog = Format::catalog();
    if args.json {
        let list: Vec<Value> = catalog
            .iter()
            .map(|f| {
                let r = f.range();
                json!({
                    "id": f.id(), "title": f.title(), "kind": kind_of(f), "width": f.width(),
                    "aliases": aliases(f), "params": params(f),
                    "range": {
                        "max": num(r.max), "min": num(r.min), "min_normal": opt_num(r.min_normal),
                        "min_subnormal": opt_num(r.min_subnormal), "epsilon": opt_num(r.epsilon),
                        "decimal_digits": num(r.decimal_digits),
                    },
                })
            })
            .collect();
        outln!(out, "{}", serde_json::to_string_pretty(&list)?);
        return emit(&out);
    }
    outln!(
        out,
        "{:<12} {:>5}  {:<48} {:>12} {:>12} {:>12} {:>12} {:>6}",
        "id",
        "bits",
        "title",
        "max",
        "min normal",
        "min subnorm",
        "epsilon",
        "digits"
    );
    let o = |x: Option<f64>| x.map_or_else(|| "-".into(), short);
    for f in &catalog {
        let r = f.range();
        outln!(
            out,
            "{:<12} {:>5}  {:<48} {:>12} {:>12} {:>12} {:>12} {:>6.2}",
            f.id(),
            f.width(),
            f.title(),
            short(r.max),
            o(r.min_normal),
            o(r.min_subnormal),
            o(r.epsilon),
            r.decimal_digits
        );
    }
    outln!(out);
    outln!(
        out,
        "Also: u<N> i<N> sm<N> oc<N> (N = 1..64), fx<T>.<F> ufx<T>.<F>, custom [u]e<E>m<M>[b<bias>][fn|fnuz|fin|fnu]"
    );
    emit(&out)
}

/// Parse a BITS argument: 0x…, 0b…, or a decimal pattern number; it must fit the width.
fn parse_bits(fmt: &Format, text: &str) -> anyhow::Result<u64> {
    if let Some(b) = fmt.parse_bits_literal(text).map_err(|e| usage(e.0))? {
        return Ok(b);
    }
    let t = text.trim();
    let v: u128 = t.parse().map_err(|_| {
        UsageError(format!(
            "malformed bit pattern `{text}` (use 0x…, 0b… or a pattern number)"
        ))
    })?;
    if v > u128::from(fmt.mask()) {
        return Err(UsageError(format!(
            "bit pattern `{text}` does not fit in {} bits ({})",
            fmt.width(),
            fmt.id()
        ))
        .into());
    }
    Ok(v as u64)
}

fn pattern_json(fmt: &Format, bits: u64) -> serde_json::Map<String, Value> {
    let d = fmt.decode(bits);
    let (down, up) = fmt.gaps(bits);
    let mut m = serde_json::Map::new();
    m.insert("format".into(), json!(fmt.id()));
    m.insert("title".into(), json!(fmt.title()));
    m.insert("width".into(), json!(fmt.width()));
    m.insert("bits_hex".into(), json!(bits_hex(fmt, bits)));
    m.insert("bits_bin".into(), json!(bits_bin(fmt, bits)));
    m.insert("value".into(), json!(fmt.exact_decimal(bits)));
    m.insert("class".into(), json!(d.class.id()));
    m.insert("shortest".into(), json!(fmt.shortest_decimal(bits)));
    m.insert("formula".into(), json!(fmt.formula(bits)));
    m.insert("gap_below".into(), opt_num(down));
    m.insert("gap_above".into(), opt_num(up));
    m
}

fn print_pattern(out: &mut String, fmt: &Format, bits: u64) {
    let d = fmt.decode(bits);
    let (down, up) = fmt.gaps(bits);
    outln!(out, "format    {} ({})", fmt.id(), fmt.title());
    outln!(
        out,
        "bits      {}  {}",
        bits_hex(fmt, bits),
        bits_bin(fmt, bits)
    );
    outln!(
        out,
        "fields    {}  ({})",
        grouped(fmt, bits),
        field_names(fmt)
    );
    outln!(out, "value     {}", fmt.exact_decimal(bits));
    outln!(out, "shortest  {}", fmt.shortest_decimal(bits));
    outln!(out, "class     {}", d.class.id());
    outln!(out, "formula   {}", fmt.formula(bits));
    if d.class != ValueClass::Nan {
        let g = |x: Option<f64>| x.map_or_else(|| "-".into(), short);
        outln!(out, "gaps      {} below, {} above", g(down), g(up));
    }
}

pub fn run_decode(args: DecodeArgs) -> anyhow::Result<()> {
    let fmt = parse_format(&args.format)?;
    let bits = parse_bits(&fmt, &args.bits)?;
    let mut out = String::new();
    if args.json {
        let v = Value::Object(pattern_json(&fmt, bits));
        outln!(out, "{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_pattern(&mut out, &fmt, bits);
    }
    emit(&out)
}

pub fn run_encode(args: EncodeArgs) -> anyhow::Result<()> {
    let fmt = parse_format(&args.format)?;
    let rounding = Rounding::parse(&args.rounding).map_err(|e| usage(e.0))?;
    let overflow = Overflow::parse(&args.overflow).map_err(|e| usage(e.0))?;
    let e: Encoded = fmt
        .encode_str(&args.value, rounding, overflow)
        .map_err(|e| usage(e.0))?;
    let cast = match &fmt {
        Format::Int(s) => args
            .value
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(|x| s.cast_f64(x).ok()),
        _ => None,
    };
    let mut out = String::new();
    if args.json {
        let mut m = pattern_json(&fmt, e.bits);
        m.insert("input".into(), json!(args.value.trim()));
        m.insert("error_abs".into(), num(e.error_abs));
        m.insert("error_rel".into(), num(e.error_rel));
        m.insert("rounding".into(), json!(rounding.id()));
        m.insert("overflow_policy".into(), json!(overflow.id()));
        m.insert("overflow".into(), json!(e.overflow));
        m.insert("inexact".into(), json!(e.inexact));
        if let Some(c) = cast {
            m.insert("cast_bits_hex".into(), json!(bits_hex(&fmt, c)));
            m.insert("cast_value".into(), json!(fmt.exact_decimal(c)));
        }
        outln!(out, "{}", serde_json::to_string_pretty(&Value::Object(m))?);
        return emit(&out);
    }
    outln!(out, "input     {}", args.value.trim());
    outln!(
        out,
        "rounding  {}, overflow {}",
        rounding.id(),
        overflow.id()
    );
    print_pattern(&mut out, &fmt, e.bits);
    outln!(
        out,
        "error     abs {}  rel {}",
        short(e.error_abs),
        short(e.error_rel)
    );
    let mut flags = Vec::new();
    if e.overflow {
        flags.push("overflow");
    }
    if e.inexact {
        flags.push("inexact");
    }
    if !flags.is_empty() {
        outln!(out, "flags     {}", flags.join(", "));
    }
    if let Some(c) = cast {
        outln!(
            out,
            "cast      {} = {} (C / ml_dtypes astype: truncate, then wrap; the encode above is quantize: round, then saturate)",
            bits_hex(&fmt, c),
            fmt.exact_decimal(c)
        );
    }
    emit(&out)
}
