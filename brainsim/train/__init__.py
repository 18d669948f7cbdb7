"""Training through time: losses, parameter constraints, BPTT, online rules, learnable delays, a loop on optax."""
