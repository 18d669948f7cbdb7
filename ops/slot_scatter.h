// Delivery into a ring buffer grouped by slot: the synapses of the spiking neurons are staged (their ring row, target
// and value), counting-sorted by ring row (slot), then added one slot at a time. The additions of one slot land in one
// buffer row (n_post values: a few pages that stay in the TLB and L2) instead of jumping between the rows of the whole
// buffer, which misses the TLB and the caches when the buffers are large (the full-scale cortical microcircuit). The
// sort is stable, so every cell takes its additions in the same order as synapse by synapse: the same floating-point
// result. The slots of a row are computed 16 at a time where the CPU has AVX-512 (the same float operations as
// DelaySteps, so the same steps).
#ifndef BRAINSIM_OPS_SLOT_SCATTER_H_
#define BRAINSIM_OPS_SLOT_SCATTER_H_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "prefetch.h"
#include "simd.h"
#include "synapse_target.h"

namespace brainsim {

// Synapses staged before they are flushed (the stage stays in L2: 12 bytes each, twice).
constexpr int64_t kStageCapacity = 16384;
// How far ahead of its addition a cell of the slot's row is prefetched.
constexpr int64_t kSlotCellsAhead = 16;

// Staged synapses (slot, target cell, value), in delivery order, then sorted by slot.
template <typename T>
class SlotStage {
 public:
  int64_t size() const { return size_; }

  // Room for `count` more synapses (and 16 entries of slack): their slots, targets and values are written through the
  // returned pointers.
  void Grow(int64_t count, int32_t** slot, int32_t** target, T** value) {
    const int64_t n = size_;
    size_ += count;
    if (static_cast<int64_t>(slot_.size()) < size_ + 16) {
      slot_.resize(size_ + 16);
      target_.resize(size_ + 16);
      value_.resize(size_ + 16);
    }
    *slot = slot_.data() + n;
    *target = target_.data() + n;
    *value = value_.data() + n;
  }

  // Adds every staged synapse into out (slots x n_post), slot by slot, in staging order within a slot; empties it.
  void Flush(T* out, int64_t slots, int64_t n_post) {
    const int64_t n = size_;
    if (n == 0) return;
    start_.assign(slots + 1, 0);
    for (int64_t j = 0; j < n; ++j) ++start_[slot_[j] + 1];
    for (int64_t r = 0; r < slots; ++r) start_[r + 1] += start_[r];
    if (static_cast<int64_t>(sorted_target_.size()) < n) {
      sorted_target_.resize(n);
      sorted_value_.resize(n);
    }
    fill_.assign(start_.begin(), start_.end() - 1);
    for (int64_t j = 0; j < n; ++j) {
      const int64_t at = fill_[slot_[j]]++;
      sorted_target_[at] = target_[j];
      sorted_value_[at] = value_[j];
    }
    const int32_t* tgt = sorted_target_.data();
    const T* val = sorted_value_.data();
    for (int64_t r = 0; r < slots; ++r) {
      const int64_t begin = start_[r], end = start_[r + 1];
      T* row = out + r * n_post;
      for (int64_t j = begin; j < end && j < begin + kSlotCellsAhead; ++j) {
        PrefetchLine(reinterpret_cast<const char*>(row + tgt[j]));
      }
      for (int64_t j = begin; j < end; ++j) {
        if (j + kSlotCellsAhead < end) PrefetchLine(reinterpret_cast<const char*>(row + tgt[j + kSlotCellsAhead]));
        row[tgt[j]] += val[j];
      }
    }
    size_ = 0;
  }

 private:
  std::vector<int32_t> slot_, target_, sorted_target_;
  std::vector<T> value_, sorted_value_;
  std::vector<int64_t> start_, fill_;
  int64_t size_ = 0;
};

// Stages synapses begin .. begin + n - 1 of a row whose spike is v: slot, target, value v * w.
template <typename T>
inline void StageRow(const DelayedTarget<T>& target, const int32_t* indices, const T* w, bool homogeneous, T v,
                     int64_t begin, int64_t n, int32_t* slot, int32_t* cell, T* value) {
  for (int64_t j = 0; j < n; ++j) {
    slot[j] = static_cast<int32_t>(target.Slot(begin + j));
    cell[j] = indices[begin + j];
    value[j] = homogeneous ? v * w[0] : v * w[begin + j];
  }
}

#if defined(BRAINSIM_X86_DISPATCH)
// StageRow for float, 16 synapses at a time; false (nothing to trust) if a slot falls outside 0 .. slots - 1 after one
// wrap (a delay longer than the buffer, or not finite): the caller then takes the scalar StageRow.
__attribute__((target("avx512f"))) inline bool StageRowAvx512(const DelayedTarget<float>& target,
                                                              const int32_t* indices, const float* w, bool homogeneous,
                                                              float v, int64_t begin, int64_t n, int32_t* slot,
                                                              int32_t* cell, float* value) {
  constexpr float kScale = 1.0f + 8.0f * std::numeric_limits<float>::epsilon();  // as DelaySteps
  const __m512 dt = _mm512_set1_ps(target.dt()), scale = _mm512_set1_ps(kScale), half = _mm512_set1_ps(0.5f);
  const __m512 one = _mm512_set1_ps(1.0f), spike = _mm512_set1_ps(v);
  const __m512 w0 = _mm512_set1_ps(homogeneous ? v * w[0] : 0.0f);
  const __m512i head = _mm512_set1_epi32(static_cast<int32_t>(target.head()));
  const __m512i slots = _mm512_set1_epi32(static_cast<int32_t>(target.slots()));
  const __m512i zero = _mm512_setzero_si512(), ones = _mm512_set1_epi32(1);
  const float* delays = target.delays() + begin;
  __mmask16 bad = 0;
  for (int64_t j = 0; j < n; j += 16) {
    const __mmask16 m = n - j >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - j)) - 1);
    const __m512 d = _mm512_maskz_loadu_ps(m, delays + j);
    __m512 q = _mm512_add_ps(_mm512_mul_ps(_mm512_div_ps(d, dt), scale), half);
    q = _mm512_roundscale_ps(q, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    __m512i r = _mm512_cvttps_epi32(q);
    r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(q, one, _CMP_LT_OQ), ones);
    r = _mm512_add_epi32(r, head);
    r = _mm512_mask_sub_epi32(r, _mm512_cmpge_epi32_mask(r, slots), r, slots);
    bad |= _mm512_mask_cmpge_epi32_mask(m, r, slots) | _mm512_mask_cmplt_epi32_mask(m, r, zero);
    _mm512_mask_storeu_epi32(slot + j, m, r);
    _mm512_mask_storeu_epi32(cell + j, m, _mm512_maskz_loadu_epi32(m, indices + begin + j));
    const __m512 val = homogeneous ? w0 : _mm512_mul_ps(spike, _mm512_maskz_loadu_ps(m, w + begin + j));
    _mm512_mask_storeu_ps(value + j, m, val);
  }
  return bad == 0;
}

// The slots, targets and values of 16 spiking neurons active[0 .. 16) that have one synapse each (e.g. a one-to-one
// background source), their rows read with gathers; false, with nothing written, if one of them has another number of synapses or a slot falls
// outside the buffer.
template <typename S>
__attribute__((target("avx512f"))) inline bool StageSingles16Avx512(const DelayedTarget<float>& target,
                                                                    const int32_t* active, const S* spikes,
                                                                    const int32_t* indptr, const int32_t* indices,
                                                                    const float* w, bool homogeneous, int32_t* slot,
                                                                    int32_t* cell, float* value) {
  const __m512i rows = _mm512_loadu_si512(reinterpret_cast<const void*>(active));
  const __m512i k = _mm512_i32gather_epi32(rows, indptr, 4);
  const __m512i next = _mm512_i32gather_epi32(_mm512_add_epi32(rows, _mm512_set1_epi32(1)), indptr, 4);
  const __m512i ones = _mm512_set1_epi32(1);
  if (_mm512_cmpneq_epi32_mask(_mm512_sub_epi32(next, k), ones) != 0) return false;
  constexpr float kScale = 1.0f + 8.0f * std::numeric_limits<float>::epsilon();  // as DelaySteps
  const __m512 d = _mm512_i32gather_ps(k, target.delays(), 4);
  __m512 q = _mm512_add_ps(_mm512_mul_ps(_mm512_div_ps(d, _mm512_set1_ps(target.dt())), _mm512_set1_ps(kScale)),
                           _mm512_set1_ps(0.5f));
  q = _mm512_roundscale_ps(q, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m512i r = _mm512_cvttps_epi32(q);
  r = _mm512_mask_mov_epi32(r, _mm512_cmp_ps_mask(q, _mm512_set1_ps(1.0f), _CMP_LT_OQ), ones);
  const __m512i slots = _mm512_set1_epi32(static_cast<int32_t>(target.slots()));
  r = _mm512_add_epi32(r, _mm512_set1_epi32(static_cast<int32_t>(target.head())));
  r = _mm512_mask_sub_epi32(r, _mm512_cmpge_epi32_mask(r, slots), r, slots);
  if ((_mm512_cmpge_epi32_mask(r, slots) | _mm512_cmplt_epi32_mask(r, _mm512_setzero_si512())) != 0) return false;
  __m512 v;
  if constexpr (std::is_same_v<S, float>) {
    v = _mm512_i32gather_ps(rows, spikes, 4);
  } else {
    alignas(64) float s[16];
    for (int j = 0; j < 16; ++j) s[j] = static_cast<float>(spikes[active[j]]);
    v = _mm512_load_ps(s);
  }
  const __m512 wk = homogeneous ? _mm512_set1_ps(w[0]) : _mm512_i32gather_ps(k, w, 4);
  _mm512_storeu_si512(reinterpret_cast<void*>(slot), r);
  _mm512_storeu_si512(reinterpret_cast<void*>(cell), _mm512_i32gather_epi32(k, indices, 4));
  _mm512_storeu_ps(value, _mm512_mul_ps(v, wk));
  return true;
}
#endif

// out[cell(k)] += s_i * w_k for every synapse k of the spiking neurons active[0 .. m) (as ScatterActive), grouped by
// ring slot. For a target with a delay per synapse.
template <typename T, typename S>
void ScatterActiveBySlot(const int32_t* active, int64_t m, const S* spikes, const T* w, bool homogeneous,
                         const int32_t* indptr, const int32_t* indices, const DelayedTarget<T>& target, T* out) {
  thread_local SlotStage<T> stage;
  const int64_t slots = target.slots(), n_post = target.n_post();
#if defined(BRAINSIM_X86_DISPATCH)
  const bool wide = std::is_same_v<T, float> && HasAvx512() && slots <= std::numeric_limits<int32_t>::max() / 2;
#endif
  for (int64_t a = 0; a < m; ++a) {
#if defined(BRAINSIM_X86_DISPATCH)
    if constexpr (std::is_same_v<T, float>) {  // 16 neurons of one synapse each (a one-to-one source) at once
      if (wide && a + 16 <= m && indptr[active[a] + 1] - indptr[active[a]] == 1) {
        alignas(64) int32_t slot[16], cell[16];
        alignas(64) float value[16];
        if (StageSingles16Avx512(target, active + a, spikes, indptr, indices, w, homogeneous, slot, cell, value)) {
          stage.Flush(out, slots, n_post);  // what came before is added first: the same order in every cell
          for (int j = 0; j < 16; ++j) out[slot[j] * n_post + cell[j]] += value[j];
          a += 15;
          continue;
        }
      }
    }
#endif
    if (a + kPrefetchAhead < m) {
      const int32_t j = active[a + kPrefetchAhead];
      const int64_t b = indptr[j], count = indptr[j + 1] - b;
      PrefetchRange(indices + b, count);
      if (!homogeneous) PrefetchRange(w + b, count);
      PrefetchRange(target.delays() + b, count);
    }
    const int32_t i = active[a];
    const T v = static_cast<T>(spikes[i]);
    const int64_t begin = indptr[i], n = indptr[i + 1] - begin;
    if (stage.size() > 0 && stage.size() + n > kStageCapacity) stage.Flush(out, slots, n_post);
    int32_t *slot, *cell;
    T* value;
    stage.Grow(n, &slot, &cell, &value);
#if defined(BRAINSIM_X86_DISPATCH)
    if constexpr (std::is_same_v<T, float>) {
      if (wide && StageRowAvx512(target, indices, w, homogeneous, v, begin, n, slot, cell, value)) continue;
    }
#endif
    StageRow(target, indices, w, homogeneous, v, begin, n, slot, cell, value);
  }
  stage.Flush(out, slots, n_post);
}

}  // namespace brainsim

#endif  // BRAINSIM_OPS_SLOT_SCATTER_H_
