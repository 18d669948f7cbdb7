"""benchmarks/compare.py: the --quick run prints its table, and the table reports missing peers."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parent.parent.parent / "benchmarks"


@pytest.mark.slow
def test_compare_quick_prints_table(tmp_path):
    out = tmp_path / "peers.md"
    r = subprocess.run([sys.executable, str(BENCH / "compare.py"), "--quick", "--out", str(out)],
                       capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    rows = [line for line in r.stdout.splitlines() if line.startswith("| COBA 200")]
    assert len(rows) == 1, r.stdout
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert cells[1] == "brainsim"
    assert float(cells[6].split()[0]) > 0.0  # run time
    assert cells[10] == "1.0x"  # brainsim against itself
    assert "load average" in r.stdout
    assert not out.exists()  # --quick writes no results file


def test_table_marks_missing_peer_and_ratio():
    sys.path.insert(0, str(BENCH))
    try:
        import compare
    finally:
        sys.path.remove(str(BENCH))
    base = dict(work="coba", n=4000, duration=1000.0, version="x", mode="m", build=(1.0, 1.0, 1.0),
                compile=None, peak=(100.0, 100.0, 100.0), rate=(20.0, 19.0, 21.0), warm=None,
                load=((0.1, 0, 0), (0.2, 0, 0)))
    rows = [dict(base, sim="brainsim", run=(0.5, 0.4, 0.6)), dict(base, sim="nest", run=(5.0, 5.0, 5.0)),
            dict(sim="brainpy", work="coba", n=4000, duration=1000.0, missing=True)]
    text = compare.table(rows)
    lines = text.splitlines()[2:]
    assert "10.0x" in lines[1]  # 5.0 s / 0.5 s
    assert "0.500 (0.400-0.600)" in lines[0]
    assert "19.0-21.0" in lines[0]
    assert "not installed" in lines[2]


def test_train_table_gives_ratios_to_brainsim():
    sys.path.insert(0, str(BENCH))
    try:
        import compare
    finally:
        sys.path.remove(str(BENCH))
    base = dict(version="x", mode="m", first=(1.0, 1.0, 1.0), loss=(60.6, 2.0), load=((0.1, 0, 0), (0.2, 0, 0)))
    rows = [dict(base, sim="brainsim", ms=(20.0, 18.0, 25.0), peak=(400.0,) * 3),
            dict(base, sim="spyx", ms=(50.0, 45.0, 60.0), peak=(440.0,) * 3),
            dict(sim="norse", missing=True)]
    lines = compare.train_table(rows, 30).splitlines()[2:]
    assert "| 1.00x |" in lines[0]
    assert "| 2.50x |" in lines[1] and "| 1.10x |" in lines[1]  # 50 / 20 ms, 440 / 400 MB
    assert "not installed" in lines[2]


def _compare():
    sys.path.insert(0, str(BENCH))
    try:
        import compare
    finally:
        sys.path.remove(str(BENCH))
    return compare


def test_measure_group_interleaves_seeds_across_simulators(monkeypatch):
    compare = _compare()
    calls = []

    def fake_run_one(sim, work, n, duration, seed, core, timeout):
        calls.append((sim, seed))
        return dict(version="x", mode="m", build_s=1.0, compile_s=0.5, run_s=1.0 + seed, peak_rss_mb=10.0,
                    rate_hz=20.0, note="")

    monkeypatch.setattr(compare, "run_one", fake_run_one)
    rows = compare.measure_group(["brainsim", "brian2-standalone"], "coba", 4000, 1000.0, 2, None, 10, lambda e: None)
    # warm-up of the simulators that want one (standalone compiles anyway), then seed 0 of each, then seed 1
    assert calls == [("brainsim", 1000), ("brainsim", 0), ("brian2-standalone", 0), ("brainsim", 1),
                     ("brian2-standalone", 1)]
    assert [r["sim"] for r in rows] == ["brainsim", "brian2-standalone"]
    assert rows[0]["run"] == (1.5, 1.0, 2.0) and rows[0]["warm"]["run_s"] == 1000.0 + 1.0
    assert rows[1]["warm"] is None


def test_slower_forms_run_only_where_they_differ():
    compare = _compare()
    assert compare.runs_work("brian2-standalone-exprel", "cobahh")
    assert not compare.runs_work("brian2-standalone-exprel", "coba")  # COBA has no rate functions
    assert compare.runs_work("brian2-standalone", "coba") and compare.runs_work("brainpy-old", "coba")
    # every simulator's arguments are a list passed to its script
    assert all(isinstance(spec[2], list) for spec in compare.SIMULATORS.values())


def test_peer_scripts_parse_their_extra_flags():
    sys.path.insert(0, str(BENCH / "peers"))
    try:
        import _common
    finally:
        sys.path.remove(str(BENCH / "peers"))
    a = _common.parse_args(("standalone",), ["--work", "cobahh", "--rates", "exprel"],
                           extra=(("--rates", dict(choices=("exp", "exprel"), default="exp")),))
    assert a.rates == "exprel" and a.mode == "standalone" and a.n == 4000
