// Where synapse k delivers its input: the target neuron (plain event ops) or the ring-buffer
// cell (slot, target) of its delay (delayed ops). Every kernel is written once against this
// interface: `At(k, target)` is the flat element index in the output (or cotangent) row.
#ifndef BRAINSIM_OPS_SYNAPSE_TARGET_H_
#define BRAINSIM_OPS_SYNAPSE_TARGET_H_

#include <cmath>
#include <cstdint>
#include <limits>

#include "prefetch.h"

namespace brainsim {

// Output row of length n_post: synapse k delivers to its target.
struct DirectTarget {
  int64_t At(int64_t /*k*/, int32_t target) const { return target; }
  void Prefetch(int64_t /*k*/) const {}
  // Whether the synapses of a row land in one contiguous stretch when their targets are consecutive.
  bool RowsContiguous() const { return true; }
};

// Delay in steps: the rule of brainsim/time_grid.py (delay_steps), which the Python side uses to size the ring
// buffers and in its pure-JAX kernels: nearest whole step, halves up, at least one, with a tolerance of 8 ulps of
// T so that float round-off never decides (0.25 / 0.1 is 2.5 steps -> 3 in float and double alike).
template <typename T>
inline int64_t DelaySteps(T delay, T dt) {
  constexpr T kTolerance = T(8) * std::numeric_limits<T>::epsilon();
  const T steps = std::floor(delay / dt * (T(1) + kTolerance) + T(0.5));
  return steps < T(1) ? 1 : static_cast<int64_t>(steps);
}

// Ring buffer (L, n_post): synapse k delivers to row (head + steps_k) % L.
template <typename T>
class DelayedTarget {
 public:
  // `delays` has one value per synapse or, when `homogeneous`, a single value; in ms, like dt.
  DelayedTarget(const T* delays, bool homogeneous, T dt, int64_t head, int64_t slots, int64_t n_post)
      : delays_(delays), homogeneous_(homogeneous), dt_(dt), slots_(slots), n_post_(n_post) {
    head_ = ((head % slots) + slots) % slots;
    fixed_row_ = homogeneous ? Row(DelaySteps(delays[0], dt)) : 0;
  }

  int64_t At(int64_t k, int32_t target) const {
    const int64_t row = homogeneous_ ? fixed_row_ : Row(DelaySteps(delays_[k], dt_));
    return row + target;
  }

  // The ring row (0 .. slots - 1) synapse k delivers to.
  int64_t Slot(int64_t k) const { return homogeneous_ ? fixed_row_ / n_post_ : RowIndex(DelaySteps(delays_[k], dt_)); }
  int64_t slots() const { return slots_; }
  int64_t n_post() const { return n_post_; }
  const T* delays() const { return delays_; }
  T dt() const { return dt_; }
  int64_t head() const { return head_; }  // in 0 .. slots - 1

  void Prefetch(int64_t k) const {
    if (!homogeneous_) PrefetchLine(reinterpret_cast<const char*>(delays_ + k));
  }

  // One delay for every synapse: a row's consecutive targets land in one stretch of one buffer row.
  bool RowsContiguous() const { return homogeneous_; }

 private:
  // (head + steps) % L without a division per synapse: steps is at most L (the buffers are sized for the longest
  // delay), so one subtraction wraps it; a longer one takes the modulo.
  int64_t RowIndex(int64_t steps) const {
    int64_t r = head_ + steps;
    if (r >= slots_) {
      r -= slots_;
      if (r >= slots_) r %= slots_;
    }
    return r;
  }
  int64_t Row(int64_t steps) const { return RowIndex(steps) * n_post_; }

  const T* delays_;
  bool homogeneous_;
  T dt_;
  int64_t head_ = 0;
  int64_t slots_;
  int64_t n_post_;
  int64_t fixed_row_ = 0;
};

}  // namespace brainsim

#endif  // BRAINSIM_OPS_SYNAPSE_TARGET_H_
