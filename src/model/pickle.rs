//! A restricted unpickler for PyTorch checkpoints: a stack machine over an allowlist of
//! opcodes that only rebuilds plain data (ints, floats, strings, tuples, lists, dicts) and
//! tensors. `GLOBAL` resolves against a fixed table of data constructors implemented here
//! (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, `torch.*Storage`, …);
//! any other global — `os.system`, `builtins.eval`, an arbitrary class — is refused with an
//! error naming it. Nothing is imported or called. Modelled on PyTorch's
//! `torch/_weights_only_unpickler.py`, not on Python's `pickle`.

pub(crate) use super::pickle_values::{StorageRef, TensorRef, Value, storage_elem_size};
use super::pickle_values::{apply, kind, persistent, resolve};

/// Bounds against hostile input.
const MAX_STACK: usize = 1 << 20;
const MAX_MEMO: usize = 1 << 20;
const MAX_ITEMS: usize = 1 << 24;
/// Deepest container nesting (deeper values could overflow the native stack when dropped).
const MAX_NEST: u32 = 200;
/// Most value nodes copied out of the memo in one pickle (defeats "billion laughs" bombs).
const MAX_COPIED_NODES: usize = 1 << 22;

/// The result of one pickle: the top value and the bytes consumed.
pub(crate) struct Unpickled {
    pub value: Value,
    pub consumed: usize,
}

enum Item {
    Mark,
    /// A value and its container nesting depth.
    V(Value, u32),
}

/// Count the nodes of `v` against `budget`; false when the budget runs out.
fn charge(v: &Value, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match v {
        Value::Tuple(xs) | Value::List(xs) => xs.iter().all(|x| charge(x, budget)),
        Value::Dict(items) => items
            .iter()
            .all(|(k, v)| charge(k, budget) && charge(v, budget)),
        _ => true,
    }
}

/// Unpickle one pickle from the start of `b`. `persistent_load` turns a persistent id into a
/// value (PyTorch: `('storage', StorageType, key, location, numel)`).
pub(crate) fn unpickle(b: &[u8]) -> Result<Unpickled, String> {
    let mut stack: Vec<Item> = Vec::new();
    let mut memo: Vec<Option<(Value, u32)>> = Vec::new();
    let mut p = 0usize;
    let mut items = 0usize;
    let mut copy_budget = MAX_COPIED_NODES;
    macro_rules! take {
        ($n:expr) => {{
            let n: usize = $n;
            let end = p
                .checked_add(n)
                .filter(|&e| e <= b.len())
                .ok_or_else(|| format!("pickle truncated at byte {p}"))?;
            let s = &b[p..end];
            p = end;
            s
        }};
    }
    macro_rules! pop {
        () => {
            match stack.pop() {
                Some(Item::V(v, d)) => (v, d),
                Some(Item::Mark) => return Err(format!("pickle: unexpected MARK at byte {p}")),
                None => return Err(format!("pickle: stack underflow at byte {p}")),
            }
        };
    }
    macro_rules! push {
        ($v:expr) => {
            push!($v, 0)
        };
        ($v:expr, $d:expr) => {{
            let d: u32 = $d;
            if stack.len() >= MAX_STACK {
                return Err("pickle: stack too deep".into());
            }
            if d > MAX_NEST {
                return Err(format!(
                    "pickle: containers nested more than {MAX_NEST} deep"
                ));
            }
            stack.push(Item::V($v, d));
        }};
    }
    macro_rules! copy {
        ($v:expr) => {{
            let (v, d): &(Value, u32) = $v;
            if !charge(v, &mut copy_budget) {
                return Err("pickle: too many copied values (memo bomb?)".into());
            }
            (v.clone(), *d)
        }};
    }
    let pop_mark = |stack: &mut Vec<Item>| -> Result<(Vec<Value>, u32), String> {
        let m = stack
            .iter()
            .rposition(|i| matches!(i, Item::Mark))
            .ok_or("pickle: no MARK on the stack")?;
        let mut depth = 0;
        let items: Vec<Value> = stack
            .drain(m + 1..)
            .map(|i| match i {
                Item::V(v, d) => {
                    depth = depth.max(d);
                    v
                }
                Item::Mark => Value::None,
            })
            .collect();
        stack.pop();
        Ok((items, depth))
    };
    let memo_put =
        |memo: &mut Vec<Option<(Value, u32)>>, idx: usize, v: (Value, u32)| -> Result<(), String> {
            if idx >= MAX_MEMO {
                return Err("pickle: memo index too large".into());
            }
            if memo.len() <= idx {
                memo.resize(idx + 1, None);
            }
            memo[idx] = Some(v);
            Ok(())
        };
    loop {
        items += 1;
        if items > MAX_ITEMS {
            return Err("pickle: too many opcodes".into());
        }
        let at = p;
        let op = take!(1)[0];
        match op {
            0x80 => {
                take!(1); // PROTO n
            }
            0x95 => {
                take!(8); // FRAME
            }
            b'.' => {
                let (v, _) = pop!();
                return Ok(Unpickled {
                    value: v,
                    consumed: p,
                });
            }
            b'(' => stack.push(Item::Mark),
            b'}' => push!(Value::Dict(Vec::new()), 1),
            b']' | 0x8f => push!(Value::List(Vec::new()), 1), // EMPTY_LIST, EMPTY_SET (as a list)
            b')' => push!(Value::Tuple(Vec::new()), 1),
            b't' => {
                let (v, d) = pop_mark(&mut stack)?;
                push!(Value::Tuple(v), d + 1);
            }
            0x85 => {
                let (a, d) = pop!();
                push!(Value::Tuple(vec![a]), d + 1);
            }
            0x86 => {
                let (b2, d2) = pop!();
                let (a, d1) = pop!();
                push!(Value::Tuple(vec![a, b2]), d1.max(d2) + 1);
            }
            0x87 => {
                let (c, d3) = pop!();
                let (b2, d2) = pop!();
                let (a, d1) = pop!();
                push!(Value::Tuple(vec![a, b2, c]), d1.max(d2).max(d3) + 1);
            }
            b'a' | b'e' | 0x90 => {
                let (vs, d) = if op == b'a' {
                    let (v, d) = pop!();
                    (vec![v], d)
                } else {
                    pop_mark(&mut stack)?
                };
                match stack.last_mut() {
                    Some(Item::V(Value::List(l), ld)) => {
                        l.extend(vs);
                        *ld = (*ld).max(d + 1);
                        if *ld > MAX_NEST {
                            return Err(format!(
                                "pickle: containers nested more than {MAX_NEST} deep"
                            ));
                        }
                    }
                    _ => return Err(format!("pickle: APPEND to a non-list at byte {at}")),
                }
            }
            b's' | b'u' => {
                let (vs, d) = if op == b's' {
                    let (v, dv) = pop!();
                    let (k, dk) = pop!();
                    (vec![k, v], dk.max(dv))
                } else {
                    pop_mark(&mut stack)?
                };
                if !vs.len().is_multiple_of(2) {
                    return Err("pickle: SETITEMS with an odd item count".into());
                }
                match stack.last_mut() {
                    Some(Item::V(Value::Dict(dict), dd)) => {
                        let mut it = vs.into_iter();
                        while let (Some(k), Some(v)) = (it.next(), it.next()) {
                            dict.push((k, v));
                        }
                        *dd = (*dd).max(d + 1);
                        if *dd > MAX_NEST {
                            return Err(format!(
                                "pickle: containers nested more than {MAX_NEST} deep"
                            ));
                        }
                    }
                    _ => return Err(format!("pickle: SETITEM on a non-dict at byte {at}")),
                }
            }
            b'J' => {
                let s = take!(4);
                push!(Value::Int(i64::from(i32::from_le_bytes([
                    s[0], s[1], s[2], s[3]
                ]))));
            }
            b'K' => {
                let s = take!(1);
                push!(Value::Int(i64::from(s[0])));
            }
            b'M' => {
                let s = take!(2);
                push!(Value::Int(i64::from(u16::from_le_bytes([s[0], s[1]]))));
            }
            0x8a => {
                let n = usize::from(take!(1)[0]);
                let s = take!(n);
                if n > 8 {
                    // Only the legacy magic number (10 bytes) is this long; keep its low bits.
                    push!(Value::Int(i64::from_le_bytes(
                        s[..8].try_into().map_err(|_| "bad LONG1")?
                    )));
                } else {
                    let mut buf = if s.last().is_some_and(|&x| x & 0x80 != 0) {
                        [0xffu8; 8]
                    } else {
                        [0u8; 8]
                    };
                    buf[..n].copy_from_slice(s);
                    push!(Value::Int(i64::from_le_bytes(buf)));
                }
            }
            b'G' => {
                let s = take!(8);
                push!(Value::Float(f64::from_be_bytes(
                    s.try_into().map_err(|_| "bad BINFLOAT")?
                )));
            }
            b'X' | 0x8c | 0x8d => {
                let n = match op {
                    b'X' => {
                        let s = take!(4);
                        u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize
                    }
                    0x8c => usize::from(take!(1)[0]),
                    _ => {
                        let s = take!(8);
                        usize::try_from(u64::from_le_bytes(s.try_into().map_err(|_| "bad length")?))
                            .map_err(|_| "string too long")?
                    }
                };
                let s = take!(n);
                let s = std::str::from_utf8(s)
                    .map_err(|_| format!("pickle: string at byte {at} is not UTF-8"))?;
                push!(Value::Str(s.to_owned()));
            }
            b'U' => {
                let n = usize::from(take!(1)[0]);
                let s = take!(n);
                push!(Value::Str(s.iter().map(|&c| char::from(c)).collect()));
            }
            b'B' | b'C' => {
                let n = if op == b'C' {
                    usize::from(take!(1)[0])
                } else {
                    let s = take!(4);
                    u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize
                };
                let s = take!(n);
                push!(Value::Bytes(s.to_vec()));
            }
            b'N' => push!(Value::None),
            0x88 => push!(Value::Bool(true)),
            0x89 => push!(Value::Bool(false)),
            b'q' | b'r' | 0x94 => {
                let idx = match op {
                    b'q' => usize::from(take!(1)[0]),
                    b'r' => {
                        let s = take!(4);
                        u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize
                    }
                    _ => memo.len(),
                };
                let v = match stack.last() {
                    Some(Item::V(v, d)) => {
                        if !charge(v, &mut copy_budget) {
                            return Err("pickle: too many copied values (memo bomb?)".into());
                        }
                        (v.clone(), *d)
                    }
                    _ => {
                        return Err(format!(
                            "pickle: memo store with nothing to store at byte {at}"
                        ));
                    }
                };
                memo_put(&mut memo, idx, v)?;
            }
            b'h' | b'j' => {
                let idx = if op == b'h' {
                    usize::from(take!(1)[0])
                } else {
                    let s = take!(4);
                    u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize
                };
                let entry = memo
                    .get(idx)
                    .and_then(Option::as_ref)
                    .ok_or_else(|| format!("pickle: memo {idx} is empty"))?;
                let (v, d) = copy!(entry);
                push!(v, d);
            }
            b'c' => {
                let rest = &b[p..];
                let nl1 = rest
                    .iter()
                    .take(256)
                    .position(|&c| c == b'\n')
                    .ok_or("pickle: bad GLOBAL")?;
                let module = std::str::from_utf8(&rest[..nl1])
                    .map_err(|_| "pickle: GLOBAL not UTF-8")?
                    .to_owned();
                let rest2 = &rest[nl1 + 1..];
                let nl2 = rest2
                    .iter()
                    .take(256)
                    .position(|&c| c == b'\n')
                    .ok_or("pickle: bad GLOBAL")?;
                let name = std::str::from_utf8(&rest2[..nl2])
                    .map_err(|_| "pickle: GLOBAL not UTF-8")?
                    .to_owned();
                p += nl1 + 1 + nl2 + 1;
                push!(Value::Global(resolve(&module, &name)?));
            }
            0x93 => {
                let (name, _) = pop!();
                let (module, _) = pop!();
                match (module, name) {
                    (Value::Str(m), Value::Str(n)) => push!(Value::Global(resolve(&m, &n)?)),
                    _ => return Err("pickle: STACK_GLOBAL needs two strings".into()),
                }
            }
            b'R' | 0x81 => {
                let (args, d) = pop!();
                let (f, _) = pop!();
                let Value::Global(g) = f else {
                    return Err(format!("pickle: call of a {} at byte {at}", kind(&f)));
                };
                push!(apply(g, args)?, d);
            }
            b'b' => {
                // BUILD: state for an object. Tensors and dicts keep their data; state is dropped.
                let _state = pop!();
                match stack.last() {
                    Some(Item::V(Value::Tensor(_) | Value::Dict(_), _)) => {}
                    Some(Item::V(v, _)) => return Err(format!("pickle: BUILD on a {}", kind(v))),
                    _ => return Err("pickle: BUILD with nothing to build".into()),
                }
            }
            b'Q' => {
                let (pid, d) = pop!();
                push!(persistent(pid)?, d);
            }
            b'0' => {
                pop!();
            }
            b'2' => {
                let v = match stack.last() {
                    Some(Item::V(v, d)) => {
                        if !charge(v, &mut copy_budget) {
                            return Err("pickle: too many copied values (memo bomb?)".into());
                        }
                        (v.clone(), *d)
                    }
                    _ => return Err("pickle: DUP of nothing".into()),
                };
                push!(v.0, v.1);
            }
            other => {
                return Err(format!(
                    "pickle: opcode {other:#04x} at byte {at} is not allowed"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_os_system() {
        // GLOBAL 'os system', then REDUCE: the classic exploit.
        let p = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.";
        let e = unpickle(p).err().unwrap();
        assert!(
            e.contains("os.system") && e.contains("not an allowed"),
            "{e}"
        );
    }

    #[test]
    fn refuses_unknown_opcodes() {
        let e = unpickle(b"\x80\x02i__builtin__\neval\n.").err().unwrap();
        assert!(e.contains("not allowed"), "{e}");
    }

    #[test]
    fn deep_nesting_and_memo_bombs_are_refused() {
        let mut deep = b"\x80\x02]".to_vec();
        deep.extend(std::iter::repeat_n(0x85u8, 100_000));
        deep.push(b'.');
        assert!(unpickle(&deep).err().unwrap().contains("nested"));
        // l0 = []; l_{k+1} = (l_k, l_k) via BINGET: 2^k nodes after k steps.
        let mut bomb = b"\x80\x02]q\x00".to_vec();
        for k in 0..60u8 {
            bomb.extend_from_slice(&[b'h', k, b'h', k, 0x86, b'q', k + 1]);
        }
        bomb.push(b'.');
        let e = unpickle(&bomb).err().unwrap();
        assert!(e.contains("bomb") || e.contains("nested"), "{e}");
    }

    #[test]
    fn plain_containers_rebuild() {
        // {'a': [1, 2.5, 'x'], 'b': (True, None)}
        let p = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00xq\x03eX\x01\x00\x00\x00bq\x04\x88N\x86q\x05u.";
        let v = unpickle(p).unwrap().value;
        let Value::Dict(d) = v else { panic!() };
        assert_eq!(d.len(), 2);
        assert_eq!(
            d[0].1,
            Value::List(vec![
                Value::Int(1),
                Value::Float(2.5),
                Value::Str("x".into())
            ])
        );
        assert_eq!(d[1].1, Value::Tuple(vec![Value::Bool(true), Value::None]));
    }
}
