"""The commit the evidence scripts ran on."""

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def commit() -> str:
    """Short hash of HEAD, marked when brainsim/, examples/ or benchmarks/evidence/ have uncommitted changes."""
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "brainsim", "examples", "benchmarks/evidence"],
                               capture_output=True, text=True, cwd=ROOT)
    except OSError:
        return "?"
    return (rev.stdout.strip() or "?") + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
