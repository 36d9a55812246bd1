// LogSink: lines to a file descriptor (stdout, stderr, a log file) without ever stalling a
// loop. A line written on a loop thread goes to that loop's queue and a task of the loop hands
// the queued lines, in batches, to a thread of the pool that does the write(2); a loop never
// waits for the descriptor. When a queue is full (a reader of stdout stopped reading, a disk is
// slow), lines are dropped and counted instead, and the next batch that gets through says how
// many ("wirekit: 42 log lines dropped: the output could not keep up"). Lines written on other
// threads are written at once, on that thread.
//
//   LogSink& out = LogSink::standard_output();
//   out.write("GET / 200");  // a line; the newline is added
//
// Each line reaches the descriptor whole: lines of several loops interleave, never their
// bytes. Lines still queued when a loop ends are written as it is destroyed. Thread-safe.
// wirekit::log() writes through LogSink::standard_error(); the access log and the services'
// lines through standard_output().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include <wirekit/core/task.hpp>

namespace wirekit {

struct LogSinkOptions {
  std::size_t max_queued_bytes = 1 << 20;  // per loop; lines beyond are dropped and counted
};

class LogSink {
 public:
  // Writes to `fd`, which must stay open as long as the sink is used; the sink does not own it.
  explicit LogSink(int fd, LogSinkOptions options = {});
  ~LogSink();
  LogSink(const LogSink&) = delete;
  LogSink& operator=(const LogSink&) = delete;

  // One line, without its newline.
  void write(std::string_view line);
  // Lines dropped so far because a queue was full.
  std::uint64_t dropped() const noexcept;
  // Loop thread: completes once every line this loop queued before the call is written.
  Task<void> flush();
  // Writes what this thread's loop has queued now, blocking: the last words before _exit().
  void flush_now() noexcept;

  static LogSink& standard_output();
  static LogSink& standard_error();

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace wirekit
