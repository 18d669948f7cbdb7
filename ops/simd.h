// Wider vector paths for the elementwise parts of the kernels (spike compaction, scaling, sums), chosen
// at run time: the library is built for the baseline ISA (so that it runs on any x86-64 CPU) and
// uses AVX-512 where the CPU has it.
#ifndef BRAINSIM_OPS_SIMD_H_
#define BRAINSIM_OPS_SIMD_H_

#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BRAINSIM_X86_DISPATCH 1
#include <immintrin.h>
#endif

namespace brainsim {

#if defined(BRAINSIM_X86_DISPATCH)

// Whether the CPU has AVX-512 F and BW (checked once).
inline bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return has;
}

// Bit b set where s[b] != 0 for a full block of 64 (NaN counts as non-zero, -0 as zero).
__attribute__((target("avx512f,avx512bw"))) inline uint64_t NonZeroMask64Avx512(const float* s) {
  const __m512 zero = _mm512_setzero_ps();
  uint64_t mask = 0;
  for (int j = 0; j < 4; ++j) {
    mask |= static_cast<uint64_t>(_mm512_cmp_ps_mask(_mm512_loadu_ps(s + 16 * j), zero, _CMP_NEQ_UQ)) << (16 * j);
  }
  return mask;
}

__attribute__((target("avx512f,avx512bw"))) inline uint64_t NonZeroMask64Avx512(const double* s) {
  const __m512d zero = _mm512_setzero_pd();
  uint64_t mask = 0;
  for (int j = 0; j < 8; ++j) {
    mask |= static_cast<uint64_t>(_mm512_cmp_pd_mask(_mm512_loadu_pd(s + 8 * j), zero, _CMP_NEQ_UQ)) << (8 * j);
  }
  return mask;
}

__attribute__((target("avx512f,avx512bw"))) inline uint64_t NonZeroMask64Avx512(const bool* s) {
  const __m512i v = _mm512_loadu_si512(reinterpret_cast<const void*>(s));
  return _mm512_test_epi8_mask(v, v);
}

// Writes base + b for every set bit b of `mask`, in increasing order, to out[0 ..) and returns how many: 16 bits at a
// time compressed in a register and stored whole, so out must have room for 64 ints (past the count is scratch).
// Faster than a loop over the set bits when they are many (a bit-scan loop has a mispredicted exit per block).
__attribute__((target("avx512f,avx512bw,popcnt,bmi"))) inline int64_t WriteSetBits64Avx512(uint64_t mask, int32_t base,
                                                                                          int32_t* out) {
  const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  int64_t m = 0;
  for (int j = 0; j < 4; ++j) {
    const __mmask16 part = static_cast<__mmask16>(mask >> (16 * j));
    const __m512i ids = _mm512_add_epi32(lanes, _mm512_set1_epi32(base + 16 * j));
    _mm512_storeu_si512(reinterpret_cast<void*>(out + m), _mm512_maskz_compress_epi32(part, ids));
    m += __builtin_popcount(part);
  }
  return m;
}

// Whether every element of s[0 .. n) is 0 or 1 (spikes that are events, not values that scale them).
__attribute__((target("avx512f"))) inline bool ZeroOrOneAvx512(const float* s, int64_t n) {
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 v = _mm512_loadu_ps(s + j);
    if ((_mm512_cmp_ps_mask(v, zero, _CMP_NEQ_UQ) & _mm512_cmp_ps_mask(v, one, _CMP_NEQ_UQ)) != 0) return false;
  }
  for (; j < n; ++j) {
    if (s[j] != 0.0f && s[j] != 1.0f) return false;
  }
  return true;
}

__attribute__((target("avx512f"))) inline bool ZeroOrOneAvx512(const double* s, int64_t n) {
  const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m512d v = _mm512_loadu_pd(s + j);
    if ((_mm512_cmp_pd_mask(v, zero, _CMP_NEQ_UQ) & _mm512_cmp_pd_mask(v, one, _CMP_NEQ_UQ)) != 0) return false;
  }
  for (; j < n; ++j) {
    if (s[j] != 0.0 && s[j] != 1.0) return false;
  }
  return true;
}

// The same for a partial block of 0 < width < 64 elements (masked loads: nothing past the end is read).
__attribute__((target("avx512f,avx512bw"))) inline uint64_t NonZeroMaskPartialAvx512(const float* s, int64_t width) {
  const __m512 zero = _mm512_setzero_ps();
  uint64_t mask = 0;
  for (int64_t j = 0; 16 * j < width; ++j) {
    const int64_t left = width - 16 * j;
    const __mmask16 valid = left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(valid, s + 16 * j);
    mask |= static_cast<uint64_t>(_mm512_mask_cmp_ps_mask(valid, v, zero, _CMP_NEQ_UQ)) << (16 * j);
  }
  return mask;
}

__attribute__((target("avx512f,avx512bw"))) inline uint64_t NonZeroMaskPartialAvx512(const double* s, int64_t width) {
  const __m512d zero = _mm512_setzero_pd();
  uint64_t mask = 0;
  for (int64_t j = 0; 8 * j < width; ++j) {
    const int64_t left = width - 8 * j;
    const __mmask8 valid = left >= 8 ? static_cast<__mmask8>(0xFF) : static_cast<__mmask8>((1u << left) - 1);
    const __m512d v = _mm512_maskz_loadu_pd(valid, s + 8 * j);
    mask |= static_cast<uint64_t>(_mm512_mask_cmp_pd_mask(valid, v, zero, _CMP_NEQ_UQ)) << (8 * j);
  }
  return mask;
}

__attribute__((target("avx512f,avx512bw"))) inline uint64_t NonZeroMaskPartialAvx512(const bool* s, int64_t width) {
  const __mmask64 valid = (uint64_t{1} << width) - 1;  // width < 64
  const __m512i v = _mm512_maskz_loadu_epi8(valid, reinterpret_cast<const void*>(s));
  return _mm512_test_epi8_mask(v, v);
}

// x[j] *= scale[j] (or *= scale[0] when uniform), 16 floats or 8 doubles at a time.
__attribute__((target("avx512f"))) inline void ScaleAvx512(float* x, int64_t n, const float* scale, bool uniform) {
  int64_t j = 0;
  if (uniform) {
    const __m512 c = _mm512_set1_ps(scale[0]);
    for (; j + 16 <= n; j += 16) _mm512_storeu_ps(x + j, _mm512_mul_ps(_mm512_loadu_ps(x + j), c));
    for (; j < n; ++j) x[j] *= scale[0];
  } else {
    for (; j + 16 <= n; j += 16) {
      _mm512_storeu_ps(x + j, _mm512_mul_ps(_mm512_loadu_ps(x + j), _mm512_loadu_ps(scale + j)));
    }
    for (; j < n; ++j) x[j] *= scale[j];
  }
}

__attribute__((target("avx512f"))) inline void ScaleAvx512(double* x, int64_t n, const double* scale, bool uniform) {
  int64_t j = 0;
  if (uniform) {
    const __m512d c = _mm512_set1_pd(scale[0]);
    for (; j + 8 <= n; j += 8) _mm512_storeu_pd(x + j, _mm512_mul_pd(_mm512_loadu_pd(x + j), c));
    for (; j < n; ++j) x[j] *= scale[0];
  } else {
    for (; j + 8 <= n; j += 8) {
      _mm512_storeu_pd(x + j, _mm512_mul_pd(_mm512_loadu_pd(x + j), _mm512_loadu_pd(scale + j)));
    }
    for (; j < n; ++j) x[j] *= scale[j];
  }
}

// acc[j] += row[j] (arrays that do not overlap).
__attribute__((target("avx512f"))) inline void AddAvx512(float* __restrict acc, const float* __restrict row,
                                                          int64_t n) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    _mm512_storeu_ps(acc + j, _mm512_add_ps(_mm512_loadu_ps(acc + j), _mm512_loadu_ps(row + j)));
  }
  for (; j < n; ++j) acc[j] += row[j];
}

__attribute__((target("avx512f"))) inline void AddAvx512(double* __restrict acc, const double* __restrict row,
                                                          int64_t n) {
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    _mm512_storeu_pd(acc + j, _mm512_add_pd(_mm512_loadu_pd(acc + j), _mm512_loadu_pd(row + j)));
  }
  for (; j < n; ++j) acc[j] += row[j];
}

// acc[j] += v * row[j] (arrays that do not overlap).
__attribute__((target("avx512f"))) inline void AxpyAvx512(float* __restrict acc, const float* __restrict row,
                                                           float v, int64_t n) {
  const __m512 c = _mm512_set1_ps(v);
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    _mm512_storeu_ps(acc + j, _mm512_add_ps(_mm512_loadu_ps(acc + j), _mm512_mul_ps(c, _mm512_loadu_ps(row + j))));
  }
  for (; j < n; ++j) acc[j] += v * row[j];
}

__attribute__((target("avx512f"))) inline void AxpyAvx512(double* __restrict acc, const double* __restrict row,
                                                           double v, int64_t n) {
  const __m512d c = _mm512_set1_pd(v);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    _mm512_storeu_pd(acc + j, _mm512_add_pd(_mm512_loadu_pd(acc + j), _mm512_mul_pd(c, _mm512_loadu_pd(row + j))));
  }
  for (; j < n; ++j) acc[j] += v * row[j];
}

// sum_j a[j] * b[j], in 16 (8) partial sums.
__attribute__((target("avx512f"))) inline float DotAvx512(const float* a, const float* b, int64_t n) {
  __m512 s = _mm512_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) s = _mm512_add_ps(s, _mm512_mul_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j)));
  float total = _mm512_reduce_add_ps(s);
  for (; j < n; ++j) total += a[j] * b[j];
  return total;
}

__attribute__((target("avx512f"))) inline double DotAvx512(const double* a, const double* b, int64_t n) {
  __m512d s = _mm512_setzero_pd();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) s = _mm512_add_pd(s, _mm512_mul_pd(_mm512_loadu_pd(a + j), _mm512_loadu_pd(b + j)));
  double total = _mm512_reduce_add_pd(s);
  for (; j < n; ++j) total += a[j] * b[j];
  return total;
}

#else

inline bool HasAvx512() { return false; }

#endif

// acc += row, elementwise (arrays that do not overlap).
template <typename T>
void AddInPlace(T* __restrict acc, const T* __restrict row, int64_t n) {
#if defined(BRAINSIM_X86_DISPATCH)
  if (HasAvx512()) {
    AddAvx512(acc, row, n);
    return;
  }
#endif
  for (int64_t j = 0; j < n; ++j) acc[j] += row[j];
}

// acc += v * row, elementwise (arrays that do not overlap).
template <typename T>
void AxpyInPlace(T* __restrict acc, const T* __restrict row, T v, int64_t n) {
#if defined(BRAINSIM_X86_DISPATCH)
  if (HasAvx512()) {
    AxpyAvx512(acc, row, v, n);
    return;
  }
#endif
  for (int64_t j = 0; j < n; ++j) acc[j] += v * row[j];
}

// sum_j a[j] * b[j].
template <typename T>
T Dot(const T* a, const T* b, int64_t n) {
#if defined(BRAINSIM_X86_DISPATCH)
  if (HasAvx512()) return DotAvx512(a, b, n);
#endif
  T total = 0;
  for (int64_t j = 0; j < n; ++j) total += a[j] * b[j];
  return total;
}

// x *= scale (a single value or one per element); nothing to do for a uniform scale of exactly one.
template <typename T>
void ScaleInPlace(T* x, int64_t n, const T* scale, bool uniform) {
  if (uniform && scale[0] == T(1)) return;
#if defined(BRAINSIM_X86_DISPATCH)
  if (HasAvx512()) {
    ScaleAvx512(x, n, scale, uniform);
    return;
  }
#endif
  if (uniform) {
    const T c = scale[0];
    for (int64_t j = 0; j < n; ++j) x[j] *= c;
  } else {
    for (int64_t j = 0; j < n; ++j) x[j] *= scale[j];
  }
}

}  // namespace brainsim

#endif  // BRAINSIM_OPS_SIMD_H_
