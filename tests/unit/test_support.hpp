// Helpers shared by the unit tests.
#pragma once

#include <wirekit/core.hpp>

namespace wirekit::test {

// Runs `task` on a fresh single-loop runtime that leaves signals alone.
template <class T>
T run(Task<T> task) {
  return wirekit::run(std::move(task), RuntimeOptions{.threads = 1, .handle_signals = false});
}

}  // namespace wirekit::test
