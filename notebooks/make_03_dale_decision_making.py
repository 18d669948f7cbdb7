"""Writes notebooks/03_dale_decision_making.ipynb (without outputs): python notebooks/make_03_dale_decision_making.py"""

import os

import nbformat as nbf

HERE = os.path.dirname(os.path.abspath(__file__))

nb = nbf.v4.new_notebook()
md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell
nb.cells = [
    md("# A biologically constrained spiking network learns a perceptual decision\n\n"
       "A conductance-based E/I network (80 % excitatory, 20 % inhibitory LIF neurons; AMPA, NMDA and GABA_A "
       "synapses on sparse random connectivity) is trained with backpropagation through time and surrogate "
       "gradients on a random-dots-like two-alternative task: two noisy Poisson input streams fire at "
       "`mu0 (1 + c)` and `mu0 (1 - c)` for a coherence `c`, and the network reports which stream is stronger "
       "by which of two excitatory pools, A or B, fires more at the end of the stimulus "
       "(Wang 2002; Song, Yang & Wang 2016).\n\n"
       "Training keeps the network biological: every weight is a conductance that stays >= 0 and every "
       "projection keeps the sign of its source population (Dale's law), membrane time constants stay in "
       "5-50 ms, and a rate regulariser keeps firing rates in a biological range. The constraints are "
       "reparametrisations from `brainsim.train.constraints`: the optimiser (optax) trains unconstrained raw "
       "parameters, and `resolve` maps them to a valid `Network` at every step.\n\n"
       "The code of the task, the network and the plots lives in `examples/decision_making.py`; this notebook "
       "walks through it. With `BRAINSIM_NB_SMALL=1` (as in CI) it runs a small, short version.\n\n"
       "**At full size** (80 E + 20 I neurons, 400 Adam steps of 32 trials) the psychometric curve, rates and "
       "constraint checks below are computed by this notebook when it runs; the committed full-size run of the same "
       "code is `benchmarks/evidence/decision_making/summary.json` "
       "(`python examples/decision_making.py --out benchmarks/evidence/decision_making`)."),
    code("import dataclasses\nimport importlib.util\nimport os\nimport sys\nfrom pathlib import Path\n\n"
         "import jax\nimport matplotlib.pyplot as plt\nimport numpy as np\nimport optax\n\nimport brainsim as bs\n"
         "from brainsim.train.constrained import Constrained, constrain, constraint_violations, only_constrained, "
         "resolve\nfrom brainsim.train.constraints import Interval\nfrom brainsim.train.dale import dale_law\n"
         "from brainsim.train.loop import fit\n\n"
         "# the example script, from the repository this brainsim was installed from\n"
         "path = Path(bs.__file__).resolve().parents[1] / 'examples' / 'decision_making.py'\n"
         "spec = importlib.util.spec_from_file_location('decision_making', path)\n"
         "dm = importlib.util.module_from_spec(spec)\nsys.modules['decision_making'] = dm\n"
         "spec.loader.exec_module(dm)\n\n"
         "SMALL = os.environ.get('BRAINSIM_NB_SMALL') == '1'\n"
         "cfg = dm.SMALL if SMALL else dm.Config()\ncfg"),
    md("## The network\nLIF cells with C_m = 200 pF, E_L = -70 mV, threshold -50 mV, reset -60 mV, a 160 pA bias "
       "and a noisy background current; E cells have tau_m = 20 ms, I cells 10 ms. Input neurons (two streams) "
       "project onto E and I through AMPA synapses; E projects through AMPA and NMDA (slow, with Mg block), "
       "I through GABA_A (reversal -70 mV). Initial weights are random and unstructured: nothing tells pool A "
       "that it should follow stream A."),
    code("net = dm.build_network(cfg)\n"
         "print(f'{net.n_neurons} neurons, {net.n_synapses} synapses')\n"
         "for name, p in net.projections.items():\n"
         "    w = np.asarray(p.conn.weights)\n"
         "    print(f'{name:10s} {p.conn.nnz:5d} synapses, weights {w.min():.2f}-{w.max():.2f} nS, '\n"
         "          f'reversal {p.synapse.output.E:g} mV')"),
    md("## Constraints\n`dale_law` picks one constraint per projection from its synapse: a conductance "
       "synapse carries its sign in the reversal potential, so its weights must stay >= 0 and its source must be "
       "of the matching kind (a projection from `I` with a 0 mV reversal would be an error); current synapses "
       "would get per-neuron signs (`Dale`). `constrain` marks any other field with an `eqx.tree_at`-style "
       "`where`. Each marked field becomes a `Constrained` node holding an unconstrained `raw` array; "
       "`only_constrained` selects exactly those raw arrays for training (the synaptic time constants, for "
       "instance, stay fixed)."),
    code("params = dale_law(net, {'in': True, 'E': True, 'I': False})\n"
         "params = constrain(params, lambda n: (n.populations['E'].tau_m, n.populations['I'].tau_m), "
         "Interval(5.0, 50.0))\n"
         "print(params.projections['I->E'].conn.weights)\n"
         "assert isinstance(params.populations['E'].tau_m, Constrained)\n"
         "plain = resolve(params)  # a plain, valid Network again\n"
         "print(np.allclose(plain.projections['I->E'].conn.weights, net.projections['I->E'].conn.weights))"),
    md("## The task\nFixation (background only, inputs at 5 Hz), then the stimulus: stream A fires at "
       "`mu0 (1 + c)`, stream B at `mu0 (1 - c)`, `mu0` = 40 Hz. The choice is read from the pools' mean rates in "
       "the last part of the stimulus (darker band in the plots below): `logits = beta * rate`."),
    code("trials, labels = dm.batches(cfg)(0)\n"
         "x = np.asarray(trials['in'][0])\n"
         "fig, ax = plt.subplots(figsize=(7, 2.5))\n"
         "ts, ids = np.nonzero(x)\n"
         "ax.plot(ts * cfg.dt, ids, '|', ms=3, color='k')\n"
         "ax.axhline(cfg.n_in - 0.5, color='0.5')\n"
         "ax.set(xlabel='time (ms)', ylabel='input neuron', title=f'one trial, label {int(labels[0])} "
         "(0 = A, rows below the line)')\n"
         "plt.show()"),
    md("## Training\n`fit` (brainsim.train.loop) runs optax on the raw parameters; the loss resolves the "
       "constrained model, simulates a batch of trials (`vmap` over `simulate`), and adds the rate regulariser "
       "(neurons above 40 Hz, and average rates below 1 Hz, are penalised)."),
    code("optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(cfg.lr))\n"
         "params, history = fit(dm.loss_fn(cfg), params, optimizer, dm.batches(cfg), n_steps=cfg.steps,\n"
         "                      filter_spec=only_constrained(params), has_aux=True,\n"
         "                      log_every=max(1, cfg.steps // 40), progress=False)\n"
         "print(f\"{cfg.steps} steps in {history['time'][-1]:.1f} s; last loss {history['loss'][-1]:.3f}\")\n"
         "dm.plot_training(history)\nplt.show()"),
    md("## Psychometric curve\nAccuracy on fresh trials at each coherence level (both signs; at 0 % the label "
       "is a coin flip, so chance is 50 %)."),
    code("net_trained = resolve(params)\n"
         "result = dm.evaluate(net_trained, cfg)\n"
         "for c, a in zip(result['coherence'], result['accuracy'], strict=True):\n"
         "    print(f'coherence {c * 100:5.1f} %: {a * 100:5.1f} % correct')\n"
         "dm.plot_psychometric(result)\nplt.show()"),
    md("## Population activity on correct trials\nTop: a raster of one correct trial (stream A stronger, pool A "
       "chosen) per coherence: pool A red, pool B blue, the other E cells grey, I cells green. Bottom: the "
       "pools' rates averaged over all correct A trials of that coherence."),
    code("fig = dm.plot_activity(result, cfg)\nplt.show()"),
    md("## Still biological?\nEvery conductance is >= 0 and every projection keeps its source's sign (no "
       "constraint violations), membrane time constants stay in 5-50 ms, and rates stay in a few to a few tens "
       "of Hz."),
    code("report = dm.dale_report(params)\n"
         "print('violations:', report['violations'])\n"
         "assert all(v == 0 for v in report['violations'].values())\n"
         "assert all(w >= 0 for w in report['min_weight'].values())\n"
         "for pop in ('E', 'I'):\n"
         "    tau = np.asarray(net_trained.populations[pop].tau_m)\n"
         "    rate = np.mean([tr[pop].mean() for tr in result['trials']]) * 1000 / cfg.dt\n"
         "    print(f'{pop}: tau_m {tau.min():.1f}-{tau.max():.1f} ms, mean rate {rate:.1f} Hz')\n"
         "dm.plot_weights(params)\nplt.show()"),
]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbf.write(nb, os.path.join(HERE, "03_dale_decision_making.ipynb"))
