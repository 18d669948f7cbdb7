"""Units at the boundary, floats inside.

Inside jitted code every value is a plain float in one unit system: ms, mV, nS, pA, pF, Hz,
um, uS/cm^2 (conductance densities), uF/cm^2. Public constructors call :func:`to_canonical`,
which accepts plain numbers (taken to be in the canonical unit already) and quantities from
pint or brainunit (converted, with a clear error on a dimension mismatch).
"""

import numpy as np

CANONICAL = {
    "ms": "millisecond",
    "mV": "millivolt",
    "nS": "nanosiemens",
    "pA": "picoampere",
    "pF": "picofarad",
    "Hz": "hertz",
    "um": "micrometer",
    "um^2": "micrometer ** 2",
    "mS/cm^2": "millisiemens / centimeter ** 2",
    "uF/cm^2": "microfarad / centimeter ** 2",
    "mM": "millimolar",
}


def to_canonical(value, unit: str | None, *, owner: str, name: str):
    """``value`` as a float numpy array in the canonical ``unit``.

    Plain numbers and arrays pass through. A pint ``Quantity`` or a brainunit ``Quantity`` is
    converted; one of the wrong dimension raises ``ValueError`` naming ``owner`` and ``name``.
    """
    if unit is None or not _is_quantity(value):
        return value
    try:
        if hasattr(value, "magnitude") and hasattr(value, "to"):  # pint
            return np.asarray(value.to(CANONICAL[unit].replace(" ", "")).magnitude)
        import brainunit as u  # brainunit Quantity

        target = _brainunit_unit(u, unit)
        return np.asarray(value.to_decimal(target))
    except Exception as err:  # noqa: BLE001 - both libraries raise their own types
        raise ValueError(f"{owner}: parameter '{name}' must be in units of {unit}, got {value!r} ({err})") from None


def _is_quantity(value) -> bool:
    kind = type(value).__module__.split(".")[0]
    return kind in ("pint", "brainunit")


def _brainunit_unit(u, unit: str):
    table = {
        "ms": u.ms, "mV": u.mV, "nS": u.nS, "pA": u.pA, "pF": u.pF, "Hz": u.Hz, "um": u.um, "um^2": u.um**2,
        "mS/cm^2": u.mS / u.cm**2, "uF/cm^2": u.uF / u.cm**2, "mM": u.mM,
    }
    return table[unit]
