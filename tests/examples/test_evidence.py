"""benchmarks/evidence/: the committed full-size training claims hold and match the script; the scripts run."""

import dataclasses
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
EVIDENCE = ROOT / "benchmarks" / "evidence"
sys.path.insert(0, str(EVIDENCE))
sys.path.insert(0, str(ROOT / "examples"))
import digits  # noqa: E402
import memorisation  # noqa: E402
import train_claims  # noqa: E402


def test_committed_train_claims_hold_at_full_size():
    """benchmarks/evidence/train_claims.json comes from a full-size run of the current configuration, and every
    claim held (digits >= 95 % test accuracy after 500 steps; memorisation loss < 10 % of the start in 100 steps)."""
    out = json.loads((EVIDENCE / "train_claims.json").read_text())
    assert out["small"] is False and out["all_passed"] is True
    claims = out["claims"]
    assert set(claims) == {"digits", "memorisation_fast", "memorisation_network"}
    d = claims["digits"]
    assert d["config"] == dataclasses.asdict(digits.Config())
    assert d["threshold"] == train_claims.DIGITS_MIN_ACCURACY == 0.95
    assert d["passed"] and d["value"] >= 0.95 and d["n_test"] == 360
    for path in ("fast", "network"):
        m = claims[f"memorisation_{path}"]
        assert m["config"]["steps"] == train_claims.MEMORISATION_STEPS == 100
        assert (m["config"]["N_IN"], m["config"]["N_HID"], m["config"]["N_OUT"], m["config"]["T"],
                m["config"]["BATCH"]) == (memorisation.N_IN, memorisation.N_HID, memorisation.N_OUT, memorisation.T,
                                          memorisation.BATCH) == (700, 256, 20, 100, 32)
        assert m["threshold"] == train_claims.MEMORISATION_MAX_RATIO == 0.10
        assert m["passed"] and m["final_loss"] < 0.1 * m["initial_loss"]
    md = (EVIDENCE / "train_claims.md").read_text()
    assert out["date"] in md and "NO" not in md.split("| claim |")[1].split("\n\n")[0]


@pytest.mark.slow
def test_train_claims_hold_when_rerun(tmp_path):
    """The claims at full size, on the code under test (about a minute on 2 cores)."""
    out = train_claims.main(["--out", str(tmp_path)])
    failed = {k: (c["value"], c["threshold"]) for k, c in out["claims"].items() if not c["passed"]}
    assert out["all_passed"] and not failed, failed
    saved = json.loads((tmp_path / "train_claims.json").read_text())
    assert saved["small"] is False and saved["claims"]["digits"]["config"] == dataclasses.asdict(digits.Config())
    assert (tmp_path / "train_claims.md").read_text().startswith("## Training claims")
