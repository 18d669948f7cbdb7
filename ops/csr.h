// The CSR structure of one call: validated sizes and batched pointers.
#ifndef BRAINSIM_OPS_CSR_H_
#define BRAINSIM_OPS_CSR_H_

#include <cstdint>
#include <string>

#include "batch.h"
#include "dispatch.h"

namespace brainsim {

struct Csr {
  int64_t n_pre = 0;
  int64_t nnz = 0;
  Batched<const int32_t> indptr;
  Batched<const int32_t> indices;
};

// Binds indptr (*, n_pre + 1) and indices (*, nnz), both int32.
inline ffi::Error BindCsr(const Batch& batch, const ffi::AnyBuffer& indptr, const ffi::AnyBuffer& indices,
                          int64_t n_pre, const char* op, Csr* csr) {
  BRAINSIM_RETURN_IF_ERROR(CheckType<int32_t>(indptr, op, "indptr"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<int32_t>(indices, op, "indices"));
  if (LastDim(indptr) != n_pre + 1) {
    return ffi::Error::InvalidArgument(std::string(op) + ": indptr must have n_pre + 1 entries");
  }
  csr->n_pre = n_pre;
  csr->nnz = LastDim(indices);
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, indptr, 1, "indptr", &csr->indptr));
  return Bind(batch, indices, 1, "indices", &csr->indices);
}

// Weights (*, 1) (homogeneous) or (*, nnz); returns whether they are homogeneous.
template <typename T>
ffi::Error BindWeights(const Batch& batch, const ffi::AnyBuffer& weights, const Csr& csr, const char* op,
                       const char* name, Batched<const T>* w, bool* homogeneous) {
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(weights, op, name));
  const int64_t n = LastDim(weights);
  if (n != 1 && n != csr.nnz) {
    return ffi::Error::InvalidArgument(std::string(op) + ": '" + name + "' must have 1 or nnz entries");
  }
  *homogeneous = n == 1;
  return Bind(batch, weights, 1, name, w);
}

}  // namespace brainsim

#endif  // BRAINSIM_OPS_CSR_H_
