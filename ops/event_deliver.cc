// Delivery of spikes through many projections in one call: all outgoing projections of a
// population, or all chemical projections of a network.
//
//   BrainsimEventDeliver(head (*, 1) int32, dt (*, 1) [ms], spikes_0 .. spikes_{S-1} (*, n_pre_s),
//                        then for every target k: weights_k (*, 1|nnz_k), delays_k (*, 1|nnz_k) [ms],
//                        scale_k (*, 1|n_post_k), indptr_k (*, n_pre + 1), indices_k (*, nnz_k),
//                        buffer_k (*, n_post_k) if ring[k] == 0, else (*, L_k, n_post_k))
//                        then for every drain d: scale_d (*, 1|n_post), accumulator_d (*, n_post)
//                        attributes ring, source: one entry per target; drain: one entry per drain
//       -> buffer_k for every k, then accumulator_d for every d (each aliased to its input)
//   Target k is fed by spikes_{source[k]}. An accumulator (ring[k] == 0; e.g. the synaptic variable
//   of a projection whose delay is one step): first buffer_k *= scale_k (its decay over the step),
//   then buffer_k[indices_k[s]] += spikes[i] * weights_k[s] for the synapses s of every neuron i with
//   a non-zero spike. A ring buffer (ring[k] == 1; scale_k is not used): the synapse adds into row
//   (head + delay_steps(delay_s, dt)) % L_k. Drain d then moves what arrives at the next step from ring
//   target drain[d] into its accumulator: accumulator_d = scale_d * accumulator_d + ring[(head + 1) % L],
//   and that row is cleared (the delayed projection's synaptic variable takes its input in the same call).
//
// Each spike vector is compacted once and serves every target it feeds. A single call per step
// also makes every delivery depend on every population's update, so XLA can update the synaptic
// state in place: all its readers (the populations' drives) are known to have run before.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "batch.h"
#include "csr.h"
#include "dispatch.h"
#include "event_kernels.h"
#include "export.h"
#include "resident_scatter.h"
#include "simd.h"
#include "synapse_target.h"
#include "worker_pool.h"
#include "xla/ffi/api/ffi.h"

namespace brainsim {
namespace {

constexpr const char* kOp = "brainsim event_deliver";
constexpr int64_t kOperandsPerTarget = 6;
constexpr int64_t kOperandsPerDrain = 2;

// The ring-buffer row of the step after `head`.
inline int64_t NextRow(int64_t head, int64_t slots) { return (((head + 1) % slots) + slots) % slots; }

// One target, bound to the batch.
template <typename T>
struct BoundTarget {
  Csr csr;
  Batched<const T> w;
  bool homogeneous = true;
  Batched<const T> delays;
  bool homogeneous_delays = true;
  Batched<const T> scale;
  bool uniform_scale = true;
  T* out = nullptr;
  int64_t source = 0;
  bool ring = false;
  int64_t slots = 0;
  int64_t n_post = 0;
};

// A drain, bound to the batch: the accumulator that takes the next step's row of a ring target.
template <typename T>
struct BoundDrain {
  int64_t ring = 0;
  Batched<const T> scale;
  bool uniform_scale = true;
  T* out = nullptr;
};

template <typename T, typename S>
ffi::Error Deliver(const ffi::AnyBuffer& head, const ffi::AnyBuffer& dt, const ffi::RemainingArgs& args,
                   const ffi::RemainingRets& rets, ffi::Span<const int64_t> ring, ffi::Span<const int64_t> source,
                   ffi::Span<const int64_t> drain) {
  const int64_t n_drains = static_cast<int64_t>(drain.size());
  const int64_t n_targets = static_cast<int64_t>(rets.size()) - n_drains;
  const int64_t n_sources =
      static_cast<int64_t>(args.size()) - kOperandsPerTarget * n_targets - kOperandsPerDrain * n_drains;
  if (n_targets < 1 || n_sources < 1 || static_cast<int64_t>(ring.size()) != n_targets ||
      static_cast<int64_t>(source.size()) != n_targets) {
    return ffi::Error::InvalidArgument(std::string(kOp) + ": expected spikes, then 6 operands, a ring flag "
                                       "and a source per delivery result, then 2 operands per drain");
  }
  auto first = rets.get<ffi::AnyBuffer>(0);
  if (first.has_error()) return first.error();
  const Batch batch((*first)->dimensions(), ring[0] ? 2 : 1);
  thread_local std::vector<Batched<const S>> spikes;
  thread_local std::vector<int64_t> n_pre;
  spikes.assign(n_sources, Batched<const S>{});
  n_pre.assign(n_sources, 0);
  for (int64_t j = 0; j < n_sources; ++j) {
    auto sj = args.get<ffi::AnyBuffer>(j);
    if (sj.has_error()) return sj.error();
    if (sj->element_type() != kDataType<S>) {
      return ffi::Error::InvalidArgument(std::string(kOp) + ": every spike vector needs the same dtype");
    }
    n_pre[j] = LastDim(*sj);
    BRAINSIM_RETURN_IF_ERROR(Bind(batch, *sj, 1, "spikes", &spikes[j]));
  }
  Batched<const int32_t> h;
  Batched<const T> step;
  BRAINSIM_RETURN_IF_ERROR(CheckType<int32_t>(head, kOp, "head"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(dt, kOp, "dt"));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, head, 1, "head", &h));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, dt, 1, "dt", &step));

  thread_local std::vector<BoundTarget<T>> targets;
  targets.assign(n_targets, BoundTarget<T>{});
  for (int64_t t = 0; t < n_targets; ++t) {
    BoundTarget<T>& bt = targets[t];
    if (source[t] < 0 || source[t] >= n_sources) {
      return ffi::Error::InvalidArgument(std::string(kOp) + ": a target's source is out of range");
    }
    bt.source = source[t];
    auto get = [&](int64_t j) { return args.get<ffi::AnyBuffer>(n_sources + kOperandsPerTarget * t + j); };
    auto weights = get(0), delays = get(1), scale = get(2), indptr = get(3), indices = get(4), buffer = get(5);
    for (auto* x : {&weights, &delays, &scale, &indptr, &indices, &buffer}) {
      if (x->has_error()) return x->error();
    }
    auto out = rets.get<ffi::AnyBuffer>(t);
    if (out.has_error()) return out.error();
    BRAINSIM_RETURN_IF_ERROR(CheckType<T>(**out, kOp, "out"));
    BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*buffer, kOp, "buffer"));
    auto dims = (*out)->dimensions();
    const int data_rank = ring[t] ? 2 : 1;
    if (static_cast<int>(dims.size()) < data_rank || !batch.Matches(dims, data_rank) ||
        (ring[t] && dims[dims.size() - 2] < 1)) {
      return ffi::Error::InvalidArgument(std::string(kOp) + ": buffers need shape (*batch, n_post) or "
                                         "(*batch, L >= 1, n_post), with the same batch");
    }
    bt.ring = ring[t] != 0;
    bt.slots = ring[t] ? dims[dims.size() - 2] : 1;
    bt.n_post = dims[dims.size() - 1];
    BRAINSIM_RETURN_IF_ERROR(BindCsr(batch, *indptr, *indices, n_pre[bt.source], kOp, &bt.csr));
    BRAINSIM_RETURN_IF_ERROR(BindWeights<T>(batch, *weights, bt.csr, kOp, "weights", &bt.w, &bt.homogeneous));
    BRAINSIM_RETURN_IF_ERROR(BindWeights<T>(batch, *delays, bt.csr, kOp, "delays", &bt.delays,
                                            &bt.homogeneous_delays));
    BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*scale, kOp, "scale"));
    const int64_t n_scale = LastDim(*scale);
    if (n_scale != 1 && n_scale != bt.n_post) {
      return ffi::Error::InvalidArgument(std::string(kOp) + ": 'scale' must have 1 or n_post entries");
    }
    bt.uniform_scale = n_scale == 1;
    BRAINSIM_RETURN_IF_ERROR(Bind(batch, *scale, 1, "scale", &bt.scale));
    bt.out = static_cast<T*>((*out)->untyped_data());
    const int64_t size = bt.slots * bt.n_post;
    if (static_cast<const void*>(bt.out) != buffer->untyped_data()) {  // not aliased: start from the input
      Batched<const T> in;
      BRAINSIM_RETURN_IF_ERROR(Bind(batch, *buffer, data_rank, "buffer", &in));
      for (int64_t b = 0; b < batch.size(); ++b) std::memcpy(bt.out + b * size, in[b], size * sizeof(T));
    }
  }

  thread_local std::vector<BoundDrain<T>> drains;
  drains.assign(n_drains, BoundDrain<T>{});
  const int64_t first_drain_arg = n_sources + kOperandsPerTarget * n_targets;
  for (int64_t d = 0; d < n_drains; ++d) {
    BoundDrain<T>& bd = drains[d];
    if (drain[d] < 0 || drain[d] >= n_targets || !targets[drain[d]].ring) {
      return ffi::Error::InvalidArgument(std::string(kOp) + ": a drain must name a ring buffer target");
    }
    bd.ring = drain[d];
    const int64_t n_post = targets[bd.ring].n_post;
    auto scale = args.get<ffi::AnyBuffer>(first_drain_arg + kOperandsPerDrain * d);
    auto acc = args.get<ffi::AnyBuffer>(first_drain_arg + kOperandsPerDrain * d + 1);
    auto out = rets.get<ffi::AnyBuffer>(n_targets + d);
    for (auto* x : {&scale, &acc}) {
      if (x->has_error()) return x->error();
    }
    if (out.has_error()) return out.error();
    BRAINSIM_RETURN_IF_ERROR(CheckType<T>(**out, kOp, "out"));
    BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*acc, kOp, "accumulator"));
    BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*scale, kOp, "scale"));
    if (!batch.Matches((*out)->dimensions(), 1) || LastDim(**out) != n_post) {
      return ffi::Error::InvalidArgument(std::string(kOp) + ": a drain's accumulator needs shape (*batch, n_post) "
                                         "of its ring buffer");
    }
    const int64_t n_scale = LastDim(*scale);
    if (n_scale != 1 && n_scale != n_post) {
      return ffi::Error::InvalidArgument(std::string(kOp) + ": 'scale' must have 1 or n_post entries");
    }
    bd.uniform_scale = n_scale == 1;
    BRAINSIM_RETURN_IF_ERROR(Bind(batch, *scale, 1, "scale", &bd.scale));
    bd.out = static_cast<T*>((*out)->untyped_data());
    if (static_cast<const void*>(bd.out) != acc->untyped_data()) {
      Batched<const T> in;
      BRAINSIM_RETURN_IF_ERROR(Bind(batch, *acc, 1, "accumulator", &in));
      for (int64_t b = 0; b < batch.size(); ++b) std::memcpy(bd.out + b * n_post, in[b], n_post * sizeof(T));
    }
  }

  // a batch visits the same rows again: remember which are runs (one entry per target)
  std::vector<RunFlags> runs(batch.size() > 1 ? targets.size() : 0);
  // the targets are the tasks of the worker pool (worker_pool.h; one thread unless BRAINSIM_OPS_THREADS): by source
  // on one thread (each spike vector compacted once), the largest first on several (the threads finish together)
  thread_local std::vector<int64_t> order;
  order.resize(n_targets);
  for (int64_t t = 0; t < n_targets; ++t) order[t] = t;
  const auto synapses = [&](int64_t t) { return targets[t].csr.indptr[0][targets[t].csr.n_pre]; };
  if (OpsThreads() > 1) {
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return synapses(x) > synapses(y); });
  } else {
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
      return targets[x].source < targets[y].source;
    });
  }
  for (int64_t b = 0; b < batch.size(); ++b) {
    for (const BoundDrain<T>& bd : drains) {
      const int64_t n_post = targets[bd.ring].n_post;
      ScaleInPlace(bd.out + b * n_post, n_post, bd.scale[b], bd.uniform_scale);
    }
    // each target is written by one task; its spikes are compacted by the thread that runs it (once per source
    // and batch entry while the thread's targets share it)
    static std::atomic<uint64_t> calls{0};
    const uint64_t call = ++calls;
    // this thread's thread_local operands, named by reference for the workers (in the lambda their names would be
    // the worker's own thread_local variables)
    const std::vector<BoundTarget<T>>& all_targets = targets;
    const std::vector<Batched<const S>>& all_spikes = spikes;
    const std::vector<int64_t>& all_n_pre = n_pre;
    const std::vector<int64_t>& task_order = order;
    WorkerPool::Get().Run(n_targets, [&](int64_t task) {
      thread_local std::vector<int32_t> active;
      thread_local uint64_t compacted_call = 0;
      thread_local int64_t compacted_source = -1, m = 0;
      const int64_t t = task_order[task];
      const BoundTarget<T>& bt = all_targets[t];
      if (!bt.ring) ScaleInPlace(bt.out + b * bt.n_post, bt.n_post, bt.scale[b], bt.uniform_scale);
      const S* sb = all_spikes[bt.source][b];
      if (compacted_call != call || compacted_source != bt.source) {
        m = CompactSpikes(sb, all_n_pre[bt.source], &active);
        compacted_call = call;
        compacted_source = bt.source;
      }
      if (m == 0) return;
      T* out = bt.out + b * bt.slots * bt.n_post;
      const int32_t* indptr = bt.csr.indptr[b];
      const int32_t* indices = bt.csr.indices[b];
      RunFlags* run = runs.empty() ? nullptr : runs[t].Bind(indptr, indices, bt.csr.n_pre);
      if (!bt.ring && bt.n_post * static_cast<int64_t>(sizeof(T)) <= kResidentBytes) {  // resident_scatter.h
        ScatterActiveResident(active.data(), m, sb, bt.w[b], bt.homogeneous, indptr, indices, out, run);
      } else if (!bt.ring) {
        ScatterActive(active.data(), m, sb, bt.w[b], bt.homogeneous, indptr, indices, DirectTarget{}, out, run);
      } else {
        const DelayedTarget<T> target(bt.delays[b], bt.homogeneous_delays, step[b][0], h[b][0], bt.slots, bt.n_post);
        ScatterActive(active.data(), m, sb, bt.w[b], bt.homogeneous, indptr, indices, target, out, run);
      }
    });
    // what arrives at the next step goes to the drains' accumulators; its row is cleared
    for (const BoundDrain<T>& bd : drains) {
      const BoundTarget<T>& bt = targets[bd.ring];
      const T* row = bt.out + b * bt.slots * bt.n_post + NextRow(h[b][0], bt.slots) * bt.n_post;
      AddInPlace(bd.out + b * bt.n_post, row, bt.n_post);
    }
    for (int64_t d = 0; d < n_drains; ++d) {
      const BoundTarget<T>& bt = targets[drains[d].ring];
      bool first = true;  // clear each drained ring once, after all its drains
      for (int64_t e = d + 1; e < n_drains && first; ++e) first = drains[e].ring != drains[d].ring;
      if (!first) continue;
      T* row = bt.out + b * bt.slots * bt.n_post + NextRow(h[b][0], bt.slots) * bt.n_post;
      std::fill(row, row + bt.n_post, T(0));
    }
  }
  return ffi::Error::Success();
}

}  // namespace

ffi::Error EventDeliver(ffi::AnyBuffer head, ffi::AnyBuffer dt, ffi::RemainingArgs args, ffi::RemainingRets rets,
                        ffi::Span<const int64_t> ring, ffi::Span<const int64_t> source,
                        ffi::Span<const int64_t> drain) {
  if (args.size() < 1) return ffi::Error::InvalidArgument(std::string(kOp) + ": no spikes given");
  auto spikes = args.get<ffi::AnyBuffer>(0);
  if (spikes.has_error()) return spikes.error();
  const ffi::DataType spike_type = spikes->element_type();
  return DispatchValue(dt.element_type(), kOp, [&](auto t) {
    using T = decltype(t);
    return DispatchSpikes<T>(spike_type, kOp, [&](auto s) {
      return Deliver<T, decltype(s)>(head, dt, args, rets, ring, source, drain);
    });
  });
}

}  // namespace brainsim

BRAINSIM_BEGIN_EXPORTS

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimEventDeliver, brainsim::EventDeliver,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // head
                                  .Arg<xla::ffi::AnyBuffer>()  // dt
                                  .RemainingArgs()             // spikes (S), 6 per target, 2 per drain
                                  .RemainingRets()             // one buffer per target, then per drain
                                  .Attr<xla::ffi::Span<const int64_t>>("ring")
                                  .Attr<xla::ffi::Span<const int64_t>>("source")
                                  .Attr<xla::ffi::Span<const int64_t>>("drain"));

BRAINSIM_END_EXPORTS
