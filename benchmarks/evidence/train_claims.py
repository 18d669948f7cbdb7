"""The training claims, checked by running them: writes train_claims.json and train_claims.md next to this file.

    python benchmarks/evidence/train_claims.py            # full size (the committed output; about a minute)
    python benchmarks/evidence/train_claims.py --small    # reduced sizes, to a temporary folder (a quick look)

CI (tests/examples/test_evidence.py) reruns it at full size into a temporary folder and requires every claim.

Claims (at full size):

- digits: the recurrent LIF network of ``examples/digits.py`` (``notebooks/02_train_snn.ipynb``), 128 hidden
  neurons, 500 Adam steps, reaches at least 95 % accuracy on the 360 held-out test digits;
- memorisation: the peers' SNN training task (``examples/memorisation.py``: 700 inputs, 256 recurrent LIF, 20
  readouts, T = 100, batch 32, Adam 1e-3) brings its loss below 10 % of the initial loss in 100 Adam steps, both
  through the hand-written fast path and through a ``Network`` run by ``simulate`` (``--path network``). "In 100
  steps": the loss evaluated after the 100th update (the 101st step's loss, taken before its update).

Both are deterministic (fixed data, weights and minibatch order); floating-point summation order can flip a spike
and change the last digits. Run times are for information only (the machine may be busy).
"""

import argparse
import dataclasses
import datetime
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "examples"))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import digits  # noqa: E402
import memorisation  # noqa: E402
from _git import commit  # noqa: E402
from _report import machine, write_atomic  # noqa: E402

DIGITS_MIN_ACCURACY = 0.95
MEMORISATION_MAX_RATIO = 0.10
MEMORISATION_STEPS = 100


def digits_claim(small: bool) -> dict:
    cfg = digits.SMALL if small else digits.Config()
    t0 = time.perf_counter()
    _, _, history, (_, s_test, _, _) = digits.train(cfg)
    acc = float(history["eval_test_accuracy"][-1])
    return dict(claim=f"digits test accuracy >= {DIGITS_MIN_ACCURACY:.0%} after {cfg.steps} steps",
                config=dataclasses.asdict(cfg), value=acc, correct=round(acc * len(s_test)), n_test=len(s_test),
                threshold=DIGITS_MIN_ACCURACY, passed=acc >= DIGITS_MIN_ACCURACY,
                accuracy_during_training=dict(zip(history["eval_step"], history["eval_test_accuracy"], strict=True)),
                seconds=round(time.perf_counter() - t0, 1))


def memorisation_claim(path: str, small: bool) -> dict:
    steps = 10 if small else MEMORISATION_STEPS
    t0 = time.perf_counter()
    losses, times, first = memorisation.train(steps + 1, path=path, log=lambda *_: None)
    ratio = losses[steps] / losses[0]
    return dict(claim=f"memorisation ({path} path): loss after {steps} steps < {MEMORISATION_MAX_RATIO:.0%} of the "
                      "initial loss", config=dict(path=path, steps=steps, **{k: getattr(memorisation, k) for k in (
                          "N_IN", "N_HID", "N_OUT", "T", "BATCH", "LR")}),
                value=ratio, initial_loss=losses[0], final_loss=losses[steps], threshold=MEMORISATION_MAX_RATIO,
                passed=ratio < MEMORISATION_MAX_RATIO, losses_every_10=losses[::10],
                ms_per_step_median=round(1000 * sorted(times)[len(times) // 2], 1), first_step_s=round(first, 2),
                seconds=round(time.perf_counter() - t0, 1))


def markdown(out: dict) -> str:
    lines = ["## Training claims (benchmarks/evidence/train_claims.py)", "",
             f"- date: {out['date']}", f"- machine: {out['machine']}", f"- command: `{out['command']}`",
             f"- commit: {out['commit']}", f"- size: {'small (smoke run)' if out['small'] else 'full'}", "",
             "| claim | measured | threshold | holds | run s |", "|---|---|---|---|---|"]
    for r in out["claims"].values():
        measured = (f"{r['value']:.2%} ({r['correct']} of {r['n_test']})" if "n_test" in r else
                    f"{r['value']:.2%} ({r['initial_loss']:.3f} -> {r['final_loss']:.3f})")
        lines.append(f"| {r['claim']} | {measured} | {r['threshold']:.0%} | {'yes' if r['passed'] else 'NO'} "
                     f"| {r['seconds']} |")
    d = out["claims"]["digits"]
    lines += ["", "Digits test accuracy during training (step: accuracy): " +
              ", ".join(f"{s}: {a:.3f}" for s, a in d["accuracy_during_training"].items()) + "."]
    for key in ("memorisation_fast", "memorisation_network"):
        m = out["claims"][key]
        lines.append(f"Memorisation, {m['config']['path']} path: loss every 10 steps "
                     + ", ".join(f"{x:.3f}" for x in m["losses_every_10"])
                     + f"; {m['ms_per_step_median']} ms per step (median; information only).")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="reduced sizes (smoke run); writes to a temporary folder")
    ap.add_argument("--out", default=None, help="folder for train_claims.json/.md (default: this folder at full "
                                                "size, a temporary folder with --small)")
    a = ap.parse_args(argv)
    out_dir = a.out or (tempfile.mkdtemp(prefix="train_claims_") if a.small else HERE)
    claims = {"digits": digits_claim(a.small),
              "memorisation_fast": memorisation_claim("fast", a.small),
              "memorisation_network": memorisation_claim("network", a.small)}
    out = dict(date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"), machine=machine(),
               command=" ".join(["python", os.path.relpath(os.path.abspath(__file__), ROOT)] + (argv or sys.argv[1:])),
               commit=commit(), small=a.small, all_passed=all(c["passed"] for c in claims.values()), claims=claims)
    write_atomic(os.path.join(out_dir, "train_claims.json"), json.dumps(out, indent=1) + "\n")
    write_atomic(os.path.join(out_dir, "train_claims.md"), markdown(out))
    print(markdown(out))
    print(f"wrote {out_dir}/train_claims.json and .md")
    return out


if __name__ == "__main__":
    main()
