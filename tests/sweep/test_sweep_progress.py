"""The sweep's progress line: samples done (resumed ones counted from the start), rate and ETA."""

import builtins
import re

from brainsim.sweep.sweep import _Bar


def test_progress_line_has_rate_and_eta(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    times = iter([0.0, 2.0, 4.0])
    monkeypatch.setattr("brainsim.sweep.sweep.time.perf_counter", lambda: next(times))
    bar = _Bar(total=40, initial=10, show=True)  # 10 samples already in the store
    bar.update(10)  # 10 new samples in 2 s: 5 per s, 20 left: 4 s
    bar.update(10)  # 20 in 4 s: 5 per s, 10 left: 2 s
    bar.close()
    lines = [x for x in re.split(r"[\r\n]", capsys.readouterr().err) if x]
    assert lines == ["sweep: 20/40 samples, 5.0/s, ETA 4 s", "sweep: 30/40 samples, 5.0/s, ETA 2 s"]
