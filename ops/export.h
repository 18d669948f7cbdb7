// Exported handler symbols. The library is built with -fvisibility=hidden, which would also
// hide the `extern "C"` functions that XLA_FFI_DEFINE_HANDLER_SYMBOL defines; handlers are
// therefore defined between these two macros.
#ifndef BRAINSIM_OPS_EXPORT_H_
#define BRAINSIM_OPS_EXPORT_H_

#define BRAINSIM_BEGIN_EXPORTS _Pragma("GCC visibility push(default)")
#define BRAINSIM_END_EXPORTS _Pragma("GCC visibility pop")

#endif  // BRAINSIM_OPS_EXPORT_H_
