"""What a run keeps: ``Record`` declares it, the network checks it, ``simulate`` fills it."""

import re

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ..population import SPIKES

_TARGET = re.compile(r"^\s*([A-Za-z_][\w\-]*)\s*(?:\[(.*)\])?\s*$")


def _parse_target(owner: str, target):
    """``"E"``, ``"E[:10]"``, ``"E[3, 7]"`` or ``("E", indices)`` -> ``(population, selector)``."""
    if isinstance(target, tuple) and len(target) == 2 and isinstance(target[0], str):
        ids = np.asarray(target[1])
        if ids.dtype == bool or ids.dtype.kind not in "iu":
            raise TypeError(f"{owner}: the indices of record target ('{target[0]}', ...) must be integers, got "
                            f"{target[1]!r}")
        return target[0], ids.astype(np.int64).reshape(-1)
    if not isinstance(target, str):
        raise TypeError(f"{owner}: a record target must be 'Pop', 'Pop[:10]' or (name, indices), got {target!r}")
    m = _TARGET.match(target)
    if not m:
        raise ValueError(f"{owner}: cannot read record target {target!r}; use 'Pop', 'Pop[:10]' or 'Pop[1, 5]'")
    name, sel = m.group(1), m.group(2)
    if sel is None or sel.strip() in ("", ":"):
        return name, None
    try:
        if ":" in sel:
            parts = [int(p) if p.strip() else None for p in sel.split(":")]
            if len(parts) > 3 or (len(parts) == 3 and parts[2] == 0):
                raise ValueError("bad slice")
            return name, slice(*parts)
        return name, np.asarray([int(p) for p in sel.split(",")], dtype=np.int64)
    except ValueError:
        raise ValueError(f"{owner}: cannot read the neuron indices of record target {target!r}; use integers as in "
                         "'Pop[:10]', 'Pop[5:20:2]' or 'Pop[1, 5]'") from None


def _parse_synapses(target):
    """``"E->E"``, ``"E->E[:100]"``, ``"E->E[3, 7]"`` or ``("E->E", indices)`` -> ``(projection, selector)``."""
    if isinstance(target, str) and target.endswith("]") and "[" in target:
        name, sel = target[:target.rindex("[")], target[target.rindex("[") + 1:-1]
        _, selector = _parse_target("Record", f"P[{sel}]")
        return name.strip(), selector
    if isinstance(target, str):
        return target, None
    if isinstance(target, tuple) and len(target) == 2 and isinstance(target[0], str):
        return _parse_target("Record", target)
    raise TypeError(f"Record: weights= takes projection names ('E->E', 'E->E[:100]') or (name, synapse indices), "
                    f"got {target!r}")


def _names(owner: str, label: str, value) -> tuple:
    names = (value,) if isinstance(value, str) else value
    try:
        names = tuple(names)
    except TypeError:
        raise TypeError(f"{owner}: {label} must be a population name or a sequence of names, got {value!r}") from None
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{owner}: {label} must be population names (str), got {name!r} in {value!r}")
    return names


class Record(eqx.Module):
    """Declares what ``simulate`` keeps; nothing else is stored.

    Args:
        spikes: spiking population name(s) whose spikes are kept every step, bit-packed (1 bit per
            neuron and step) unless ``dense_spikes=True`` (float, differentiable).
        rates: spiking population name(s) whose population rate (Hz) is kept, averaged over each window
            of ``every`` steps.
        outputs: population name(s) whose output is kept every step as values (``(n_steps, n)``): the way to
            record a population with graded output (rate units), whose values bit-packing would lose.
        weights: plastic projection name(s) whose weights are kept at the end of each window, as the variable
            ``"<projection>.weights"``: all synapses (CSR order), or chosen ones as ``"E->E[0:100]"`` or
            ``("E->E", synapse_indices)``; a large ``every`` downsamples a whole matrix in time.
        every: sampling period of state variables and rates, in steps.
        **variables: ``name=target`` keeps state variable ``name`` (e.g. ``v``) of the neurons
            in ``target``: ``"E"``, ``"E[:10]"``, ``"E[0, 5, 9]"``, ``("E", indices)``, or a
            list of these. Sampled at the end of each window.
    """

    spikes: tuple = eqx.field(static=True)
    rates: tuple = eqx.field(static=True)
    outputs: tuple = eqx.field(static=True)
    variables: tuple = eqx.field(static=True)  # ((var, pop, selector-as-hashable), ...)
    weights: tuple = eqx.field(static=True)  # ((projection, is_slice, selector-as-hashable), ...)
    every: int = eqx.field(static=True)
    dense_spikes: bool = eqx.field(static=True)

    def __init__(self, spikes=(), rates=(), every=1, dense_spikes=False, outputs=(), weights=(), **variables):
        self.spikes = _names("Record", "spikes", spikes)
        self.rates = _names("Record", "rates", rates)
        self.outputs = _names("Record", "outputs", outputs)
        if isinstance(every, bool) or not isinstance(every, int | np.integer) or every < 1:
            raise ValueError(f"Record: every must be a positive integer number of steps, got {every!r}")
        if not isinstance(dense_spikes, bool | np.bool_):
            raise TypeError(f"Record: dense_spikes must be True or False, got {dense_spikes!r}")
        self.every, self.dense_spikes = int(every), bool(dense_spikes)
        items = []
        for var, targets in variables.items():
            if isinstance(targets, str | tuple):
                targets = [targets]
            elif not isinstance(targets, list):
                raise TypeError(f"Record: {var}= must be a record target ('Pop', 'Pop[:10]', (name, indices)) or a "
                                f"list of them, got {targets!r}")
            for target in targets:
                pop, sel = _parse_target("Record", target)
                if any((var, pop) == item[:2] for item in items):
                    raise ValueError(f"Record: variable '{var}' of population '{pop}' is asked for twice; give one "
                                     f"target per population, e.g. {var}='{pop}[0, 1, 5]'")
                key = (sel.start, sel.stop, sel.step) if isinstance(sel, slice) else (
                    None if sel is None else tuple(int(i) for i in sel))
                items.append((var, pop, isinstance(sel, slice), key))
        self.variables = tuple(items)
        targets = [weights] if isinstance(weights, str) or (isinstance(weights, tuple) and len(weights) == 2 and
                                                            not isinstance(weights[1], str)) else list(weights)
        items = []
        for target in targets:
            name, sel = _parse_synapses(target)
            if any(name == item[0] for item in items):
                raise ValueError(f"Record: the weights of projection '{name}' are asked for twice")
            key = (sel.start, sel.stop, sel.step) if isinstance(sel, slice) else (
                None if sel is None else tuple(int(i) for i in sel))
            items.append((name, isinstance(sel, slice), key))
        self.weights = tuple(items)

    def validate(self, net, populations=None):
        """Raise ``ValueError`` for unknown populations, variables or neuron indices. ``populations``: the
        populations' states (or their shapes, ``jax.eval_shape``), computed here when not given."""
        pops = net.populations
        for label, names in (("spikes", self.spikes), ("rates", self.rates), ("outputs", self.outputs)):
            for name in names:
                if name not in pops:
                    raise ValueError(f"Record: {label} of unknown population '{name}'; populations: {sorted(pops)}")
                if label != "outputs" and pops[name].output != SPIKES:
                    raise ValueError(f"Record: population '{name}' ({type(pops[name]).__name__}) emits "
                                     f"{pops[name].output} values, not spikes, so it has no {label}; record its "
                                     f"values with Record(outputs='{name}')")
        for name, _, _ in self.weights:
            projs = net.projections
            if name not in projs:
                raise ValueError(f"Record: weights of unknown projection '{name}'; projections: {sorted(projs)}")
            if getattr(projs[name], "plasticity", None) is None:
                raise ValueError(f"Record: projection '{name}' has no plasticity rule, so its weights do not change "
                                 f"during a run: read them from the network (net.projections['{name}'].conn.weights)")
            idx = self.synapse_indices(name, projs[name].conn.nnz)
            if idx is not None and idx.size and (idx.min() < 0 or idx.max() >= projs[name].conn.nnz):
                raise ValueError(f"Record: synapse indices of '{name}' must lie in [0, {projs[name].conn.nnz}), "
                                 f"got range [{idx.min()}, {idx.max()}]")
        if not self.variables:
            return
        state = _abstract_state(net) if populations is None else populations
        for var, pop, _, _ in self.variables:
            if pop not in pops:
                raise ValueError(f"Record: variable '{var}' of unknown population '{pop}'; populations: {sorted(pops)}")
            fields = _state_fields(state[pop])
            if var not in fields:
                raise ValueError(f"Record: population '{pop}' ({type(pops[pop]).__name__}) has no state variable "
                                 f"'{var}'; it has {fields}")
            leaf = getattr(state[pop], var)
            if not _numeric(leaf):
                raise ValueError(f"Record: state variable '{var}' of population '{pop}' is not a numeric array "
                                 f"({getattr(leaf, 'dtype', type(leaf).__name__)}); record one of "
                                 f"{[f for f in fields if _numeric(getattr(state[pop], f))]}")
            idx = self.indices(var, pop, pops[pop].n)
            if idx is not None and idx.size and (idx.min() < 0 or idx.max() >= pops[pop].n):
                raise ValueError(f"Record: indices of '{pop}' must lie in [0, {pops[pop].n}), "
                                 f"got range [{idx.min()}, {idx.max()}]")

    def indices(self, var, pop, n):
        """The neuron indices recorded of variable ``var`` of population ``pop`` (of ``n`` neurons), or ``None``
        for all."""
        for v, p, is_slice, key in self.variables:
            if (v, p) == (var, pop):
                if key is None:
                    return None
                return np.arange(n)[slice(*key)] if is_slice else np.asarray(key, dtype=np.int64)
        raise KeyError((var, pop))

    def synapse_indices(self, name, nnz):
        """The recorded synapses of projection ``name`` (CSR positions), or ``None`` for all."""
        for p, is_slice, key in self.weights:
            if p == name:
                if key is None:
                    return None
                return np.arange(nnz)[slice(*key)] if is_slice else np.asarray(key, dtype=np.int64)
        raise KeyError(name)

    def labels(self):
        """The labels of the recorded variables (``'pop.var'``) and weights (``'proj.weights'``), in recording order."""
        return [f"{pop}.{var}" for var, pop, _, _ in self.variables] + [f"{p}.weights" for p, _, _ in self.weights]

    # -- inside the scan ------------------------------------------------------------------------
    def spikes_now(self, outputs):
        """The recorded spikes of one step from the populations' ``outputs`` (inside the scan; bit-packed unless
        recorded dense)."""
        out = {}
        for name in self.spikes:
            s = outputs[name]
            out[name] = s if self.dense_spikes else jnp.packbits(s > 0, axis=-1)
        return out

    def outputs_now(self, outputs):
        """The recorded graded outputs of one step (inside the scan)."""
        return {name: outputs[name] for name in self.outputs}

    def sample(self, net, state):
        """The recorded variables and weights of ``state`` (inside the scan, at the end of a window of ``every``
        steps)."""
        out = {}
        for var, pop, _, _ in self.variables:
            x = getattr(state.populations[pop], var)
            idx = self.indices(var, pop, net.populations[pop].n)
            out[f"{pop}.{var}"] = x if idx is None else x[..., jnp.asarray(idx)]
        for name, _, _ in self.weights:
            w = state.projections[name].weights
            idx = self.synapse_indices(name, net.projections[name].conn.nnz)
            out[f"{name}.weights"] = w if idx is None else w[..., jnp.asarray(idx)]
        return out


def _abstract_state(net):
    import jax

    return jax.eval_shape(lambda: {n: p.init_state(jax.random.key(0)) for n, p in net.populations.items()})


def _numeric(leaf) -> bool:
    return hasattr(leaf, "dtype") and (jnp.issubdtype(leaf.dtype, jnp.number) or jnp.issubdtype(leaf.dtype, jnp.bool_))


def _state_fields(s):
    if isinstance(s, eqx.Module):
        return [f for f in s.__dataclass_fields__ if not f.startswith("_")]
    return []


