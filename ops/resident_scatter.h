// Event delivery into small output rows that stay in cache (for example the synaptic variables of one sample of a
// batched network, a few KB each): the synapses of each spiking neuron added one by one in a plain loop, without
// the chunks of output cells and their prefetches that ScatterActive uses for large rows (delay buffers of big
// networks, whose cells miss the cache). The same additions in the same order as ScatterActive with DirectTarget,
// so the same values bit for bit; on COBA batches of 100 samples about 2-3 % less time per step.
#ifndef BRAINSIM_OPS_RESIDENT_SCATTER_H_
#define BRAINSIM_OPS_RESIDENT_SCATTER_H_

#include <cstdint>

#include "event_kernels.h"
#include "prefetch.h"
#include "simd.h"

namespace brainsim {

// Output rows of at most this many bytes are delivered with ScatterActiveResident.
constexpr int64_t kResidentBytes = 64 * 1024;

// out[indices[k]] += s_i * w_k for every synapse k of the spiking neurons active[0 .. m) (ScatterActive with
// DirectTarget): rows of consecutive targets as vector loops, others one synapse at a time, with the product of a
// homogeneous weight hoisted out of the loop.
template <typename T, typename S>
void ScatterActiveResident(const int32_t* active, int64_t m, const S* spikes, const T* w, bool homogeneous,
                           const int32_t* indptr, const int32_t* indices, T* __restrict out, RunFlags* runs) {
  for (int64_t a = 0; a < m; ++a) {
    if (a + kPrefetchAhead < m) {
      const int32_t j = active[a + kPrefetchAhead];
      PrefetchRange(indices + indptr[j], indptr[j + 1] - indptr[j]);
      if (!homogeneous) PrefetchRange(w + indptr[j], indptr[j + 1] - indptr[j]);
    }
    const int32_t i = active[a];
    const T v = static_cast<T>(spikes[i]);
    const int64_t begin = indptr[i], end = indptr[i + 1];
    if (runs != nullptr ? runs->Row(i) : IsRun(indices, begin, end)) {
      T* dst = out + indices[begin];
      if (homogeneous) {
        const T c = v * w[0];
        for (int64_t j = 0; j < end - begin; ++j) dst[j] += c;
      } else {
        AxpyInPlace(dst, w + begin, v, end - begin);
      }
    } else if (homogeneous) {
      const T c = v * w[0];
      for (int64_t k = begin; k < end; ++k) out[indices[k]] += c;
    } else {
      for (int64_t k = begin; k < end; ++k) out[indices[k]] += v * w[k];
    }
  }
}

}  // namespace brainsim

#endif  // BRAINSIM_OPS_RESIDENT_SCATTER_H_
