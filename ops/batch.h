// Leading ("batch") dimensions shared by every kernel.
//
// Each operand has shape (*lead, *data): `data` is what one call works on, `lead` are batch
// dimensions added by vmap (vmap_method="expand_dims" adds one leading dimension per vmap
// level, of size 1 for operands that are not batched). Lead dimensions broadcast like numpy:
// an operand whose lead dimension is 1 is shared by every batch entry, so connectivity is
// never copied.
#ifndef BRAINSIM_OPS_BATCH_H_
#define BRAINSIM_OPS_BATCH_H_

#include <cstdint>
#include <string>

#include "xla/ffi/api/ffi.h"

namespace brainsim {

namespace ffi = xla::ffi;

// At most this many leading (vmap) dimensions.
constexpr int kMaxBatchRank = 8;

// A buffer's data pointer and the strides of its leading dimensions: `p[b]` is the data of
// batch entry b (flat index over the output's leading dimensions). No heap allocation.
template <typename E>
struct Batched {
  E* base = nullptr;
  int rank = 0;
  int64_t lead[kMaxBatchRank] = {};    // the output's leading dimensions
  int64_t stride[kMaxBatchRank] = {};  // this operand's strides (0 where it broadcasts)

  E* operator[](int64_t b) const {
    // one vmap level, the common case: no division (b < lead[0]; kernels look entries up per batch entry and
    // operand, so divisions here cost ~1 % of a batched network step)
    if (rank == 1) return base + b * stride[0];
    int64_t offset = 0;
    for (int d = rank - 1; d >= 0; --d) {
      offset += (b % lead[d]) * stride[d];
      b /= lead[d];
    }
    return base + offset;
  }
};

// The batch shape of the output.
class Batch {
 public:
  // `out_dims` are the output's dimensions, of which the last `data_rank` are data.
  Batch(ffi::Span<const int64_t> out_dims, int data_rank) {
    rank_ = static_cast<int>(out_dims.size()) - data_rank;
    size_ = 1;
    for (int d = 0; d < rank_ && d < kMaxBatchRank; ++d) {
      lead_[d] = out_dims[d];
      size_ *= out_dims[d];
    }
  }

  int64_t size() const { return size_; }

  // Whether `dims` (of which the last `data_rank` are data) has exactly this batch shape.
  bool Matches(ffi::Span<const int64_t> dims, int data_rank) const {
    if (static_cast<int>(dims.size()) - data_rank != rank_) return false;
    for (int d = 0; d < rank_ && d < kMaxBatchRank; ++d) {
      if (dims[d] != lead_[d]) return false;
    }
    return true;
  }

  // Binds `buf` (element type E, last `data_rank` dims are data) to this batch.
  template <typename E>
  ffi::Error Bind(const ffi::AnyBuffer& buf, int data_rank, const char* name, Batched<E>* out) const {
    auto dims = buf.dimensions();
    const int lead_rank = static_cast<int>(dims.size()) - data_rank;
    if (rank_ > kMaxBatchRank) {
      return ffi::Error::InvalidArgument("brainsim ops: too many nested vmaps");
    }
    if (lead_rank != rank_) {
      return ffi::Error::InvalidArgument(std::string("brainsim ops: operand '") + name +
                                         "' has the wrong number of batch dimensions");
    }
    int64_t s = 1;
    for (size_t d = lead_rank; d < dims.size(); ++d) s *= dims[d];
    out->base = static_cast<E*>(buf.untyped_data());
    out->rank = rank_;
    for (int d = rank_ - 1; d >= 0; --d) {
      if (dims[d] != 1 && dims[d] != lead_[d]) {
        return ffi::Error::InvalidArgument(std::string("brainsim ops: batch dimensions of operand '") + name +
                                           "' do not broadcast");
      }
      out->lead[d] = lead_[d];
      out->stride[d] = dims[d] == 1 ? 0 : s;
      s *= dims[d];
    }
    return ffi::Error::Success();
  }

 private:
  int rank_ = 0;
  int64_t lead_[kMaxBatchRank] = {};
  int64_t size_ = 1;
};

// Binds `buf` (element type E, last `data_rank` dims are data) to the batch of the output.
template <typename E>
ffi::Error Bind(const Batch& batch, const ffi::AnyBuffer& buf, int data_rank, const char* name,
                Batched<E>* out) {
  return batch.Bind(buf, data_rank, name, out);
}

// The last dimension of a buffer (1 for a scalar).
inline int64_t LastDim(const ffi::AnyBuffer& buf) {
  auto dims = buf.dimensions();
  return dims.size() == 0 ? 1 : dims[dims.size() - 1];
}

// Returns from the enclosing handler when `expr` is an error.
#define BRAINSIM_RETURN_IF_ERROR(expr)                 \
  do {                                                 \
    ffi::Error brainsim_err_ = (expr);                 \
    if (brainsim_err_.failure()) return brainsim_err_; \
  } while (0)

}  // namespace brainsim

#endif  // BRAINSIM_OPS_BATCH_H_
