"""Fitting models to recordings: recordings in and out (numpy, xarray, NWB), parameters with bounds
and transforms, the multi-start fit with uncertainty, features and losses for spiking systems."""
