// The loops of the event-driven CSR kernels, written once for every synapse target
// (see synapse_target.h). Rows of the CSR are presynaptic neurons; a row's synapses are
// indptr[i] .. indptr[i+1]-1 with targets indices[k] and weights w[k] (or w[0] when the
// weight is homogeneous).
#ifndef BRAINSIM_OPS_EVENT_KERNELS_H_
#define BRAINSIM_OPS_EVENT_KERNELS_H_

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "prefetch.h"
#include "simd.h"
#include "slot_scatter.h"
#include "spike_mask.h"
#include "synapse_target.h"

namespace brainsim {

// Writes the ids of the neurons with a non-zero spike to out[0 ..) and returns how many there are; out must have room
// for n + 64 ids (kCompactSlack past the last spike may be overwritten). Works on blocks of 64 neurons: a bit mask,
// then the ids of its set bits (a bit-scan loop for a few, vector compression for many), so only the ids of spiking
// neurons are written and the output row stays in cache.
constexpr int64_t kCompactSlack = 64;

#if defined(BRAINSIM_X86_DISPATCH)
template <typename S>
__attribute__((target("avx512f,avx512bw,popcnt,bmi"))) int64_t CompactSpikesAvx512(const S* spikes, int64_t n,
                                                                                  int32_t* out) {
  int64_t m = 0;
  for (int64_t base = 0; base < n; base += 64) {
    uint64_t mask = base + 64 <= n ? NonZeroMask64Avx512(spikes + base)
                                   : NonZeroMaskPartialAvx512(spikes + base, n - base);
    if (__builtin_popcountll(mask) > 8) {
      m += WriteSetBits64Avx512(mask, static_cast<int32_t>(base), out + m);
      continue;
    }
    while (mask != 0) {
      out[m++] = static_cast<int32_t>(base + __builtin_ctzll(mask));
      mask &= mask - 1;
    }
  }
  return m;
}
#endif

template <typename S>
int64_t CompactSpikesInto(const S* spikes, int64_t n, int32_t* out) {
#if defined(BRAINSIM_X86_DISPATCH)
  if (HasAvx512()) return CompactSpikesAvx512(spikes, n, out);
#endif
  int64_t m = 0;
  for (int64_t base = 0; base < n; base += 64) {
    uint64_t mask = NonZeroMask(spikes + base, std::min<int64_t>(64, n - base));
    while (mask != 0) {
      out[m++] = static_cast<int32_t>(base + __builtin_ctzll(mask));
      mask &= mask - 1;
    }
  }
  return m;
}

// The same into `active` (grown as needed); returns how many there are.
template <typename S>
int64_t CompactSpikes(const S* spikes, int64_t n, std::vector<int32_t>* active) {
  if (static_cast<int64_t>(active->size()) < n + kCompactSlack) active->resize(n + kCompactSlack);
  return CompactSpikesInto(spikes, n, active->data());
}

// Whether every spike of s[0 .. n) is 0 or 1 (events), not a value that scales its synapses.
template <typename S>
bool ZeroOrOne(const S* s, int64_t n) {
  if constexpr (std::is_same_v<S, bool>) {
    return true;
  } else {
#if defined(BRAINSIM_X86_DISPATCH)
    if (HasAvx512()) return ZeroOrOneAvx512(s, n);
#endif
    for (int64_t j = 0; j < n; ++j) {
      if (s[j] != S(0) && s[j] != S(1)) return false;
    }
    return true;
  }
}

// Whether the synapses begin .. end-1 target consecutive neurons indices[begin], indices[begin] + 1, ... (e.g. an
// all-to-all row): a constant-time test that random sparse rows fail at once, then a check of every index.
// Such a run is delivered with vector loops instead of one synapse at a time.
constexpr int64_t kMinRun = 16;

inline bool IsRun(const int32_t* indices, int64_t begin, int64_t end) {
  const int64_t count = end - begin;
  if (count < kMinRun) return false;
  const int32_t* idx = indices + begin;
  const int32_t first = idx[0];
  if (idx[1] != first + 1) return false;  // a random sparse row fails here, in the cache line it is read from anyway
  if (static_cast<int64_t>(idx[count - 1]) - first != count - 1) return false;
  int32_t diff = 0;  // an OR-reduction, so that the compiler vectorises the check
  for (int64_t j = 0; j < count; ++j) diff |= idx[j] ^ (first + static_cast<int32_t>(j));
  return diff == 0;
}

// Which rows of a CSR are runs (IsRun), found lazily (a row when first needed) and remembered for the rest of a
// kernel call: over its batch, a row is checked once. Kernels without a batch check the rows of spiking neurons
// inline instead (no per-call work proportional to the number of rows). Bind() before each use; it keeps what it found while the
// CSR stays the same.
class RunFlags {
 public:
  RunFlags* Bind(const int32_t* indptr, const int32_t* indices, int64_t n_pre) {
    if (indptr != indptr_ || indices != indices_ || n_pre != n_pre_) {
      indptr_ = indptr;
      indices_ = indices;
      n_pre_ = n_pre;
      flags_.assign(n_pre, kUnknown);
    }
    return this;
  }

  bool Row(int64_t i) {
    uint8_t& f = flags_[i];
    if (f == kUnknown) f = IsRun(indices_, indptr_[i], indptr_[i + 1]) ? 1 : 0;
    return f == 1;
  }

 private:
  static constexpr uint8_t kUnknown = 2;
  const int32_t* indptr_ = nullptr;
  const int32_t* indices_ = nullptr;
  int64_t n_pre_ = -1;
  std::vector<uint8_t> flags_;
};

// Prefetches the synapses of row j (targets, weights when per synapse, target data).
template <typename T, typename Target>
inline void PrefetchRow(int32_t j, const int32_t* indptr, const int32_t* indices, const T* w,
                        bool homogeneous, const Target& target) {
  const int64_t begin = indptr[j], count = indptr[j + 1] - begin;
  PrefetchRange(indices + begin, count);
  if (!homogeneous) PrefetchRange(w + begin, count);
  target.Prefetch(begin);
}

// Synapses whose output cells are computed at once, and how far ahead of its addition a cell is prefetched.
constexpr int64_t kCellChunk = 256;
constexpr int64_t kCellsAhead = 16;

// out[target(k)] += s_i * w_k for every synapse k of the spiking neurons active[0 .. m).
template <typename T, typename S, typename Target>
void ScatterActive(const int32_t* active, int64_t m, const S* spikes, const T* w, bool homogeneous,
                   const int32_t* indptr, const int32_t* indices, const Target& target, T* out,
                   RunFlags* runs = nullptr) {
  if constexpr (std::is_same_v<Target, DelayedTarget<T>>) {
    if (!target.RowsContiguous()) {  // a delay per synapse: grouped by ring slot
      ScatterActiveBySlot(active, m, spikes, w, homogeneous, indptr, indices, target, out);
      return;
    }
  }
  for (int64_t a = 0; a < m; ++a) {
    if (a + kPrefetchAhead < m) {
      PrefetchRow(active[a + kPrefetchAhead], indptr, indices, w, homogeneous, target);
    }
    const int32_t i = active[a];
    const T v = static_cast<T>(spikes[i]);
    const int64_t begin = indptr[i], end = indptr[i + 1];
    if (target.RowsContiguous() && (runs != nullptr ? runs->Row(i) : IsRun(indices, begin, end))) {
      T* dst = out + target.At(begin, indices[begin]);
      if (homogeneous) {
        const T c = v * w[0];
        for (int64_t j = 0; j < end - begin; ++j) dst[j] += c;
      } else {
        AxpyInPlace(dst, w + begin, v, end - begin);
      }
      continue;
    }
    // In chunks: first every synapse's output cell, then the additions with each cell prefetched kCellsAhead
    // synapses ahead. The cells of a large network (its delay buffers) are random reads that miss the cache; computing
    // them first keeps many misses in flight instead of the few the out-of-order window holds.
    for (int64_t c = begin; c < end; c += kCellChunk) {
      const int64_t n = std::min(kCellChunk, end - c);
      int64_t cell[kCellChunk];
      for (int64_t j = 0; j < n; ++j) cell[j] = target.At(c + j, indices[c + j]);
      for (int64_t j = 0; j < n && j < kCellsAhead; ++j) PrefetchLine(reinterpret_cast<const char*>(out + cell[j]));
      for (int64_t j = 0; j < n; ++j) {
        if (j + kCellsAhead < n) PrefetchLine(reinterpret_cast<const char*>(out + cell[j + kCellsAhead]));
        out[cell[j]] += homogeneous ? v * w[0] : v * w[c + j];
      }
    }
  }
}

// out[target(k)] += s_i * w_k for every synapse k of every neuron i with s_i != 0.
template <typename T, typename S, typename Target>
void ScatterEvents(const S* spikes, int64_t n_pre, const T* w, bool homogeneous, const int32_t* indptr,
                   const int32_t* indices, const Target& target, T* out, RunFlags* runs = nullptr) {
  thread_local std::vector<int32_t> active;
  const int64_t m = CompactSpikes(spikes, n_pre, &active);
  ScatterActive(active.data(), m, spikes, w, homogeneous, indptr, indices, target, out, runs);
}

// ds_i = sum_k w_k * g[target(k)] over the synapses of every row i (the spike cotangent).
template <typename T, typename Target>
void RowDot(int64_t n_pre, const T* w, bool homogeneous, const int32_t* indptr, const int32_t* indices,
            const Target& target, const T* g, T* ds, RunFlags* runs = nullptr) {
  for (int64_t i = 0; i < n_pre; ++i) {
    const int64_t begin = indptr[i], end = indptr[i + 1];
    if (target.RowsContiguous() && runs != nullptr && runs->Row(i)) {
      const T* gr = g + target.At(begin, indices[begin]);
      if (homogeneous) {
        T acc = 0;
        for (int64_t j = 0; j < end - begin; ++j) acc += gr[j];
        ds[i] = acc * w[0];
      } else {
        ds[i] = Dot(w + begin, gr, end - begin);
      }
      continue;
    }
    T acc = 0;
    if (homogeneous) {
      for (int64_t k = indptr[i]; k < end; ++k) acc += g[target.At(k, indices[k])];
      acc *= w[0];
    } else {
      for (int64_t k = indptr[i]; k < end; ++k) acc += w[k] * g[target.At(k, indices[k])];
    }
    ds[i] = acc;
  }
}

// dw += the weight cotangent of one row of spikes restricted to the sparsity pattern: dw_k += s_i * g[target(k)]
// over the synapses of spiking neurons only; with a homogeneous weight dw[0] += the sum over them. Summed over
// many rows it is the weight gradient of a batch.
template <typename T, typename S, typename Target>
void AddWeightGrad(const S* spikes, int64_t n_pre, const int32_t* indptr, const int32_t* indices, const Target& target,
                   const T* g, bool homogeneous, T* dw, RunFlags* runs = nullptr) {
  thread_local std::vector<int32_t> active;
  const int64_t m = CompactSpikes(spikes, n_pre, &active);
  const T* no_weights = nullptr;
  T total = 0;
  for (int64_t a = 0; a < m; ++a) {
    if (a + kPrefetchAhead < m) PrefetchRow(active[a + kPrefetchAhead], indptr, indices, no_weights, true, target);
    const int32_t i = active[a];
    const T v = static_cast<T>(spikes[i]);
    const int64_t begin = indptr[i], end = indptr[i + 1];
    const bool run = target.RowsContiguous() && (runs != nullptr ? runs->Row(i) : IsRun(indices, begin, end));
    if (homogeneous) {
      T row = 0;
      if (run) {
        const T* gr = g + target.At(begin, indices[begin]);
        for (int64_t j = 0; j < end - begin; ++j) row += gr[j];
      } else {
        for (int64_t k = begin; k < end; ++k) row += g[target.At(k, indices[k])];
      }
      total += v * row;
    } else if (run) {
      AxpyInPlace(dw + begin, g + target.At(begin, indices[begin]), v, end - begin);
    } else {
      for (int64_t k = begin; k < end; ++k) dw[k] += v * g[target.At(k, indices[k])];
    }
  }
  if (homogeneous) dw[0] += total;
}

// The weight cotangent of one row of spikes (AddWeightGrad into zeros).
template <typename T, typename S, typename Target>
void WeightGrad(const S* spikes, int64_t n_pre, int64_t nnz, const int32_t* indptr, const int32_t* indices,
                const Target& target, const T* g, bool homogeneous, T* dw) {
  std::fill(dw, dw + (homogeneous ? 1 : nnz), T(0));
  AddWeightGrad(spikes, n_pre, indptr, indices, target, g, homogeneous, dw);
}

}  // namespace brainsim

#endif  // BRAINSIM_OPS_EVENT_KERNELS_H_
