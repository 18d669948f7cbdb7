"""The small COBA sweep spec shared by the sweep tests (imported by name, not from conftest: several test folders
have a conftest, and which one ``import conftest`` finds depends on what is collected)."""

from brainsim import sweep


def small_spec(**kw):
    """A COBA sweep small enough for tests: 60 neurons, 30 ms, a 3 x 2 grid, 2 seeds."""
    base = dict(model="coba", model_args={"n_neurons": 60}, duration=30.0,
                params=[sweep.Param("w_e", ["E->E.weight", "E->I.weight"], values=[4.0, 8.0, 16.0]),
                        sweep.Param("w_i", ["I->*.weight"], values=[30.0, 90.0])],
                seeds=[0, 1], summaries=["rate", "cv_isi", "synchrony", "spectral_peak"])
    base.update(kw)
    return sweep.Spec(**base)
