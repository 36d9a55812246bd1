// Tutorial §11.2 done with HTTP's own caching rules (RFC 9111) instead of lru_cache: the second
// fetch is answered from the cache while the server's max-age lasts, and revalidated with a
// conditional request (a 304, no body) after.
//   cached_fetch http://127.0.0.1:8080/page
#include <cstdio>
#include <memory>
#include <string>

#include <wirekit/core.hpp>
#include <wirekit/http.hpp>

using namespace wirekit;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: cached_fetch URL\n");
    return 2;
  }
  const std::string url = argv[1];
  try {
    run([&]() -> Task<void> {
      http::SessionOptions options;
      options.cache = std::make_shared<http::Cache>();
      http::Session session(std::move(options));
      for (int i = 0; i < 2; ++i) {
        const http::ClientResponse response = co_await session.get(url);
        std::printf("%s (%zu bytes%s)\n", response.text().substr(0, 40).c_str(),
                    response.body.size(), response.from_cache ? ", from the cache" : "");
      }
    }());
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
