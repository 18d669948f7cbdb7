"""BluePyOpt (IBEA on DEAP) with NEURON fitting g_Na, g_K, g_L of the squid HH cell to tests/data/hh_fit_sweeps.nwb.

The peer of benchmarks/bench_fit_hh.py (brainsim's gradient fit and CMA-ES on the same sweeps). Runs in the peers'
hh venv (NEURON 9.0.2, BluePyOpt 1.14.26, DEAP 1.4.4, eFEL 5.7.34, h5py; ``bash benchmarks/peers/setup hh``):

    taskset -c 1 benchmarks/peers/.venvs/hh/bin/python benchmarks/peers/hh_fit_bluepyopt.py --out /tmp/bpo.json
    benchmarks/peers/.venvs/hh/bin/python benchmarks/peers/hh_fit_bluepyopt.py --quick --out /tmp/q.json  # smoke

Data: the 4 current-clamp sweeps (steps of -50, 30, 80, 200 pA from 5 to 45 ms, 60 ms, 0.1 ms sampling, 0.3 mV noise)
read from the NWB file with h5py (data x conversion; the step's onset, end and amplitude from the stimulus series).
Model: the NEURON cell of the data (``hh_soma`` of tests/data/make_hh_reference.py, loaded by path), its ``hh``
mechanism's gnabar, gkbar, gl fitted within [0.5, 2] x the true values (bench_fit_hh's bounds; brainsim's g_Na, g_K,
g_L in mS/cm^2 = 1000 x NEURON's S/cm^2). Integration: CVODE (BluePyOpt's NrnSimulator default) with atol ``--atol``
(1e-5 by default: at the true parameters its traces differ from the data's CVODE atol 1e-8 traces far less than
the noise; NEURON's default 1e-3 shifts the late spikes of the 80 pA sweep by ~1 mV RMS). Each sweep is one
``h.finitialize(-65)`` + ``h.continuerun(60)`` in this process, t and v recorded at every CVODE step.

Objectives: BluePyOpt's ``ephys.efeatures.eFELFeature`` in ``ephys.objectives.SingletonObjective`` (one objective
per feature and sweep, score |value - mean| / std, 250 when the feature is missing), features from FEATURES; a
feature is used on a sweep if eFEL finds it in the recording there, except the voltage at the end of the step
(steady_state_voltage_stimend, voltage_deflection) on sweeps with more than one spike during the step (there it
depends on the phase of the spike cycle at the step's end and jumps by tens of its std between nearby parameters).
Target mean: eFEL on the recorded (noisy) sweep; std (one recording per sweep, no repeats): max(REL_STD x |mean|,
the feature's floor in FLOORS). Scoring (``--scoring``): the eFELFeature objects call eFEL once per feature (with
eFEL 5.7 each call re-initialises eFEL, ~1 s per evaluation of the 35 objectives, 50x the NEURON runs), so by default
the same scores come from one eFEL call per sweep (``batched_scores``); before each run both scorings are applied to
the truth (and the lower bounds) and must agree to 1e-9, and their costs are stored.

Optimiser: ``bluepyopt.deapext.optimisations.DEAPOptimisation`` (IBEA selector, eta 10, crossover and mutation
probability 1: BluePyOpt's defaults), ``--offspring`` individuals per generation, ``--generations`` generations,
``--seed``. The first population holds the 5 random starts of bench_fit_hh (uniform in the central 96 % of the
bounds, ``Parameters.sample(PRNGKey(0), 5)``; computed by brainsim's environment, ``--brainsim-python``), the rest
drawn uniformly within the bounds by BluePyOpt; ``--starts none`` draws all uniformly.

Counting: one evaluation = one parameter set = the 4 sweeps simulated by NEURON (4 NEURON runs) and their eFEL
scores. Per generation (the first population is generation 1) the JSON holds the cumulative evaluations, the
cumulative wall time since the optimiser was built (NEURON, eFEL and DEAP; the NEURON part alone as
``neuron_seconds``) and the best parameter set so far (lowest sum of scores: BluePyOpt's hall of fame order) in
brainsim's names and units.
"""

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "hh_fit_sweeps.nwb"
NAMES = {"g_Na": "gnabar_hh", "g_K": "gkbar_hh", "g_L": "gl_hh"}  # brainsim name (mS/cm^2) -> NEURON (S/cm^2)
FEATURES = ("Spikecount", "mean_frequency", "time_to_first_spike", "time_to_last_spike", "AP_amplitude",
            "AHP_depth_abs", "AP_width", "voltage_base", "steady_state_voltage_stimend", "voltage_deflection")
SPIKE_PHASE_DEPENDENT = ("steady_state_voltage_stimend", "voltage_deflection")  # not on repetitively firing sweeps
REL_STD = 0.02
FLOORS = {"Spikecount": 0.5, "mean_frequency": 1.0, "time_to_first_spike": 0.1, "time_to_last_spike": 0.1,
          "AP_amplitude": 0.5, "AHP_depth_abs": 0.5, "AP_width": 0.1, "voltage_base": 0.5,
          "steady_state_voltage_stimend": 0.5, "voltage_deflection": 0.5}  # Hz, ms, mV; counts
V_INIT, T_STOP = -65.0, 60.0
STARTS_CODE = """
import json, sys
import jax, numpy as np
from brainsim.fit import Parameter, Parameters
from brainsim.neurons import HH
true = json.loads(sys.argv[1])
params = Parameters(*[Parameter(n, lambda m, n=n: getattr(m, n), 0.5 * v, 2.0 * v) for n, v in true.items()])
vals = params.values(params.sample(jax.random.PRNGKey(0), 5, HH(1, area=400.0 * np.pi)))
print(json.dumps([{n: float(np.asarray(vals[n])[i]) for n in true} for i in range(5)]))
"""


def load_by_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_sweeps(path):
    """Sweeps of the NWB file: list of dicts t (ms), v (mV), delay, dur (ms), amp (nA)."""
    import h5py

    sweeps = []
    with h5py.File(path, "r") as f:
        acq, stims = f["acquisition"], f["stimulus/presentation"]
        for i in range(len(acq)):
            resp, stim = acq[f"sweep_{i}"], stims[f"stimulus_{i}"]
            if resp["data"].attrs["unit"] != "volts" or stim["data"].attrs["unit"] != "amperes":
                raise ValueError(f"{path}: sweep_{i} / stimulus_{i} are not in volts / amperes")
            v = resp["data"][:] * resp["data"].attrs["conversion"] * 1e3 + resp["data"].attrs["offset"] * 1e3
            cur = stim["data"][:] * stim["data"].attrs["conversion"] * 1e9  # nA
            rate = float(resp["starting_time"].attrs["rate"])
            t = 1e3 * (float(resp["starting_time"][()]) + np.arange(len(v)) / rate)
            on = np.flatnonzero(cur != 0)
            if len(on) == 0 or not np.allclose(cur[on], cur[on[0]]) or on[-1] - on[0] + 1 != len(on):
                raise ValueError(f"{path}: stimulus_{i} is not a single current step")
            sweeps.append(dict(t=t, v=v, delay=t[on[0]], dur=(len(on)) * 1e3 / rate, amp=float(cur[on[0]])))
    return sweeps


class NeuronHH:
    """The NEURON cell of the data, one IClamp; ``run(g, amp)`` -> (t, v) of one sweep (NEURON time accumulated)."""

    def __init__(self, delay, dur, atol):
        from neuron import h

        hh_soma = load_by_path("make_hh_reference", ROOT / "tests" / "data" / "make_hh_reference.py").hh_soma
        self.h = h
        self.soma, self.stim = hh_soma(h, delay, dur, 0.0)
        self.cvode = h.CVode()
        self.cvode.active(1)
        self.cvode.atol(atol)
        self.t_vec = h.Vector().record(h._ref_t)
        self.v_vec = h.Vector().record(self.soma(0.5)._ref_v)
        self.neuron_seconds = 0.0
        self.runs = 0

    def run(self, g_neuron, amp):
        h = self.h
        for seg in self.soma:
            for name, value in g_neuron.items():
                setattr(seg, name, value)
        self.stim.amp = amp
        t0 = time.perf_counter()
        h.finitialize(V_INIT)
        h.continuerun(T_STOP)
        self.neuron_seconds += time.perf_counter() - t0
        self.runs += 1
        return np.array(self.t_vec), np.array(self.v_vec)


def efel_value(name, t, v, delay, dur):
    import efel

    efel.reset()
    out = efel.get_mean_feature_values([{"T": t, "V": v, "stim_start": [delay], "stim_end": [delay + dur]}], [name],
                                       raise_warnings=False)[0][name]
    efel.reset()
    return None if out is None else float(out)


def make_objectives(sweeps):
    """eFELFeature objectives with targets from the recorded sweeps; also a list of (sweep, feature, mean, std)."""
    from bluepyopt.ephys.efeatures import eFELFeature
    from bluepyopt.ephys.objectives import SingletonObjective

    objectives, table = [], []
    for i, s in enumerate(sweeps):
        firing = (efel_value("Spikecount_stimint", s["t"], s["v"], s["delay"], s["dur"]) or 0) > 1
        for name in FEATURES:
            mean = efel_value(name, s["t"], s["v"], s["delay"], s["dur"])
            if mean is None or (firing and name in SPIKE_PHASE_DEPENDENT):
                continue
            std = max(REL_STD * abs(mean), FLOORS[name])
            feature = eFELFeature(f"sweep{i}.{name}", efel_feature_name=name, recording_names={"": f"sweep{i}"},
                                  stim_start=s["delay"], stim_end=s["delay"] + s["dur"], exp_mean=mean, exp_std=std)
            objectives.append(SingletonObjective(feature.name, feature))
            table.append((i, name, mean, std))
    return objectives, table


def batched_scores(responses, sweeps, table):
    """The scores of the eFELFeature objectives (efel.getDistance with trace_check off, error distance 250) from one
    eFEL call per sweep instead of one per feature: mean over the feature's values of |value - mean| / std, 250 when
    the feature is missing, empty or NaN."""
    import efel

    values = []
    for i, s in enumerate(sweeps):
        r = responses[f"sweep{i}"].response
        trace = {"T": r["time"].to_numpy(), "V": r["voltage"].to_numpy(), "stim_start": [s["delay"]],
                 "stim_end": [s["delay"] + s["dur"]]}
        values.append(efel.get_feature_values([trace], list(FEATURES), raise_warnings=False)[0])
    scores = []
    for i, name, mean, std in table:
        x = values[i][name]
        d = 250.0 if x is None or len(x) < 1 else float(np.mean(np.abs(np.asarray(x, float) - mean)) / std)
        scores.append(250.0 if d != d else d)
    return scores


def make_evaluator(sweeps, cell, objectives, table, bounds, scoring):
    import bluepyopt
    from bluepyopt.ephys.responses import TimeVoltageResponse

    class HHEvaluator(bluepyopt.evaluators.Evaluator):
        """Parameters in NEURON's units (S/cm^2); objectives: the eFEL scores of all sweeps."""

        def __init__(self):
            params = [bluepyopt.parameters.Parameter(NAMES[n], bounds=[lo / 1e3, hi / 1e3])
                      for n, (lo, hi) in bounds.items()]
            super().__init__(objectives=objectives, params=params)
            self.param_names = [p.name for p in params]
            self.best = (np.inf, None)
            self.scoring = scoring
            self.sweeps, self.table = sweeps, table

        def responses(self, param_list):
            g = dict(zip(self.param_names, param_list, strict=True))
            out = {}
            for i, s in enumerate(sweeps):
                t, v = cell.run(g, s["amp"])
                out[f"sweep{i}"] = TimeVoltageResponse(f"sweep{i}", t, v)
            return out

        def evaluate_with_lists(self, param_list):
            responses = self.responses(param_list)
            if self.scoring == "efelfeature":
                scores = [obj.calculate_score(responses) for obj in self.objectives]
            else:
                scores = batched_scores(responses, sweeps, table)
            total = float(np.sum(scores))
            if total < self.best[0]:
                self.best = (total, list(param_list))
            return scores

        def init_simulator_and_evaluate_with_lists(self, param_list, target=None):
            return self.evaluate_with_lists(param_list)

        def evaluate_with_dicts(self, param_dict):
            return self.evaluate_with_lists([param_dict[n] for n in self.param_names])

    return HHEvaluator()


def check_scoring(evaluator, param_lists):
    """Both scorings on a few parameter sets (the first: the truth): the same scores (asserted); each one's seconds
    per evaluation and the sum of scores at the first set."""
    seconds, totals = {"efelfeature": 0.0, "batched": 0.0}, []
    for p in param_lists:
        responses = evaluator.responses(p)
        t0 = time.perf_counter()
        ref = [obj.calculate_score(responses) for obj in evaluator.objectives]
        t1 = time.perf_counter()
        fast = batched_scores(responses, evaluator.sweeps, evaluator.table)
        seconds["efelfeature"] += t1 - t0
        seconds["batched"] += time.perf_counter() - t1
        if not np.allclose(ref, fast, rtol=1e-9, atol=1e-9):
            raise AssertionError(f"batched eFEL scores differ from eFELFeature's: {ref} vs {fast}")
        totals.append(float(np.sum(ref)))
    return {"seconds": {k: v / len(param_lists) for k, v in seconds.items()}, "score_at_truth": totals[0]}


def scan(evaluator, true):
    """Print the sum of scores at factors of the truth: each conductance alone, g_Na and g_K together."""
    g = np.array([1e-3 * v for v in true.values()])
    lines = {"g_Na only": [1, 0, 0], "g_K only": [0, 1, 0], "g_L only": [0, 0, 1], "g_Na and g_K": [1, 1, 0]}
    factors = (0.9, 0.95, 0.98, 0.99, 1.0, 1.01, 1.02, 1.05, 1.1)
    print("| factor on the truth | " + " | ".join(f"{f:g}" for f in factors) + " |")
    for name, mask in lines.items():
        sums = [np.sum(evaluator.evaluate_with_lists(list(np.where(mask, f * g, g)))) for f in factors]
        print(f"| {name} | " + " | ".join(f"{x:.3g}" for x in sums) + " |")


def brainsim_starts(python, true):
    out = subprocess.run([python, "-c", STARTS_CODE, json.dumps(true)], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"computing bench_fit_hh's starts with {python!r} failed (use --starts none or "
                           f"--brainsim-python PATH):\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def versions():
    import bluepyopt
    import deap
    import efel
    import neuron

    return {"python": platform.python_version(), "neuron": neuron.__version__, "bluepyopt": bluepyopt.__version__,
            "deap": deap.__version__, "efel": efel.__version__, "numpy": np.__version__}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", help="JSON file to write (required unless --scan)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 8 offspring, 2 generations, random starts")
    ap.add_argument("--offspring", type=int, default=32)
    ap.add_argument("--generations", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--atol", type=float, default=1e-5, help="CVODE absolute tolerance (mV)")
    ap.add_argument("--starts", default=None, help="'brainsim' (bench_fit_hh's 5 starts; default), 'none', or a "
                    "JSON file with a list of {g_Na, g_K, g_L} in mS/cm^2")
    ap.add_argument("--scoring", choices=("batched", "efelfeature"), default="batched",
                    help="eFEL scores from one call per sweep (batched, default) or BluePyOpt's eFELFeature objects "
                         "(one eFEL call per feature: same scores, ~40x slower with eFEL 5.7)")
    ap.add_argument("--scan", action="store_true", help="print the sum of scores along lines through the truth and "
                    "exit (no optimisation, no JSON)")
    ap.add_argument("--brainsim-python", default="python", help="interpreter of brainsim's environment")
    args = ap.parse_args()
    if args.quick:
        args.offspring, args.generations = 8, 2
    starts_mode = args.starts or ("none" if args.quick else "brainsim")
    if not args.out and not args.scan:
        raise SystemExit("hh_fit_bluepyopt: --out is required (the JSON file to write)")
    if args.offspring < 5 or args.generations < 1:
        raise SystemExit("hh_fit_bluepyopt: --offspring must be >= 5 and --generations >= 1")

    import bluepyopt.deapext.optimisations as bpopt

    true = dict(load_by_path("make_hh_fit_reference", ROOT / "tests" / "data" / "make_hh_fit_reference.py").G_TRUE)
    bounds = {n: (0.5 * v, 2.0 * v) for n, v in true.items()}  # mS/cm^2, as bench_fit_hh
    sweeps = read_sweeps(DATA)
    if len({(s["delay"], s["dur"]) for s in sweeps}) != 1:
        raise ValueError(f"{DATA}: the sweeps' steps differ in onset or duration")
    cell = NeuronHH(sweeps[0]["delay"], sweeps[0]["dur"], args.atol)
    objectives, table = make_objectives(sweeps)
    evaluator = make_evaluator(sweeps, cell, objectives, table, bounds, args.scoring)
    if args.scan:
        return scan(evaluator, true)
    check_sets = [[1e-3 * v for v in true.values()]]
    if not args.quick:
        check_sets.append([1e-3 * lo for lo, _ in bounds.values()])
    check = check_scoring(evaluator, check_sets)
    if starts_mode == "none":
        starts = []
    elif starts_mode == "brainsim":
        starts = brainsim_starts(args.brainsim_python, true)
    else:
        starts = json.loads(Path(starts_mode).read_text())

    def to_brainsim(param_list):
        return {n: 1e3 * float(x) for n, x in zip(NAMES, param_list, strict=True)}

    rows = {k: [] for k in ("generation", "evaluations", "neuron_runs", "seconds", "neuron_seconds", "best_score",
                            "best_params")}
    cell.runs, cell.neuron_seconds = 0, 0.0
    t0 = time.perf_counter()

    def counting_map(func, individuals):
        results = list(map(func, individuals))
        rows["generation"].append(len(rows["generation"]) + 1)
        rows["evaluations"].append((rows["evaluations"][-1] if rows["evaluations"] else 0) + len(results))
        rows["neuron_runs"].append(cell.runs)
        rows["seconds"].append(time.perf_counter() - t0)
        rows["neuron_seconds"].append(cell.neuron_seconds)
        rows["best_score"].append(evaluator.best[0])
        rows["best_params"].append(to_brainsim(evaluator.best[1]))
        best = rows["best_params"][-1]
        err = max(abs(best[n] / v - 1) for n, v in true.items())
        print(f"gen {rows['generation'][-1]:4d}  evals {rows['evaluations'][-1]:6d}  {rows['seconds'][-1]:7.1f} s  "
              f"score {evaluator.best[0]:9.3f}  " + "  ".join(f"{n} {x:.5g}" for n, x in best.items())
              + f"  max err {err:.2%}", flush=True)
        return results

    optimiser = bpopt.DEAPOptimisation(evaluator=evaluator, offspring_size=args.offspring, seed=args.seed,
                                       map_function=counting_map, selector_name="IBEA")
    population = None
    if starts:
        population = [[s[n] / 1e3 for n in NAMES] for s in starts]
        population += [optimiser.toolbox.uniformparams() for _ in range(args.offspring - len(population))]
    load0 = os.getloadavg()[0]
    _, hof, _, _ = optimiser.run(max_ngen=args.generations, offspring_size=args.offspring,
                                 parent_population=population)
    wall = time.perf_counter() - t0
    hof_best = to_brainsim(hof[0])
    assert np.allclose(list(hof_best.values()), list(rows["best_params"][-1].values())), (hof_best, rows)

    within = [e for e, p in zip(rows["evaluations"], rows["best_params"], strict=True)
              if max(abs(p[n] / v - 1) for n, v in true.items()) <= 0.02]
    result = dict(rows, versions=versions(), settings=dict(
        data=str(DATA.relative_to(ROOT)), sweeps_pA=[1e3 * s["amp"] for s in sweeps], truth=true, bounds=bounds,
        units="mS/cm^2 (brainsim; NEURON's hh gnabar/gkbar/gl in S/cm^2 = value / 1000)",
        optimiser="bluepyopt.deapext.optimisations.DEAPOptimisation, IBEA, eta 10, cxpb 1, mutpb 1",
        scoring=args.scoring, scoring_check=dict(
            identical_scores=True, eval_seconds_without_neuron=check["seconds"],
            note="eFEL scoring seconds per evaluation (4 sweeps) of the two scorings, at the truth (and the lower "
                 "bounds unless --quick), before the run; the NEURON runs of the check are not "
                 "counted in evaluations or seconds"),
        score_at_truth=check["score_at_truth"],
        offspring=args.offspring, generations=args.generations, seed=args.seed, quick=args.quick,
        starts=starts_mode, initial_starts=starts,
        neuron=f"CVODE atol {args.atol}, v_init {V_INIT} mV, tstop {T_STOP} ms, h.finitialize + h.continuerun per "
               "sweep, one process" + (f", CPUs {sorted(os.sched_getaffinity(0))}" if hasattr(os, "sched_getaffinity")
                                        else ""),
        counting="one evaluation = one parameter set = 4 NEURON runs (one per sweep) + their eFEL scores; seconds: "
                 "cumulative wall time since the optimiser was built (NEURON + eFEL + DEAP), neuron_seconds: the "
                 "NEURON runs alone; best_params: the lowest sum of scores so far (BluePyOpt's hall of fame order)",
        objectives=[dict(sweep=i, feature=n, mean=m, std=s) for i, n, m, s in table],
        rel_std=REL_STD, std_floors=FLOORS, load_average_start=load0, load_average_end=os.getloadavg()[0],
        total_seconds=wall, evaluations_to_2pct_of_truth=within[0] if within else None))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(str(args.out) + ".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {rows['evaluations'][-1]} evaluations, {wall:.1f} s "
          f"(NEURON {cell.neuron_seconds:.1f} s), "
          f"best {hof_best}, within 2 % of the truth after "
          + (f"{within[0]} evaluations" if within else "- (not reached)"))


if __name__ == "__main__":
    main()
