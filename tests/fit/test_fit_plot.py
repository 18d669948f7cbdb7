"""brainsim.fit.plot: traces, per-start losses and parameter trajectories draw what they are given."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

pytest.importorskip("matplotlib")

from brainsim.fit import Parameter, Parameters, Recording, fit_parameters  # noqa: E402
from brainsim.fit.plot import plot_losses, plot_parameters, plot_traces  # noqa: E402


def test_fit_plots(tmp_path):
    import equinox as eqx

    class Line(eqx.Module):
        a: jax.Array

    x = jnp.linspace(0.0, 1.0, 20)
    params = Parameters(Parameter("a", lambda m: m.a, 0.0, 3.0, unit="mV"))
    res = fit_parameters(lambda m, y: jnp.mean((m.a * x - y) ** 2), Line(jnp.array(1.0)), params, 2.0 * x, starts=3,
                         key=jax.random.PRNGKey(0), n_steps=30, optimizer=optax.adam(0.1), log_every=5)
    fig, axes = plot_losses(res, save=tmp_path / "loss.png")
    assert len(axes[0].lines) == 3 and (tmp_path / "loss.png").exists()
    fig, axes = plot_parameters(res, truth={"a": 2.0})
    assert len(axes) == 1 and len(axes[0].lines) == 4  # three starts and the truth
    np.testing.assert_allclose(axes[0].lines[0].get_ydata(), res.history["eval_a_0"])
    rec = Recording(np.zeros((2, 20)), np.ones((2, 20)), 0.1, "mV", "cell")
    fig, axes = plot_traces(rec, np.ones((2, 20)))
    assert len(axes) == 2 and "1 pA" in axes[0].get_title(loc="left")
    np.testing.assert_allclose(axes[1].lines[1].get_ydata(), 1.0)
    with pytest.raises(ValueError, match="simulated has shape \\(2, 5\\).*'cell'"):
        plot_traces(rec, np.ones((2, 5)))
