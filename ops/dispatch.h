// Dtype dispatch: values are float32 or float64; spikes are bool or the value type.
#ifndef BRAINSIM_OPS_DISPATCH_H_
#define BRAINSIM_OPS_DISPATCH_H_

#include <string>

#include "xla/ffi/api/ffi.h"

namespace brainsim {

namespace ffi = xla::ffi;

template <typename T>
constexpr ffi::DataType kDataType = ffi::DataType::INVALID;
template <>
inline constexpr ffi::DataType kDataType<float> = ffi::DataType::F32;
template <>
inline constexpr ffi::DataType kDataType<double> = ffi::DataType::F64;
template <>
inline constexpr ffi::DataType kDataType<bool> = ffi::DataType::PRED;
template <>
inline constexpr ffi::DataType kDataType<int32_t> = ffi::DataType::S32;

// Calls fn(T{}) with T = float or double according to `type`.
template <typename Fn>
ffi::Error DispatchValue(ffi::DataType type, const char* op, Fn&& fn) {
  switch (type) {
    case ffi::DataType::F32:
      return fn(float{});
    case ffi::DataType::F64:
      return fn(double{});
    default:
      return ffi::Error::InvalidArgument(std::string(op) + ": values must be float32 or float64");
  }
}

// Calls fn(S{}) with S = bool or T according to the spike dtype.
template <typename T, typename Fn>
ffi::Error DispatchSpikes(ffi::DataType type, const char* op, Fn&& fn) {
  if (type == ffi::DataType::PRED) return fn(bool{});
  if (type == kDataType<T>) return fn(T{});
  return ffi::Error::InvalidArgument(std::string(op) + ": spikes must be bool or have the value dtype");
}

// Checks that `buf` has element type T.
template <typename T>
ffi::Error CheckType(const ffi::AnyBuffer& buf, const char* op, const char* name) {
  if (buf.element_type() != kDataType<T>) {
    return ffi::Error::InvalidArgument(std::string(op) + ": operand '" + name + "' has the wrong dtype");
  }
  return ffi::Error::Success();
}

}  // namespace brainsim

#endif  // BRAINSIM_OPS_DISPATCH_H_
