#include <memory>
#include <mutex>
#include <string_view>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <wirekit/core/log.hpp>
#include <wirekit/core/log_sink.hpp>

namespace wirekit {

namespace {

// spdlog formats, LogSink writes: a loop that logs never waits for stderr.
class StandardErrorSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    std::string_view line(formatted.data(), formatted.size());
    while (line.ends_with('\n') || line.ends_with('\r')) line.remove_suffix(1);
    LogSink::standard_error().write(line);
  }
  void flush_() override { LogSink::standard_error().flush_now(); }
};

}  // namespace

spdlog::logger& log() {
  static const std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("wirekit", std::make_shared<StandardErrorSink>());
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l: %v");
    return l;
  }();
  return *logger;
}

}  // namespace wirekit
