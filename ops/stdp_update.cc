// Event-driven weight update of pair-based STDP with traces.
//
//   BrainsimStdpUpdate(weights (*, nnz), pre_spikes (*, n_pre), post_spikes (*, n_post),
//                      pre_trace (*, n_pre), post_trace (*, n_post),
//                      params (*, 4) = (a_plus, a_minus, w_min, w_max), indptr, indices)
//       -> weights (aliased to the input)
//   BrainsimStdpUpdateIndexed(..., col_ptr (*, n_post + 1), col_syn (*, nnz), col_pre (*, nnz))
//       the same, with the synapses of each postsynaptic neuron listed (post-major order), so
//       that postsynaptic spikes are event-driven too.
//
// For synapse k from i to j: dw_k = a_plus * s_post[j] * pre_trace[i] - a_minus * s_pre[i] * post_trace[j];
// synapses with s_pre[i] != 0 or s_post[j] != 0 become clip(w_k + dw_k, w_min, w_max); the
// others are not touched. Each touched synapse is updated exactly once.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "batch.h"
#include "csr.h"
#include "dispatch.h"
#include "event_kernels.h"
#include "export.h"
#include "xla/ffi/api/ffi.h"

namespace brainsim {
namespace {

template <typename T>
struct StdpParams {
  T a_plus, a_minus, w_min, w_max;

  T Update(T w, T s_pre, T s_post, T x_pre, T x_post) const {
    const T dw = a_plus * s_post * x_pre - a_minus * s_pre * x_post;
    return std::min(std::max(w + dw, w_min), w_max);
  }
};

// Post-major listing of the synapses, or none.
struct Columns {
  bool present = false;
  Batched<const int32_t> ptr, syn, pre;
};

template <typename T, typename SP, typename SQ>
void UpdateOne(T* w, const SP* s_pre, const SQ* s_post, const T* x_pre, const T* x_post, const StdpParams<T>& p,
               int64_t n_pre, int64_t n_post, const int32_t* indptr, const int32_t* indices,
               const int32_t* col_ptr, const int32_t* col_syn, const int32_t* col_pre) {
  thread_local std::vector<int32_t> active;
  // Synapses of spiking presynaptic neurons (both terms).
  int64_t m = CompactSpikes(s_pre, n_pre, &active);
  for (int64_t a = 0; a < m; ++a) {
    if (a + kPrefetchAhead < m) {
      const int32_t j = active[a + kPrefetchAhead];
      PrefetchRange(indices + indptr[j], indptr[j + 1] - indptr[j]);
      PrefetchRange(w + indptr[j], indptr[j + 1] - indptr[j]);
    }
    const int32_t i = active[a];
    const T sp = static_cast<T>(s_pre[i]), xp = x_pre[i];
    for (int64_t k = indptr[i]; k < indptr[i + 1]; ++k) {
      const int32_t j = indices[k];
      w[k] = p.Update(w[k], sp, static_cast<T>(s_post[j]), xp, x_post[j]);
    }
  }
  // Synapses onto spiking postsynaptic neurons whose presynaptic neuron did not spike.
  if (col_ptr != nullptr) {
    m = CompactSpikes(s_post, n_post, &active);
    for (int64_t a = 0; a < m; ++a) {
      const int32_t j = active[a];
      const T sq = static_cast<T>(s_post[j]), xq = x_post[j];
      for (int64_t c = col_ptr[j]; c < col_ptr[j + 1]; ++c) {
        const int32_t i = col_pre[c];
        if (s_pre[i] != SP(0)) continue;
        const int64_t k = col_syn[c];
        w[k] = p.Update(w[k], static_cast<T>(s_pre[i]), sq, x_pre[i], xq);
      }
    }
    return;
  }
  bool any_post = false;
  for (int64_t j = 0; j < n_post && !any_post; ++j) any_post = s_post[j] != SQ(0);
  if (!any_post) return;
  for (int64_t i = 0; i < n_pre; ++i) {
    if (s_pre[i] != SP(0)) continue;
    const T sp = static_cast<T>(s_pre[i]), xp = x_pre[i];
    for (int64_t k = indptr[i]; k < indptr[i + 1]; ++k) {
      const int32_t j = indices[k];
      if (s_post[j] != SQ(0)) w[k] = p.Update(w[k], sp, static_cast<T>(s_post[j]), xp, x_post[j]);
    }
  }
}

template <typename T, typename SP, typename SQ>
ffi::Error Stdp(const ffi::AnyBuffer& weights, const ffi::AnyBuffer& pre_spikes, const ffi::AnyBuffer& post_spikes,
                const ffi::AnyBuffer& pre_trace, const ffi::AnyBuffer& post_trace, const ffi::AnyBuffer& params,
                const ffi::AnyBuffer& indptr, const ffi::AnyBuffer& indices, const ffi::AnyBuffer* col_ptr,
                const ffi::AnyBuffer* col_syn, const ffi::AnyBuffer* col_pre, ffi::Result<ffi::AnyBuffer>& out) {
  constexpr const char* kOp = "brainsim stdp_update";
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*out, kOp, "out"));
  for (const ffi::AnyBuffer* b : {&pre_trace, &post_trace, &params}) {
    BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*b, kOp, "trace or parameter"));
  }
  const Batch batch(out->dimensions(), 1);
  const int64_t n_pre = LastDim(pre_spikes), n_post = LastDim(post_spikes);
  Csr csr;
  BRAINSIM_RETURN_IF_ERROR(BindCsr(batch, indptr, indices, n_pre, kOp, &csr));
  if (LastDim(*out) != csr.nnz || LastDim(weights) != csr.nnz || LastDim(pre_trace) != n_pre ||
      LastDim(post_trace) != n_post || LastDim(params) != 4) {
    return ffi::Error::InvalidArgument(std::string(kOp) + ": operand sizes do not match the connectivity");
  }
  Batched<const SP> sp;
  Batched<const SQ> sq;
  Batched<const T> xp, xq, pb, w_in;
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, pre_spikes, 1, "pre_spikes", &sp));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, post_spikes, 1, "post_spikes", &sq));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, pre_trace, 1, "pre_trace", &xp));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, post_trace, 1, "post_trace", &xq));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, params, 1, "params", &pb));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, weights, 1, "weights", &w_in));
  Columns cols;
  if (col_ptr != nullptr) {
    for (const ffi::AnyBuffer* b : {col_ptr, col_syn, col_pre}) {
      BRAINSIM_RETURN_IF_ERROR(CheckType<int32_t>(*b, kOp, "post index"));
    }
    if (LastDim(*col_ptr) != n_post + 1 || LastDim(*col_syn) != csr.nnz || LastDim(*col_pre) != csr.nnz) {
      return ffi::Error::InvalidArgument(std::string(kOp) + ": the post index does not match the connectivity");
    }
    cols.present = true;
    BRAINSIM_RETURN_IF_ERROR(Bind(batch, *col_ptr, 1, "col_ptr", &cols.ptr));
    BRAINSIM_RETURN_IF_ERROR(Bind(batch, *col_syn, 1, "col_syn", &cols.syn));
    BRAINSIM_RETURN_IF_ERROR(Bind(batch, *col_pre, 1, "col_pre", &cols.pre));
  }
  T* o = static_cast<T*>(out->untyped_data());
  for (int64_t b = 0; b < batch.size(); ++b) {
    T* w = o + b * csr.nnz;
    if (w != w_in[b]) std::memcpy(w, w_in[b], csr.nnz * sizeof(T));  // not aliased
    const T* q = pb[b];
    const StdpParams<T> p{q[0], q[1], q[2], q[3]};
    UpdateOne(w, sp[b], sq[b], xp[b], xq[b], p, n_pre, n_post, csr.indptr[b], csr.indices[b],
              cols.present ? cols.ptr[b] : nullptr, cols.present ? cols.syn[b] : nullptr,
              cols.present ? cols.pre[b] : nullptr);
  }
  return ffi::Error::Success();
}

ffi::Error Dispatch(const ffi::AnyBuffer& weights, const ffi::AnyBuffer& pre_spikes,
                    const ffi::AnyBuffer& post_spikes, const ffi::AnyBuffer& pre_trace,
                    const ffi::AnyBuffer& post_trace, const ffi::AnyBuffer& params, const ffi::AnyBuffer& indptr,
                    const ffi::AnyBuffer& indices, const ffi::AnyBuffer* col_ptr, const ffi::AnyBuffer* col_syn,
                    const ffi::AnyBuffer* col_pre, ffi::Result<ffi::AnyBuffer>& out) {
  constexpr const char* kOp = "brainsim stdp_update";
  return DispatchValue(weights.element_type(), kOp, [&](auto t) {
    using T = decltype(t);
    return DispatchSpikes<T>(pre_spikes.element_type(), kOp, [&](auto s_pre) {
      return DispatchSpikes<T>(post_spikes.element_type(), kOp, [&](auto s_post) {
        return Stdp<T, decltype(s_pre), decltype(s_post)>(weights, pre_spikes, post_spikes, pre_trace, post_trace,
                                                          params, indptr, indices, col_ptr, col_syn, col_pre, out);
      });
    });
  });
}

}  // namespace

ffi::Error StdpUpdate(ffi::AnyBuffer weights, ffi::AnyBuffer pre_spikes, ffi::AnyBuffer post_spikes,
                      ffi::AnyBuffer pre_trace, ffi::AnyBuffer post_trace, ffi::AnyBuffer params,
                      ffi::AnyBuffer indptr, ffi::AnyBuffer indices, ffi::Result<ffi::AnyBuffer> out) {
  return Dispatch(weights, pre_spikes, post_spikes, pre_trace, post_trace, params, indptr, indices, nullptr,
                  nullptr, nullptr, out);
}

ffi::Error StdpUpdateIndexed(ffi::AnyBuffer weights, ffi::AnyBuffer pre_spikes, ffi::AnyBuffer post_spikes,
                             ffi::AnyBuffer pre_trace, ffi::AnyBuffer post_trace, ffi::AnyBuffer params,
                             ffi::AnyBuffer indptr, ffi::AnyBuffer indices, ffi::AnyBuffer col_ptr,
                             ffi::AnyBuffer col_syn, ffi::AnyBuffer col_pre, ffi::Result<ffi::AnyBuffer> out) {
  return Dispatch(weights, pre_spikes, post_spikes, pre_trace, post_trace, params, indptr, indices, &col_ptr,
                  &col_syn, &col_pre, out);
}

}  // namespace brainsim

BRAINSIM_BEGIN_EXPORTS

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimStdpUpdate, brainsim::StdpUpdate,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // weights
                                  .Arg<xla::ffi::AnyBuffer>()  // pre_spikes
                                  .Arg<xla::ffi::AnyBuffer>()  // post_spikes
                                  .Arg<xla::ffi::AnyBuffer>()  // pre_trace
                                  .Arg<xla::ffi::AnyBuffer>()  // post_trace
                                  .Arg<xla::ffi::AnyBuffer>()  // params
                                  .Arg<xla::ffi::AnyBuffer>()  // indptr
                                  .Arg<xla::ffi::AnyBuffer>()  // indices
                                  .Ret<xla::ffi::AnyBuffer>());

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimStdpUpdateIndexed, brainsim::StdpUpdateIndexed,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // weights
                                  .Arg<xla::ffi::AnyBuffer>()  // pre_spikes
                                  .Arg<xla::ffi::AnyBuffer>()  // post_spikes
                                  .Arg<xla::ffi::AnyBuffer>()  // pre_trace
                                  .Arg<xla::ffi::AnyBuffer>()  // post_trace
                                  .Arg<xla::ffi::AnyBuffer>()  // params
                                  .Arg<xla::ffi::AnyBuffer>()  // indptr
                                  .Arg<xla::ffi::AnyBuffer>()  // indices
                                  .Arg<xla::ffi::AnyBuffer>()  // col_ptr
                                  .Arg<xla::ffi::AnyBuffer>()  // col_syn
                                  .Arg<xla::ffi::AnyBuffer>()  // col_pre
                                  .Ret<xla::ffi::AnyBuffer>());

BRAINSIM_END_EXPORTS
