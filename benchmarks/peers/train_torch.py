"""The SNN training task (see _train_common.py) in snnTorch or Norse (PyTorch eager, 1 thread).

    .venvs/torch/bin/python train_torch.py --lib snntorch
    .venvs/torch/bin/python train_torch.py --lib norse

snnTorch: ``snn.Synaptic`` cells (reset by subtraction, fast-sigmoid surrogate slope 10) with the
recurrence through a bias-free linear layer; readout ``snn.Synaptic`` without reset.
Norse: ``LIFRecurrentCell`` + ``LICell`` readout; Norse resets to v_reset (not by subtraction) and
scales input by dt/tau (its own LIF form), so its dynamics differ slightly; cost per step is the
comparison.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _train_common import ALPHA, BETA, N_HID, N_IN, N_OUT, SLOPE, T, data, init_weights, parse_args, report  # noqa

args = parse_args(("snntorch", "norse"))
import torch  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(args.seed)
x_np, y_np = data(args.seed)
x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
w_in, w_rec, w_out = (torch.from_numpy(w.T.copy()) for w in init_weights(args.seed))

if args.lib == "snntorch":
    import snntorch as snn
    from snntorch import surrogate

    version = snn.__version__

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc_in = torch.nn.Linear(N_IN, N_HID, bias=False)
            self.fc_rec = torch.nn.Linear(N_HID, N_HID, bias=False)
            self.fc_out = torch.nn.Linear(N_HID, N_OUT, bias=False)
            for lin, w in ((self.fc_in, w_in), (self.fc_rec, w_rec), (self.fc_out, w_out)):
                lin.weight.data.copy_(w)
            self.hid = snn.Synaptic(alpha=ALPHA, beta=BETA, threshold=1.0, reset_mechanism="subtract",
                                    spike_grad=surrogate.fast_sigmoid(slope=SLOPE))
            self.out = snn.Synaptic(alpha=ALPHA, beta=BETA, reset_mechanism="none")

        def forward(self, x):
            syn, mem = self.hid.reset_mem()
            syn_o, mem_o = self.out.reset_mem()
            spk = torch.zeros(x.shape[1], N_HID)
            vmax = None
            for t in range(T):
                spk, syn, mem = self.hid(self.fc_in(x[t]) + self.fc_rec(spk), syn, mem)
                _, syn_o, mem_o = self.out(self.fc_out(spk), syn_o, mem_o)
                vmax = mem_o if vmax is None else torch.maximum(vmax, mem_o)
            return vmax
else:
    import norse
    import norse.torch as nt

    version = norse.__version__ if hasattr(norse, "__version__") else "1.1"

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            p = nt.LIFParameters(tau_syn_inv=torch.tensor(1 - ALPHA), tau_mem_inv=torch.tensor(1 - BETA),
                                 v_leak=torch.tensor(0.0), v_th=torch.tensor(1.0), v_reset=torch.tensor(0.0),
                                 method="super", alpha=torch.tensor(SLOPE))
            self.hid = nt.LIFRecurrentCell(N_IN, N_HID, p=p, dt=1.0, autapses=True)
            self.hid.input_weights.data.copy_(w_in)
            self.hid.recurrent_weights.data.copy_(w_rec)
            self.fc_out = torch.nn.Linear(N_HID, N_OUT, bias=False)
            self.fc_out.weight.data.copy_(w_out)
            self.out = nt.LICell(p=nt.LIParameters(tau_syn_inv=torch.tensor(1 - ALPHA),
                                                   tau_mem_inv=torch.tensor(1 - BETA)), dt=1.0)

        def forward(self, x):
            s_h, s_o, vmax = None, None, None
            for t in range(T):
                z, s_h = self.hid(x[t], s_h)
                v, s_o = self.out(self.fc_out(z), s_o)
                vmax = v if vmax is None else torch.maximum(vmax, v)
            return vmax

model = Model()
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = torch.nn.CrossEntropyLoss()


def step():
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return float(loss.detach())


losses, times = [], []
t0 = time.perf_counter()
losses.append(step())
first_s = time.perf_counter() - t0
for i in range(args.warmup - 1 + args.steps):
    t0 = time.perf_counter()
    losses.append(step())
    if i >= args.warmup - 1:
        times.append(time.perf_counter() - t0)
report(simulator={"snntorch": "snnTorch", "norse": "Norse"}[args.lib], version=version,
       mode=f"torch {torch.__version__} eager, 1 thread", first_s=first_s, step_times=times, losses=losses,
       note=f"{n_params} trainable weights")
