#include <charconv>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include <wirekit/core/time.hpp>

namespace wirekit {

Duration parse_duration(std::string_view text) {
  const auto bad = [&] {
    return Error(errc::invalid_argument,
                 fmt::format("invalid duration '{}' (expected e.g. 500ms, 2s, 1.5m, 1h)", text));
  };
  if (text.empty()) throw bad();
  double value = 0;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || !std::isfinite(value) || value < 0) throw bad();
  const std::string_view unit(rest, static_cast<std::size_t>(end - rest));
  double seconds_per_unit = 0;
  if (unit.empty() || unit == "s") {
    seconds_per_unit = 1;
  } else if (unit == "ms") {
    seconds_per_unit = 1e-3;
  } else if (unit == "us") {
    seconds_per_unit = 1e-6;
  } else if (unit == "m" || unit == "min") {
    seconds_per_unit = 60;
  } else if (unit == "h") {
    seconds_per_unit = 3600;
  } else if (unit == "d") {
    seconds_per_unit = 86400;
  } else {
    throw bad();
  }
  const double ns = value * seconds_per_unit * 1e9;
  if (ns > 1e18) throw bad();  // beyond ~31 years: certainly a typo
  return Duration{static_cast<Duration::rep>(std::llround(ns))};
}

std::string format_duration(Duration d) {
  const auto ns = d.count();
  if (ns % 1'000'000'000 == 0) {
    const auto s = ns / 1'000'000'000;
    if (s != 0 && s % 3600 == 0) return fmt::format("{}h", s / 3600);
    if (s != 0 && s % 60 == 0) return fmt::format("{}m", s / 60);
    return fmt::format("{}s", s);
  }
  if (ns % 1'000'000 == 0 && ns < 10'000'000'000) return fmt::format("{}ms", ns / 1'000'000);
  return fmt::format("{:g}s", static_cast<double>(ns) / 1e9);
}

namespace detail {

void SleepAwaiter::cancel() noexcept {
  EventLoop& loop = EventLoop::current();
  loop.disarm(*this);
  cancelled_ = true;
  loop.schedule(*this);
}

StopAtDeadline::StopAtDeadline(std::stop_source& source, Clock::time_point deadline)
    : source_(source) {
  EventLoop::current().arm(*this, deadline);
}

StopAtDeadline::~StopAtDeadline() = default;

void StopAtDeadline::run() noexcept {
  fired_ = true;
  source_.request_stop();
}

}  // namespace detail
}  // namespace wirekit
