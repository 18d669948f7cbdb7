"""`brainsim run` prints a summary and writes summary.json and raster.png."""

import json
import subprocess
import sys

import pytest

from brainsim.cli import main


def test_run_writes_summary_and_raster(tmp_path, capsys):
    out = tmp_path / "out"
    main(["run", "coba", "--n-neurons", "400", "--duration", "50", "--out", str(out), "--seed", "2"])
    s = json.loads((out / "summary.json").read_text())
    for key in ("n_neurons", "n_synapses", "duration_ms", "mean_rate_hz", "compile_s", "run_s", "cv_isi"):
        assert key in s
    assert s["n_neurons"] == 400 and s["duration_ms"] == 50.0 and s["n_synapses"] > 0
    assert s["run_s"] > 0 and s["compile_s"] > 0 and s["mean_rate_hz"] > 0
    assert (out / "raster.png").stat().st_size > 1000
    text = capsys.readouterr().out
    assert "mean rate" in text and "realtime factor" in text


def test_unknown_model_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="unknown model 'nope'"):
        main(["run", "nope", "--out", str(tmp_path)])


def test_console_script_help():
    r = subprocess.run([sys.executable, "-m", "brainsim.cli", "run", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--n-neurons" in r.stdout


def test_bench_json(capsys):
    main(["bench", "coba", "--sizes", "300", "--duration", "20", "--repeats", "1", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["model"] == "coba" and rows[0]["n_neurons"] == 300
    assert rows[0]["run_s"] > 0 and rows[0]["compile_s"] > 0 and rows[0]["mean_rate_hz"] >= 0
