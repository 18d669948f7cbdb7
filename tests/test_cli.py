"""`brainsim run` prints a summary and writes summary.json and raster.png; bad arguments stop before any work."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import brainsim.cli as cli
from brainsim.cli import ArgumentError, main


def test_run_writes_summary_and_raster(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "coba", "--n-neurons", "400", "--duration", "50", "--out", str(out), "--seed", "2"]) == 0
    s = json.loads((out / "summary.json").read_text())
    for key in ("n_neurons", "n_synapses", "duration_ms", "mean_rate_hz", "compile_s", "run_s", "cv_isi"):
        assert key in s
    assert s["n_neurons"] == 400 and s["duration_ms"] == 50.0 and s["n_synapses"] > 0
    assert s["run_s"] > 0 and s["compile_s"] > 0 and s["mean_rate_hz"] > 0
    assert (out / "raster.png").stat().st_size > 1000
    assert sorted(os.listdir(out)) == ["raster.png", "summary.json"]  # no temporary files left
    assert (out / "summary.json").stat().st_mode & 0o044 == 0o044  # readable by others, like the raster
    text = capsys.readouterr().out
    assert "mean rate" in text and "realtime factor" in text


def test_zero_duration_gives_an_empty_summary(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "cuba", "--n-neurons", "50", "--duration", "0", "--out", str(out), "--no-plot"]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["duration_ms"] == 0.0 and s["n_spikes"] == 0 and s["n_neurons"] == 50
    assert s["mean_rate_hz"] is None and s["rates_hz"] == {"E": None, "I": None} and s["cv_isi"] is None
    assert s["realtime_factor"] is None and s["run_s"] == 0.0
    assert not (out / "raster.png").exists()
    assert "mean rate        n/a" in capsys.readouterr().out


def _usage_error(argv, capsys):
    """Run main(argv), expect argparse's exit status 2 with a usage line; return the error line."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: brainsim ")
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize("args, message", [
    (["--dt", "0"], "--dt must be > 0 ms, got 0"),
    (["--dt", "-0.1"], "--dt must be > 0 ms, got -0.1"),
    (["--dt", "nan"], "--dt must be a finite number of ms, got nan"),
    (["--duration", "-1"], "--duration must be >= 0 ms, got -1"),
    (["--duration", "inf"], "--duration must be a finite number of ms, got inf"),
    (["--duration", "1.05"], "--duration=1.05 ms is not a whole number of steps of dt=0.1 ms (nearest: 1 or 1.1"),
    (["--duration", "10", "--dt", "0.3"], "--duration=10.0 ms is not a whole number of steps of dt=0.3 ms"),
    (["--n-neurons", "0"], "--n-neurons 0 is too small for model 'coba'"),
    (["--n-neurons", "2"], "--n-neurons 2 is too small for model 'coba' (its E and I populations need at least 3"),
    (["--seed", "-1"], "--seed must be an integer in [0, "),
    (["--seed", str(2**64)], "--seed must be an integer in [0, "),
    (["--unroll", "0"], "--unroll must be an integer >= 1, got 0"),
])
def test_run_rejects_bad_arguments_before_any_work(args, message, tmp_path, capsys, monkeypatch):
    from brainsim.models import MODELS

    spec, built = MODELS["coba"], []

    def build(n, seed=0):
        built.append(n)
        return spec.build(n, seed=seed)

    monkeypatch.setitem(MODELS, "coba", dataclasses.replace(spec, build=build))
    out = tmp_path / "out"
    line = _usage_error(["run", "coba", "--out", str(out), *args], capsys)
    assert line.startswith("brainsim run: error: ") and message in line, line
    assert not out.exists()  # the out folder is only made once the other arguments are fine
    assert set(built) <= {3}  # at most the 3-neuron copy that the dt check asks, never the 4000-neuron network


def test_unknown_model_is_a_usage_error(tmp_path, capsys):
    line = _usage_error(["run", "nope", "--out", str(tmp_path)], capsys)
    assert "unknown model 'nope'; choose from " in line and "coba, cobahh, cuba" in line


def test_out_that_is_a_file_or_under_a_file_is_rejected(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert "--out" in _usage_error(["run", "cuba", "--n-neurons", "50", "--out", str(f)], capsys)
    line = _usage_error(["run", "cuba", "--n-neurons", "50", "--out", str(f / "sub")], capsys)
    assert "cannot create the folder" in line
    (tmp_path / "o" / "summary.json").mkdir(parents=True)
    line = _usage_error(["run", "cuba", "--n-neurons", "50", "--out", str(tmp_path / "o")], capsys)
    assert "summary.json" in line and "is not a file" in line
    assert f.read_text() == "x"


def test_out_folder_is_created_first_and_must_be_writable(tmp_path, monkeypatch):
    out = tmp_path / "a" / "b"
    assert cli.check_run_args("cuba", 50, 10.0, 0.1, 0, str(out)) == 100  # steps; the folder now exists
    assert out.is_dir() and os.listdir(out) == []  # the write check leaves nothing behind

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli.tempfile, "mkstemp", refuse)  # (a chmod'ed folder does not stop root)
    with pytest.raises(ArgumentError, match="cannot write into the folder"):
        cli.check_run_args("cuba", 50, 10.0, 0.1, 0, str(out))


def test_run_model_checks_its_arguments_too(tmp_path):
    with pytest.raises(ValueError, match=r"brainsim run: --dt must be > 0 ms"):
        cli.run_model("coba", 100, 10.0, 0.0, out=str(tmp_path))
    with pytest.raises(ValueError, match=r"--seed must be an integer"):
        cli.run_model("coba", 100, 10.0, 0.1, seed=1.5, out=str(tmp_path))


def test_dt_too_large_for_the_model_is_a_usage_error(tmp_path, capsys, monkeypatch):
    class Spec:  # a model whose population says dt is too large, as Network.check_dt does
        min_neurons = 2

        def make(self, n, seed=0, dt=None):
            return self.build(n, seed=seed)

        def build(self, n, seed=0):
            class Net:
                def check_dt(self, dt):
                    if dt > 0.05:
                        raise ValueError(f"population 'E': dt={dt} ms is too large for HH")
            return Net()

    from brainsim.models import MODELS

    monkeypatch.setitem(MODELS, "toy", Spec())
    line = _usage_error(["run", "toy", "--out", str(tmp_path / "o")], capsys)
    assert "--dt 0.1 ms does not suit model 'toy': population 'E': dt=0.1 ms is too large" in line
    assert "--n-neurons 1 is too small" in _usage_error(["run", "toy", "--n-neurons", "1"], capsys)


@pytest.mark.parametrize("args, message", [
    (["--sizes", "0"], "--sizes 0 is too small for model 'coba'"),
    (["--sizes", "400", "2"], "--sizes 2 is too small"),
    (["--repeats", "0"], "--repeats must be an integer >= 1, got 0"),
    (["--duration", "0"], "--duration must be > 0 ms (rates need time), got 0"),
    (["--dt", "0"], "--dt must be > 0 ms"),
    (["--duration", "nan"], "--duration must be a finite number of ms, got nan"),
    (["nope"], "unknown model(s) ['nope']"),
])
def test_bench_rejects_bad_arguments(args, message, capsys):
    line = _usage_error(["bench", "coba", *args], capsys)
    assert line.startswith("brainsim bench: error: ") and message in line, line


def test_console_script_help():
    r = subprocess.run([sys.executable, "-m", "brainsim.cli", "run", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--n-neurons" in r.stdout


def test_bench_json(capsys):
    main(["bench", "coba", "--sizes", "300", "--duration", "20", "--repeats", "1", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["model"] == "coba" and rows[0]["n_neurons"] == 300
    assert rows[0]["run_s"] > 0 and rows[0]["compile_s"] > 0 and rows[0]["mean_rate_hz"] >= 0


# The child restores Python's own SIGINT handler: a shell without job control starts background commands with SIGINT
# ignored (POSIX), and a Python started with SIGINT ignored keeps it ignored, so under `cmd &` the child would never see
# the signal and the test would fail for a reason that is not the CLI's.
_CHILD = """
import signal, sys, brainsim.cli
signal.signal(signal.SIGINT, signal.default_int_handler)
sim = sys.modules["brainsim.simulate"]  # the package (brainsim.simulate the attribute is the function)
real = sim.simulate
def simulate(*a, **k):
    sys.stderr.write("simulating\\n"); sys.stderr.flush()
    return real(*a, **k)
sim.simulate = simulate
sys.exit(brainsim.cli.main(sys.argv[1:]))
"""


def test_ctrl_c_during_a_run_exits_130_without_traceback(tmp_path):
    """SIGINT to a child running a long simulation (~10 s on 2 cores; sent 1.5 s after simulate was called, while it
    compiles or runs): one line on stderr, status 130 within a second, no output files."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", _CHILD, "run", "coba", "--n-neurons", "40", "--duration", "300000",
           "--out", str(out), "--no-progress"]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        line = child.stderr.readline()  # blocks until simulate is called (or the child ends)
        assert line == b"simulating\n", line + child.stderr.read()
        time.sleep(1.5)
        assert child.poll() is None, f"the run ended before it could be interrupted: {child.communicate()}"
        child.send_signal(signal.SIGINT)
        t0 = time.monotonic()
        stdout, stderr = child.communicate(timeout=60)
        waited = time.monotonic() - t0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    text = stderr.decode(errors="replace")
    assert child.returncode == 130, text
    assert waited < 5.0  # not when the run would have ended (the main thread waits in 0.1 s steps)
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    assert text.strip() == "brainsim run: interrupted", text
    assert stdout == b""
    assert os.listdir(out) == []  # nothing (half-)written
