"""The results store: a zarr store written through xarray, one block of samples at a time.

Every result variable is chunked like the sweep (one zarr chunk per variable per block), so writing a block writes
only its own chunk files; a marker file ``sweep_done/<block>`` is then created atomically (written under a
temporary name, renamed). A block is done exactly when its marker exists: an interrupted sweep (even SIGKILL in the
middle of a block's files) resumes by rewriting the blocks without a marker, whose chunk files it overwrites whole,
so that no sample is lost or written twice. The store's attributes hold the spec (JSON), its fingerprint, the
layout and the versions; a store written by another spec is refused.
"""

import json
import os
import shutil

import numpy as np

DONE = "sweep_done"  # a zarr group (so that zarr sees a known node) holding the markers


class StoreError(ValueError):
    """A store that cannot be used for this sweep (written by another spec, not a sweep store)."""


def _xr():
    try:
        import xarray as xr
        import zarr  # noqa: F401
    except ImportError:
        raise ImportError("a sweep store needs xarray and zarr: pip install 'brainsim[sweep]'") from None
    return xr


class Store:
    """``path``: the zarr directory. ``variables``: ``{name: trailing dims}`` (``("population",)`` or ``()``)."""

    def __init__(self, path, layout, spec: dict, fingerprint: str, variables: dict, populations: tuple, units: dict,
                 versions: dict):
        self.path = os.fspath(path)
        self.layout, self.spec, self.fingerprint = layout, spec, fingerprint
        self.variables, self.populations, self.units, self.versions = variables, populations, units, versions

    # -- opening ----------------------------------------------------------------------------------------------------
    def open(self, resume: bool = True, overwrite: bool = False):
        """Create the store, or check that an existing one belongs to this sweep (``resume``); returns ``self``."""
        if os.path.exists(self.path):
            if overwrite:
                shutil.rmtree(self.path)
            elif not resume:
                raise StoreError(f"sweep: the store {self.path!r} exists; resume it (resume=True), or pass "
                                 "overwrite=True (--overwrite) to start again")
            else:
                self._check_existing()
                return self
        self._create()
        return self

    def _check_existing(self):
        xr = _xr()
        try:
            attrs = xr.open_zarr(self.path).attrs
        except Exception as e:  # noqa: BLE001 - zarr/xarray raise many kinds
            raise StoreError(f"sweep: {self.path!r} exists but is not a readable sweep store ({e}); choose another "
                             "path or pass overwrite=True") from None
        theirs = attrs.get("sweep_fingerprint")
        if theirs is None:
            raise StoreError(f"sweep: {self.path!r} is not a brainsim sweep store (no sweep_fingerprint attribute)")
        if theirs != self.fingerprint:
            old = json.loads(attrs.get("sweep_spec", "{}"))
            diff = sorted(k for k in set(old) | set(self.spec) if old.get(k) != self.spec.get(k))
            raise StoreError(f"sweep: the store {self.path!r} was written by a different spec (it differs in "
                             f"{', '.join(diff) or 'its fingerprint'}); refusing to resume into it: use another "
                             "path, or overwrite=True to discard it")
        layout = json.loads(attrs.get("sweep_layout", "{}"))
        if layout.get("chunks") != list(self.layout.chunks):  # Sweep.run adopts the store's chunks before this
            raise StoreError(f"sweep: the store {self.path!r} was chunked as {layout.get('chunks')} but this run "
                             f"chunks {list(self.layout.chunks)}; resume with the chunks the store was made with")

    def stored_chunks(self) -> tuple | None:
        """The chunk shape of an existing store written by this spec (``None``: no such store yet)."""
        if not os.path.exists(self.path):
            return None
        try:
            attrs = _xr().open_zarr(self.path).attrs
        except Exception:  # noqa: BLE001 - not a readable store: open() says so
            return None
        if attrs.get("sweep_fingerprint") != self.fingerprint:
            return None
        chunks = json.loads(attrs.get("sweep_layout", "{}")).get("chunks")
        return tuple(chunks) if chunks else None

    def _create(self):
        xr = _xr()
        lay = self.layout
        data = {}
        encoding = {}
        for name, trailing in self.variables.items():
            extra = (len(self.populations),) if trailing else ()
            data[name] = (lay.dims + trailing, np.full(lay.shape + extra, np.nan, np.float32))
            encoding[name] = {"chunks": lay.chunks + extra}
        coords = lay.coords()
        if self.populations:
            coords["population"] = (("population",), np.asarray(self.populations, dtype=object))
        ds = xr.Dataset(data, coords=coords)
        for name, unit in self.units.items():
            if name in ds.coords:
                ds.coords[name].attrs["units"] = unit
        for name in self.variables:
            ds[name].attrs["units"] = {"rate": "Hz", "spectral_peak": "Hz"}.get(name, "1")
        ds.attrs.update(sweep_spec=json.dumps(self.spec, sort_keys=True), sweep_fingerprint=self.fingerprint,
                        sweep_layout=json.dumps(lay.to_dict()), sweep_versions=json.dumps(self.versions),
                        description="brainsim parameter sweep; open with xarray.open_zarr")
        tmp = self.path + ".creating"
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
        import zarr

        # zarr format 2: consolidated metadata (one read to open) is part of its spec, and readers of both zarr
        # versions open it; the metadata never changes after this (blocks write chunk files only)
        group = zarr.open_group(tmp, mode="w", zarr_format=2)
        group.create_group(DONE)
        ds.to_zarr(tmp, mode="a", encoding=encoding, consolidated=True, zarr_format=2)
        os.replace(tmp, self.path)  # the store appears whole or not at all

    # -- blocks -----------------------------------------------------------------------------------------------------
    def done(self) -> set:
        folder = os.path.join(self.path, DONE)
        return {int(f.removesuffix(".done")) for f in os.listdir(folder) if f.endswith(".done")}

    def write(self, block: int, slices, results: dict):
        """Write one block's results (``{name: (b, ...)}`` in the block's C order), then its marker."""
        xr = _xr()
        shape = self.layout.block_shape(slices)
        data = {}
        for name, trailing in self.variables.items():
            arr = np.asarray(results[name], np.float32)
            data[name] = (self.layout.dims + trailing, arr.reshape(shape + arr.shape[1:]))
        region = dict(zip(self.layout.dims, slices, strict=True))
        xr.Dataset(data).to_zarr(self.path, region=region, mode="r+", consolidated=False, zarr_format=2)
        marker = os.path.join(self.path, DONE, f"{block}.done")
        tmp = f"{marker}.tmp-{os.getpid()}"
        with open(tmp, "w") as f:
            f.write("done\n")
        os.replace(tmp, marker)

    def recorded(self) -> set:
        """The samples whose raw recordings are written whole."""
        folder = os.path.join(self.path, DONE)
        return {int(f.removesuffix(".recorded")) for f in os.listdir(folder) if f.endswith(".recorded")}

    def write_recording(self, sample: int, ds):
        """Write one sample's recordings (a Dataset) as the group ``recordings/<sample>``, then its marker."""
        # not consolidated: consolidating walks the whole store (and would rewrite the root's metadata)
        ds.to_zarr(self.path, group=f"recordings/{sample}", mode="w", consolidated=False, zarr_format=2)
        marker = os.path.join(self.path, DONE, f"{sample}.recorded")
        tmp = f"{marker}.tmp-{os.getpid()}"
        with open(tmp, "w") as f:
            f.write("done\n")
        os.replace(tmp, marker)

    def dataset(self):
        return _xr().open_zarr(self.path)
