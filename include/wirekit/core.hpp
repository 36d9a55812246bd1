// wirekit core: event loops, Task<T> coroutines, timers, cancellation, structured concurrency,
// the Runtime of N loops and the thread pool for blocking calls.
//
//   wirekit::Task<int> answer() { co_await wirekit::sleep(10ms); co_return 42; }
//   int main() { return wirekit::run(answer()) == 42 ? 0 : 1; }
#pragma once

#include <wirekit/core/completion.hpp>
#include <wirekit/core/error.hpp>
#include <wirekit/core/fd.hpp>
#include <wirekit/core/file.hpp>
#include <wirekit/core/line_input.hpp>
#include <wirekit/core/log.hpp>
#include <wirekit/core/log_sink.hpp>
#include <wirekit/core/loop.hpp>
#include <wirekit/core/runtime.hpp>
#include <wirekit/core/sync.hpp>
#include <wirekit/core/task.hpp>
#include <wirekit/core/task_group.hpp>
#include <wirekit/core/time.hpp>

namespace wirekit {
// The library version, as in `wirekit --version`.
const char* version() noexcept;
}  // namespace wirekit
