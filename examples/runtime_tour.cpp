// The runtime in one program (docs/runtime.md): concurrency, deadlines, task groups,
// cancellation and blocking calls. Prints what happened, one line per step.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <wirekit/core.hpp>

using namespace wirekit;
using namespace std::chrono_literals;

int running = 0;
int peak = 0;

Task<int> slow_value(Duration d, int v) {
  peak = std::max(peak, ++running);
  co_await sleep(d);
  --running;
  co_return v;
}

Task<std::string> worker(int id, int& done) {
  co_await sleep(std::chrono::milliseconds(5 * id));
  ++done;
  co_return "worker " + std::to_string(id);
}

Task<void> tour() {
  // when_all: both run at once (30ms in all, not 50).
  auto [a, b] = co_await when_all(slow_value(30ms, 1), slow_value(20ms, 2));
  std::printf("when_all: %d + %d = %d (%d running at once)\n", a, b, a + b, peak);

  // when_any: the first wins, the other is cancelled.
  auto first = co_await when_any(slow_value(1h, 0), slow_value(5ms, 7));
  std::printf("when_any: alternative %zu won with %d\n", first.index(), std::get<1>(first));

  // with_timeout: a deadline turns into Error(errc::timed_out).
  try {
    co_await with_timeout(20ms, slow_value(1h, 0), "slow value");
  } catch (const Error& e) {
    std::printf("with_timeout: %s\n", e.what());
  }

  // TaskGroup: children that cannot outlive it.
  int done = 0;
  TaskGroup group;
  for (int id = 1; id <= 3; ++id) {
    group.spawn([](int i, int& d) -> Task<void> { co_await worker(i, d); }(id, done));
  }
  co_await group.join();
  std::printf("task group: %d workers done\n", done);

  // blocking: work that would stall the loop runs on the thread pool.
  const auto loop_thread = std::this_thread::get_id();
  const bool elsewhere =
      co_await blocking([&] { return std::this_thread::get_id() != loop_thread; });
  std::printf("blocking: ran on another thread: %s\n", elsewhere ? "yes" : "no");
}

int main() {
  try {
    run(tour());
    return 0;
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
