// wirekit http get / http post — tutorial §4.1, §11.3; wirekit fetch — §8.2, §11.1.
#include <chrono>
#include <cstdio>

#include <unistd.h>

#include <wirekit/http.hpp>

#include "cli.hpp"

namespace wirekit::cli {

namespace {

struct ClientFlags {
  std::string url;
  std::vector<std::string> headers;
  bool include = false;
  std::string output;
  bool fail = false;
  bool no_redirects = false;
  std::string timeout = "30s";
  std::string proxy;
  bool proxy_tunnel = false;
  TlsClientFlags tls;
  // post
  std::vector<std::string> fields;
  std::string json;
  std::string data_file;
  bool gzip = false;
};

http::RequestOptions request_options(const ClientFlags& flags) {
  http::RequestOptions options;
  for (const std::string& h : flags.headers) {
    const auto [name, value] = parse_header_flag(h);
    options.headers.add(name, value);
  }
  const Duration timeout = parse_duration(flags.timeout);
  options.timeouts = http::Timeouts{.connect = timeout, .read = timeout};
  options.allow_redirects = !flags.no_redirects;
  for (const std::string& field : flags.fields) {
    const auto eq = field.find('=');
    if (eq == std::string::npos)
      throw Error(errc::invalid_argument, "field '" + field + "' is not key=value");
    options.form.emplace_back(field.substr(0, eq), field.substr(eq + 1));
  }
  if (!flags.json.empty()) {
    auto parsed = nlohmann::json::parse(flags.json, nullptr, false);
    if (parsed.is_discarded()) throw Error(errc::invalid_argument, "--json is not valid JSON");
    options.json = std::move(parsed);
  }
  if (!flags.data_file.empty()) {
    options.data = flags.data_file == "-" ? read_stdin() : read_file(flags.data_file, "data file");
  }
  options.gzip = flags.gzip;
  return options;
}

// Status, then the body (JSON pretty-printed, as the tutorial prints response.json()).
int print_response(const http::ClientResponse& response, const ClientFlags& flags) {
  std::string out;
  if (flags.include) {
    out += "HTTP/1.1 " + std::to_string(response.status) + " " + response.reason + "\n";
    for (const auto& [name, value] : response.headers) {
      out += std::string(name) + ": " + std::string(value) + "\n";
    }
    out += "\n";
  } else {
    out += std::to_string(response.status) + "\n";
  }
  const std::string_view type = response.header("Content-Type").value_or("");
  std::string body = response.body;
  if (type.find("json") != std::string_view::npos) {
    const auto parsed = nlohmann::json::parse(body, nullptr, false);
    if (!parsed.is_discarded()) body = parsed.dump(2);
  }
  if (!body.empty() && body.back() != '\n') body += '\n';  // as print(response.text) ends
  write_stdout(out + body);
  if (flags.fail) response.raise_for_status();
  return 0;
}

int http_request(const std::string& method, const ClientFlags& flags) {
  http::RequestOptions options = request_options(flags);
  return run(
      [&]() -> Task<int> {
        http::SessionOptions session_options;
        if (!flags.proxy.empty()) session_options.proxy = http::Url::parse(flags.proxy);
        session_options.proxy_tunnel = flags.proxy_tunnel;
        session_options.tls = flags.tls.parse();
        http::Session session(std::move(session_options));
        if (!flags.output.empty()) {
          const std::function<void(std::size_t)> no_progress;
          const http::DownloadResult result = co_await http::download(
              session, flags.url, flags.output, std::move(options), no_progress);
          write_stdout(std::to_string(result.status) + "\n");
          // A 4xx/5xx page is an answer (an error only with --fail); anything else that went
          // wrong — no answer, a truncated body — always is.
          if (!result.ok() && (flags.fail || result.status < 400)) {
            throw Error(errc::protocol_error, result.error + " for url: " + flags.url);
          }
          co_return 0;
        }
        const http::ClientResponse response =
            co_await session.request(method, flags.url, std::move(options));
        co_return print_response(response, flags);
      }(),
      runtime_options(1));
}

void add_common(CLI::App& command, ClientFlags& flags) {
  command.add_option("url", flags.url, "URL (http://... or https://...)")->required();
  command.add_option("-H,--header", flags.headers, "Extra header 'Name: value'");
  command.add_flag("-i,--include", flags.include, "Print the status line and headers");
  command.add_option("-o,--output", flags.output,
                     "Write the body to this file (FILE.part until complete)");
  command.add_flag("--fail", flags.fail, "Exit 1 on a 4xx or 5xx answer");
  command.add_flag("--no-redirects", flags.no_redirects, "Do not follow redirects");
  command.add_option("--timeout", flags.timeout, "Connect and read timeout")->capture_default_str();
  command.add_option("-x,--proxy", flags.proxy, "HTTP proxy (http://host:port)");
  command.add_flag("-p,--proxy-tunnel", flags.proxy_tunnel,
                   "Tunnel through the proxy with CONNECT (always for https://)");
  add_tls_client_flags(command, flags.tls);
}

// --- fetch -----------------------------------------------------------------------------------

struct FetchFlags {
  std::vector<std::string> urls;
  std::string input;
  std::size_t concurrency = 20;
  std::size_t per_host = 0;
  std::string directory;
  std::string timeout = "30s";
  TlsClientFlags tls;
};

std::vector<std::string> url_list(const FetchFlags& flags) {
  std::vector<std::string> urls = flags.urls;
  if (!flags.input.empty()) {
    const std::string text = flags.input == "-" ? read_stdin() : read_file(flags.input, "URL list");
    std::size_t pos = 0;
    while (pos < text.size()) {
      const auto end = std::min(text.find('\n', pos), text.size());
      std::string line = text.substr(pos, end - pos);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty() && line.front() != '#') urls.push_back(std::move(line));
      pos = end + 1;
    }
  }
  if (urls.empty())
    throw Error(errc::invalid_argument, "no URLs: give them as arguments or with -i FILE");
  for (const std::string& url : urls) http::Url::parse(url);  // a bad URL stops before any request
  return urls;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 3) {
    bytes /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return buf;
}

int fetch(const FetchFlags& flags) {
  const std::vector<std::string> urls = url_list(flags);
  const Duration timeout = parse_duration(flags.timeout);
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  std::size_t done = 0;
  std::uint64_t bytes = 0;
  auto last_draw = std::chrono::steady_clock::time_point{};
  const auto draw = [&](bool force) {
    if (!tty) return;
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw < std::chrono::milliseconds(100)) return;
    last_draw = now;
    const std::size_t width = 30;
    const std::size_t filled = urls.empty() ? width : width * done / urls.size();
    std::fprintf(stderr, "\r[%s%s] %zu/%zu URLs, %s\033[K", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done, urls.size(),
                 human_bytes(static_cast<double>(bytes)).c_str());
  };
  const auto clear = [&] {
    if (tty) std::fprintf(stderr, "\r\033[K");
  };
  http::FetchOptions options{.concurrency = flags.concurrency,
                             .per_host = flags.per_host,
                             .timeouts = {.connect = timeout, .read = timeout}};
  if (!flags.directory.empty()) options.directory = flags.directory;
  options.tls = flags.tls.parse();
  options.on_done = [&](const http::DownloadResult& r) {
    ++done;
    clear();
    if (r.ok()) {
      std::printf("Downloaded %llu bytes from %s\n", static_cast<unsigned long long>(r.bytes),
                  r.url.c_str());
    } else {
      std::fprintf(stderr, "Failed %s: %s\n", r.url.c_str(), r.error.c_str());
    }
    std::fflush(stdout);
    draw(true);
  };
  options.on_bytes = [&](std::size_t n) {
    bytes += n;
    draw(false);
  };
  const auto start = std::chrono::steady_clock::now();
  const std::vector<http::DownloadResult> results =
      run(http::fetch_all(urls, std::move(options)), runtime_options(1));
  clear();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::size_t failed = 0;
  for (const auto& r : results) failed += r.ok() ? 0u : 1u;
  std::printf("Fetched %zu URLs (%s in %.2f s, %s/s)%s\n", results.size() - failed,
              human_bytes(static_cast<double>(bytes)).c_str(), seconds,
              human_bytes(seconds > 0 ? static_cast<double>(bytes) / seconds : 0).c_str(),
              failed ? (", " + std::to_string(failed) + " failed").c_str() : "");
  if (failed == 0) return 0;
  std::fprintf(stderr, "%zu failed:\n", failed);
  for (const auto& r : results) {
    if (!r.ok()) std::fprintf(stderr, "  %s: %s\n", r.url.c_str(), r.error.c_str());
  }
  return exit_failure;
}

}  // namespace

void add_http_client_commands(CLI::App& http, Action& action) {
  static ClientFlags get;
  CLI::App* g = http.add_subcommand("get", "GET a URL: the status, then the body (§4.1)");
  add_common(*g, get);
  g->callback([&action] { action = [] { return http_request("GET", get); }; });

  static ClientFlags post;
  CLI::App* p = http.add_subcommand("post", "POST form fields, JSON or a file (§4.1, §11.3)");
  add_common(*p, post);
  p->add_option("-d,--data", post.fields, "Form field key=value");
  p->add_option("--json", post.json, "JSON body");
  p->add_option("--data-file", post.data_file, "Body from a file (- for stdin)");
  p->add_flag("--gzip", post.gzip, "Send the body gzip-compressed (Content-Encoding: gzip)");
  p->callback([&action] { action = [] { return http_request("POST", post); }; });
}

void add_fetch_command(CLI::App& app, Action& action) {
  static FetchFlags flags;
  CLI::App* f =
      app.add_subcommand("fetch", "Download many URLs concurrently over one pool (§8.2, §11.1)");
  f->add_option("urls", flags.urls, "URLs");
  f->add_option("-i,--input", flags.input, "File of URLs, one per line (- for stdin)");
  f->add_option("-c,--concurrency", flags.concurrency, "Requests at once")->capture_default_str();
  f->add_option("--per-host", flags.per_host, "Connections per host (0: no limit)")
      ->capture_default_str();
  f->add_option("-o,--output-dir", flags.directory, "Save bodies here (otherwise counted only)");
  f->add_option("--timeout", flags.timeout, "Connect and read timeout")->capture_default_str();
  add_tls_client_flags(*f, flags.tls);
  f->callback([&action] { action = [] { return fetch(flags); }; });
}

}  // namespace wirekit::cli
