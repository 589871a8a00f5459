//! A restricted unpickler for PyTorch checkpoints: a stack machine over an allowlist of
//! opcodes that only rebuilds plain data (ints, floats, strings, tuples, lists, dicts) and
//! tensors. `GLOBAL` resolves against a fixed table of data constructors implemented here
//! (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, `torch.*Storage`, …);
//! any other global — `os.system`, `builtins.eval`, an arbitrary class — is refused with an
//! error naming it. Nothing is imported or called. Modelled on PyTorch's
//! `torch/_weights_only_unpickler.py`, not on Python's `pickle`. Hand-written on purpose:
//! `serde-pickle` decodes plain values but neither PyTorch's persistent storage ids nor its
//! tensor-rebuild globals, and no crate offers this allowlist.

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
    let mut m = Machine {
        b,
        p: 0,
        stack: Vec::new(),
        memo: Vec::new(),
        copy_budget: MAX_COPIED_NODES,
    };
    for _ in 0..MAX_ITEMS {
        let at = m.p;
        let op = m.take(1)?[0];
        if let Some(value) = m.step(op, at)? {
            return Ok(Unpickled {
                value,
                consumed: m.p,
            });
        }
    }
    Err("pickle: too many opcodes".into())
}

/// The unpickler's state: the input and read position, the stack, the memo, and what is left of
/// the budget of values copied out of the memo.
struct Machine<'a> {
    b: &'a [u8],
    p: usize,
    stack: Vec<Item>,
    memo: Vec<Option<(Value, u32)>>,
    copy_budget: usize,
}

fn nested_too_deep() -> String {
    format!("pickle: containers nested more than {MAX_NEST} deep")
}

/// A copy of `v` at depth `d` (a memo entry or the top of the stack), charged against `budget`
/// before anything is cloned.
fn copied(v: &Value, d: u32, budget: &mut usize) -> Result<(Value, u32), String> {
    if !charge(v, budget) {
        return Err("pickle: too many copied values (memo bomb?)".into());
    }
    Ok((v.clone(), d))
}

impl<'a> Machine<'a> {
    /// Run one opcode (read at byte `at`); `Some` is the result, at STOP.
    fn step(&mut self, op: u8, at: usize) -> Result<Option<Value>, String> {
        match op {
            0x80 => {
                self.take(1)?; // PROTO n
            }
            0x95 => {
                self.take(8)?; // FRAME
            }
            b'.' => return Ok(Some(self.pop()?.0)),
            b'(' | b'}' | b']' | 0x8f | b')' | b't' | 0x85 | 0x86 | 0x87 => self.container(op)?,
            b'a' | b'e' | 0x90 => self.append(op, at)?,
            b's' | b'u' => self.set_items(op, at)?,
            b'J' | b'K' | b'M' | 0x8a | b'G' => {
                let v = self.number(op)?;
                self.push(v, 0)?;
            }
            b'X' | 0x8c | 0x8d | b'U' | b'B' | b'C' => {
                let v = self.text(op, at)?;
                self.push(v, 0)?;
            }
            b'N' => self.push(Value::None, 0)?,
            0x88 => self.push(Value::Bool(true), 0)?,
            0x89 => self.push(Value::Bool(false), 0)?,
            b'q' | b'r' | 0x94 => self.memo_store(op, at)?,
            b'h' | b'j' => self.memo_get(op)?,
            b'0' => {
                self.pop()?;
            }
            b'2' => {
                let (v, d) = self.copy_top(|| "pickle: DUP of nothing".into())?;
                self.push(v, d)?;
            }
            b'c' | 0x93 => self.global(op)?,
            b'R' | 0x81 | b'b' | b'Q' => self.call(op, at)?,
            other => {
                return Err(format!(
                    "pickle: opcode {other:#04x} at byte {at} is not allowed"
                ));
            }
        }
        Ok(None)
    }

    /// The next `n` bytes of the input.
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let p = self.p;
        let end = p
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| format!("pickle truncated at byte {p}"))?;
        self.p = end;
        Ok(&self.b[p..end])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let s = self.take(N)?;
        s.try_into()
            .map_err(|_| format!("pickle truncated at byte {}", self.p))
    }

    /// A 1-byte length.
    fn len1(&mut self) -> Result<usize, String> {
        Ok(usize::from(self.take(1)?[0]))
    }

    /// A 4-byte little-endian length.
    fn len4(&mut self) -> Result<usize, String> {
        Ok(u32::from_le_bytes(self.array()?) as usize)
    }

    fn pop(&mut self) -> Result<(Value, u32), String> {
        match self.stack.pop() {
            Some(Item::V(v, d)) => Ok((v, d)),
            Some(Item::Mark) => Err(format!("pickle: unexpected MARK at byte {}", self.p)),
            None => Err(format!("pickle: stack underflow at byte {}", self.p)),
        }
    }

    /// Push a value with its container nesting depth.
    fn push(&mut self, v: Value, d: u32) -> Result<(), String> {
        if self.stack.len() >= MAX_STACK {
            return Err("pickle: stack too deep".into());
        }
        if d > MAX_NEST {
            return Err(nested_too_deep());
        }
        self.stack.push(Item::V(v, d));
        Ok(())
    }

    /// Push a MARK. MARKs take stack slots like values do, so they count against the same
    /// limit: otherwise a pickle of nothing but MARKs could grow the stack until the opcode
    /// limit stopped it.
    fn push_mark(&mut self) -> Result<(), String> {
        if self.stack.len() >= MAX_STACK {
            return Err(format!(
                "pickle: too many MARKs: the stack (values and MARKs) is limited to {MAX_STACK} \
                 items, at byte {}",
                self.p
            ));
        }
        self.stack.push(Item::Mark);
        Ok(())
    }

    /// The items above the topmost MARK (which is removed), with their deepest nesting.
    fn pop_mark(&mut self) -> Result<(Vec<Value>, u32), String> {
        let m = self
            .stack
            .iter()
            .rposition(|i| matches!(i, Item::Mark))
            .ok_or("pickle: no MARK on the stack")?;
        let mut depth = 0;
        let items: Vec<Value> = self
            .stack
            .drain(m + 1..)
            .map(|i| match i {
                Item::V(v, d) => {
                    depth = depth.max(d);
                    v
                }
                Item::Mark => Value::None,
            })
            .collect();
        self.stack.pop();
        Ok((items, depth))
    }

    /// A charged copy of the top of the stack; `empty` is the error when there is no value there.
    fn copy_top(&mut self, empty: impl FnOnce() -> String) -> Result<(Value, u32), String> {
        match self.stack.last() {
            Some(Item::V(v, d)) => copied(v, *d, &mut self.copy_budget),
            _ => Err(empty()),
        }
    }

    /// MARK, the empty containers, TUPLE and TUPLE1..3.
    fn container(&mut self, op: u8) -> Result<(), String> {
        match op {
            b'(' => self.push_mark()?,
            b'}' => self.push(Value::Dict(Vec::new()), 1)?,
            // EMPTY_LIST, EMPTY_SET (as a list)
            b']' | 0x8f => self.push(Value::List(Vec::new()), 1)?,
            b')' => self.push(Value::Tuple(Vec::new()), 1)?,
            b't' => {
                let (v, d) = self.pop_mark()?;
                self.push(Value::Tuple(v), d + 1)?;
            }
            _ => {
                // TUPLE1 (0x85), TUPLE2, TUPLE3: the top 1..3 values.
                let n = usize::from(op - 0x84);
                let (mut items, mut depth) = (Vec::with_capacity(n), 0);
                for _ in 0..n {
                    let (v, d) = self.pop()?;
                    items.push(v);
                    depth = depth.max(d);
                }
                items.reverse();
                self.push(Value::Tuple(items), depth + 1)?;
            }
        }
        Ok(())
    }

    /// APPEND, APPENDS, ADDITEMS: values onto the list below them.
    fn append(&mut self, op: u8, at: usize) -> Result<(), String> {
        let (vs, d) = if op == b'a' {
            let (v, d) = self.pop()?;
            (vec![v], d)
        } else {
            self.pop_mark()?
        };
        let Some(Item::V(Value::List(l), ld)) = self.stack.last_mut() else {
            return Err(format!("pickle: APPEND to a non-list at byte {at}"));
        };
        l.extend(vs);
        *ld = (*ld).max(d + 1);
        if *ld > MAX_NEST {
            return Err(nested_too_deep());
        }
        Ok(())
    }

    /// SETITEM, SETITEMS: key/value pairs into the dict below them.
    fn set_items(&mut self, op: u8, at: usize) -> Result<(), String> {
        let (vs, d) = if op == b's' {
            let (v, dv) = self.pop()?;
            let (k, dk) = self.pop()?;
            (vec![k, v], dk.max(dv))
        } else {
            self.pop_mark()?
        };
        if !vs.len().is_multiple_of(2) {
            return Err("pickle: SETITEMS with an odd item count".into());
        }
        let Some(Item::V(Value::Dict(dict), dd)) = self.stack.last_mut() else {
            return Err(format!("pickle: SETITEM on a non-dict at byte {at}"));
        };
        let mut it = vs.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            dict.push((k, v));
        }
        *dd = (*dd).max(d + 1);
        if *dd > MAX_NEST {
            return Err(nested_too_deep());
        }
        Ok(())
    }

    /// BININT, BININT1, BININT2, LONG1, BINFLOAT.
    fn number(&mut self, op: u8) -> Result<Value, String> {
        Ok(match op {
            b'J' => Value::Int(i64::from(i32::from_le_bytes(self.array()?))),
            b'K' => Value::Int(i64::from(self.take(1)?[0])),
            b'M' => Value::Int(i64::from(u16::from_le_bytes(self.array()?))),
            b'G' => Value::Float(f64::from_be_bytes(self.array()?)),
            _ => {
                // LONG1: n little-endian two's-complement bytes.
                let n = self.len1()?;
                let s = self.take(n)?;
                if n > 8 {
                    // Only the legacy magic number (10 bytes) is this long; keep its low bits.
                    Value::Int(i64::from_le_bytes(
                        s[..8].try_into().map_err(|_| "bad LONG1")?,
                    ))
                } else {
                    let mut buf = if s.last().is_some_and(|&x| x & 0x80 != 0) {
                        [0xffu8; 8]
                    } else {
                        [0u8; 8]
                    };
                    buf[..n].copy_from_slice(s);
                    Value::Int(i64::from_le_bytes(buf))
                }
            }
        })
    }

    /// The string and bytes opcodes (UTF-8 strings, latin-1 SHORT_BINSTRING, bytes).
    fn text(&mut self, op: u8, at: usize) -> Result<Value, String> {
        Ok(match op {
            b'X' | 0x8c | 0x8d => {
                let n = match op {
                    b'X' => self.len4()?,
                    0x8c => self.len1()?,
                    _ => usize::try_from(u64::from_le_bytes(self.array()?))
                        .map_err(|_| "string too long")?,
                };
                let s = std::str::from_utf8(self.take(n)?)
                    .map_err(|_| format!("pickle: string at byte {at} is not UTF-8"))?;
                Value::Str(s.to_owned())
            }
            b'U' => {
                let n = self.len1()?;
                Value::Str(self.take(n)?.iter().map(|&c| char::from(c)).collect())
            }
            _ => {
                let n = if op == b'C' {
                    self.len1()?
                } else {
                    self.len4()?
                };
                Value::Bytes(self.take(n)?.to_vec())
            }
        })
    }

    /// BINPUT, LONG_BINPUT, MEMOIZE: a copy of the top of the stack into the memo.
    fn memo_store(&mut self, op: u8, at: usize) -> Result<(), String> {
        let idx = match op {
            b'q' => self.len1()?,
            b'r' => self.len4()?,
            _ => self.memo.len(),
        };
        let v =
            self.copy_top(|| format!("pickle: memo store with nothing to store at byte {at}"))?;
        if idx >= MAX_MEMO {
            return Err("pickle: memo index too large".into());
        }
        if self.memo.len() <= idx {
            self.memo.resize(idx + 1, None);
        }
        self.memo[idx] = Some(v);
        Ok(())
    }

    /// BINGET, LONG_BINGET: a copy of a memo entry onto the stack.
    fn memo_get(&mut self, op: u8) -> Result<(), String> {
        let idx = if op == b'h' {
            self.len1()?
        } else {
            self.len4()?
        };
        let entry = self
            .memo
            .get(idx)
            .and_then(Option::as_ref)
            .ok_or_else(|| format!("pickle: memo {idx} is empty"))?;
        let (v, d) = copied(&entry.0, entry.1, &mut self.copy_budget)?;
        self.push(v, d)
    }

    /// One newline-terminated line of a GLOBAL (at most 256 bytes).
    fn line(&mut self) -> Result<String, String> {
        let rest = &self.b[self.p..];
        let nl = rest
            .iter()
            .take(256)
            .position(|&c| c == b'\n')
            .ok_or("pickle: bad GLOBAL")?;
        let s = std::str::from_utf8(&rest[..nl]).map_err(|_| "pickle: GLOBAL not UTF-8")?;
        self.p += nl + 1;
        Ok(s.to_owned())
    }

    /// GLOBAL, STACK_GLOBAL: a name resolved against the allowlist (never imported).
    fn global(&mut self, op: u8) -> Result<(), String> {
        let (module, name) = if op == b'c' {
            (self.line()?, self.line()?)
        } else {
            let (name, _) = self.pop()?;
            let (module, _) = self.pop()?;
            match (module, name) {
                (Value::Str(m), Value::Str(n)) => (m, n),
                _ => return Err("pickle: STACK_GLOBAL needs two strings".into()),
            }
        };
        self.push(Value::Global(resolve(&module, &name)?), 0)
    }

    /// REDUCE and NEWOBJ (an allowlisted constructor applied), BUILD, BINPERSID.
    fn call(&mut self, op: u8, at: usize) -> Result<(), String> {
        match op {
            b'b' => {
                // BUILD: state for an object. Tensors and dicts keep their data; state is dropped.
                let _state = self.pop()?;
                match self.stack.last() {
                    Some(Item::V(Value::Tensor(_) | Value::Dict(_), _)) => Ok(()),
                    Some(Item::V(v, _)) => Err(format!("pickle: BUILD on a {}", kind(v))),
                    _ => Err("pickle: BUILD with nothing to build".into()),
                }
            }
            b'Q' => {
                let (pid, d) = self.pop()?;
                self.push(persistent(pid)?, d)
            }
            _ => {
                let (args, d) = self.pop()?;
                let (f, _) = self.pop()?;
                let Value::Global(g) = f else {
                    return Err(format!("pickle: call of a {} at byte {at}", kind(&f)));
                };
                self.push(apply(g, args)?, d)
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
    fn mark_floods_are_refused() {
        // PROTO 2, then more MARKs than the stack may hold, then STOP.
        let mut p = b"\x80\x02".to_vec();
        p.extend(std::iter::repeat_n(b'(', MAX_STACK + 1));
        p.push(b'.');
        let e = unpickle(&p).err().unwrap();
        assert!(e.contains("too many MARKs"), "{e}");
        // A value pushed onto a stack already full of MARKs is refused too.
        let mut q = b"\x80\x02".to_vec();
        q.extend(std::iter::repeat_n(b'(', MAX_STACK));
        q.extend_from_slice(b"N.");
        let e = unpickle(&q).err().unwrap();
        assert!(e.contains("stack too deep"), "{e}");
        // Many MARKs within the limit, each closed again, are fine.
        let mut ok = b"\x80\x02".to_vec();
        for _ in 0..10_000 {
            ok.extend_from_slice(b"(t0");
        }
        ok.extend_from_slice(b"N.");
        assert!(matches!(unpickle(&ok).unwrap().value, Value::None));
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
