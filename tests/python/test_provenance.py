"""Every image file the Python module writes carries its provenance record (docs/provenance.md), read back here by
independent readers (exiftool, PIL) and by `draggan info`; the same drag or projection from Python and from the
CLI writes the same file, record included; ai_mark=True stamps the visible mark in the corner only."""
import hashlib
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

import draggan_cpp as dg
from conftest import DATA, ROOT, run_cli

SHIPPED = os.path.join(ROOT, "models", "default.safetensors")
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
GENERATED, EDITED = IPTC + "trainedAlgorithmicMedia", IPTC + "compositeWithTrainedAlgorithmicMedia"


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def exiftool(path):
    """exiftool's reading of the file (Debian's libimage-exiftool-perl, in setup.sh's test packages)."""
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool not installed (DRAGGAN_TEST_DEPS=1 bash scripts/setup.sh)")
    done = subprocess.run(["exiftool", "-j", "-a", str(path)], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)[0]


def pil_text(path):
    Image = pytest.importorskip("PIL.Image")
    with Image.open(path) as image:
        return dict(image.text)


def dragged_session(shipped):
    session = dg.DragSession(shipped, shipped.w_from_seed(13, trunc_psi=0.6), points_xy=[(12, 16)],
                             targets_xy=[(19, 16)])
    steps = list(session.steps(4))
    return session, len(steps)


def test_a_dragged_session_png_carries_its_record_for_exiftool_and_pil(shipped, tmp_path):
    session, steps = dragged_session(shipped)
    path = tmp_path / "drag.png"
    session.write_png(path)

    text = pil_text(path)
    assert text["draggan model"] == "default.safetensors"
    assert text["draggan model sha256"] == sha256_of(SHIPPED)
    assert text["draggan seed"] == "13" and float(text["draggan psi"]) == pytest.approx(0.6)
    assert json.loads(text["draggan drags"]) == [{"points": [[12, 16, 19, 16]], "steps": steps, "mask": False}]
    assert text["Software"].startswith("draggan ")
    assert GENERATED in text["XML:com.adobe.xmp"]

    tags = exiftool(path)
    assert tags["DigitalSourceType"] == GENERATED
    assert tags["DragganModelSha256"] == sha256_of(SHIPPED)
    assert str(tags["DragganSeed"]) == "13"
    assert json.loads(tags["DragganDrags"])[0]["steps"] == steps

    # `draggan info` prints the same record back.
    info = json.loads(run_cli("info", path, "--json").stdout)
    assert info["digital_source_type"] == GENERATED
    assert info["text"]["draggan model sha256"] == sha256_of(SHIPPED)
    assert "draggan seed" in run_cli("info", path).stdout
    assert dg.read_provenance(path) == session.provenance


def test_a_second_drag_and_a_mask_are_recorded_in_order(shipped, tmp_path):
    session, steps = dragged_session(shipped)
    flexible = np.zeros((shipped.height, shipped.width), np.uint8)
    flexible[:, 8:] = 1
    session.set_mask(flexible=flexible)
    session.move_target(0, target_xy=(22, 16))
    list(session.steps(2))
    drags = session.provenance.drags
    assert [(d.steps, d.mask) for d in drags] == [(steps, False), (2, True)]
    assert drags[1].points[0][2:] == (22, 16)
    session.restart()
    assert session.provenance.drags == [] and session.provenance.seed == 13


def test_a_plain_write_png_still_says_generated(tmp_path):
    path = tmp_path / "plain.png"
    dg.write_png(path, np.zeros((8, 8, 3), np.uint8))
    tags = exiftool(path)
    assert tags["DigitalSourceType"] == GENERATED
    assert tags["Software"].startswith("draggan ")
    assert dg.read_provenance(path) == dg.Provenance()
    # A picture the module did not make can say so: no AI source type.
    dg.write_png(path, np.zeros((8, 8, 3), np.uint8), provenance=dg.Provenance("other", description="a test card"))
    assert "DigitalSourceType" not in exiftool(path)
    with pytest.raises(dg.InputError, match="description"):
        dg.write_png(path, np.zeros((8, 8, 3), np.uint8), provenance=dg.Provenance("other"))
    with pytest.raises(TypeError):
        dg.write_png(path, np.zeros((8, 8, 3), np.uint8), provenance="generated")


def test_an_arbitrary_latent_records_its_hash_not_a_seed(shipped, tmp_path):
    w = shipped.w_from_seed(3) * 0.5
    record = shipped.provenance(w)
    assert record.seed is None and record.origin == "generated"
    np.save(tmp_path / "w.npy", w)
    assert record.latent_sha256 == sha256_of(tmp_path / "w.npy")  # what `draggan drag --latent w.npy` records
    assert shipped.provenance(shipped.w_from_seed(3)).seed == 3


def test_the_gif_carries_xmp_and_the_record(shipped, tmp_path):
    session, steps = dragged_session(shipped)
    path = tmp_path / "drag.gif"
    frame = np.repeat(session.image(), 3, axis=2)
    dg.write_gif(path, [frame, frame], provenance=session.provenance)
    assert exiftool(path)["DigitalSourceType"] == GENERATED
    assert dg.read_provenance(path) == session.provenance
    with dg.GifWriter(tmp_path / "marked.gif", shipped.width, shipped.height, ai_mark=True) as gif:
        gif.add(frame)
        gif.provenance = session.provenance
    info = json.loads(run_cli("info", tmp_path / "marked.gif", "--json").stdout)
    assert (info["width"], info["height"]) == (256, 256)  # enlarged for the mark
    assert info["digital_source_type"] == GENERATED


def test_ai_mark_changes_the_bottom_right_corner_only(tmp_path):
    image = np.full((256, 256, 3), 90, np.uint8)
    dg.write_png(tmp_path / "plain.png", image)
    dg.write_png(tmp_path / "marked.png", image, ai_mark=True)
    plain, marked = dg.read_image(tmp_path / "plain.png"), dg.read_image(tmp_path / "marked.png")
    changed = np.argwhere((plain != marked).any(axis=2))
    assert len(changed) > 0
    assert changed[:, 0].min() >= 256 * 3 // 4 and changed[:, 1].min() >= 256 // 2
    # A small model's image is enlarged first, each pixel a sharp square.
    assert dg.mark_as_generated(np.zeros((32, 32, 1), np.uint8)).shape == (256, 256, 1)


def test_a_python_drag_writes_the_cli_drag_files_byte_for_byte(tmp_path, tiny):
    handles, targets = [(20, 20)], [(30, 26)]
    args = ["drag", "--model", os.path.join(DATA, "tiny_sg2.pkl"), "--seed", 0, "--out", tmp_path / "cli.png",
            "--lr", 0.01, "--feature-block", 3, "--r1", 16, "--r2", 48, "--steps", 3, "--ai-mark"]
    for (hx, hy), (tx, ty) in zip(handles, targets):
        args += ["--handle", f"{hx},{hy}", "--target", f"{tx},{ty}"]
    run_cli(*args)
    session = dg.DragSession(tiny, tiny.w_from_seed(0), points_xy=handles, targets_xy=targets, lr=0.01,
                             feature_idx=3, r1=16, r2=48)
    list(session.steps(3))
    session.write_png(tmp_path / "py.png", ai_mark=True)
    assert (tmp_path / "py.png").read_bytes() == (tmp_path / "cli.png").read_bytes()


def test_an_inverted_photo_is_an_edited_photo_as_draggan_project_records(shipped, tmp_path):
    photo = tmp_path / "photo.png"
    dg.write_png(photo, shipped.synthesize(shipped.w_from_seed(6)))
    run_cli("project", "--model", SHIPPED, "--image", photo, "--steps", 6, "--pti-steps", 3, "--out",
            tmp_path / "rec.png", "--out-latent", tmp_path / "w.npy", "--out-model", tmp_path / "tuned.safetensors")
    result = dg.invert(shipped, photo, steps=6, pti_steps=3)
    assert result.provenance.origin == "edited photo"
    assert result.provenance.photo_sha256 == sha256_of(photo)
    result.write_png(tmp_path / "py.png")
    assert (tmp_path / "py.png").read_bytes() == (tmp_path / "rec.png").read_bytes()

    session = dg.DragSession(result.model, result.w, points_xy=[(12, 16)], targets_xy=[(16, 16)])
    list(session.steps(2))
    session.write_png(tmp_path / "dragged.png")
    tags = exiftool(tmp_path / "dragged.png")
    assert tags["DigitalSourceType"] == EDITED
    assert tags["DragganPhotoSha256"] == sha256_of(photo)
    # A saved tuned model keeps saying so, as the CLI's does.
    result.model.save(tmp_path / "mine.safetensors")
    again = dg.load(tmp_path / "mine.safetensors")
    assert again.provenance().origin == "edited photo" and again.provenance().photo_sha256 == sha256_of(photo)
