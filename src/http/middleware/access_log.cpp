#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <wirekit/http/middleware.hpp>

namespace wirekit::http {

namespace {

// [25/Nov/2026:21:00:00 +0000], as Apache and nginx write it.
std::string common_log_time(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%d/%b/%Y:%H:%M:%S +0000", &tm);
  return buf;
}

// Header values go into quotes in the combined format: escape what would break the line.
std::string quoted(std::string_view v) {
  std::string out;
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Middleware access_log(LogFormat format, std::function<void(const std::string&)> sink) {
  return [format, sink = std::move(sink)](Request& request, const Handler& next) -> Task<Response> {
    const auto start = Clock::now();
    Response response = co_await next(request);
    const auto elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const std::string_view referer = request.header("referer").value_or("-");
    const std::string_view agent = request.header("user-agent").value_or("-");
    const std::uint64_t bytes = request.method() == "HEAD" ? 0 : response.body_size();
    if (format == LogFormat::combined) {
      sink(fmt::format("{} - - [{}] \"{} {} HTTP/1.{}\" {} {} \"{}\" \"{}\"",
                       request.peer().ip().unmapped().to_string(),
                       common_log_time(std::time(nullptr)), quoted(request.method()),
                       quoted(request.target()), request.minor_version(), response.status, bytes,
                       quoted(referer), quoted(agent)));
    } else {
      nlohmann::json line{
          {"time", std::time(nullptr)}, {"remote", request.peer().ip().unmapped().to_string()},
          {"method", request.method()}, {"target", request.target()},
          {"status", response.status},  {"bytes", bytes},
          {"duration_ms", elapsed},     {"referer", referer},
          {"user_agent", agent}};
      sink(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    co_return response;
  };
}

}  // namespace wirekit::http
