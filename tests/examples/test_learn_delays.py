"""examples/learn_delays.py at a small size: training the delays recovers the ground-truth motif offsets."""

import importlib.util
import pathlib

import numpy as np

_PATH = pathlib.Path(__file__).resolve().parents[2] / "examples" / "learn_delays.py"


def _example():
    spec = importlib.util.spec_from_file_location("learn_delays_example", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_learned_delays_recover_motif(tmp_path):
    ex = _example()
    res = ex.train(n_in=5, n_motifs=1, iters=100, batch=16, seed=0, verbose=False)
    rec, rec0 = res["recovery"], res["recovery_initial"]
    # the random initial delays are far from aligning the motif; the learned ones align it to within
    # about a step (dt = 0.5 ms) of the ground truth, up to the common offset
    assert rec0["rms_ms"] > 2.5
    assert rec["rms_ms"] < 1.0 and rec["max_ms"] < 1.5, rec
    assert min(rec["corr"]) > 0.98, rec
    # with the delays rounded to the grid (event-driven Projection), the output detects the motif
    assert res["accuracy_before"] < 0.6
    assert res["accuracy_after"] > 0.95
    out = ex.plot(res, tmp_path / "learn_delays.png")
    assert out.stat().st_size > 10_000
    assert np.all((res["learned"] >= 0) & (res["learned"] <= 25.0))
