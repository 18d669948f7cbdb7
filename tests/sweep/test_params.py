"""Parameter paths, the spec (Python and TOML) and the errors raised before anything is compiled."""

import pytest
from brainsim.models import coba

from brainsim import sweep


@pytest.fixture(scope="module")
def net():
    return coba(50)


def test_paths_short_long_and_globs(net):
    assert [x.label for x in sweep.resolve(net, "E->*.weight")] == ["E->E.weight", "E->I.weight"]
    for path in ("projections[2].weight", "projections['I->E'].conn.weights", "I->E.weights"):
        assert [x.label for x in sweep.resolve(net, path)] == ["I->E.weight"]
    leaf = sweep.resolve(net, "populations['E'].tau_m")[0]
    assert leaf.label == "E.tau_m" and leaf.unit == "ms" and leaf.get(net) is net.populations["E"].tau_m
    assert sweep.resolve(net, "E->E.weight")[0].unit == "nS"
    assert "E->E.synapse.kinetics.tau" in sweep.valid_paths(net)


def test_unknown_path_lists_the_valid_paths_near_it(net):
    with pytest.raises(ValueError, match=r"no parameter 'E->E.wieght'.*valid paths near it: E->E\.weight"):
        sweep.resolve(net, "E->E.wieght")
    with pytest.raises(ValueError, match="E.tau_m"):
        sweep.resolve(net, "E.tau_n")
    with pytest.raises(ValueError, match="no parameter"):
        sweep.resolve(net, "projections[9].weight")


def spec(**kw):
    base = dict(model="coba", model_args={"n_neurons": 50}, duration=20.0,
                params=[sweep.Param("w_e", ["E->*.weight"], values=[2.0, 4.0])])
    base.update(kw)
    return sweep.Spec(**base)


def test_values_outside_the_valid_range_fail_for_the_whole_design_before_running():
    bad = [sweep.Param("w_i", ["I->*.weight"], values=[10.0, -1.0])]
    with pytest.raises(ValueError, match=r"w_i = -1 is outside the valid range of projection 'I->E'.*>= 0 nS"):
        sweep.Sweep(spec(params=bad))
    tau = [sweep.Param("tau", ["E.tau_m"], low=-5.0, high=10.0)]
    with pytest.raises(ValueError, match="population 'E'.*tau_m"):
        sweep.Sweep(spec(params=tau, design=sweep.LatinHypercube(8)))
    order = [sweep.Param("v_reset", ["E.v_reset"], values=[-60.0, -40.0])]  # above v_th = -50
    with pytest.raises(ValueError, match="v_reset = -40"):
        sweep.Sweep(spec(params=order))
    with pytest.raises(ValueError, match="set by more than one"):
        sweep.Sweep(spec(params=[sweep.Param("a", "E->E.weight", values=[1.0]),
                                 sweep.Param("b", "E->*.weight", values=[1.0])]))


def test_memory_budget_too_small_for_one_sample():
    with pytest.raises(ValueError, match="too small for one sample.*raise memory_budget to at least"):
        sweep.Sweep(spec(memory_budget="10 kB"))
    sw = sweep.Sweep(spec(memory_budget="64 MB", seeds=[0, 1, 2]))
    assert sw.layout.batch >= 1 and "estimated memory per chunk" in sw.estimate()


def test_spec_from_toml(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('''
model = "coba"
seeds = [0, 1]
[model_args]
n_neurons = 50
[run]
duration = 20.0
summaries = ["rate", "synchrony"]
memory_budget = "1 GB"
[design]
kind = "sobol"
n = 8
[params.w_e]
paths = ["E->E.weight", "E->I.weight"]
low = 1.0
high = 8.0
''')
    s = sweep.Spec.from_toml(path)
    assert s.params[0].name == "w_e" and s.design == sweep.Sobol(8) and s.seeds == (0, 1)
    assert s.memory_budget == 10**9 and s.fingerprint() == sweep.Spec.from_toml(path).fingerprint()
    path.write_text('model = "coba"\ncolour = 3\n[params.a]\npaths = "E.I_e"\nvalues = [1.0]\n')
    with pytest.raises(ValueError, match=r"unknown keys \['colour'\]"):
        sweep.Spec.from_toml(path)
    with pytest.raises(ValueError, match="cannot read"):
        sweep.Spec.from_toml(tmp_path / "missing.toml")
    with pytest.raises(ValueError, match="unknown model"):
        sweep.Sweep(spec(model="cobra"))


def test_the_repository_example_parses():
    from pathlib import Path

    ex = Path(__file__).parents[2] / "examples" / "sweeps" / "coba_phase.toml"
    s = sweep.Spec.from_toml(ex)
    assert [p.name for p in s.params] == ["w_e", "w_i"]


def test_bad_input_is_refused_before_anything_is_compiled(monkeypatch, tmp_path):
    from brainsim.sweep.runner import Runner

    def compiled(self):
        raise AssertionError("the sweep was compiled before its input was checked")

    monkeypatch.setattr(Runner, "compile", compiled)
    for bad, match in ((dict(params=[sweep.Param("w", "E->E.wieght", values=[1.0])]), "valid paths near it"),
                       (dict(params=[sweep.Param("w", "I->E.weight", values=[1.0, -2.0])]), "outside the valid"),
                       (dict(memory_budget="10 kB"), "too small for one sample")):
        with pytest.raises(ValueError, match=match):
            sweep.Sweep(spec(**bad)).run(tmp_path / "never.zarr", progress=False, verbose=False)
    assert not (tmp_path / "never.zarr").exists()
    sweep.Sweep(spec()).store(tmp_path / "other.zarr").open()  # a store of another spec, created, never run
    with pytest.raises(sweep.StoreError, match=r"different spec \(it differs in duration\)"):
        sweep.Sweep(spec(duration=40.0)).run(tmp_path / "other.zarr", progress=False, verbose=False)
