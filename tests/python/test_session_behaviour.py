"""How a DragSession behaves from Python: iteration, named point orders, caller's data left alone,
Ctrl-C between steps, the GIL released during steps."""
import _thread
import threading
import time

import numpy as np
import pytest

import draggan_cpp as dg


def session_of(model, **kw):
    kw.setdefault("points_xy", [(20, 20)])
    kw.setdefault("targets_xy", [(40, 20)])
    return dg.DragSession(model, model.w_from_seed(0), lr=0.01, feature_idx=3, r1=16, r2=48, **kw)


def test_steps_stop_at_max_steps_and_images_come_only_when_asked(tiny):
    session = session_of(tiny)
    steps = list(session.steps(3))
    assert [s.step for s in steps] == [0, 1, 2] and session.steps_taken == 3
    assert all(s.image is None for s in steps)
    s = next(session.steps(1, image=True))
    assert s.image.shape == (64, 64, 3) and s.image.dtype == np.uint8
    assert isinstance(s.points[0], dg.Point) and len(s.distances) == 1 and s.loss > 0


def test_steps_end_with_the_step_that_reached_the_targets(shipped):
    # Handles already within the stop distance: the first step is done and is the last one yielded.
    session = dg.DragSession(shipped, shipped.w_from_seed(1), points_xy=[(10, 10)], targets_xy=[(11, 10)])
    steps = list(session.steps(50))
    assert len(steps) == 1 and steps[0].done
    assert session.steps_taken == 0  # a done step takes no optimiser step


def test_the_image_of_a_step_is_the_one_its_tracking_saw(tiny):
    session = session_of(tiny)
    before = session.image()
    first = session.step(image=True)
    np.testing.assert_array_equal(first.image, before)
    assert not np.array_equal(session.image(), before)  # the step moved the latent


def test_points_in_both_orders_are_the_same_drag(tiny):
    a = session_of(tiny, points_xy=[(22, 30)], targets_xy=[(38, 30)])
    b = session_of(tiny, points_xy=None, targets_xy=None, points_rowcol=[(30, 22)], targets_rowcol=[(30, 38)])
    c = session_of(tiny, points_xy=None, targets_xy=None, points=[dg.Point(row=30, col=22)],
                   targets=[dg.xy(38, 30)])
    runs = [[s.points for s in x.steps(4)] for x in (a, b, c)]
    assert runs[0] == runs[1] == runs[2]
    assert a.points_rowcol.tolist() == [[p.row, p.col] for p in a.points]


def test_bare_pairs_and_unpacking_are_refused(tiny):
    w = tiny.w_from_seed(0)
    with pytest.raises(ValueError, match="points_xy=.*points_rowcol="):
        dg.DragSession(tiny, w, points=[(20, 20)], targets=[dg.xy(30, 20)])
    with pytest.raises(ValueError, match="one way"):
        dg.DragSession(tiny, w, points_xy=[(20, 20)], points_rowcol=[(20, 20)], targets_xy=[(30, 20)])
    p = dg.Point(x=3, y=4)
    assert (p.row, p.col, p.xy, p.rowcol) == (4, 3, (3, 4), (4, 3))
    assert dg.rowcol(4, 3) == p and repr(p) == "Point(x=3, y=4)"
    with pytest.raises(TypeError):
        r, c = p
    with pytest.raises(TypeError):
        dg.Point(3, 4)
    with pytest.raises(ValueError):
        dg.Point(x=1, row=2)


def test_the_callers_lists_and_arrays_are_never_changed(tiny):
    points, targets = [[20, 20], [42, 44]], [[30, 26], [30, 38]]  # drag2_lr01 of the fixtures, as (x, y)
    as_array = np.array(points, dtype=np.float64)
    w = tiny.w_from_seed(0)
    w_before = w.copy()
    session = dg.DragSession(tiny, w, points_xy=points, targets_xy=targets, lr=0.01, feature_idx=3, r1=16, r2=48)
    session.set_points(points_xy=as_array, targets_xy=targets)
    for _ in session.steps(5):
        pass
    assert session.points_xy.tolist() != points  # tracking moved the handles ...
    assert points == [[20, 20], [42, 44]] and targets == [[30, 26], [30, 38]]  # ... not the caller's lists
    np.testing.assert_array_equal(as_array, [[20, 20], [42, 44]])
    np.testing.assert_array_equal(w, w_before)
    mine = session.w
    mine[:] = 0  # the latent handed out is a copy
    assert np.abs(session.w).max() > 0


def test_ctrl_c_stops_between_steps_and_the_session_goes_on(tiny):
    session = session_of(tiny)
    seen = []
    with pytest.raises(KeyboardInterrupt):
        for s in session.steps(20):
            seen.append(s.step)
            if len(seen) == 2:
                _thread.interrupt_main()  # as Ctrl-C: SIGINT's handler raises at the next check
    assert 2 <= len(seen) < 20
    assert session.steps_taken == len(seen)  # no step was cut in half
    assert next(session.steps(1)).step == len(seen)


def test_ctrl_c_during_a_step_stops_before_the_next_one(tiny):
    session = session_of(tiny)
    timer = threading.Timer(0.05, _thread.interrupt_main)  # arrives while a step runs
    seen = []
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            for s in session.steps(10_000):
                seen.append(s.step)
    finally:
        timer.cancel()
    # The step running when Ctrl-C came finished (its report may not have reached the loop); none was cut short.
    assert len(seen) < 10_000 and session.steps_taken in (len(seen), len(seen) + 1)
    assert next(session.steps(1)).step == session.steps_taken - 1


def test_other_threads_run_while_a_step_runs(shipped):
    # A counting thread stamps the time of each count. Both threads read the clock only while holding the GIL,
    # so a stamp strictly between a step's start and end proves that the step let the GIL go.
    session = dg.DragSession(shipped, shipped.w_from_seed(0), points_xy=[(8, 8)], targets_xy=[(24, 24)])
    stamps, stop = [], threading.Event()

    def count():
        while not stop.is_set():
            stamps.append(time.perf_counter())

    counter = threading.Thread(target=count)
    counter.start()
    windows = []
    try:
        for _ in range(5):
            start = time.perf_counter()
            session.step(image=True)
            windows.append((start, time.perf_counter()))
    finally:
        stop.set()
        counter.join()
    inside = [sum(1 for t in stamps if a < t < b) for a, b in windows]
    assert all(n > 0 for n in inside), inside


def test_a_drag_in_a_thread_while_the_main_thread_counts(shipped):
    session = dg.DragSession(shipped, shipped.w_from_seed(2), points_xy=[(8, 8)], targets_xy=[(24, 24)])
    result = {}

    def drag():
        result["steps"] = [s.step for s in session.steps(10)]

    worker = threading.Thread(target=drag)
    worker.start()
    counted = 0
    while worker.is_alive():
        counted += 1
    worker.join()
    assert len(result["steps"]) >= 1 and counted > 1000


def test_two_sessions_in_two_threads_equal_the_same_sessions_run_one_after_the_other(shipped):
    def run(seed, out):
        s = dg.DragSession(shipped, shipped.w_from_seed(seed), points_xy=[(10, 12)], targets_xy=[(20, 12)])
        out[seed] = [x.points for x in s.steps(6)]

    alone, together = {}, {}
    run(3, alone)
    run(4, alone)
    threads = [threading.Thread(target=run, args=(seed, together)) for seed in (3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert together == alone


def test_settings_default_to_the_model_file_and_can_change_mid_drag(tiny, shipped):
    assert dg.DragSession(tiny, tiny.w_from_seed(0)).settings["lr"] == 0.001  # official default
    recorded = shipped.drag_settings
    s = dg.DragSession(shipped, shipped.w_from_seed(0), points_xy=[(10, 12)], targets_xy=[(20, 12)])
    assert s.settings["lr"] == recorded["lr"] and recorded["lr"] != 0.001
    s.update(lr=0.5)
    assert s.settings["lr"] == 0.5
    with pytest.raises(ValueError, match="w_plus"):
        s.update(w_plus=False)


def test_latents_in_every_shape_a_latent_file_may_have(tiny):
    ws = tiny.w_from_seed(0)
    w_vector = ws[0, 0]  # a W vector: broadcast to every row
    broadcast = np.repeat(ws[:, :1], tiny.num_ws, axis=1)
    image = tiny.synthesize(broadcast)
    for shape in (w_vector, w_vector[None], w_vector[None, None], broadcast[0], broadcast.astype(np.float64)):
        np.testing.assert_array_equal(tiny.synthesize(shape), image)
    batch = np.concatenate([ws, broadcast])
    both = tiny.synthesize(batch)
    assert both.shape == (2, 64, 64, 3)
    np.testing.assert_array_equal(both[1], image)
    np.testing.assert_array_equal(both[0], tiny.synthesize(ws))
