"""The Potjans-Diesmann (2014) microcircuit's published tables (numpy only: the NEST reference script,
tests/data/microcircuit_make_reference.py, loads this file by path in a venv without brainsim)."""

import numpy as np

#: The populations, in NEST's order (E and I of layers 2/3, 4, 5, 6).
POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
#: Neurons per population at full scale (77,169 in all).
FULL_NUM_NEURONS = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
#: Connection probabilities, ``CONN_PROBS[target, source]`` in the order of ``POPULATIONS``.
CONN_PROBS = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
#: External (Poisson) in-degrees per population at full scale.
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
#: Rates (Hz) of NEST's full-scale run, used to compensate scaled in-degrees.
FULL_MEAN_RATES = np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])
#: Initial membrane potential per population, ``"optimized"`` (mean, SD in mV) or ``"original"``.
V0 = {"optimized": (np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]),
                    np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48])),
      "original": (np.full(8, -58.0), np.full(8, 10.0))}
