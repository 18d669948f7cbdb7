"""One-line plots of a sweep's results: a heat map over two swept parameters, lines over one."""


def _select(ds, var, population, reduce_dims, keep):
    da = ds[var]
    if "population" in da.dims:
        if population is None:
            population = str(da.population.values[0])
        da = da.sel(population=population)
    rest = [d for d in da.dims if d not in keep]
    return da.mean(rest) if rest else da, population


def heatmap(ds, var: str = "rate", x: str | None = None, y: str | None = None, *, population: str | None = None,
            ax=None, **kwargs):
    """``var`` over two swept parameters of a grid sweep (seeds and other dimensions averaged); returns
    ``(fig, ax)``. ``x``/``y`` default to the first two parameters."""
    import matplotlib.pyplot as plt

    params = [d for d in ds[var].dims if d not in ("seed", "population")]
    if "point" in params:
        raise ValueError("sweep.plot.heatmap needs a grid sweep (a dimension per parameter); for random, Latin "
                         "hypercube or Sobol designs use sweep.plot.scatter")
    x = x or params[0]
    y = y or (params[1] if len(params) > 1 else None)
    if y is None:
        raise ValueError(f"sweep.plot.heatmap needs two swept parameters, the results have {params}")
    da, pop = _select(ds, var, population, None, (x, y))
    fig, ax = (plt.subplots(figsize=(5, 4)) if ax is None else (ax.figure, ax))
    mesh = ax.pcolormesh(da[x].values, da[y].values, da.transpose(y, x).values, shading="nearest", **kwargs)
    units = {c: ds[c].attrs.get("units", "") for c in (x, y)}
    ax.set_xlabel(f"{x} ({units[x]})" if units[x] else x)
    ax.set_ylabel(f"{y} ({units[y]})" if units[y] else y)
    unit = ds[var].attrs.get("units", "")
    fig.colorbar(mesh, ax=ax, label=f"{var}" + (f" ({unit})" if unit not in ("", "1") else ""))
    ax.set_title(f"{var}" + (f" of {pop}" if pop else ""))
    return fig, ax


def lines(ds, var: str = "rate", x: str | None = None, hue: str | None = None, *, population: str | None = None,
          ax=None, **kwargs):
    """``var`` against one swept parameter, one line per value of ``hue`` (another parameter, or ``seed``);
    other dimensions averaged. Returns ``(fig, ax)``."""
    import matplotlib.pyplot as plt

    params = [d for d in ds[var].dims if d != "population"]
    x = x or params[0]
    keep = (x,) if hue is None else (x, hue)
    da, pop = _select(ds, var, population, None, keep)
    fig, ax = (plt.subplots(figsize=(5, 3.5)) if ax is None else (ax.figure, ax))
    if hue is None:
        ax.plot(da[x].values, da.values, marker="o", **kwargs)
    else:
        for h in da[hue].values:
            ax.plot(da[x].values, da.sel({hue: h}).values, marker="o", label=f"{hue} = {h:g}", **kwargs)
        ax.legend(fontsize="small")
    unit = ds[x].attrs.get("units", "")
    ax.set_xlabel(f"{x} ({unit})" if unit else x)
    ax.set_ylabel(var + (f" of {pop}" if pop else ""))
    return fig, ax


def scatter(ds, var: str = "rate", x: str | None = None, y: str | None = None, *, population: str | None = None,
            ax=None, **kwargs):
    """``var`` as coloured points over two parameters of a random, Latin hypercube or Sobol sweep."""
    import matplotlib.pyplot as plt

    da, pop = _select(ds, var, population, None, ("point",))
    params = [c for c in ds.coords if ds[c].dims == ("point",) and c != "point"]
    x, y = x or params[0], y or params[1]
    fig, ax = (plt.subplots(figsize=(5, 4)) if ax is None else (ax.figure, ax))
    sc = ax.scatter(ds[x].values, ds[y].values, c=da.values, **kwargs)
    fig.colorbar(sc, ax=ax, label=var)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{var}" + (f" of {pop}" if pop else ""))
    return fig, ax
