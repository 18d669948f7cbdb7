"""Shared helpers for benchmark scripts: machine description and atomic markdown output."""

import datetime
import os
import platform
import subprocess
import sys
import tempfile


def machine() -> str:
    import jax
    import numpy as np

    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")
    try:
        load = ", load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = ""
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB{load}; Python {platform.python_version()}, "
            f"jax {jax.__version__}, numpy {np.__version__}")


def header(title: str) -> str:
    cmd = " ".join(["python"] + sys.argv)
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        rev = "?"
    return f"## {title}\n\n- date: {date}\n- machine: {machine()}\n- command: `{cmd}`\n- commit: {rev}\n"


def write_atomic(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def result_line(cmd, cwd, timeout) -> dict:
    """Run ``cmd`` (JAX on the CPU) in ``cwd`` and return the JSON of its ``RESULT {...}`` line; ``RuntimeError`` with
    the tails of its output when it prints none."""
    import json

    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout,
                       env=dict(os.environ, JAX_PLATFORMS="cpu"))
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{' '.join(map(str, cmd[:6]))} failed:\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}")
