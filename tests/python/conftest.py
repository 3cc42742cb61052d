"""Shared fixtures of the Python module's tests (run by ctest as `python_tests`; by hand:
PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/python)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.environ.get("DRAGGAN_TEST_DATA", os.path.join(ROOT, "tests", "data"))
BINARY = os.environ.get("DRAGGAN_BINARY", os.path.join(ROOT, "build", "src", "tools", "draggan"))
if not any(os.path.isdir(os.path.join(p, "draggan_cpp")) for p in sys.path if p):
    sys.path.insert(0, os.path.join(ROOT, "build", "python"))

import draggan_cpp as dg  # noqa: E402

# One thread in the tests and in every CLI run they compare with: the same arithmetic, and a fair share of
# the two cores when ctest runs suites side by side.
THREADS = 1
dg.set_threads(THREADS)


class Fixture:
    """The official arrays of tests/data (tests/data/README.md): the top folder or formats/<name>."""

    def __init__(self, name=None):
        self.dir = DATA if name is None else os.path.join(DATA, "formats", name)
        with open(os.path.join(self.dir, "manifest.json")) as f:
            self.manifest = json.load(f)

    @property
    def checkpoint(self):
        return os.path.join(self.dir, self.manifest["generator"]["pkl"])

    def array(self, name):
        entry = self.manifest.get("arrays", {}).get(name)
        return np.load(os.path.join(self.dir, entry["file"] if entry else name + ".npy"))

    def case(self, name):
        return next(c for c in self.manifest["cases"] if c["name"] == name)

    @property
    def hyper(self):
        return self.manifest["drag_hyperparameters"]


def run_cli(*args, check=True):
    """`draggan ARGS --threads 1`; returns the CompletedProcess (stdout/stderr as text)."""
    done = subprocess.run([BINARY, *map(str, args), "--threads", str(THREADS)], capture_output=True, text=True,
                          timeout=300)
    if check and done.returncode != 0:
        raise AssertionError(f"draggan {' '.join(map(str, args))} failed ({done.returncode}): {done.stderr}")
    return done


def cli_error_line(*args):
    """The one line the CLI prints for a failing command, without its 'draggan: ' prefix."""
    done = run_cli(*args, check=False)
    assert done.returncode != 0, f"draggan {args} succeeded"
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("draggan: "), line
    return line[len("draggan: "):]


@pytest.fixture(scope="session")
def tiny():
    """The official fixtures' 64-px StyleGAN2 snapshot (tests/data/tiny_sg2.pkl)."""
    return dg.load(os.path.join(DATA, "tiny_sg2.pkl"))


@pytest.fixture(scope="session")
def shipped():
    """The shipped 32-px Fashion-MNIST model, with the drag settings its file records."""
    return dg.load(os.path.join(ROOT, "models", "default.safetensors"))
