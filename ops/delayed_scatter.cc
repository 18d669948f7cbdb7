// Delivery into a ring buffer of future inputs at per-synapse delays, and its backward kernels.
//
//   BrainsimDelayedScatter(spikes (*, n_pre), weights (*, 1|nnz), delays (*, 1|nnz) [ms],
//                          head (*, 1) int32, dt (*, 1) [ms], indptr, indices,
//                          buffer (*, L, n_post)) -> buffer (aliased to the input)
//       buffer[(head + delay_steps(delay_k, dt)) % L, indices[k]] += s_i * w_k for the
//       synapses k of spiking neurons i; the slot is computed per delivered synapse, so
//       heterogeneous delays cost a single pass.
//   BrainsimDelayedRowDot(weights, delays, head, dt, indptr, indices, g (*, L, n_post)) -> ds (*, n_pre)
//   BrainsimDelayedWeightGradSum(spikes (*, R, n_pre), delays, head, dt, indptr, indices, g (*, R, L, n_post))
//       -> dw (*, 1|nnz): the weight cotangent summed over R rows (a batch) that share the connectivity,
//       the delays and the step, formed in place (never one copy per row); one spike vector is R = 1.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "batch.h"
#include "csr.h"
#include "dispatch.h"
#include "event_kernels.h"
#include "export.h"
#include "synapse_target.h"
#include "xla/ffi/api/ffi.h"

namespace brainsim {
namespace {

// Delays, head and dt of a delayed call, and the ring-buffer shape (L, n_post).
template <typename T>
struct Ring {
  Batched<const T> delays;
  bool homogeneous_delays = true;
  Batched<const int32_t> head;
  Batched<const T> dt;
  int64_t slots = 0;
  int64_t n_post = 0;

  DelayedTarget<T> Target(int64_t b) const {
    return DelayedTarget<T>(delays[b], homogeneous_delays, dt[b][0], head[b][0], slots, n_post);
  }
};

// `ring_dims` are the dims of the (*, L, n_post) buffer or cotangent.
template <typename T>
ffi::Error BindRing(const Batch& batch, const Csr& csr, const ffi::AnyBuffer& delays, const ffi::AnyBuffer& head,
                    const ffi::AnyBuffer& dt, ffi::Span<const int64_t> ring_dims, const char* op, Ring<T>* ring) {
  BRAINSIM_RETURN_IF_ERROR(BindWeights<T>(batch, delays, csr, op, "delays", &ring->delays,
                                          &ring->homogeneous_delays));
  BRAINSIM_RETURN_IF_ERROR(CheckType<int32_t>(head, op, "head"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(dt, op, "dt"));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, head, 1, "head", &ring->head));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, dt, 1, "dt", &ring->dt));
  if (ring_dims.size() < 2 || ring_dims[ring_dims.size() - 2] < 1) {
    return ffi::Error::InvalidArgument(std::string(op) + ": the ring buffer needs shape (L >= 1, n_post)");
  }
  ring->slots = ring_dims[ring_dims.size() - 2];
  ring->n_post = ring_dims[ring_dims.size() - 1];
  return ffi::Error::Success();
}

template <typename T, typename S>
ffi::Error Scatter(const ffi::AnyBuffer& spikes, const ffi::AnyBuffer& weights, const ffi::AnyBuffer& delays,
                   const ffi::AnyBuffer& head, const ffi::AnyBuffer& dt, const ffi::AnyBuffer& indptr,
                   const ffi::AnyBuffer& indices, const ffi::AnyBuffer& buffer, ffi::Result<ffi::AnyBuffer>& out) {
  constexpr const char* kOp = "brainsim delayed_event_scatter";
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*out, kOp, "out"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(buffer, kOp, "buffer"));
  const Batch batch(out->dimensions(), 2);
  Csr csr;
  BRAINSIM_RETURN_IF_ERROR(BindCsr(batch, indptr, indices, LastDim(spikes), kOp, &csr));
  Batched<const T> w;
  bool homogeneous;
  BRAINSIM_RETURN_IF_ERROR(BindWeights<T>(batch, weights, csr, kOp, "weights", &w, &homogeneous));
  Batched<const S> s;
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, spikes, 1, "spikes", &s));
  Ring<T> ring;
  BRAINSIM_RETURN_IF_ERROR(BindRing(batch, csr, delays, head, dt, out->dimensions(), kOp, &ring));
  const int64_t size = ring.slots * ring.n_post;
  T* o = static_cast<T*>(out->untyped_data());
  if (static_cast<const void*>(o) != buffer.untyped_data()) {  // not aliased: start from the input
    Batched<const T> in;
    BRAINSIM_RETURN_IF_ERROR(Bind(batch, buffer, 2, "buffer", &in));
    for (int64_t b = 0; b < batch.size(); ++b) std::memcpy(o + b * size, in[b], size * sizeof(T));
  }
  for (int64_t b = 0; b < batch.size(); ++b) {
    ScatterEvents(s[b], csr.n_pre, w[b], homogeneous, csr.indptr[b], csr.indices[b], ring.Target(b),
                  o + b * size);
  }
  return ffi::Error::Success();
}

template <typename T>
ffi::Error RowDotDelayed(const ffi::AnyBuffer& weights, const ffi::AnyBuffer& delays, const ffi::AnyBuffer& head,
                         const ffi::AnyBuffer& dt, const ffi::AnyBuffer& indptr, const ffi::AnyBuffer& indices,
                         const ffi::AnyBuffer& g, ffi::Result<ffi::AnyBuffer>& ds) {
  constexpr const char* kOp = "brainsim delayed_event_scatter (spike gradient)";
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(g, kOp, "g"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*ds, kOp, "ds"));
  const Batch batch(ds->dimensions(), 1);
  Csr csr;
  BRAINSIM_RETURN_IF_ERROR(BindCsr(batch, indptr, indices, LastDim(*ds), kOp, &csr));
  Batched<const T> w, gb;
  bool homogeneous;
  BRAINSIM_RETURN_IF_ERROR(BindWeights<T>(batch, weights, csr, kOp, "weights", &w, &homogeneous));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, g, 2, "g", &gb));
  Ring<T> ring;
  BRAINSIM_RETURN_IF_ERROR(BindRing(batch, csr, delays, head, dt, g.dimensions(), kOp, &ring));
  T* o = static_cast<T*>(ds->untyped_data());
  RunFlags runs;
  for (int64_t b = 0; b < batch.size(); ++b) {
    RowDot(csr.n_pre, w[b], homogeneous, csr.indptr[b], csr.indices[b], ring.Target(b), gb[b],
           o + b * csr.n_pre, runs.Bind(csr.indptr[b], csr.indices[b], csr.n_pre));
  }
  return ffi::Error::Success();
}

template <typename T, typename S>
ffi::Error WeightGradDelayedSum(const ffi::AnyBuffer& spikes, const ffi::AnyBuffer& delays,
                                const ffi::AnyBuffer& head, const ffi::AnyBuffer& dt, const ffi::AnyBuffer& indptr,
                                const ffi::AnyBuffer& indices, const ffi::AnyBuffer& g,
                                ffi::Result<ffi::AnyBuffer>& dw) {
  constexpr const char* kOp = "brainsim delayed_event_scatter (weight gradient, summed over rows)";
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(g, kOp, "g"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*dw, kOp, "dw"));
  const Batch batch(dw->dimensions(), 1);
  auto sd = spikes.dimensions(), gd = g.dimensions();
  if (sd.size() < 2 || gd.size() < 3 || sd[sd.size() - 2] != gd[gd.size() - 3]) {
    return ffi::Error::InvalidArgument(std::string(kOp) + ": need spikes (R, n_pre) and g (R, L, n_post)");
  }
  const int64_t rows = sd[sd.size() - 2], n_pre = sd[sd.size() - 1];
  Csr csr;
  BRAINSIM_RETURN_IF_ERROR(BindCsr(batch, indptr, indices, n_pre, kOp, &csr));
  const int64_t n_w = LastDim(*dw);
  if (n_w != 1 && n_w != csr.nnz) return ffi::Error::InvalidArgument(std::string(kOp) + ": bad dw shape");
  Batched<const S> s;
  Batched<const T> gb;
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, spikes, 2, "spikes", &s));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, g, 3, "g", &gb));
  Ring<T> ring;
  BRAINSIM_RETURN_IF_ERROR(BindRing(batch, csr, delays, head, dt, gd, kOp, &ring));
  const int64_t size = ring.slots * ring.n_post;
  T* o = static_cast<T*>(dw->untyped_data());
  RunFlags runs;
  for (int64_t b = 0; b < batch.size(); ++b) {
    T* out = o + b * n_w;
    std::fill(out, out + n_w, T(0));
    const DelayedTarget<T> target = ring.Target(b);
    RunFlags* run = rows > 1 ? runs.Bind(csr.indptr[b], csr.indices[b], n_pre) : nullptr;
    for (int64_t r = 0; r < rows; ++r) {
      AddWeightGrad(s[b] + r * n_pre, n_pre, csr.indptr[b], csr.indices[b], target, gb[b] + r * size, n_w == 1,
                    out, run);
    }
  }
  return ffi::Error::Success();
}

}  // namespace

ffi::Error DelayedScatter(ffi::AnyBuffer spikes, ffi::AnyBuffer weights, ffi::AnyBuffer delays,
                          ffi::AnyBuffer head, ffi::AnyBuffer dt, ffi::AnyBuffer indptr, ffi::AnyBuffer indices,
                          ffi::AnyBuffer buffer, ffi::Result<ffi::AnyBuffer> out) {
  constexpr const char* kOp = "brainsim delayed_event_scatter";
  return DispatchValue(buffer.element_type(), kOp, [&](auto t) {
    using T = decltype(t);
    return DispatchSpikes<T>(spikes.element_type(), kOp, [&](auto s) {
      return Scatter<T, decltype(s)>(spikes, weights, delays, head, dt, indptr, indices, buffer, out);
    });
  });
}

ffi::Error DelayedRowDot(ffi::AnyBuffer weights, ffi::AnyBuffer delays, ffi::AnyBuffer head, ffi::AnyBuffer dt,
                         ffi::AnyBuffer indptr, ffi::AnyBuffer indices, ffi::AnyBuffer g,
                         ffi::Result<ffi::AnyBuffer> ds) {
  return DispatchValue(g.element_type(), "brainsim delayed_event_scatter (spike gradient)", [&](auto t) {
    return RowDotDelayed<decltype(t)>(weights, delays, head, dt, indptr, indices, g, ds);
  });
}

ffi::Error DelayedWeightGradSum(ffi::AnyBuffer spikes, ffi::AnyBuffer delays, ffi::AnyBuffer head,
                                ffi::AnyBuffer dt, ffi::AnyBuffer indptr, ffi::AnyBuffer indices, ffi::AnyBuffer g,
                                ffi::Result<ffi::AnyBuffer> dw) {
  constexpr const char* kOp = "brainsim delayed_event_scatter (weight gradient, summed over rows)";
  return DispatchValue(g.element_type(), kOp, [&](auto t) {
    using T = decltype(t);
    return DispatchSpikes<T>(spikes.element_type(), kOp, [&](auto s) {
      return WeightGradDelayedSum<T, decltype(s)>(spikes, delays, head, dt, indptr, indices, g, dw);
    });
  });
}

}  // namespace brainsim

BRAINSIM_BEGIN_EXPORTS

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimDelayedScatter, brainsim::DelayedScatter,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // spikes
                                  .Arg<xla::ffi::AnyBuffer>()  // weights
                                  .Arg<xla::ffi::AnyBuffer>()  // delays
                                  .Arg<xla::ffi::AnyBuffer>()  // head
                                  .Arg<xla::ffi::AnyBuffer>()  // dt
                                  .Arg<xla::ffi::AnyBuffer>()  // indptr
                                  .Arg<xla::ffi::AnyBuffer>()  // indices
                                  .Arg<xla::ffi::AnyBuffer>()  // buffer
                                  .Ret<xla::ffi::AnyBuffer>());

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimDelayedRowDot, brainsim::DelayedRowDot,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // weights
                                  .Arg<xla::ffi::AnyBuffer>()  // delays
                                  .Arg<xla::ffi::AnyBuffer>()  // head
                                  .Arg<xla::ffi::AnyBuffer>()  // dt
                                  .Arg<xla::ffi::AnyBuffer>()  // indptr
                                  .Arg<xla::ffi::AnyBuffer>()  // indices
                                  .Arg<xla::ffi::AnyBuffer>()  // g
                                  .Ret<xla::ffi::AnyBuffer>());

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimDelayedWeightGradSum, brainsim::DelayedWeightGradSum,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // spikes
                                  .Arg<xla::ffi::AnyBuffer>()  // delays
                                  .Arg<xla::ffi::AnyBuffer>()  // head
                                  .Arg<xla::ffi::AnyBuffer>()  // dt
                                  .Arg<xla::ffi::AnyBuffer>()  // indptr
                                  .Arg<xla::ffi::AnyBuffer>()  // indices
                                  .Arg<xla::ffi::AnyBuffer>()  // g
                                  .Ret<xla::ffi::AnyBuffer>());

BRAINSIM_END_EXPORTS
