"""Writing a figure to disk atomically."""

import contextlib
import os
import tempfile


def save_figure(fig, path, **savefig_kwargs):
    """Write ``fig`` to ``path``: to a temporary file in the same folder, then ``os.replace``.

    A reader never sees a half-written file, and a failed save leaves an existing file as it was.
    The format follows the file extension (as ``Figure.savefig``); the folder is created if needed.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    if ext:
        savefig_kwargs.setdefault("format", ext)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    os.close(fd)
    try:
        fig.savefig(tmp, **savefig_kwargs)
        os.chmod(tmp, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
