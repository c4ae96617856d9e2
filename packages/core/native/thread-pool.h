// A fixed pool of worker threads that runs one parallel job at a time; the calling thread takes
// part 0. Workers sleep on a condition variable between jobs (spinning instead measured slower
// on a 2-core machine: it competes with the JavaScript thread).
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace aya {

class ThreadPool {
 public:
  explicit ThreadPool(int threads) { resize(threads); }
  ~ThreadPool() { stop(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    stop();
    stopping_ = false;
    const unsigned start = generation_.load();
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, i, start] { loop(i, start); });
  }

  // Calls job(part) for part in [0, parts) with parts <= size(); returns when all are done.
  void run(int parts, const std::function<void(int)>& job) {
    if (parts <= 1 || workers_.empty()) {
      for (int p = 0; p < parts; ++p) job(p);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      parts_ = parts;
      pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    job(0);
    while (pending_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
  }

 private:
  void loop(int index, unsigned seen) {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen || stopping_.load(); });
        if (stopping_.load()) return;
        seen = generation_.load(std::memory_order_acquire);
      }
      if (index < parts_) (*job_)(index);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  const std::function<void(int)>* job_ = nullptr;
  int parts_ = 0;
  std::atomic<unsigned> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace aya
