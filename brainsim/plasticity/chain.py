"""Several rules on one projection, applied in order (optax's ``chain``)."""

from ._base import AbstractPlasticity


class Chain(AbstractPlasticity):
    """Rules applied one after the other to the same synapses, e.g. ``Chain(TsodyksMarkram(), PairSTDP())``.

    ``init`` gives a tuple of the rules' states (each from the initial weights); ``update`` passes the weights through
    the rules in order (each sees the same ``pre``, ``post`` and ``modulator``: the spikes, not the transmitted
    efficacies); ``transmit`` composes the rules' transmissions in order; ``check`` checks every rule.
    """

    rules: tuple[AbstractPlasticity, ...]

    def __init__(self, *rules: AbstractPlasticity):
        for i, rule in enumerate(rules):
            if not isinstance(rule, AbstractPlasticity):
                raise TypeError(f"Chain: rule {i} must be a plasticity rule (AbstractPlasticity), got "
                                f"{type(rule).__name__}")
        if not rules:
            raise ValueError("Chain: needs at least one rule")
        self.rules = tuple(rules)

    def init(self, conn, weights):
        return tuple(rule.init(conn, weights) for rule in self.rules)

    def update(self, conn, weights, state, pre, post, dt, modulator=None):
        new = []
        for rule, s in zip(self.rules, state, strict=True):
            weights, s = rule.update(conn, weights, s, pre, post, dt, modulator)
            new.append(s)
        return weights, tuple(new)

    def transmit(self, state, pre):
        for rule, s in zip(self.rules, state, strict=True):
            pre = rule.transmit(s, pre)
        return pre

    def check(self, conn, *, name, pre_kind, post_kind):
        for rule in self.rules:
            rule.check(conn, name=name, pre_kind=pre_kind, post_kind=post_kind)
