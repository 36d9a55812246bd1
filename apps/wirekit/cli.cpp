#include "cli.hpp"

#include <cstdio>
#include <memory>

namespace wirekit::cli {

services::Blocking BlockingFlags::parse() const {
  services::Blocking b;
  b.after = after;
  b.window = parse_duration(window);
  b.allow = allow;
  b.deny = deny;
  services::make_blocker(b);  // reports a bad network now, before anything is bound
  return b;
}

void add_blocking_flags(CLI::App& command, BlockingFlags& flags) {
  command.add_option("--block-after", flags.after,
                     "Block an IP after N connections within the window (0: never)");
  command.add_option("--block-window", flags.window, "Sliding window for --block-after")
      ->capture_default_str();
  command.add_option("--allow", flags.allow, "Network (CIDR) never blocked; repeatable");
  command.add_option("--deny", flags.deny, "Network (CIDR) always refused; repeatable");
}

services::HttpFeatures HttpFlags::parse() const {
  services::HttpFeatures f;
  if (access_log == "combined") {
    f.access_log = http::LogFormat::combined;
  } else if (access_log == "json") {
    f.access_log = http::LogFormat::json;
  } else if (access_log != "off") {
    throw Error(errc::invalid_argument,
                "invalid --access-log '" + access_log + "' (expected combined, json or off)");
  }
  f.compression = !no_compress;
  f.blocking = blocking.parse();
  if (rate_limit > 0) {
    f.rate_limit = guard::RateLimitOptions{
        .rate = rate_limit, .burst = burst > 0 ? burst : std::max(1.0, 2 * rate_limit)};
    guard::RateLimiter check{*f.rate_limit};  // reports bad numbers before anything is bound
  }
  if (!cors.empty()) f.cors = http::CorsOptions{.origins = cors};
  return f;
}

void add_http_flags(CLI::App& command, HttpFlags& flags) {
  command.add_option("--access-log", flags.access_log, "Log each request: combined, json or off")
      ->capture_default_str();
  command.add_flag("--no-compress", flags.no_compress, "Do not compress responses");
  command.add_option("--rate-limit", flags.rate_limit,
                     "Requests per second per client (token bucket; 429 beyond)");
  command.add_option("--burst", flags.burst, "Bucket size for --rate-limit (default: 2x the rate)");
  command.add_option("--cors", flags.cors, "Allowed CORS origin ('*' for any); repeatable");
  command
      .add_option("--max-connections", flags.max_connections,
                  "Open connections at most; beyond, accepting pauses")
      ->capture_default_str();
  add_blocking_flags(command, flags.blocking);
  command.add_option("--tls-cert", flags.tls_certs,
                     "Serve HTTPS with this PEM certificate chain; repeatable (SNI picks)");
  command.add_option("--tls-key", flags.tls_keys, "Private key of the matching --tls-cert");
  command.add_option("--tls-client-ca", flags.tls_client_ca,
                     "Ask clients for certificates signed by these CAs (mutual TLS)");
  command.add_flag("--tls-require-client-cert", flags.tls_require_client_cert,
                   "Refuse clients without a certificate from --tls-client-ca");
  command
      .add_option("--tls-handshake-timeout", flags.tls_handshake_timeout,
                  "Drop a client that has not finished its TLS handshake by then")
      ->capture_default_str();
}

http::ServerOptions HttpFlags::server_options() const {
  http::ServerOptions options;
  if (tls_certs.size() != tls_keys.size()) {
    throw Error(errc::invalid_argument,
                "--tls-cert and --tls-key come in pairs: each certificate needs its key");
  }
  if (tls_certs.empty()) {
    if (!tls_client_ca.empty() || tls_require_client_cert) {
      throw Error(errc::invalid_argument, "--tls-client-ca needs --tls-cert and --tls-key");
    }
    return options;
  }
  tls::ServerOptions tls;
  for (std::size_t i = 0; i < tls_certs.size(); ++i) {
    tls.certificates.push_back({tls_certs[i], tls_keys[i]});
  }
  tls.client_ca_file = tls_client_ca;
  tls.require_client_certificate = tls_require_client_cert;
  tls.handshake_timeout = parse_duration(tls_handshake_timeout);
  if (tls_require_client_cert && tls_client_ca.empty()) {
    throw Error(errc::invalid_argument, "--tls-require-client-cert needs --tls-client-ca FILE");
  }
  options.tls.emplace(std::move(tls));
  return options;
}

tls::ClientOptions TlsClientFlags::parse() const {
  tls::ClientOptions options;
  options.verify = !insecure;
  options.ca_file = ca_file;
  options.cert_file = cert_file;
  options.key_file = key_file;
  if (cert_file.empty() != key_file.empty()) {
    throw Error(errc::invalid_argument, "--cert and --key come together");
  }
  return options;
}

void add_tls_client_flags(CLI::App& command, TlsClientFlags& flags) {
  command.add_flag("-k,--insecure", flags.insecure,
                   "Do not verify the server's certificate (development only)");
  command.add_option("--ca", flags.ca_file, "Trust the CA certificates in this PEM file");
  command.add_option("--cert", flags.cert_file, "Client certificate (PEM) for mutual TLS");
  command.add_option("--key", flags.key_file, "Key of --cert (PEM)");
}

std::pair<std::string_view, std::string_view> parse_header_flag(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    throw Error(errc::invalid_argument, "header '" + std::string(text) + "' is not 'Name: value'");
  }
  std::string_view value = text.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return {text.substr(0, colon), value};
}

void add_endpoint_flags(CLI::App& command, services::Endpoint& endpoint) {
  command.add_option("--host", endpoint.host, "Address or name to listen on")
      ->capture_default_str();
  command.add_option("--port", endpoint.port, "Port to listen on")->capture_default_str();
}

void add_threads_flag(CLI::App& command, std::size_t& threads) {
  command.add_option("--threads", threads, "Event loops (0: one per core)")->capture_default_str();
}

namespace {

constexpr std::size_t max_input = 256u << 20;

std::string read_all(std::FILE* file, const std::string& what) {
  std::string data;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) {
    data.append(buf, n);
    if (data.size() > max_input) throw Error(errc::limit_exceeded, what + " exceeds 256 MiB");
  }
  if (std::ferror(file)) throw Error(errc::invalid_argument, "cannot read " + what);
  return data;
}

}  // namespace

std::string read_stdin() {
  return read_all(stdin, "standard input");
}

std::string read_file(const std::string& path, std::string_view what) {
  const std::string name = std::string(what) + " " + path;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) throw_errno("cannot open " + name);
  return read_all(file.get(), name);
}

void write_stdout(std::string_view data) {
  if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0) {
    throw Error(errc::closed, "cannot write to standard output");
  }
}

RuntimeOptions runtime_options(std::size_t threads) {
  return RuntimeOptions{.threads = threads, .handle_signals = true};
}

int serve_one(std::unique_ptr<services::Service> service, services::RunOptions options,
              Announcement announcement) {
  options.announce = [&announcement](const services::Services& all,
                                     const services::LineSink& lines) {
    lines(announcement(*all.front()));
  };
  services::Services one;
  one.push_back(std::move(service));
  services::run(one, options);
  return 0;
}

}  // namespace wirekit::cli
