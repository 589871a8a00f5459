"""Read a bitlens export with independent readers and compare every tensor with a reference.

    check_export.py gguf   OUT.gguf        REFERENCE.safetensors
    check_export.py packed OUT.safetensors REFERENCE.safetensors

- gguf: llama.cpp's own Python reader (`gguf` on PyPI: GGUFReader, gguf.quants.dequantize).
- packed: the compressed-tensors layout decoded here with NumPy (pack_to_int32's inverse),
  independent of bitlens.

REFERENCE is bitlens's dequantized export of the same setting. Prints one JSON object:
tensors read, tensors compared, the largest |difference|, the types seen and the metadata keys.
"""
import json
import sys

import numpy as np


def read_safetensors(path):
    b = open(path, "rb").read()
    n = int.from_bytes(b[:8], "little")
    header = json.loads(b[8:8 + n])
    types = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I8": np.int8,
             "I16": np.int16, "I32": np.int32, "I64": np.int64, "U8": np.uint8, "BOOL": np.bool_}
    meta = header.pop("__metadata__", {})
    out, dtypes = {}, {}
    for k, v in header.items():
        s, e = v["data_offsets"]
        raw = b[8 + n + s:8 + n + e]
        if v["dtype"] == "BF16":
            a = (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(raw, dtype=types[v["dtype"]])
        out[k] = a.reshape(v["shape"])
        dtypes[k] = v["dtype"]
    return out, dtypes, meta


def compare(got, want):
    got = np.asarray(got)
    want = np.asarray(want)
    if got.size != want.size:
        raise SystemExit(f"size {got.size} != {want.size}")
    got = got.reshape(want.shape)
    if want.dtype.kind in "iub":
        if not np.array_equal(got, want):
            raise SystemExit("integer tensor differs")
        return 0.0
    g, w = got.astype(np.float64), want.astype(np.float64)
    both_nan = np.isnan(g) & np.isnan(w)
    d = np.where(both_nan, 0.0, np.abs(g - w))
    return float(np.max(d)) if d.size else 0.0


def check_gguf(path, ref):
    import gguf

    reader = gguf.GGUFReader(path)
    worst, checked, types = 0.0, 0, {}
    for t in reader.tensors:
        ty = t.tensor_type.name
        types[ty] = types.get(ty, 0) + 1
        if t.name not in ref:
            raise SystemExit(f"tensor {t.name} is not in the reference")
        if ty in ("I8", "I16", "I32", "I64", "F64", "F32", "F16"):
            values = np.asarray(t.data)  # plain types are read as they are
        else:
            values = gguf.quants.dequantize(t.data, t.tensor_type)
        worst = max(worst, compare(values, ref[t.name]))
        checked += 1
    keys = [f.name for f in reader.fields.values()]
    return {"tensors": len(reader.tensors), "checked": checked, "max_abs_diff": worst,
            "types": types, "metadata": keys}


def unpack_codes(words, bits, rows, cols):
    per = 32 // bits
    u = words.astype(np.int64) & 0xFFFFFFFF
    shifts = np.arange(per, dtype=np.int64) * bits
    codes = (u[..., None] >> shifts) & ((1 << bits) - 1)
    codes = codes.reshape(rows, -1)[:, :cols]
    return codes - (1 << (bits - 1))


def check_packed(path, ref):
    tensors, dtypes, meta = read_safetensors(path)
    qc = json.loads(meta["quantization_config"])
    fmt = qc["format"]
    settings = {}
    for group in qc["config_groups"].values():
        for module in group["targets"]:
            settings[module] = group["weights"]
    worst, checked = 0.0, 0
    for name, want in ref.items():
        module = name.removesuffix(".weight")
        w = settings.get(module)
        if w is None:
            worst = max(worst, compare(tensors[name], want))
            checked += 1
            continue
        bits = w["num_bits"]
        if fmt == "pack-quantized":
            shape = [int(d) for d in tensors[name + "_shape"]]
            rows = shape[0] if len(shape) >= 2 else 1
            cols = int(np.prod(shape)) // rows
            q = unpack_codes(tensors[name + "_packed"], bits, rows, cols)
        else:
            q = tensors[name].astype(np.int64)
            rows = q.shape[0] if q.ndim >= 2 else 1
        scale = tensors[name + "_scale"].astype(np.float32)
        zp = tensors.get(name + "_zero_point")
        zp = np.zeros(scale.shape, np.int64) if zp is None else zp.astype(np.int64)
        if w["strategy"] == "tensor":
            y = (q - zp.reshape(-1)[0]).astype(np.float32) * scale.reshape(-1)[0]
        else:
            q2 = q.reshape(scale.shape[0], -1)
            per = w["group_size"] or q2.shape[1]
            idx = np.arange(q2.shape[1]) // per
            y = (q2 - zp[:, idx]).astype(np.float32) * scale[:, idx]
        worst = max(worst, compare(y, want))
        checked += 1
    return {"tensors": len(tensors), "checked": checked, "max_abs_diff": worst,
            "format": fmt, "types": sorted(set(dtypes.values())), "metadata": sorted(meta)}


def main():
    kind, path, reference = sys.argv[1:4]
    ref, _, _ = read_safetensors(reference)
    result = check_gguf(path, ref) if kind == "gguf" else check_packed(path, ref)
    print(json.dumps(result))


main()
