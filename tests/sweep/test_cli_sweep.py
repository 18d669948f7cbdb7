"""``brainsim sweep SPEC``: checks before any compilation (exit 2), a run into a store with plots, resume."""

import pytest
import xarray as xr

from brainsim.cli import main

pytest.importorskip("zarr")

SPEC = """
model = "coba"
seeds = [0]
[model_args]
n_neurons = 40
[run]
duration = 20.0
summaries = ["rate"]
[params.w_e]
paths = ["E->*.weight"]
values = [4.0, 8.0]
[params.w_i]
paths = ["I->*.weight"]
values = [30.0, {w_i}]
"""


def test_bad_arguments_exit_2_before_compiling(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.format(w_i="-5.0"))
    with pytest.raises(SystemExit) as e:
        main(["sweep", str(bad)])
    assert e.value.code == 2 and "outside the valid range of projection 'I->E'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["sweep", str(tmp_path / "missing.toml")])
    assert e.value.code == 2
    good = tmp_path / "good.toml"
    good.write_text(SPEC.format(w_i="90.0"))
    for argv in (["--max-chunk", "0"], ["--memory-budget", "1 kB"], ["--memory-budget", "lots"]):
        with pytest.raises(SystemExit) as e:
            main(["sweep", str(good), *argv])
        assert e.value.code == 2
    assert not list(tmp_path.glob("*.zarr"))


def test_runs_into_a_store_with_plots_and_resumes(tmp_path, capsys):
    spec = tmp_path / "phase.toml"
    spec.write_text(SPEC.format(w_i="90.0"))
    out = tmp_path / "phase.zarr"
    assert main(["sweep", str(spec), "--out", str(out), "--plot", "--no-progress", "--max-chunk", "2",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    text = capsys.readouterr().out
    assert "4 samples" in text and "rate" in text
    assert (tmp_path / "phase.rate.E.png").exists() and (tmp_path / "phase.rate.I.png").exists()
    ds = xr.open_zarr(out)
    assert ds.rate.sizes == {"w_e": 2, "w_i": 2, "seed": 1, "population": 2}
    assert main(["sweep", str(spec), "--out", str(out), "--no-progress", "--max-chunk", "2"]) == 0  # all done
    assert main(["sweep", str(spec), "--out", str(out), "--no-resume", "--no-progress"]) == 2
    spec.write_text(SPEC.format(w_i="100.0"))
    assert main(["sweep", str(spec), "--out", str(out), "--no-progress", "--max-chunk", "2"]) == 2
    assert "different spec" in capsys.readouterr().err
