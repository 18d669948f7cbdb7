"""Reference circuits built from brainsim's building blocks (installed as ``brainsim.models``)."""
