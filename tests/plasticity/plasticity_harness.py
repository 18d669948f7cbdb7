"""Shared helpers of the plasticity tests: small connectivities, spike rasters and a scanned driver of a rule."""

import jax
import jax.numpy as jnp
import numpy as np

from brainsim.connectivity import Connectivity


def one_to_one(n, w0=0.5):
    """n synapses i -> i (one per condition of a protocol)."""
    return Connectivity(np.arange(n + 1), np.arange(n), n, np.full(n, w0))


def random_conn(n_pre, n_post, *, seed=0, p=0.3, w_lo=0.2, w_hi=0.8):
    """A random CSR (sorted rows, some empty) with weights in [w_lo, w_hi]."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n_pre, n_post)) < p
    mask[::4] = False  # empty rows
    pre, post = np.nonzero(mask)
    indptr = np.concatenate([[0], np.cumsum(mask.sum(1))])
    return Connectivity(indptr, post, n_post, rng.uniform(w_lo, w_hi, pre.size))


def raster(n_steps, n, spikes):
    """A (n_steps, n) 0/1 array with ``spikes``: iterable of (step, neuron)."""
    s = np.zeros((n_steps, n))
    for k, i in spikes:
        s[k, i] = 1.0
    return s


def poisson(n_steps, n, rate_hz, dt, seed):
    return (np.random.default_rng(seed).random((n_steps, n)) < rate_hz * dt / 1000.0).astype(float)


def run(rule, conn, pre, post, dt, *, modulator=None, weights=None, record=False):
    """Scans ``rule.update`` over the rows of ``pre`` (T, n_pre) and ``post`` (T, n_post) from ``rule.init``; returns
    the final weights and state (and the weights after every step with ``record``). Arrays take the dtype of the
    connectivity's weights."""
    w0 = conn.synapse_weights() if weights is None else weights
    dtype = w0.dtype
    xs = (jnp.asarray(pre, dtype), jnp.asarray(post, dtype),
          None if modulator is None else jnp.asarray(modulator, dtype))
    return _scan(rule, conn, w0, xs, dt, record)


def _scan(rule, conn, w0, xs, dt, record):
    @jax.jit
    def go(rule, conn, w0, xs):
        def step(carry, x):
            w, s = carry
            pre, post, m = x
            w, s = rule.update(conn, w, s, pre, post, dt, m)
            return (w, s), (w if record else None)

        (w, s), ws = jax.lax.scan(step, (w0, rule.init(conn, w0)), xs)
        return w, s, ws

    w, s, ws = go(rule, conn, w0, xs)
    return (w, s, ws) if record else (w, s)
