// Keep-alive request rate of one http::Session: CONNECTIONS tasks, each sending GET URL again
// and again over the session's pool for SECONDS, on one event loop. Prints, like wrk's summary:
//   client_rate peer=wirekit connections=64 requests=... seconds=... requests_s=...
// Usage: client_bench URL [CONNECTIONS=64] [SECONDS=5]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <wirekit/core.hpp>
#include <wirekit/http.hpp>

using namespace wirekit;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: client_bench URL [CONNECTIONS] [SECONDS]\n");
    return 2;
  }
  const std::string url = argv[1];
  const std::size_t connections = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
  const double seconds = argc > 3 ? std::atof(argv[3]) : 5.0;
  std::size_t requests = 0;
  std::size_t failures = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  run([&]() -> Task<void> {
    http::Session session({.limit = connections, .decompress = false});
    auto worker = [&]() -> Task<void> {
      while (std::chrono::steady_clock::now() < deadline) {
        const http::ClientResponse response = co_await session.get(url);
        ++(response.status == 200 ? requests : failures);
      }
    };
    TaskGroup group;
    for (std::size_t i = 0; i < connections; ++i) group.spawn(worker());
    co_await group.join();
  }());
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "client_rate peer=wirekit connections=%zu requests=%zu failures=%zu seconds=%.2f "
      "requests_s=%.0f\n",
      connections, requests, failures, elapsed, static_cast<double>(requests) / elapsed);
}
