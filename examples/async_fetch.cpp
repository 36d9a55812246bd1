// Tutorial §5.1 (the aiohttp client) and §11.1 (a pool of 20 connections for 300 URLs), on one
// wirekit Session:
//   async_fetch http://127.0.0.1:8080/            the first 100 characters of the page
//   async_fetch URL1 URL2 URL3                     each URL 100 times, 20 connections at most
#include <cstdio>
#include <string>
#include <vector>

#include <wirekit/core.hpp>
#include <wirekit/http.hpp>

using namespace wirekit;

Task<std::string> fetch(http::Session& session, const std::string& url) {
  const http::ClientResponse response = co_await session.get(url);
  co_return response.text();
}

// §5.1
Task<void> show_page(std::string url) {
  http::Session session;
  const std::string html = co_await fetch(session, url);
  std::printf("%s\n", html.substr(0, 100).c_str());
}

// §11.1: every fetch is started at once; the session's limit keeps 20 connections open.
Task<void> fetch_all(std::vector<std::string> urls) {
  http::SessionOptions options;
  options.limit = 20;  // aiohttp.TCPConnector(limit=20)
  http::Session session(std::move(options));
  std::vector<Task<std::string>> tasks;
  for (const std::string& url : urls) tasks.push_back(fetch(session, url));
  const std::vector<std::string> responses = co_await when_all(std::move(tasks));
  std::printf("Fetched %zu URLs\n", responses.size());
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: async_fetch URL [URL...]\n");
    return 2;
  }
  try {
    if (argc == 2) {
      run(show_page(argv[1]));
    } else {
      std::vector<std::string> urls;
      for (int i = 0; i < 100; ++i) {
        for (int a = 1; a < argc; ++a) urls.emplace_back(argv[a]);
      }
      run(fetch_all(std::move(urls)));
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
