// LineInput: the lines of a descriptor that may block (standard input: a terminal, a pipe or a
// file), awaited on a loop.
//
//   LineInput input;  // standard input
//   while (auto line = co_await input.next()) handle(*line);
//
// A thread of its own reads them, so the loop never waits for the descriptor (epoll cannot watch
// a regular file, and making a terminal non-blocking would change it for the shell too). The
// thread is detached: a program may end while it waits for a line nobody types. Lines are read
// ahead, at most `max_queued` of them. One loop: next() is awaited by one task at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <unistd.h>

#include <wirekit/core/task.hpp>

namespace wirekit {

namespace detail {
struct LineQueue;  // what the reader thread and the awaiting task share
}  // namespace detail

class LineInput {
 public:
  explicit LineInput(int fd = STDIN_FILENO, std::size_t max_queued = 1024);
  ~LineInput();
  LineInput(const LineInput&) = delete;
  LineInput& operator=(const LineInput&) = delete;

  // The next line, without its "\n" (or "\r\n"); nullopt at the end of the input (a last line
  // without a newline is a line). A read error ends the input too.
  Task<std::optional<std::string>> next();

 private:
  std::shared_ptr<detail::LineQueue> shared_;
};

}  // namespace wirekit
