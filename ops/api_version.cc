// The XLA FFI API version these kernels were compiled against. The Python loader compares it
// with the installed jaxlib before registering anything: a library built for a newer API than
// the runtime's makes XLA's whole CPU backend fail to initialise.
#include "export.h"
#include "xla/ffi/api/c_api.h"

#ifndef BRAINSIM_JAXLIB_VERSION
#define BRAINSIM_JAXLIB_VERSION "unknown"
#endif

BRAINSIM_BEGIN_EXPORTS

extern "C" int BrainsimFfiApiMajor() { return XLA_FFI_API_MAJOR; }
extern "C" int BrainsimFfiApiMinor() { return XLA_FFI_API_MINOR; }
extern "C" const char* BrainsimBuildJaxlibVersion() { return BRAINSIM_JAXLIB_VERSION; }

BRAINSIM_END_EXPORTS
