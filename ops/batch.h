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
#include <vector>

#include "xla/ffi/api/ffi.h"

namespace brainsim {

namespace ffi = xla::ffi;

// The batch shape of the output and, for each operand, the element offset of batch entry b.
class Batch {
 public:
  // `out_dims` are the output's dimensions, of which the last `data_rank` are data.
  Batch(ffi::Span<const int64_t> out_dims, int data_rank) {
    const int64_t lead_rank = static_cast<int64_t>(out_dims.size()) - data_rank;
    for (int64_t d = 0; d < lead_rank; ++d) lead_.push_back(out_dims[d]);
    size_ = 1;
    for (int64_t n : lead_) size_ *= n;
  }

  int64_t size() const { return size_; }

  // Offsets (in elements) of every batch entry of `buf`, whose last `data_rank` dims are data.
  ffi::Error Offsets(const ffi::AnyBuffer& buf, int data_rank, const char* name,
                     std::vector<int64_t>* offsets) const {
    auto dims = buf.dimensions();
    const int64_t lead_rank = static_cast<int64_t>(dims.size()) - data_rank;
    if (lead_rank != static_cast<int64_t>(lead_.size())) {
      return ffi::Error::InvalidArgument(std::string("brainsim ops: operand '") + name +
                                         "' has the wrong number of batch dimensions");
    }
    int64_t inner = 1;
    for (int64_t d = lead_rank; d < static_cast<int64_t>(dims.size()); ++d) inner *= dims[d];
    // Stride of each lead dimension in the operand (0 where it broadcasts).
    std::vector<int64_t> stride(lead_rank, 0);
    int64_t s = inner;
    for (int64_t d = lead_rank - 1; d >= 0; --d) {
      if (dims[d] != 1 && dims[d] != lead_[d]) {
        return ffi::Error::InvalidArgument(std::string("brainsim ops: batch dimensions of operand '") +
                                           name + "' do not broadcast");
      }
      stride[d] = dims[d] == 1 ? 0 : s;
      s *= dims[d];
    }
    offsets->assign(size_, 0);
    for (int64_t b = 0; b < size_; ++b) {
      int64_t rest = b, off = 0;
      for (int64_t d = lead_rank - 1; d >= 0; --d) {
        off += (rest % lead_[d]) * stride[d];
        rest /= lead_[d];
      }
      (*offsets)[b] = off;
    }
    return ffi::Error::Success();
  }

 private:
  std::vector<int64_t> lead_;
  int64_t size_;
};

// A buffer's data pointer with the offset of every batch entry: `p[b]` is entry b.
template <typename E>
struct Batched {
  E* base = nullptr;
  std::vector<int64_t> offsets;
  E* operator[](int64_t b) const { return base + offsets[b]; }
};

// Binds `buf` (element type E, last `data_rank` dims are data) to the batch of the output.
template <typename E>
ffi::Error Bind(const Batch& batch, const ffi::AnyBuffer& buf, int data_rank, const char* name,
                Batched<E>* out) {
  out->base = static_cast<E*>(buf.untyped_data());
  return batch.Offsets(buf, data_rank, name, &out->offsets);
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
