// Tutorial §4.1 (requests) with wirekit's blocking one-liners, and §11.3's gzip-compressed post.
// The tutorial talks to api.github.com and httpbin.org; this takes a base URL so it runs
// against any server (the tests use an aiohttp app on loopback):
//   http_requests http://127.0.0.1:8080
#include <cstdio>
#include <string>

#include <wirekit/http.hpp>

namespace http = wirekit::http;

void get_example(const std::string& base) {
  const http::ClientResponse response = http::get(base + "/events");
  std::printf("%d\n", response.status);
  std::printf("%s\n", response.json().dump().c_str());
}

void post_example(const std::string& base) {
  http::RequestOptions options;
  options.form = {{"key", "value"}};
  const http::ClientResponse response = http::post(base + "/post", std::move(options));
  std::printf("%s\n", response.text().c_str());
}

// §11.3: the body gzip-compressed, with Content-Encoding: gzip.
void send_compressed_data(const std::string& url, const std::string& data) {
  http::RequestOptions options;
  options.data = data;
  options.gzip = true;
  const http::ClientResponse response = http::post(url, std::move(options));
  std::printf("%d\n", response.status);
}

int main(int argc, char** argv) {
  const std::string base = argc > 1 ? argv[1] : "http://127.0.0.1:8080";
  try {
    get_example(base);
    post_example(base);
    send_compressed_data(base + "/api", "Large amount of data...");
  } catch (const wirekit::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
