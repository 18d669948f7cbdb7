// Bit masks of non-zero spikes, 64 neurons at a time (SSE2 where available).
#ifndef BRAINSIM_OPS_SPIKE_MASK_H_
#define BRAINSIM_OPS_SPIKE_MASK_H_

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace brainsim {

// Bit b is set when s[b] != 0, for b < width <= 64 (NaN counts as non-zero, -0 as zero).
template <typename S>
inline uint64_t NonZeroMask(const S* s, int64_t width) {
  uint64_t mask = 0;
  for (int64_t b = 0; b < width; ++b) mask |= static_cast<uint64_t>(s[b] != S(0)) << b;
  return mask;
}

#if defined(__SSE2__)
template <>
inline uint64_t NonZeroMask<float>(const float* s, int64_t width) {
  if (width < 64) {
    uint64_t mask = 0;
    for (int64_t b = 0; b < width; ++b) mask |= static_cast<uint64_t>(s[b] != 0.0f) << b;
    return mask;
  }
  const __m128 zero = _mm_setzero_ps();
  uint64_t mask = 0;
  for (int j = 0; j < 16; ++j) {
    const __m128 v = _mm_loadu_ps(s + 4 * j);
    mask |= static_cast<uint64_t>(_mm_movemask_ps(_mm_cmpneq_ps(v, zero))) << (4 * j);
  }
  return mask;
}

template <>
inline uint64_t NonZeroMask<double>(const double* s, int64_t width) {
  if (width < 64) {
    uint64_t mask = 0;
    for (int64_t b = 0; b < width; ++b) mask |= static_cast<uint64_t>(s[b] != 0.0) << b;
    return mask;
  }
  const __m128d zero = _mm_setzero_pd();
  uint64_t mask = 0;
  for (int j = 0; j < 32; ++j) {
    const __m128d v = _mm_loadu_pd(s + 2 * j);
    mask |= static_cast<uint64_t>(_mm_movemask_pd(_mm_cmpneq_pd(v, zero))) << (2 * j);
  }
  return mask;
}

template <>
inline uint64_t NonZeroMask<bool>(const bool* s, int64_t width) {
  if (width < 64) {
    uint64_t mask = 0;
    for (int64_t b = 0; b < width; ++b) mask |= static_cast<uint64_t>(s[b]) << b;
    return mask;
  }
  const __m128i zero = _mm_setzero_si128();
  uint64_t mask = 0;
  for (int j = 0; j < 4; ++j) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 16 * j));
    const uint64_t is_zero = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
    mask |= (~is_zero & 0xFFFFu) << (16 * j);
  }
  return mask;
}
#endif

}  // namespace brainsim

#endif  // BRAINSIM_OPS_SPIKE_MASK_H_
