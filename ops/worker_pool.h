// A small pool of worker threads for kernels whose work splits into independent tasks (event_deliver: one task per
// output buffer). Its size comes from the environment variable BRAINSIM_OPS_THREADS, read once: the number of
// threads a kernel may use, the calling thread included (default 1: no worker threads, every task runs in the
// caller). XLA calls a kernel from one of its own threads; the workers wait on a condition variable between calls
// (no spinning, so a pool larger than the cores pinned to the process costs a wake-up per call, not a core).
// BRAINSIM_OPS_WORKER_CPUS (a comma-separated list of CPU ids, optional) pins worker j to the j-th of them: e.g. a
// process pinned to core 0 (`taskset -c 0`, so that XLA sizes its own thread pool for one core and none of its
// threads spins on the other) with BRAINSIM_OPS_THREADS=2 BRAINSIM_OPS_WORKER_CPUS=1 delivers on both cores.
#ifndef BRAINSIM_OPS_WORKER_POOL_H_
#define BRAINSIM_OPS_WORKER_POOL_H_

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

namespace brainsim {

// The threads a kernel may use (BRAINSIM_OPS_THREADS, 1 .. 64; anything else is 1), read once.
inline int OpsThreads() {
  static const int threads = [] {
    const char* text = std::getenv("BRAINSIM_OPS_THREADS");
    if (text == nullptr) return 1;
    char* end = nullptr;
    const long n = std::strtol(text, &end, 10);
    return (end != text && *end == '\0' && n >= 1 && n <= 64) ? static_cast<int>(n) : 1;
  }();
  return threads;
}

class WorkerPool {
 public:
  // The process's pool, OpsThreads() - 1 workers, started when first used.
  static WorkerPool& Get() {
    static WorkerPool pool(OpsThreads() - 1);
    return pool;
  }

  // Runs task(0) .. task(n - 1), each once, on the caller and the workers; returns when all are done. A call made
  // while another one runs (XLA running two kernels at once) runs its tasks in the caller alone.
  void Run(int64_t n, const std::function<void(int64_t)>& task) {
    std::unique_lock<std::mutex> busy(run_mutex_, std::try_to_lock);
    if (workers_.empty() || n < 2 || !busy.owns_lock()) {
      for (int64_t t = 0; t < n; ++t) task(t);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &task;
      n_ = n;
      next_.store(0);
      running_ = static_cast<int>(workers_.size());
      ++generation_;
    }
    start_.notify_all();
    Work(task, n);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return running_ == 0; });
    task_ = nullptr;
  }

  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    start_.notify_all();
    for (std::thread& w : workers_) w.join();
  }

 private:
  explicit WorkerPool(int workers) {
    const std::vector<int> cpus = WorkerCpus();
    for (int j = 0; j < workers; ++j) {
      const int cpu = cpus.empty() ? -1 : cpus[j % cpus.size()];
      workers_.emplace_back([this, cpu] {
        Pin(cpu);
        Loop();
      });
    }
  }

  // BRAINSIM_OPS_WORKER_CPUS as a list of CPU ids (empty when unset or not a list of ids).
  static std::vector<int> WorkerCpus() {
    std::vector<int> cpus;
    const char* text = std::getenv("BRAINSIM_OPS_WORKER_CPUS");
    if (text == nullptr) return cpus;
    const std::string list(text);
    size_t at = 0;
    while (at <= list.size()) {
      const size_t end = std::min(list.find(',', at), list.size());
      const std::string item = list.substr(at, end - at);
      char* stop = nullptr;
      const long cpu = std::strtol(item.c_str(), &stop, 10);
      if (item.empty() || *stop != '\0' || cpu < 0 || cpu >= 1024) return {};
      cpus.push_back(static_cast<int>(cpu));
      at = end + 1;
    }
    return cpus;
  }

  // Pins the calling thread to `cpu` (nothing when cpu < 0 or elsewhere than Linux).
  static void Pin(int cpu) {
#if defined(__linux__)
    if (cpu < 0 || cpu >= CPU_SETSIZE) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
#else
    (void)cpu;
#endif
  }

  void Work(const std::function<void(int64_t)>& task, int64_t n) {
    for (int64_t t = next_.fetch_add(1); t < n; t = next_.fetch_add(1)) task(t);
  }

  void Loop() {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int64_t)>* task;
      int64_t n;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        start_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        task = task_;
        n = n_;
      }
      Work(*task, n);
      std::lock_guard<std::mutex> lock(mutex_);
      if (--running_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex run_mutex_, mutex_;
  std::condition_variable start_, done_;
  const std::function<void(int64_t)>* task_ = nullptr;
  int64_t n_ = 0;
  std::atomic<int64_t> next_{0};
  int running_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

}  // namespace brainsim

#endif  // BRAINSIM_OPS_WORKER_POOL_H_
