// Event-driven product of spike rows with a dense weight matrix, and its weight gradient.
//
//   BrainsimEventMatmul(spikes (*, R, n_pre), weights (*, n_pre, n_post)) -> out (*, R, n_post)
//       out[r, j] = sum over i with s_ri != 0 of s_ri * w_ij: only the weight rows of neurons that
//       spiked are read (an all-to-all projection kept as a dense matrix); the R rows share the weights.
//   BrainsimEventMatmulWeightGrad(spikes (*, R, n_pre), g (*, R, n_post)) -> dw (*, n_pre, n_post)
//       dw_ij = sum over the R rows r of s_ri * g_rj, visiting only non-zero spikes: the weight
//       cotangent summed over a batch (samples x steps) as it is formed, never per row.
//
// Both keep a tile of output columns in vector registers while they add the rows of the events.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "batch.h"
#include "dispatch.h"
#include "event_kernels.h"
#include "export.h"
#include "simd.h"
#include "xla/ffi/api/ffi.h"

namespace brainsim {
namespace {

constexpr int64_t kTile = 256;  // output columns per register tile (16 AVX-512 registers of floats)
// Rows per block of the weight gradient. A block's cotangent rows are read once per event of theirs, so they should
// stay in cache (at most kMaxBlockBytes, the L2 of a core; within 32 KiB they stay in L1), while every dw row that
// a block's events touch is loaded and stored once per block: a block should hold kEventsPerRow events per
// presynaptic neuron on average. (Measured for 3264 rows of 256 floats: 256 neurons with 30 % spikes are fastest
// with 32-64 KiB blocks, 700 neurons with 5 % spikes with 256-512 KiB blocks.)
constexpr int64_t kMinBlockBytes = 32 * 1024, kMaxBlockBytes = 512 * 1024, kEventsPerRow = 16;

int64_t BlockRows(int64_t rows, int64_t n_pre, int64_t events, int64_t row_bytes) {
  row_bytes = std::max<int64_t>(1, row_bytes);
  const int64_t lo = std::max<int64_t>(1, kMinBlockBytes / row_bytes);
  const int64_t hi = std::max<int64_t>(lo, kMaxBlockBytes / row_bytes);
  const int64_t want = events == 0 ? hi : (kEventsPerRow * n_pre * rows + events - 1) / events;
  return std::clamp(want, lo, hi);
}

// acc[0 .. width) = sum over the events a of v_a * rows[a][0 .. width) (values == nullptr: every v_a is 1),
// added to acc's values when `add`.
template <typename T>
void SumRowsGeneric(int64_t m, const int32_t* ids, const T* values, const T* base, int64_t stride,
                    int64_t width, bool add, T* acc) {
  T tile[kTile];
  if (add) {
    std::copy(acc, acc + width, tile);
  } else {
    std::fill(tile, tile + width, T(0));
  }
  for (int64_t a = 0; a < m; ++a) {
    const T v = values == nullptr ? T(1) : values[a];
    const T* row = base + ids[a] * stride;
    if (v == T(1)) {
      for (int64_t j = 0; j < width; ++j) tile[j] += row[j];
    } else {
      for (int64_t j = 0; j < width; ++j) tile[j] += v * row[j];
    }
  }
  std::copy(tile, tile + width, acc);
}

#if defined(BRAINSIM_X86_DISPATCH)
// The same for a full tile of kTile floats, in kTile / 16 AVX-512 registers.
__attribute__((target("avx512f"))) void SumRowsTileAvx512(int64_t m, const int32_t* ids, const float* values,
                                                           const float* base, int64_t stride, bool add,
                                                           float* acc) {
  constexpr int kVectors = kTile / 16;
  constexpr int64_t kAhead = 2;  // events ahead whose rows are prefetched
  __m512 r[kVectors];
#pragma GCC unroll 16
  for (int q = 0; q < kVectors; ++q) r[q] = add ? _mm512_loadu_ps(acc + 16 * q) : _mm512_setzero_ps();
  for (int64_t a = 0; a < m; ++a) {
    const float* row = base + ids[a] * stride;
    if (a + kAhead < m) {
      const char* next = reinterpret_cast<const char*>(base + ids[a + kAhead] * stride);
#pragma GCC unroll 16
      for (int q = 0; q < kVectors; q += 4) __builtin_prefetch(next + 64 * q);
    }
    if (values == nullptr || values[a] == 1.0f) {
#pragma GCC unroll 16
      for (int q = 0; q < kVectors; ++q) r[q] = _mm512_add_ps(r[q], _mm512_loadu_ps(row + 16 * q));
    } else {
      const __m512 v = _mm512_set1_ps(values[a]);
#pragma GCC unroll 16
      for (int q = 0; q < kVectors; ++q) r[q] = _mm512_add_ps(r[q], _mm512_mul_ps(v, _mm512_loadu_ps(row + 16 * q)));
    }
  }
#pragma GCC unroll 16
  for (int q = 0; q < kVectors; ++q) _mm512_storeu_ps(acc + 16 * q, r[q]);
}

// r += v_e * row (its last vector masked), v_e = values[e] or 1.
template <int kVectors>
__attribute__((target("avx512f"), always_inline)) inline void AddRowPartial(__m512* r, const float* row,
                                                                           const float* values, int64_t e,
                                                                           __mmask16 last) {
  const __m512 v = _mm512_set1_ps(values == nullptr ? 1.0f : values[e]);
#pragma GCC unroll 16
  for (int q = 0; q < kVectors - 1; ++q) r[q] = _mm512_add_ps(r[q], _mm512_mul_ps(v, _mm512_loadu_ps(row + 16 * q)));
  r[kVectors - 1] = _mm512_add_ps(r[kVectors - 1],
                                  _mm512_mul_ps(v, _mm512_maskz_loadu_ps(last, row + 16 * (kVectors - 1))));
}

// The same for a partial tile of 16 * (kVectors - 1) < width <= 16 * kVectors floats (the last vector masked).
template <int kVectors>
__attribute__((target("avx512f"))) void SumRowsPartialAvx512(int64_t m, const int32_t* ids, const float* values,
                                                              const float* base, int64_t stride, int64_t width,
                                                              bool add, float* acc) {
  const int64_t left = width - 16 * (kVectors - 1);
  const __mmask16 last = left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1);
  __m512 r[kVectors];
#pragma GCC unroll 16
  for (int q = 0; q < kVectors - 1; ++q) r[q] = add ? _mm512_loadu_ps(acc + 16 * q) : _mm512_setzero_ps();
  r[kVectors - 1] = add ? _mm512_maskz_loadu_ps(last, acc + 16 * (kVectors - 1)) : _mm512_setzero_ps();
  for (int64_t a = 0; a < m; ++a) AddRowPartial<kVectors>(r, base + ids[a] * stride, values, a, last);
#pragma GCC unroll 16
  for (int q = 0; q < kVectors - 1; ++q) _mm512_storeu_ps(acc + 16 * q, r[q]);
  _mm512_mask_storeu_ps(acc + 16 * (kVectors - 1), last, r[kVectors - 1]);
}

// Dispatches a partial tile (0 < width < kTile) to the instance with the right number of vectors.
template <int kVectors = 1>
void SumRowsPartial(int64_t m, const int32_t* ids, const float* values, const float* base, int64_t stride,
                    int64_t width, bool add, float* acc) {
  if constexpr (kVectors < kTile / 16) {
    if (width > 16 * kVectors) {
      SumRowsPartial<kVectors + 1>(m, ids, values, base, stride, width, add, acc);
      return;
    }
  }
  SumRowsPartialAvx512<kVectors>(m, ids, values, base, stride, width, add, acc);
}
#endif

// acc[0 .. n) = sum over the events a of v_a * (row ids[a] of `base`, whose rows are `stride` apart), added to
// acc's values when `add`.
template <typename T>
void SumRows(int64_t m, const int32_t* ids, const T* values, const T* base, int64_t stride, int64_t n, bool add,
             T* acc) {
  for (int64_t c = 0; c < n; c += kTile) {
    const int64_t width = std::min(kTile, n - c);
#if defined(BRAINSIM_X86_DISPATCH)
    if constexpr (std::is_same_v<T, float>) {
      if (HasAvx512()) {
        if (width == kTile) {
          SumRowsTileAvx512(m, ids, values, base + c, stride, add, acc + c);
        } else {
          SumRowsPartial(m, ids, values, base + c, stride, width, add, acc + c);
        }
        continue;
      }
    }
#endif
    SumRowsGeneric(m, ids, values, base + c, stride, width, add, acc + c);
  }
}

// The non-zero spikes of `rows` rows of length n: row r's are ids[offsets[r] .. offsets[r + 1]) with their
// values; `values` is left empty when every value is one (0/1 spikes, the usual case). `ids` is longer than
// offsets[rows] (scratch).
template <typename T>
struct EventList {
  std::vector<int64_t> offsets;
  std::vector<int32_t> ids;
  std::vector<T> values;

  const T* Values(int64_t r) const { return values.empty() ? nullptr : values.data() + offsets[r]; }
};

template <typename T, typename S>
void CompactRows(const S* s, int64_t rows, int64_t n, EventList<T>* ev) {
  ev->offsets.resize(rows + 1);
  ev->values.clear();
  bool binary = true;
  int64_t m = 0;
  ev->offsets[0] = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const S* row = s + r * n;
    // the ids are written in place; the list grows geometrically, so it is rarely resized (and zeroed) across calls
    if (static_cast<int64_t>(ev->ids.size()) < m + n + kCompactSlack) {
      ev->ids.resize(std::max<int64_t>(2 * ev->ids.size(), m + n + kCompactSlack));
    }
    m += CompactSpikesInto(row, n, ev->ids.data() + m);
    ev->offsets[r + 1] = m;
    binary = binary && ZeroOrOne(row, n);
  }
  if (!binary) {
    ev->values.resize(m);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t k = ev->offsets[r]; k < ev->offsets[r + 1]; ++k) {
        ev->values[k] = static_cast<T>(s[r * n + ev->ids[k]]);
      }
    }
  }
}

template <typename T, typename S>
ffi::Error Matmul(const ffi::AnyBuffer& spikes, const ffi::AnyBuffer& weights, ffi::Result<ffi::AnyBuffer>& out) {
  constexpr const char* kOp = "brainsim event_matmul";
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(weights, kOp, "weights"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*out, kOp, "out"));
  auto od = out->dimensions();
  if (od.size() < 2) return ffi::Error::InvalidArgument(std::string(kOp) + ": out must be (*, R, n_post)");
  // The rows (R) share one weight matrix and are walked here; leading (vmap) dimensions by Batch.
  const Batch batch(od, 2);
  const int64_t rows = od[od.size() - 2];
  const int64_t n_pre = LastDim(spikes), n_post = LastDim(*out);
  auto wd = weights.dimensions();
  if (wd.size() < 2 || wd[wd.size() - 2] != n_pre || wd[wd.size() - 1] != n_post) {
    return ffi::Error::InvalidArgument(std::string(kOp) + ": weights must be (n_pre, n_post)");
  }
  Batched<const S> s;
  Batched<const T> w;
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, spikes, 2, "spikes", &s));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, weights, 2, "weights", &w));
  thread_local EventList<T> ev;
  T* o = static_cast<T*>(out->untyped_data());
  for (int64_t b = 0; b < batch.size(); ++b) {
    T* ob = o + b * rows * n_post;  // every element is written once below
    CompactRows<T>(s[b], rows, n_pre, &ev);
    // A tile of columns at a time, so that the weight rows it reads stay in cache across rows.
    for (int64_t c = 0; c < n_post; c += kTile) {
      const int64_t width = std::min(kTile, n_post - c);
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t k = ev.offsets[r];
        SumRows(ev.offsets[r + 1] - k, ev.ids.data() + k, ev.Values(r), w[b] + c, n_post, width, false,
                ob + r * n_post + c);
      }
    }
  }
  return ffi::Error::Success();
}

template <typename T, typename S>
ffi::Error WeightGrad(const ffi::AnyBuffer& spikes, const ffi::AnyBuffer& g, ffi::Result<ffi::AnyBuffer>& dw) {
  constexpr const char* kOp = "brainsim event_matmul (weight gradient)";
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(g, kOp, "g"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(*dw, kOp, "dw"));
  const Batch batch(dw->dimensions(), 2);
  auto sd = spikes.dimensions(), gd = g.dimensions(), wd = dw->dimensions();
  if (sd.size() < 2 || gd.size() < 2 || sd[sd.size() - 2] != gd[gd.size() - 2] ||
      sd[sd.size() - 1] != wd[wd.size() - 2] || gd[gd.size() - 1] != wd[wd.size() - 1]) {
    return ffi::Error::InvalidArgument(std::string(kOp) + ": need spikes (R, n_pre), g (R, n_post)");
  }
  const int64_t rows = sd[sd.size() - 2], n_pre = sd[sd.size() - 1], n_post = gd[gd.size() - 1];
  Batched<const S> s;
  Batched<const T> gb;
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, spikes, 2, "spikes", &s));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, g, 2, "g", &gb));
  // The rows are taken in blocks whose cotangent rows stay in the L2 cache. In a block the events are regrouped
  // by presynaptic neuron (a counting sort, rows in increasing order), so that dw's row i gets the sum of the
  // cotangent rows of i's events, formed in registers, with one load and one store per block (a row no event
  // touches is zeroed at the end).
  thread_local EventList<T> ev;
  thread_local std::vector<int64_t> start;
  thread_local std::vector<int32_t> by_pre;
  thread_local std::vector<T> by_pre_values;
  thread_local std::vector<char> touched;
  T* out = static_cast<T*>(dw->untyped_data());
  for (int64_t b = 0; b < batch.size(); ++b) {
    T* dwb = out + b * n_pre * n_post;
    CompactRows<T>(s[b], rows, n_pre, &ev);
    const bool binary = ev.values.empty();
    touched.assign(n_pre, 0);
    const int64_t block = BlockRows(rows, n_pre, ev.offsets[rows], n_post * int64_t(sizeof(T)));
    for (int64_t r0 = 0; r0 < rows; r0 += block) {
      const int64_t r1 = std::min(rows, r0 + block);
      const int64_t k0 = ev.offsets[r0], k1 = ev.offsets[r1];
      start.assign(n_pre + 1, 0);
      for (int64_t k = k0; k < k1; ++k) ++start[ev.ids[k] + 1];
      for (int64_t i = 0; i < n_pre; ++i) start[i + 1] += start[i];
      by_pre.resize(k1 - k0);
      if (!binary) by_pre_values.resize(k1 - k0);
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t k = ev.offsets[r]; k < ev.offsets[r + 1]; ++k) {
          const int64_t slot = start[ev.ids[k]]++;
          by_pre[slot] = static_cast<int32_t>(r);
          if (!binary) by_pre_values[slot] = ev.values[k];
        }
      }
      // start[i] is now the end of i's events (the beginning of i + 1's)
      int64_t begin = 0;
      for (int64_t i = 0; i < n_pre; ++i) {
        const int64_t end = start[i];
        if (end > begin) {
          SumRows(end - begin, by_pre.data() + begin, binary ? nullptr : by_pre_values.data() + begin, gb[b],
                  n_post, n_post, touched[i] != 0, dwb + i * n_post);
          touched[i] = 1;
        }
        begin = end;
      }
    }
    for (int64_t i = 0; i < n_pre; ++i) {
      if (!touched[i]) std::fill(dwb + i * n_post, dwb + (i + 1) * n_post, T(0));
    }
  }
  return ffi::Error::Success();
}

}  // namespace

ffi::Error EventMatmul(ffi::AnyBuffer spikes, ffi::AnyBuffer weights, ffi::Result<ffi::AnyBuffer> out) {
  constexpr const char* kOp = "brainsim event_matmul";
  return DispatchValue(weights.element_type(), kOp, [&](auto t) {
    using T = decltype(t);
    return DispatchSpikes<T>(spikes.element_type(), kOp,
                             [&](auto s) { return Matmul<T, decltype(s)>(spikes, weights, out); });
  });
}

ffi::Error EventMatmulWeightGrad(ffi::AnyBuffer spikes, ffi::AnyBuffer g, ffi::Result<ffi::AnyBuffer> dw) {
  constexpr const char* kOp = "brainsim event_matmul (weight gradient)";
  return DispatchValue(g.element_type(), kOp, [&](auto t) {
    using T = decltype(t);
    return DispatchSpikes<T>(spikes.element_type(), kOp,
                             [&](auto s) { return WeightGrad<T, decltype(s)>(spikes, g, dw); });
  });
}

}  // namespace brainsim

BRAINSIM_BEGIN_EXPORTS

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimEventMatmul, brainsim::EventMatmul,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // spikes
                                  .Arg<xla::ffi::AnyBuffer>()  // weights
                                  .Ret<xla::ffi::AnyBuffer>());

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimEventMatmulWeightGrad, brainsim::EventMatmulWeightGrad,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // spikes
                                  .Arg<xla::ffi::AnyBuffer>()  // g
                                  .Ret<xla::ffi::AnyBuffer>());

BRAINSIM_END_EXPORTS
