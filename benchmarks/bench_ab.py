"""brainsim at two commits side by side: is a change no slower? (COBA and COBAHH run time, compile time, rate; the
memorisation training step, both paths.)

    python benchmarks/bench_ab.py BASE [HEAD]          # e.g. 1ef5e17 (default HEAD: the current commit)
    python benchmarks/bench_ab.py BASE --repeats 5 --works coba cobahh --train
    python benchmarks/bench_ab.py --quick              # HEAD against itself, tiny (CI smoke test)

Each commit is checked out into a temporary git worktree with the installed native library copied in, and run
through ``peers/brainsim_net.py`` (and ``examples/memorisation.py`` with ``--train``) with ``BRAINSIM_ROOT`` pointing
at it, so that the working tree's state does not matter. Processes alternate between the two commits (base, head,
base, head, ...) and are pinned to one core. Writes results/ab.md.
"""

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from _report import header, write_atomic  # noqa: E402

TRAIN = """
import os, statistics, sys
sys.path.insert(0, {peers!r}); os.environ["BRAINSIM_ROOT"] = {root!r}
from _common import use_brainsim_root; use_brainsim_root()
sys.path.insert(0, os.path.join({root!r}, "examples"))
import memorisation
losses, times, first = memorisation.train({steps}, path={path!r}, dense=False, seed=0, log=lambda line: None)
print("RESULT", statistics.median(times[{skip}:]) * 1000, float(losses[-1]))
"""


def worktree(commit: str, folder: str) -> str:
    path = os.path.join(folder, commit)
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "-f", path, commit], check=True,
                   capture_output=True)
    lib = importlib.util.find_spec("brainsim._ops_cpu")
    if lib is not None and lib.origin:
        shutil.copy(lib.origin, os.path.join(path, "brainsim"))
    return path


def pinned(cmd, core):
    return (["taskset", "-c", str(core)] if core is not None and shutil.which("taskset") else []) + cmd


def run_net(root, work, n, duration, core):
    cmd = pinned([sys.executable, os.path.join(HERE, "peers", "brainsim_net.py"), "--work", work, "--n", str(n),
                  "--duration", str(duration)], core)
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "BRAINSIM_ROOT": root})
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
    if out.returncode or not line:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(line[-1][7:])


def run_train(root, path, steps, core):
    code = TRAIN.format(peers=os.path.join(HERE, "peers"), root=root, steps=steps, path=path, skip=min(9, steps - 1))
    out = subprocess.run(pinned([sys.executable, "-c", code], core), capture_output=True, text=True)
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
    if out.returncode or not line:
        raise RuntimeError(out.stderr[-2000:])
    ms, loss = line[-1].split()[1:]
    return float(ms), float(loss)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", nargs="?", default="HEAD")
    ap.add_argument("head", nargs="?", default="HEAD")
    ap.add_argument("--works", nargs="+", default=["coba", "cobahh"])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--duration", type=float, default=1000.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--train", action="store_true", help="also the memorisation training step (both paths)")
    ap.add_argument("--train-steps", type=int, default=40)
    ap.add_argument("--core", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    if a.quick:
        a.works, a.n, a.duration, a.repeats, a.train = ["coba"], 400, 100.0, 1, False
    revs = {side: subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", c], capture_output=True, text=True,
                                 check=True).stdout.strip() for side, c in (("base", a.base), ("head", a.head))}
    out = [header(f"brainsim {revs['base']} (base) vs {revs['head']} (head)"),
           f"- load before: {os.getloadavg()[0]:.2f}", "",
           "| work | commit | run (s), median [min-max] | compile (s), median | rate (Hz) |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="brainsim-ab-") as folder:
        roots = {side: worktree(revs[side], os.path.join(folder, side)) for side in ("base", "head")}
        try:
            for work in a.works:
                res = {"base": [], "head": []}
                for _ in range(a.repeats):
                    for side in ("base", "head"):
                        res[side].append(run_net(roots[side], work, a.n, a.duration, a.core))
                for side in ("base", "head"):
                    runs = [r["run_s"] for r in res[side]]
                    out.append(f"| {work} {a.n} | {side} {revs[side]} | {statistics.median(runs):.4f} "
                               f"[{min(runs):.4f}-{max(runs):.4f}] | "
                               f"{statistics.median(r['compile_s'] for r in res[side]):.2f} | "
                               f"{res[side][0]['rate_hz']:.2f} |")
            if a.train:
                out += ["", "| training step | commit | ms per step (median of each process) | final loss |",
                        "|---|---|---|---|"]
                for path in ("fast", "network"):
                    res = {"base": [], "head": []}
                    for _ in range(a.repeats):
                        for side in ("base", "head"):
                            res[side].append(run_train(roots[side], path, a.train_steps, a.core))
                    for side in ("base", "head"):
                        ms = [m for m, _ in res[side]]
                        out.append(f"| memorisation, {path} path | {side} {revs[side]} | {statistics.median(ms):.1f} "
                                   f"[{min(ms):.1f}-{max(ms):.1f}] | {res[side][0][1]:.4f} |")
        finally:
            for side in ("base", "head"):
                subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", roots[side]], capture_output=True)
    out += ["", f"- load after: {os.getloadavg()[0]:.2f}", ""]
    text = "\n".join(out)
    print(text)
    if not a.quick:
        write_atomic(os.path.join(HERE, "results", "ab.md"), text)


if __name__ == "__main__":
    main()
