// Software prefetching of CSR rows.
#ifndef BRAINSIM_OPS_PREFETCH_H_
#define BRAINSIM_OPS_PREFETCH_H_

#include <cstdint>

namespace brainsim {

// Rows are prefetched this many spiking neurons ahead of the one being delivered.
constexpr int64_t kPrefetchAhead = 8;
// At most this many cache lines of a row are prefetched (the hardware streams the rest).
constexpr int64_t kPrefetchLines = 8;

// Prefetches one cache line. GCC's dead-code elimination drops __builtin_prefetch inside
// conditional code in loops (all prefetches of these kernels vanished at -O2), so on x86-64
// and AArch64 the instruction is emitted as volatile inline assembly.
inline void PrefetchLine(const char* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*p));
#elif defined(__aarch64__)
  asm volatile("prfm pldl1keep, %0" : : "Q"(*p));
#else
  __builtin_prefetch(p);
#endif
}

// Prefetches the cache lines of p[0 .. count), at most kPrefetchLines of them.
template <typename E>
inline void PrefetchRange(const E* p, int64_t count) {
  const int64_t misalignment = static_cast<int64_t>(reinterpret_cast<uintptr_t>(p) & 63);
  const char* first = reinterpret_cast<const char*>(p) - misalignment;
  const int64_t bytes = misalignment + count * static_cast<int64_t>(sizeof(E));
  for (int64_t offset = 0; offset < bytes && offset < 64 * kPrefetchLines; offset += 64) {
    PrefetchLine(first + offset);
  }
}

}  // namespace brainsim

#endif  // BRAINSIM_OPS_PREFETCH_H_
