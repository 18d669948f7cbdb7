"""Where chunks run: this process (the default), or a Dask distributed cluster, a chunk per task.

Dask is the main cluster engine: ``dask.distributed`` runs on a laptop (``LocalCluster``), an HPC queue
(dask-jobqueue: SLURM, PBS, ...) or Kubernetes with the same ``Client``; it is pure Python, starts in about a second,
ships the sweep once (``Client.scatter``) and hands each result back as it finishes (``as_completed``), so the
client alone writes the store. Ray would do the same with a heavier runtime and more to install; a Ray backend is
the same few lines around ``ray.remote``.

Each worker compiles the chunk once (its runner is cached per sweep) with JAX's persistent compilation cache in a
folder per machine type (platform, CPU model and jax version), so that workers of one machine type after the first
load the executable instead of compiling it.
"""

import hashlib
import os
import platform


class LocalBackend:
    """Chunks one after the other in this process."""

    def run(self, sweep, todo):
        """Yield ``(block, slices, results)`` for every block of ``todo`` (``(block, slices)`` pairs)."""
        for k, slices in todo:
            yield k, slices, sweep.run_block(slices)


class DaskBackend:
    """Chunks as tasks on a ``dask.distributed.Client`` (a chunk per task, results gathered as they finish).

    ``cache_dir``: the root of the persistent compilation caches (one sub-folder per machine type); ``None``:
    ``~/.cache/brainsim/jax`` on each worker.
    """

    def __init__(self, client, cache_dir: str | None = None):
        self.client, self.cache_dir = client, cache_dir

    def run(self, sweep, todo):
        """Yield ``(block, slices, results)`` for every block of ``todo`` as its task finishes (in any order)."""
        from dask.distributed import as_completed

        remote = self.client.scatter(sweep, broadcast=True)
        futures = {self.client.submit(_run_block, remote, slices, self.cache_dir, key=f"brainsim-sweep-{k}-"
                                      f"{sweep.spec.fingerprint()}", pure=False): (k, slices) for k, slices in todo}
        try:
            for fut in as_completed(futures):
                k, slices = futures[fut]
                yield k, slices, fut.result()
        finally:
            for fut in futures:
                fut.cancel()


def as_backend(backend):
    """The backend object for ``Sweep.run``'s ``backend`` argument."""
    if backend is None or backend == "local":
        return LocalBackend()
    if isinstance(backend, LocalBackend | DaskBackend):
        return backend
    if type(backend).__module__.startswith("distributed") and hasattr(backend, "submit"):
        return DaskBackend(backend)
    raise TypeError(f"sweep: backend must be None, 'local', a DaskBackend or a dask.distributed.Client, got "
                    f"{type(backend).__name__}")


def machine_type() -> str:
    """A name for this kind of machine: platform, CPU model, jax version (what an executable depends on)."""
    import jax

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    ident = f"{jax.default_backend()}|{cpu}|{jax.__version__}"
    return f"{jax.default_backend()}-{hashlib.sha256(ident.encode()).hexdigest()[:12]}"


def use_compilation_cache(root: str | None = None) -> str:
    """Turn on JAX's persistent compilation cache in ``root/<machine type>``; returns the folder."""
    import jax

    root = root or os.path.join(os.path.expanduser("~"), ".cache", "brainsim", "jax")
    folder = os.path.join(root, machine_type())
    os.makedirs(folder, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return folder


def _run_block(sweep, slices, cache_dir):
    use_compilation_cache(cache_dir)
    return sweep.run_block(slices)
