"""Write small PyTorch-format checkpoints without PyTorch (not installed here).

Stand-in classes carry the same module/qualified names as torch's, so CPython's own pickler
emits the exact opcodes torch.save does (protocol 2, GLOBAL 'torch._utils _rebuild_tensor_v2',
persistent ids ('storage', torch.FloatStorage, key, 'cpu', numel)); the container layout follows
torch/serialization.py (_save for the zip format, _legacy_save for the legacy one).
Run: python3 make_pytorch_fixtures.py  (writes the .pt/.pth files beside it and in bad/).
"""
import collections, io, os, pickle, struct, sys, types, zipfile

torch = types.ModuleType("torch"); sys.modules["torch"] = torch
_utils = types.ModuleType("torch._utils"); sys.modules["torch._utils"] = _utils; torch._utils = _utils

def _rebuild_tensor_v2(*a):
    raise RuntimeError("never called")
_rebuild_tensor_v2.__module__ = "torch._utils"; _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
_utils._rebuild_tensor_v2 = _rebuild_tensor_v2

def storage_type(name):
    cls = type(name, (), {}); cls.__module__ = "torch"; cls.__qualname__ = name
    setattr(torch, name, cls); return cls
FloatStorage, HalfStorage, LongStorage = (storage_type(n) for n in ("FloatStorage", "HalfStorage", "LongStorage"))

class Storage:
    def __init__(self, key, typ, fmt, values):
        self.key, self.typ, self.values, self.fmt = key, typ, values, fmt
    def raw(self):
        return struct.pack("<%d%s" % (len(self.values), self.fmt), *self.values)

class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
    def __reduce_ex__(self, proto):
        return (_rebuild_tensor_v2, (self.storage, self.offset, tuple(self.size), tuple(self.stride), False, collections.OrderedDict()))

def checkpoint():
    w = Storage("0", FloatStorage, "f", [float(i) for i in range(6)])
    b = Storage("1", HalfStorage, "e", [0.5, -1.5])
    steps = Storage("2", LongStorage, "q", [7, 8, 9])
    sd = collections.OrderedDict()
    sd["fc.weight"] = Tensor(w, 0, [2, 3], [3, 1])
    sd["fc.weight_t"] = Tensor(w, 0, [3, 2], [1, 3])      # a transposed view of the same storage
    sd["fc.row1"] = Tensor(w, 3, [3], [1])                # storage offset
    sd["fc.bias"] = Tensor(b, 0, [2], [1])
    sd["steps"] = Tensor(steps, 0, [3], [1])
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    return {"model": sd, "epoch": 5, "lr": 0.01, "name": "tiny"}, [w, b, steps]

class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", obj.typ, obj.key, "cpu", len(obj.values))
        return None

def write_zip(path, obj, storages):
    buf = io.BytesIO(); Pickler(buf, protocol=2).dump(obj)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        z.writestr("archive/byteorder", "little")
        for s in storages:
            z.writestr("archive/data/" + s.key, s.raw())
        z.writestr("archive/version", "3\n")

def write_legacy(path, obj, storages):
    class LegacyPickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, Storage):
                return ("storage", o.typ, o.key, "cpu", len(o.values), None)
            return None
    f = io.BytesIO()
    pickle.dump(0x1950A86A20F9469CFC6C, f, protocol=2)
    pickle.dump(1001, f, protocol=2)
    pickle.dump({"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}, f, protocol=2)
    LegacyPickler(f, protocol=2).dump(obj)
    keys = sorted(s.key for s in storages)
    pickle.dump(keys, f, protocol=2)
    for k in keys:
        s = next(s for s in storages if s.key == k)
        f.write(struct.pack("<q", len(s.values))); f.write(s.raw())
    open(path, "wb").write(f.getvalue())

class Evil:
    def __init__(self, fn, arg): self.fn, self.arg = fn, arg
    def __reduce__(self): return (self.fn, (self.arg,))

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    obj, storages = checkpoint()
    write_zip(os.path.join(here, "tiny_zip.pt"), obj, storages)
    write_legacy(os.path.join(here, "tiny_legacy.pth"), obj, storages)
    bad = os.path.join(here, "bad")
    os.makedirs(bad, exist_ok=True)
    evil = {"model": collections.OrderedDict([("w", Evil(os.system, "echo pwned"))])}
    buf = io.BytesIO(); pickle.Pickler(buf, protocol=2).dump(evil)
    with zipfile.ZipFile(os.path.join(bad, "malicious_os_system.pt"), "w") as z:
        z.writestr("archive/data.pkl", buf.getvalue())
    f = io.BytesIO()
    for v in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
        pickle.dump(v, f, protocol=2)
    pickle.dump(Evil(eval, "__import__('os').system('echo pwned')"), f, protocol=2)
    open(os.path.join(bad, "malicious_eval_legacy.pth"), "wb").write(f.getvalue())
    buf = io.BytesIO(); pickle.Pickler(buf, protocol=4).dump({"x": Evil(exec, "print(1)")})
    with zipfile.ZipFile(os.path.join(bad, "malicious_stack_global.pt"), "w") as z:
        z.writestr("archive/data.pkl", buf.getvalue())
    # Storage declares more elements than its member holds.
    obj, storages = checkpoint()
    storages[0].values = storages[0].values[:2]
    buf = io.BytesIO(); Pickler(buf, protocol=2).dump(obj)
    storages[0].values = storages[0].values  # keep short data
    with zipfile.ZipFile(os.path.join(bad, "storage_too_short.pt"), "w") as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        for s in storages:
            z.writestr("archive/data/" + s.key, s.raw())
