// Event-driven CSR matrix-vector product and its two backward kernels.
//
//   BrainsimEventMatvec(spikes (*, n_pre), weights (*, 1|nnz), indptr, indices) -> out (*, n_post)
//       out[j] = sum over spiking i of s_i * w_ij; only rows of spiking neurons are visited.
//   BrainsimEventRowDot(weights, indptr, indices, g (*, n_post)) -> ds (*, n_pre)
//       ds_i = sum_k w_k * g[indices[k]] (cotangent of float spikes; every row).
//   BrainsimEventWeightGradSum(spikes (*, R, n_pre), indptr, indices, g (*, R, n_post)) -> dw (*, 1|nnz)
//       dw_k = sum over the R rows of s_ri * g_r[indices[k]] on the sparsity pattern, rows that spiked only; a
//       single sum when the result has one entry (homogeneous weight). R rows share the weights (a batch, or
//       steps) and their cotangent is formed in place, never one copy per row; one spike vector is R = 1.
#include <algorithm>
#include <cstdint>

#include "batch.h"
#include "csr.h"
#include "dispatch.h"
#include "event_kernels.h"
#include "export.h"
#include "synapse_target.h"
#include "xla/ffi/api/ffi.h"

namespace brainsim {
namespace {

template <typename T, typename S>
ffi::Error Matvec(const ffi::AnyBuffer& spikes, const ffi::AnyBuffer& weights, const ffi::AnyBuffer& indptr,
                  const ffi::AnyBuffer& indices, ffi::Result<ffi::AnyBuffer>& out) {
  constexpr const char* kOp = "brainsim event_matvec";
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*out, kOp, "out"));
  const Batch batch(out->dimensions(), 1);
  const int64_t n_post = LastDim(*out);
  Csr csr;
  BRAINSIM_RETURN_IF_ERROR(BindCsr(batch, indptr, indices, LastDim(spikes), kOp, &csr));
  Batched<const T> w;
  bool homogeneous;
  BRAINSIM_RETURN_IF_ERROR(BindWeights<T>(batch, weights, csr, kOp, "weights", &w, &homogeneous));
  Batched<const S> s;
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, spikes, 1, "spikes", &s));
  T* o = static_cast<T*>(out->untyped_data());
  RunFlags runs;
  for (int64_t b = 0; b < batch.size(); ++b) {
    T* row = o + b * n_post;
    std::fill(row, row + n_post, T(0));
    ScatterEvents(s[b], csr.n_pre, w[b], homogeneous, csr.indptr[b], csr.indices[b], DirectTarget{}, row,
                  batch.size() > 1 ? runs.Bind(csr.indptr[b], csr.indices[b], csr.n_pre) : nullptr);
  }
  return ffi::Error::Success();
}

template <typename T>
ffi::Error RowDotDirect(const ffi::AnyBuffer& weights, const ffi::AnyBuffer& indptr,
                        const ffi::AnyBuffer& indices, const ffi::AnyBuffer& g,
                        ffi::Result<ffi::AnyBuffer>& ds) {
  constexpr const char* kOp = "brainsim event_matvec (spike gradient)";
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(g, kOp, "g"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*ds, kOp, "ds"));
  const Batch batch(ds->dimensions(), 1);
  Csr csr;
  BRAINSIM_RETURN_IF_ERROR(BindCsr(batch, indptr, indices, LastDim(*ds), kOp, &csr));
  Batched<const T> w, gb;
  bool homogeneous;
  BRAINSIM_RETURN_IF_ERROR(BindWeights<T>(batch, weights, csr, kOp, "weights", &w, &homogeneous));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, g, 1, "g", &gb));
  T* o = static_cast<T*>(ds->untyped_data());
  RunFlags runs;
  for (int64_t b = 0; b < batch.size(); ++b) {
    RowDot(csr.n_pre, w[b], homogeneous, csr.indptr[b], csr.indices[b], DirectTarget{}, gb[b],
           o + b * csr.n_pre, runs.Bind(csr.indptr[b], csr.indices[b], csr.n_pre));
  }
  return ffi::Error::Success();
}

template <typename T, typename S>
ffi::Error WeightGradSum(const ffi::AnyBuffer& spikes, const ffi::AnyBuffer& indptr, const ffi::AnyBuffer& indices,
                         const ffi::AnyBuffer& g, ffi::Result<ffi::AnyBuffer>& dw) {
  constexpr const char* kOp = "brainsim event_matvec (weight gradient, summed over rows)";
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(g, kOp, "g"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*dw, kOp, "dw"));
  const Batch batch(dw->dimensions(), 1);
  auto sd = spikes.dimensions(), gd = g.dimensions();
  if (sd.size() < 2 || gd.size() < 2 || sd[sd.size() - 2] != gd[gd.size() - 2]) {
    return ffi::Error::InvalidArgument(std::string(kOp) + ": need spikes (R, n_pre) and g (R, n_post)");
  }
  const int64_t rows = sd[sd.size() - 2], n_pre = sd[sd.size() - 1], n_post = gd[gd.size() - 1];
  Csr csr;
  BRAINSIM_RETURN_IF_ERROR(BindCsr(batch, indptr, indices, n_pre, kOp, &csr));
  const int64_t n_w = LastDim(*dw);
  if (n_w != 1 && n_w != csr.nnz) return ffi::Error::InvalidArgument(std::string(kOp) + ": bad dw shape");
  Batched<const S> s;
  Batched<const T> gb;
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, spikes, 2, "spikes", &s));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, g, 2, "g", &gb));
  T* o = static_cast<T*>(dw->untyped_data());
  RunFlags runs;
  for (int64_t b = 0; b < batch.size(); ++b) {
    T* out = o + b * n_w;
    std::fill(out, out + n_w, T(0));
    RunFlags* run = rows > 1 ? runs.Bind(csr.indptr[b], csr.indices[b], n_pre) : nullptr;
    for (int64_t r = 0; r < rows; ++r) {
      AddWeightGrad(s[b] + r * n_pre, n_pre, csr.indptr[b], csr.indices[b], DirectTarget{}, gb[b] + r * n_post,
                    n_w == 1, out, run);
    }
  }
  return ffi::Error::Success();
}

}  // namespace

ffi::Error EventMatvec(ffi::AnyBuffer spikes, ffi::AnyBuffer weights, ffi::AnyBuffer indptr,
                       ffi::AnyBuffer indices, ffi::Result<ffi::AnyBuffer> out) {
  constexpr const char* kOp = "brainsim event_matvec";
  return DispatchValue(weights.element_type(), kOp, [&](auto t) {
    using T = decltype(t);
    return DispatchSpikes<T>(spikes.element_type(), kOp, [&](auto s) {
      return Matvec<T, decltype(s)>(spikes, weights, indptr, indices, out);
    });
  });
}

ffi::Error EventRowDot(ffi::AnyBuffer weights, ffi::AnyBuffer indptr, ffi::AnyBuffer indices, ffi::AnyBuffer g,
                       ffi::Result<ffi::AnyBuffer> ds) {
  return DispatchValue(weights.element_type(), "brainsim event_matvec (spike gradient)", [&](auto t) {
    return RowDotDirect<decltype(t)>(weights, indptr, indices, g, ds);
  });
}

ffi::Error EventWeightGradSum(ffi::AnyBuffer spikes, ffi::AnyBuffer indptr, ffi::AnyBuffer indices,
                              ffi::AnyBuffer g, ffi::Result<ffi::AnyBuffer> dw) {
  constexpr const char* kOp = "brainsim event_matvec (weight gradient, summed over rows)";
  return DispatchValue(g.element_type(), kOp, [&](auto t) {
    using T = decltype(t);
    return DispatchSpikes<T>(spikes.element_type(), kOp, [&](auto s) {
      return WeightGradSum<T, decltype(s)>(spikes, indptr, indices, g, dw);
    });
  });
}

}  // namespace brainsim

BRAINSIM_BEGIN_EXPORTS

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimEventMatvec, brainsim::EventMatvec,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // spikes
                                  .Arg<xla::ffi::AnyBuffer>()  // weights
                                  .Arg<xla::ffi::AnyBuffer>()  // indptr
                                  .Arg<xla::ffi::AnyBuffer>()  // indices
                                  .Ret<xla::ffi::AnyBuffer>());

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimEventRowDot, brainsim::EventRowDot,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // weights
                                  .Arg<xla::ffi::AnyBuffer>()  // indptr
                                  .Arg<xla::ffi::AnyBuffer>()  // indices
                                  .Arg<xla::ffi::AnyBuffer>()  // g
                                  .Ret<xla::ffi::AnyBuffer>());

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimEventWeightGradSum, brainsim::EventWeightGradSum,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // spikes
                                  .Arg<xla::ffi::AnyBuffer>()  // indptr
                                  .Arg<xla::ffi::AnyBuffer>()  // indices
                                  .Arg<xla::ffi::AnyBuffer>()  // g
                                  .Ret<xla::ffi::AnyBuffer>());

BRAINSIM_END_EXPORTS
