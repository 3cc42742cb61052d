"""Provenance: the record every image file of this module carries (docs/provenance.md), as the CLI's and the
editor's do: the IPTC digital source type in XMP, and in PNG text chunks (a GIF comment) the model file and its
SHA-256, the seed and psi or the projected photo's hash, and the drags."""
import json as _json
from collections import namedtuple

from . import _engine

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
_SOURCE_TYPES = {"generated": IPTC + "trainedAlgorithmicMedia",
                 "edited photo": IPTC + "compositeWithTrainedAlgorithmicMedia", "other": None}


class DragRecord(namedtuple("DragRecord", "points steps mask")):
    """One drag of the record: points [(hx, hy, tx, ty), ...] as the user gave them (x = column), the steps it
    ran (as `draggan drag` counts them: every step reported, the last one included), whether a mask was set."""


class Provenance:
    """How an image was made. origin: 'generated' (IPTC trainedAlgorithmicMedia: the generator's image of a seed
    or latent), 'edited photo' (compositeWithTrainedAlgorithmicMedia: a photo projected by invert(), dragged or
    not) or 'other' (no AI source type claimed; give a description). The other fields are empty when unknown:
    model (file name), model_sha256, seed, psi, latent_sha256 (of the start latent as a .npy file),
    photo_sha256, drags (DragRecord list), description (replaces the sentence the origin gives).

    Provenance() is the record of an image the module made with no more known (what write_png writes when
    given none). session.provenance, inversion.provenance and model.provenance(w) give the full ones."""

    __slots__ = ("origin", "model", "model_sha256", "seed", "psi", "latent_sha256", "photo_sha256", "drags",
                 "description")

    def __init__(self, origin="generated", *, model="", model_sha256="", seed=None, psi=None, latent_sha256="",
                 photo_sha256="", drags=(), description=""):
        if origin not in _SOURCE_TYPES:
            raise ValueError(f"origin must be one of {list(_SOURCE_TYPES)}, got {origin!r}")
        self.origin, self.model, self.model_sha256 = origin, model, model_sha256
        self.seed, self.psi = seed, psi
        self.latent_sha256, self.photo_sha256, self.description = latent_sha256, photo_sha256, description
        self.drags = [DragRecord([tuple(p) for p in d[0]], int(d[1]), bool(d[2])) for d in drags]

    @property
    def digital_source_type(self):
        """The IPTC digital source type URL the XMP carries (None for 'other')."""
        return _SOURCE_TYPES[self.origin]

    def to_dict(self):
        """The library's JSON form (the editor's session files use it): empty fields left out."""
        d = {"origin": self.origin}
        for name in ("model", "model_sha256", "latent_sha256", "photo_sha256", "description"):
            if getattr(self, name):
                d[name] = getattr(self, name)
        if self.seed is not None:
            d["seed"] = int(self.seed)
        if self.psi is not None:
            d["psi"] = float(self.psi)
        if self.drags:
            d["drags"] = [{"points": [list(map(float, p)) for p in r.points], "steps": r.steps, "mask": r.mask}
                          for r in self.drags]
        return d

    @classmethod
    def from_dict(cls, d):
        d = dict(d)
        drags = [(r.get("points", []), r.get("steps", 0), r.get("mask", False)) for r in d.pop("drags", [])]
        return cls(d.pop("origin", "generated"), drags=drags, **d)

    def to_json(self):
        return _json.dumps(self.to_dict())

    def copy(self, **changes):
        d = self.to_dict()
        d.update(changes)
        return Provenance.from_dict(d)

    def __eq__(self, other):
        return isinstance(other, Provenance) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"Provenance({self.to_dict()!r})"


def record_json(provenance):
    """The JSON the engine's writers take: a Provenance, its dict form, or None (Provenance())."""
    if provenance is None:
        return Provenance().to_json()
    if isinstance(provenance, Provenance):
        return provenance.to_json()
    if isinstance(provenance, dict):
        return Provenance.from_dict(provenance).to_json()
    raise TypeError(f"provenance must be a draggan_cpp.Provenance, a dict or None, not {type(provenance).__name__}")


def read_provenance(path):
    """The record a PNG, animated PNG or GIF file carries (ours or any with the same fields), or None when it
    carries none: what `draggan info FILE` prints."""
    import os
    found = _engine.read_record(os.fspath(path))
    return None if found is None else Provenance.from_dict(_json.loads(found))


def latent_sha256(w):
    """SHA-256 of the latent as numpy.save writes it (float32, C order): the hash `draggan drag --latent` records
    for the same array saved with numpy.save."""
    import hashlib
    import io

    import numpy as np
    if hasattr(w, "detach"):
        w = w.detach().cpu().numpy()
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(np.asarray(w, dtype=np.float32)))
    return hashlib.sha256(buf.getvalue()).hexdigest()


def model_provenance(model, w=None):
    """The record of model.synthesize(w)'s image: the model file and its SHA-256 (hashed once per model); the
    seed and psi when model.w_from_seed made w, else the latent's SHA-256; an edited photo for invert()'s model."""
    record = Provenance.from_dict(_json.loads(_engine.model_record(model, w)))
    if w is not None and record.seed is None:
        record.latent_sha256 = latent_sha256(w)
    return record


__all__ = ["Provenance", "DragRecord", "read_provenance", "model_provenance"]
