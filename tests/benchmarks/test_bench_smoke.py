"""Every benchmark script runs at a tiny size (`--quick`), so that none of them rots."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).parent.parent.parent / "benchmarks"
SCRIPTS = sorted(p for p in BENCH.glob("bench_*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_benchmark_quick(script, tmp_path):
    r = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=600,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert "|" in r.stdout  # prints its table
