"""Bad arguments raise ValueError/TypeError naming the builder (its name=) and the parameter."""

import numpy as np
import pytest

import brainsim.connectivity as bc

POS = np.zeros((4, 2))
PROFILE = bc.GaussianProfile(0.5, 10.0)

CASES = [
    (bc.fixed_prob, (10, 10, 1.5), {}, ValueError, "p must be in [0, 1]"),
    (bc.fixed_prob, (10, 10, -0.1), {}, ValueError, "p must be in [0, 1]"),
    (bc.fixed_prob, (10, 10, float("nan")), {}, ValueError, "p must be in [0, 1]"),
    (bc.fixed_prob, (-5, 10, 0.1), {}, ValueError, "n_pre must be a positive integer"),
    (bc.fixed_prob, (10, 0, 0.1), {}, ValueError, "n_post must be a positive integer"),
    (bc.fixed_prob, (10, 12, 0.1), {"allow_self": False}, ValueError, "allow_self=False needs n_pre == n_post"),
    (bc.fixed_prob, (10, 10, 0.1), {"delay": -1.0}, ValueError, "delay must be >= 0.0 ms"),
    (bc.fixed_prob, (10, 10, 0.1), {"seed": -1}, ValueError, "seed must be >= 0"),
    (bc.fixed_prob, (10, 10, 0.1), {"seed": "a"}, TypeError, "seed must be an int"),
    (bc.fixed_in_degree, (10, 20, 11), {}, ValueError, "k=11 exceeds the 10 available sources (n_pre)"),
    (bc.fixed_in_degree, (10, 10, 10), {"allow_self": False}, ValueError, "k=10 exceeds the 9 available sources"),
    (bc.fixed_in_degree, (10, 10, -1), {}, ValueError, "k must be an integer >= 0"),
    (bc.fixed_in_degree, (10, 10, 2.5), {}, ValueError, "k must be an integer >= 0"),
    (bc.fixed_out_degree, (20, 10, 11), {}, ValueError, "k=11 exceeds the 10 available targets (n_post)"),
    (bc.fixed_out_degree, (10, -10, 1), {}, ValueError, "n_post must be a positive integer"),
    (bc.fixed_out_degree, (10, 10, 2), {"delay": -0.1}, ValueError, "delay must be >= 0.0 ms"),
    (bc.fixed_total_number, (3, 3, 10), {}, ValueError, "n_synapses=10 exceeds the 9 available"),
    (bc.fixed_total_number, (3, 3, 7), {"allow_self": False}, ValueError, "n_synapses=7 exceeds the 6 available"),
    (bc.one_to_one, (0,), {}, ValueError, "n must be a positive integer"),
    (bc.all_to_all, (3, 4), {"allow_self": False}, ValueError, "allow_self=False needs n_pre == n_post"),
    (bc.distance_dependent, (POS, np.zeros((4, 3)), PROFILE), {}, ValueError,
     "pos_pre and pos_post must have the same number of axes"),
    (bc.distance_dependent, (np.zeros((4, 2, 2)), POS, PROFILE), {}, ValueError, "pos_pre must have shape"),
    (bc.distance_dependent, (POS, np.zeros((0, 2)), PROFILE), {}, ValueError, "pos_post must have shape"),
    (bc.distance_dependent, (POS, np.full((4, 2), np.nan), PROFILE), {}, ValueError, "pos_post must be finite"),
    (bc.distance_dependent, (POS, POS, PROFILE), {"periodic_extent": (1.0, 2.0, 3.0)}, ValueError,
     "periodic_extent must be one length > 0 um or one per axis"),
    (bc.distance_dependent, (POS, POS, PROFILE), {"periodic_extent": -1.0}, ValueError, "periodic_extent"),
    (bc.distance_dependent, (POS, POS, PROFILE), {"max_distance": 0.0}, ValueError, "max_distance' must be > 0"),
    (bc.distance_dependent, (POS, POS, lambda d: 2.0 + 0 * d), {}, ValueError,
     "profile must return probabilities in [0, 1]"),
    (bc.distance_dependent, (POS, POS, 0.5), {}, TypeError, "profile must be a function of distance"),
    (bc.distance_dependent, (POS, POS[:3], PROFILE), {"allow_self": False}, ValueError,
     "allow_self=False needs n_pre == n_post"),
    (bc.distance_dependent, (POS, POS, PROFILE), {"delay": -2.0}, ValueError, "delay must be >= 0.0 ms"),
]


@pytest.mark.parametrize(("builder", "args", "kwargs", "error", "message"), CASES)
def test_errors_name_the_builder_and_the_parameter(builder, args, kwargs, error, message):
    with pytest.raises(error) as info:
        builder(*args, **kwargs, name="L23E->L4I")
    text = str(info.value)
    assert text.startswith("L23E->L4I: "), text
    assert message in text, text
    with pytest.raises(error, match=f"^{builder.__name__}: "):  # default name= is the builder's
        builder(*args, **kwargs)


def test_profile_and_position_helper_errors():
    with pytest.raises(ValueError, match="GaussianProfile: p0 must be in"):
        bc.GaussianProfile(1.5, 10.0)
    with pytest.raises(ValueError, match="GaussianProfile: parameter 'sigma' must be > 0 um"):
        bc.GaussianProfile(0.5, 0.0)
    with pytest.raises(ValueError, match="ExponentialProfile: parameter 'decay_length' must be > 0 um"):
        bc.ExponentialProfile(0.5, -3.0)
    with pytest.raises(ValueError, match="grid_2d: n_x must be a positive integer"):
        bc.grid_2d(0, 3)
    with pytest.raises(ValueError, match="random_uniform_positions: extent must be"):
        bc.random_uniform_positions(3, (1.0, -1.0))
