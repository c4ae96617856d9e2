// A fixed pool of worker threads that runs one parallel job at a time. A job is a number of
// tasks that every thread, the calling one included, takes from a shared counter: the caller
// starts at once and does all the tasks itself if the workers wake late (waking a sleeping
// thread costs up to hundreds of microseconds on a virtual machine, as long as a small product).
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace aya {

class ThreadPool {
 public:
  explicit ThreadPool(int threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { loop(); });
  }

  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls task(i) once for each i in [0, tasks), on whichever threads are free; returns when
  // all are done.
  void run(int tasks, const std::function<void(int)>& task) {
    if (tasks <= 1 || workers_.empty()) {
      for (int i = 0; i < tasks; ++i) task(i);
      return;
    }
    Job job{&task, tasks, ++generation_};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      current_.store(&job);
    }
    wake_.notify_all();
    job.work();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      current_.store(nullptr);
    }
    // A worker that took a task is still inside until it finishes; one that comes later sees
    // no job. Either way the job (on this stack) is not touched after this wait.
    while (inside_.load() != 0) std::this_thread::yield();
  }

 private:
  struct Job {
    const std::function<void(int)>* task;
    int tasks;
    unsigned generation;
    std::atomic<int> next{0};
    void work() {
      for (int i; (i = next.fetch_add(1)) < tasks;) (*task)(i);
    }
  };

  void loop() {
    unsigned done = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] {
          const Job* j = current_.load();
          return stopping_ || (j && j->generation != done);
        });
        if (stopping_) return;
      }
      inside_.fetch_add(1);
      if (Job* j = current_.load()) {
        done = j->generation;
        j->work();
      }
      inside_.fetch_sub(1);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<Job*> current_{nullptr};
  std::atomic<int> inside_{0};
  unsigned generation_ = 0;
  bool stopping_ = false;
};

// [begin, end) of task `part` of `parts` over `count` items, cut on multiples of `grain`.
inline void share(int64_t count, int64_t grain, int parts, int part, int64_t& begin, int64_t& end) {
  const int64_t units = (count + grain - 1) / grain;
  begin = std::min(count, (units * part / parts) * grain);
  end = std::min(count, (units * (part + 1) / parts) * grain);
}

// f(begin, end) over `rows` rows of `cols` values, cut into a few contiguous ranges per thread
// when there is enough work (32K values), else in one call on the calling thread.
template <typename F>
void parallelRows(ThreadPool& pool, int64_t rows, int64_t cols, F f) {
  const int tasks = rows * cols < (1 << 15) ? 1 : static_cast<int>(std::min<int64_t>(4 * pool.size(), rows));
  pool.run(tasks, [&](int task) {
    int64_t begin, end;
    share(rows, 1, tasks, task, begin, end);
    f(begin, end);
  });
}

}  // namespace aya
