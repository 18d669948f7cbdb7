import os
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

pytest.importorskip("matplotlib")

from brainsim.analysis import population_rate  # noqa: E402
from brainsim.plot import raster, rates, save_figure, summary_figure, traces  # noqa: E402


class FakeResults:
    """The duck-typed surface of brainsim.simulate.Results that the plots use."""

    def __init__(self):
        rng = np.random.default_rng(0)
        self.t_start, self.t_stop = 0.0, 100.0
        self._spikes = {"E": (np.sort(rng.uniform(0, 100, 40)), rng.integers(0, 8, 40)),
                        "I": (np.sort(rng.uniform(0, 100, 15)), rng.integers(0, 2, 15))}
        self._sizes = {"E": 8, "I": 2}
        t = np.arange(1, 101, dtype=float)
        self._vars = {"E.v": (t, -60 + rng.normal(size=(100, 3))),
                      "I.v": (t, -55 + rng.normal(size=(100, 1)))}
        self._rates = {"E": (t - 1, rng.uniform(0, 50, 100))}

    populations = property(lambda self: tuple(self._spikes))
    variable_names = property(lambda self: tuple(self._vars))
    rate_names = property(lambda self: tuple(self._rates))

    def spike_trains(self, pop):
        return self._spikes[pop]

    def size(self, pop):
        return self._sizes[pop]

    def variable(self, label):
        return self._vars[label]

    def population_rate(self, pop):
        return self._rates[pop]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _written(path):
    leftovers = [f for f in os.listdir(os.path.dirname(path)) if f.endswith(".tmp")]
    return os.path.getsize(path) > 0 and not leftovers


def test_raster_stacks_populations_and_saves(tmp_path):
    res = FakeResults()
    path = str(tmp_path / "raster.png")
    fig, ax = raster(res, save=path)
    e, i = ax.lines
    assert len(e.get_xdata()) == 40 and len(i.get_xdata()) == 15  # one point per spike
    assert_array_equal(i.get_ydata(), res._spikes["I"][1] + 8)  # I sits above the 8 E neurons
    assert [t.get_text() for t in ax.get_yticklabels()] == ["E", "I"]
    assert ax.get_xlim() == (0.0, 100.0)
    assert _written(path)


def test_raster_from_arrays_into_given_axes():
    import matplotlib.pyplot as plt

    _, given = plt.subplots()
    fig, ax = raster((np.array([1.0, 2.0, 3.0]), np.array([0, 4, 4])), ax=given)
    assert ax is given and fig is given.figure
    assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    _, ax = raster({"A": (np.array([1.0]), np.array([0]))})
    assert len(ax.lines) == 1


def test_traces_panels_and_single_axes(tmp_path):
    res = FakeResults()
    fig, axes = traces(res, save=str(tmp_path / "v.svg"))
    assert len(axes) == 2 and [len(a.lines) for a in axes] == [3, 1]
    assert_allclose(axes[0].lines[2].get_ydata(), res._vars["E.v"][1][:, 2])
    assert axes[0].get_ylabel() == "E.v (mV)"
    fig, ax = traces(res, "E.v", max_traces=2)
    assert len(ax.lines) == 2
    _, ax = traces(res, ["E.v", "I.v"], ax=ax)
    assert len(ax.lines) == 2 + 4
    assert _written(str(tmp_path / "v.svg"))


def test_rates_recorded_or_from_spikes():
    res = FakeResults()
    _, ax = rates(res, bin_ms=10.0)
    e, i = ax.lines
    assert_allclose(e.get_ydata()[:-1], res._rates["E"][1])  # + the end of the last window
    t, hz = population_rate(*res._spikes["I"], 2, 0.0, 100.0, bin_ms=10.0)
    assert_allclose(i.get_xdata(), [*t, 100.0])
    assert_allclose(i.get_ydata(), [*hz, hz[-1]])
    _, ax = rates({"X": (np.arange(3.0), np.array([1.0, 2.0, 3.0]))})
    assert_allclose(ax.lines[0].get_ydata(), [1, 2, 3, 3])
    with pytest.raises(KeyError, match="'Z'"):
        rates(res, "Z")


def test_summary_figure(tmp_path):
    res = FakeResults()
    path = str(tmp_path / "sub" / "summary.pdf")
    fig, (top, bottom) = summary_figure(res, save=path)
    assert sum(len(line.get_xdata()) for line in top.lines) == 55
    assert len(bottom.lines) == 2 and bottom.get_ylabel() == "rate (Hz)"
    assert _written(path)


def test_failed_save_keeps_the_old_file(tmp_path):
    import matplotlib.pyplot as plt

    path = tmp_path / "fig.png"
    path.write_bytes(b"old")
    fig, _ = plt.subplots()
    with pytest.raises(ValueError):
        save_figure(fig, str(tmp_path / "fig.notaformat"))
    assert path.read_bytes() == b"old" and not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
    save_figure(fig, path)
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'brainsim\[plot\]'"):
        raster((np.array([1.0]), np.array([0])))
