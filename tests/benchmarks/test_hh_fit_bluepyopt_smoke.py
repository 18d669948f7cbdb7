"""benchmarks/peers/hh_fit_bluepyopt.py --quick in the peers' hh venv (NEURON + BluePyOpt): the JSON it writes has
the per-generation evaluations, times and best parameters (brainsim's names, within the bounds) that
benchmarks/bench_fit_hh.py reads. Skipped where the venv (``bash benchmarks/peers/setup hh``) is missing."""

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
VENV = ROOT / "benchmarks" / "peers" / ".venvs" / "hh" / "bin" / "python"
SCRIPT = ROOT / "benchmarks" / "peers" / "hh_fit_bluepyopt.py"
TRUE = {"g_Na": 120.0, "g_K": 36.0, "g_L": 0.3}  # tests/data/make_hh_fit_reference.py, mS/cm^2


def test_bluepyopt_quick_writes_generation_rows(tmp_path):
    if not VENV.exists() or subprocess.run([str(VENV), "-c", "import bluepyopt, neuron, efel, h5py"],
                                           capture_output=True).returncode != 0:
        pytest.skip("peers' hh venv with bluepyopt missing (bash benchmarks/peers/setup hh)")
    out = tmp_path / "bpo.json"
    r = subprocess.run([str(VENV), str(SCRIPT), "--quick", "--out", str(out)], capture_output=True, text=True,
                       timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    d = json.loads(out.read_text())
    assert d["evaluations"] == [8, 16]  # 8 offspring, 2 generations; one evaluation = one parameter set
    assert d["neuron_runs"] == [32, 64]  # 4 sweeps each
    assert all(b > a for a, b in zip([0.0] + d["seconds"][:-1], d["seconds"], strict=True))
    assert len(d["best_params"]) == 2
    for best in d["best_params"]:
        assert set(best) == set(TRUE)
        assert all(0.5 * v <= best[n] <= 2.0 * v for n, v in TRUE.items())
    assert d["best_score"][1] <= d["best_score"][0]
    assert d["settings"]["scoring_check"]["identical_scores"]
    assert {"neuron", "bluepyopt", "deap", "efel"} <= set(d["versions"])
