#!/usr/bin/env python3
"""Writes the fuzz harnesses' seed corpora (tests/fuzz/corpus/<harness>/): small valid or nearly valid
inputs of every format, so that libFuzzer starts deep inside each reader. Standard library only (no torch,
no numpy): the torch and NVIDIA formats are written with stand-in modules that pickle under the real names.
The seeds are committed; run this again only to change them:  python3 tests/fuzz/make_seeds.py
"""
import collections
import gzip
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, 'corpus')


def write(harness, name, data):
    folder = os.path.join(CORPUS, harness)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), 'wb') as f:
        f.write(data)


# ----------------------------------------------------------------------------------- stand-in torch names

def stand_in(module_name, qualname, obj):
    parts = module_name.split('.')
    for i in range(1, len(parts)):  # parent packages first, so that `import a.b` works
        parent = '.'.join(parts[:i])
        if parent not in sys.modules:
            sys.modules[parent] = types.ModuleType(parent)
    module = sys.modules.get(module_name)
    if module is None:
        module = types.ModuleType(module_name)
        sys.modules[module_name] = module
    obj.__module__ = module_name
    obj.__qualname__ = qualname
    obj.__name__ = qualname
    setattr(module, qualname, obj)
    return obj


def _rebuild_tensor_v2(*args):
    raise RuntimeError('stand-in')


def _rebuild_parameter(*args):
    raise RuntimeError('stand-in')


def _load_from_bytes(*args):
    raise RuntimeError('stand-in')


def _reconstruct_persistent_obj(*args):
    raise RuntimeError('stand-in')


class FloatStorage:
    pass


class EasyDict(dict):
    pass


stand_in('torch._utils', '_rebuild_tensor_v2', _rebuild_tensor_v2)
stand_in('torch._utils', '_rebuild_parameter', _rebuild_parameter)
stand_in('torch.storage', '_load_from_bytes', _load_from_bytes)
stand_in('torch', 'FloatStorage', FloatStorage)
stand_in('torch_utils.persistence', '_reconstruct_persistent_obj', _reconstruct_persistent_obj)
stand_in('dnnlib.util', 'EasyDict', EasyDict)


class Call:
    """Pickles as fn(*args)."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


class Storage:
    """A float32 storage: a persistent id in the pickle, its bytes stored by the container."""

    def __init__(self, key, values):
        self.key, self.values = key, values


def tensor(storage, shape, parameter=False):
    stride, step = [], 1
    for dim in reversed(shape):
        stride.insert(0, step)
        step *= dim
    t = Call(_rebuild_tensor_v2, storage, 0, tuple(shape), tuple(stride), False, collections.OrderedDict())
    return Call(_rebuild_parameter, t, False, collections.OrderedDict()) if parameter else t


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ('storage', FloatStorage, obj.key, 'cpu', len(obj.values))
        return None


def torch_pickle(obj, protocol=2):
    out = io.BytesIO()
    TorchPickler(out, protocol=protocol).dump(obj)
    return out.getvalue()


def floats(values):
    return struct.pack('<%df' % len(values), *values)


def torch_zip(obj, storages):
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', torch_pickle(obj))
        for s in storages:
            z.writestr('archive/data/' + s.key, floats(s.values))
        z.writestr('archive/version', b'3\n')
    return out.getvalue()


def legacy_torch_save(obj, storages):
    out = io.BytesIO()
    for header in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True,
                                                    'type_sizes': {'short': 2, 'int': 4, 'long': 4}}):
        pickle.dump(header, out, protocol=2)
    out.write(torch_pickle(obj))
    pickle.dump([s.key for s in storages], out, protocol=2)
    for s in storages:
        out.write(struct.pack('<q', len(s.values)) + floats(s.values))
    return out.getvalue()


# ----------------------------------------------------------------------------------- seeds per reader

def pickle_seeds():
    value = {'name': 'G', 'sizes': [1, 2, 3], 'nested': {'t': (1, 2.5, None, True), 'b': b'\x00\x01'},
             'big': 2 ** 70, 'neg': -5, 'od': collections.OrderedDict(a=1), 'text': 'caf\u00e9'}
    for protocol in range(0, 6):
        write('pickle', 'protocol%d.pkl' % protocol, pickle.dumps(value, protocol=protocol))
    write('pickle', 'memo.pkl', pickle.dumps([value, value], protocol=4))


def torch_seeds():
    w, b = Storage('0', [0.5, -1.0, 2.0, 0.25]), Storage('1', [1.0, 2.0])
    state = collections.OrderedDict([('fc.weight', tensor(w, [2, 2])), ('fc.bias', tensor(b, [2]))])
    write('torch_file', 'state_dict.pt', torch_zip(state, [w, b]))
    write('torch_file', 'legacy.pt', legacy_torch_save(state, [w, b]))


def module_dict(parameters=(), buffers=(), modules=(), **attributes):
    d = {'training': False, '_parameters': collections.OrderedDict(parameters),
         '_buffers': collections.OrderedDict(buffers), '_non_persistent_buffers_set': set(),
         '_modules': collections.OrderedDict(modules)}
    d.update(attributes)
    return d


def persistent(class_name, state):
    meta = {'type': 'class', 'version': 6, 'module_src': 'import torch\nclass %s: pass\n' % class_name,
            'class_name': class_name, 'state': state}
    return Call(_reconstruct_persistent_obj, meta)


def embedded(storage):
    # As a plain pickle.dump of a module stores a storage: the bytes of a legacy torch.save of it.
    return Call(_load_from_bytes, legacy_torch_save(storage, [storage]))


def nvidia_seeds():
    const = Storage('0', [0.1] * 16)
    w_avg = Storage('1', [0.0] * 8)
    synthesis = persistent('SynthesisNetwork', module_dict(
        modules=[('b4', persistent('SynthesisBlock', module_dict(parameters=[('const', tensor(embedded(const), [1, 4, 4], True))])))]))
    mapping = persistent('MappingNetwork', module_dict(buffers=[('w_avg', tensor(embedded(w_avg), [8]))]))
    kwargs = EasyDict(z_dim=8, c_dim=0, w_dim=8, img_resolution=4, img_channels=1,
                      mapping_kwargs=EasyDict(num_layers=2), channel_base=16, channel_max=1)
    g = persistent('Generator', module_dict(modules=[('synthesis', synthesis), ('mapping', mapping)],
                                            _init_args=(), _init_kwargs=kwargs))
    snapshot = {'G': None, 'D': None, 'G_ema': g, 'training_set_kwargs': EasyDict(resolution=4)}
    write('nvidia_snapshot', 'tiny_generator.pkl', pickle.dumps(snapshot, protocol=4))
    write('nvidia_snapshot', 'tuple_top.pkl', pickle.dumps((1, 2, 3), protocol=4))
    fixture = os.path.join(HERE, '..', 'data', 'tiny_sg2.pkl')
    with open(fixture, 'rb') as f:
        write('nvidia_snapshot', 'fixture_head.pkl', f.read(24 * 1024))  # the official layout, cut short


# ------------------------------------------------------------------------------ TensorFlow network pickles

class _TfArray:
    """A numpy array as numpy pickles it: _reconstruct(ndarray, (0,), b'b') + BUILD (1, shape, dtype, fortran, raw)."""
    def __setstate__(self, state):
        self.state = state

    def __reduce__(self):
        version, shape, dtype, fortran, raw = self.state
        small = tuple(min(d, 2) for d in shape)  # every array cut to at most 2 per axis: same layout, tiny
        count = 1
        for d in small:
            count *= d
        itemsize = len(raw) // max(1, _product(shape))
        return (_tf_reconstruct, (_TfNdarray, (0,), b'b'), (version, small, dtype, fortran, raw[:count * itemsize]))


def _product(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class _TfNdarray:
    pass


def _tf_reconstruct(cls, shape, code):
    return _TfArray()


class _TfDtype:
    def __init__(self, *args):
        self.args = args

    def __setstate__(self, state):
        self.state = state

    def __reduce__(self):
        return (_TfDtype, self.args, self.state)


class _TfScalar:
    def __init__(self, dtype, raw):
        self.dtype, self.raw = dtype, raw

    def __reduce__(self):
        return (_tf_scalar, (self.dtype, self.raw))


def _tf_scalar(dtype, raw):
    return _TfScalar(dtype, raw)


class _TfNetwork:
    def __setstate__(self, state):
        self.state = state

    def __reduce_ex__(self, protocol):
        import copyreg
        return (copyreg.__newobj__, (_TfNetwork,), self.state)


def tensorflow_seeds():
    stand_in('numpy.core.multiarray', '_reconstruct', _tf_reconstruct)
    stand_in('numpy.core.multiarray', 'scalar', _tf_scalar)
    stand_in('numpy', 'ndarray', _TfNdarray)
    stand_in('numpy', 'dtype', _TfDtype)
    stand_in('dnnlib.tflib.network', 'Network', _TfNetwork)
    names = {('numpy.core.multiarray', '_reconstruct'): _tf_reconstruct, ('numpy.core.multiarray', 'scalar'): _tf_scalar,
             ('numpy', 'ndarray'): _TfNdarray, ('numpy', 'dtype'): _TfDtype,
             ('dnnlib.tflib.network', 'Network'): _TfNetwork}

    class Reader(pickle.Unpickler):
        def find_class(self, module, name):
            return names[(module, name)] if (module, name) in names else super().find_class(module, name)

    fixture = os.path.join(HERE, '..', 'data', 'formats', 'tf_stylegan2', 'stylegan2-tiny64-tf-config-f.pkl')
    with open(fixture, 'rb') as f:
        G, D, Gs = Reader(f).load()
    # The fixture's (G, D, Gs) with every variable cut to at most 2 per axis; Gs alone; and the real file's head.
    write('tensorflow_snapshot', 'tiny_g_d_gs.pkl', pickle.dumps((G, D, Gs), protocol=3))
    write('tensorflow_snapshot', 'tiny_gs.pkl', pickle.dumps(Gs, protocol=4))
    with open(fixture, 'rb') as f:
        write('tensorflow_snapshot', 'fixture_head.pkl', f.read(16 * 1024))


def safetensors_seeds():
    data = floats([1.0, 2.0, 3.0, 4.0]) + bytes([1, 0, 1, 1])
    header = {'a': {'dtype': 'F32', 'shape': [2, 2], 'data_offsets': [0, 16]},
              'm': {'dtype': 'BOOL', 'shape': [4], 'data_offsets': [16, 20]},
              '__metadata__': {'format': 'draggan', 'generator_config': '{"z_dim": 8}'}}
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    write('safetensors', 'two_tensors.safetensors', struct.pack('<Q', len(text)) + text + data)


def npy(descr, shape, payload, version=1):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    pad = 64 - (10 + len(header) + 1) % 64
    header = (header + ' ' * pad + '\n').encode()
    size = struct.pack('<H', len(header)) if version == 1 else struct.pack('<I', len(header))
    return b'\x93NUMPY' + bytes([version, 0]) + size + header + payload


def npy_seeds():
    write('npy', 'latent_f32.npy', npy('<f4', [1, 2, 3], floats([0.5] * 6)))
    write('npy', 'u8_v2.npy', npy('|u1', [4], bytes([1, 2, 3, 4]), version=2))
    write('npy', 'f64_scalar.npy', npy('<f8', [], struct.pack('<d', 1.5)))


def idx_seeds():
    images = struct.pack('>IIII', 0x0803, 2, 3, 3) + bytes(range(18))
    write('idx', 'images.idx', images)
    write('idx', 'images.idx.gz', gzip.compress(images, mtime=0))


def png(width, height, colour_type, rows, bit_depth=8, interlace=0):
    def chunk(kind, body):
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body))
    ihdr = struct.pack('>IIBBBBB', width, height, bit_depth, colour_type, 0, 0, interlace)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(rows, 9)) + chunk(b'IEND', b'')


def image_seeds():
    gray = b''.join(b'\x00' + bytes((x * 40 + y * 7) % 256 for x in range(6)) for y in range(4))
    rgb = b''.join(b'\x01' + bytes((x * 13 + c * 50) % 256 for x in range(5) for c in range(3)) for y in range(3))
    rgba16 = b''.join(b'\x00' + bytes(8 * 2) for y in range(2))
    write('image', 'gray.png', png(6, 4, 0, gray))
    write('image', 'rgb_sub_filter.png', png(5, 3, 2, rgb))
    write('image', 'rgba16.png', png(2, 2, 6, rgba16, bit_depth=16))
    write('image', 'adam7.png', png(6, 4, 0, b'\x00' * 64, interlace=1))
    write('image', 'tiny.gif', bytes.fromhex(
        '474946383761030002008200'
        '00ffffff00ff000a141eff00000000ff000000000000000000002c000000000300020000080900070420'
        '00a08080800080003b'))
    write('image', 'tiny.bmp', b'BM' + struct.pack('<IHHI', 62, 0, 0, 54) +
          struct.pack('<IiiHHIIiiII', 40, 2, 1, 1, 24, 0, 8, 0, 0, 0, 0) + bytes([0, 0, 255, 0, 255, 0, 0, 0]))
    write('image', 'tiny.pgm', b'P5\n3 2\n255\n' + bytes([0, 50, 100, 150, 200, 250]))
    write('image', 'tiny.hdr', b'#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 2\n' + bytes([128, 128, 128, 129] * 2))


def mask_seeds():
    movable = [0] * 1024
    for y in range(8, 20):
        for x in range(10, 22):
            movable[y * 32 + x] = 1
    counts, current, run = [], 0, 0
    for v in movable:
        if v == current:
            run += 1
        else:
            counts.append(run)
            current, run = v, 1
    counts.append(run)
    import base64
    mask_png = png(32, 32, 0, b''.join(b'\x00' + bytes(255 * v for v in movable[y * 32:(y + 1) * 32]) for y in range(32)))
    write('mask', 'rle.json', b'\x00' + json.dumps({'format': 'rle', 'width': 32, 'height': 32, 'counts': counts}).encode())
    write('mask', 'raw.json', b'\x00' + json.dumps({'format': 'raw', 'width': 32, 'height': 32,
                                                     'data': base64.b64encode(bytes(movable)).decode()}).encode())
    write('mask', 'png.json', b'\x00' + json.dumps({'format': 'png', 'data': base64.b64encode(mask_png).decode()}).encode())
    write('mask', 'mask.png', b'\x01' + mask_png)


def session_seeds():
    import base64
    latent = base64.b64encode(floats([0.1] * 640)).decode()
    doc = {'format': 'draggan-session', 'version': 1,
           'model': {'id': 'tiny_sg2', 'file': 'tiny_sg2.pkl', 'family': 'stylegan2', 'resolution': 64, 'height': 64,
                     'width': 48, 'num_ws': 10, 'w_dim': 64, 'z_dim': 64},
           'seed': 3, 'psi': 0.7, 'latent_space': 'w+',
           'params': {'lr': 0.01, 'r1': 3, 'r2': 12, 'lambda_mask': 20, 'max_steps': 50, 'noise': 'const'},
           'latent': {'dtype': 'float32', 'shape': [1, 10, 64], 'data': latent},
           'points': [{'handle': [22, 30], 'target': [38, 30]}, {'handle': [5, 5], 'target': None}],
           'mask': {'format': 'rle', 'width': 48, 'height': 64, 'counts': [100, 400, 2572]}}
    write('session_json', 'session.json', json.dumps(doc).encode())
    tuned = dict(doc, generator={'mapping.w_avg': {'dtype': 'float32', 'shape': [2], 'data': base64.b64encode(floats([1, 2])).decode()}})
    write('session_json', 'tuned.json', json.dumps(tuned).encode())


def request_guard_seeds():
    write('request_guard', 'post_json', b'POST\n/api/sessions/abc/points\n127.0.0.1:7860\nhttp://127.0.0.1:7860\nsame-origin\n20\napplication/json')
    write('request_guard', 'upload', b'POST\n/api/sessions/abc/upload\nlocalhost:7860\n\n\n5000\nimage/png')
    write('request_guard', 'ipv6_get', b'GET\n/\n[::1]:7860\n\ncross-site\n\n')
    write('request_guard', 'evil', b'PUT\n/api/sessions/abc/mask\nevil.example:7860\nnull\ncross-site\n99999999\ntext/plain')


if __name__ == '__main__':
    pickle_seeds()
    torch_seeds()
    nvidia_seeds()
    tensorflow_seeds()
    safetensors_seeds()
    npy_seeds()
    idx_seeds()
    image_seeds()
    mask_seeds()
    session_seeds()
    request_guard_seeds()
