#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <wirekit/services.hpp>

namespace wirekit::services {

namespace {

// Reads one [section] of wirekit.toml, refusing keys it does not know so that a typo is an
// error rather than a silently ignored setting.
class Section {
 public:
  Section(const toml::table& table, std::string name, const std::string& source)
      : table_(table), name_(std::move(name)), source_(source) {}

  Section(const Section&) = delete;
  Section& operator=(const Section&) = delete;

  [[noreturn]] void fail(const char* key, const std::string& what) {
    const toml::node* n = lookup(key);
    throw n != nullptr ? bad(*n, what) : Error(errc::invalid_argument, source_ + ": " + what);
  }

  // After every key was read: anything left is a typo or a setting of another section.
  void refuse_unknown_keys() const {
    for (const auto& [key, node] : table_) {
      if (!known_.contains(std::string(key.str()))) {
        throw bad(node, fmt::format("unknown key '{}' in [{}]", key.str(), name_));
      }
    }
  }

  bool enabled() { return boolean("enabled", true); }

  bool boolean(const char* key, bool fallback) {
    const toml::node* n = lookup(key);
    if (n == nullptr) return fallback;
    if (const auto v = n->value<bool>()) return *v;
    throw bad(*n, fmt::format("[{}] {} must be true or false", name_, key));
  }

  std::int64_t integer(const char* key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
    const toml::node* n = lookup(key);
    if (n == nullptr) return fallback;
    const auto v = n->value<std::int64_t>();
    if (!v || *v < min || *v > max) {
      throw bad(*n,
                fmt::format("[{}] {} must be a whole number from {} to {}", name_, key, min, max));
    }
    return *v;
  }

  std::string text(const char* key, std::string fallback) {
    const toml::node* n = lookup(key);
    if (n == nullptr) return fallback;
    if (const auto v = n->value<std::string>()) return *v;
    throw bad(*n, fmt::format("[{}] {} must be a string", name_, key));
  }

  Duration duration(const char* key, Duration fallback) {
    const toml::node* n = lookup(key);
    if (n == nullptr) return fallback;
    const auto v = n->value<std::string>();
    if (!v)
      throw bad(*n, fmt::format("[{}] {} must be a duration string such as \"10s\"", name_, key));
    try {
      return parse_duration(*v);
    } catch (const Error&) {
      throw bad(*n, fmt::format("[{}] {}: invalid duration '{}' (expected e.g. 500ms, 10s, 1m)",
                                name_, key, *v));
    }
  }

  std::vector<std::string> strings(const char* key) {
    const toml::node* n = lookup(key);
    if (n == nullptr) return {};
    std::vector<std::string> out;
    const toml::array* array = n->as_array();
    if (array != nullptr) {
      for (const toml::node& item : *array) {
        if (const auto v = item.value<std::string>()) {
          out.push_back(*v);
        } else {
          array = nullptr;
          break;
        }
      }
    }
    if (array == nullptr)
      throw bad(*n, fmt::format("[{}] {} must be a list of strings", name_, key));
    return out;
  }

  Endpoint endpoint(const Endpoint& fallback) {
    return Endpoint{text("host", fallback.host),
                    static_cast<std::uint16_t>(integer("port", fallback.port, 0, 65535))};
  }

  Blocking blocking() {
    Blocking b;
    b.after = static_cast<std::uint32_t>(integer("block_after", 0, 0, UINT32_MAX));
    b.window = duration("block_window", b.window);
    b.allow = strings("allow");
    b.deny = strings("deny");
    try {
      make_blocker(b);  // validates the networks now, with the file's name on the error
    } catch (const Error& e) {
      throw Error(errc::invalid_argument, fmt::format("{}: [{}] {}", source_, name_, e.what()));
    }
    return b;
  }

 private:
  const toml::node* lookup(const char* key) {
    known_.insert(key);
    return table_.get(key);
  }
  Error bad(const toml::node& n, const std::string& what) const {
    return Error(errc::invalid_argument,
                 fmt::format("{}:{}: {}", source_, n.source().begin.line, what));
  }

  const toml::table& table_;
  std::string name_;
  const std::string& source_;
  std::set<std::string> known_;
};

// Reads the optional [name] section of a service into `slot`: its endpoint, then what `read`
// takes. An absent section, or enabled = false, leaves the service off.
template <class Options, class Read>
void read_service(const toml::table& root, const char* name, const std::string& source,
                  std::optional<Options>& slot, Read read) {
  slot.reset();
  const toml::table* table = root.get_as<toml::table>(name);
  if (table == nullptr) return;
  Section s(*table, name, source);
  Options options;
  options.endpoint = s.endpoint(options.endpoint);
  read(s, options);
  if (s.enabled()) slot = std::move(options);
  s.refuse_unknown_keys();
}

// [http] tls_cert, tls_key, tls_client_ca, tls_require_client_cert, tls_handshake_timeout:
// HTTPS, with the certificates loaded now so that a bad file stops the start-up, named.
void read_tls(Section& s, http::ServerOptions& h) {
  const std::string cert = s.text("tls_cert", "");
  const std::string key = s.text("tls_key", "");
  tls::ServerOptions options;
  options.client_ca_file = s.text("tls_client_ca", "");
  options.require_client_certificate = s.boolean("tls_require_client_cert", false);
  options.handshake_timeout = s.duration("tls_handshake_timeout", options.handshake_timeout);
  if (cert.empty() && key.empty()) {
    if (!options.client_ca_file.empty())
      s.fail("tls_client_ca", "[http] tls_client_ca needs tls_cert and tls_key");
    return;
  }
  if (cert.empty() || key.empty()) {
    s.fail(cert.empty() ? "tls_key" : "tls_cert", "[http] tls_cert and tls_key go together");
  }
  if (options.require_client_certificate && options.client_ca_file.empty()) {
    s.fail("tls_require_client_cert", "[http] tls_require_client_cert needs tls_client_ca");
  }
  options.certificates.push_back({cert, key});
  try {
    h.tls.emplace(std::move(options));
  } catch (const Error& e) {
    const bool about_key = std::string_view(e.what()).starts_with("TLS key");
    s.fail(about_key ? "tls_key" : "tls_cert", e.what());
  }
}

}  // namespace

ServerConfig parse_server_config(std::string_view toml_text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    throw Error(errc::invalid_argument,
                fmt::format("{}:{}: {}", source_name, e.source().begin.line, e.description()));
  }
  for (const auto& [key, node] : root) {
    static const std::set<std::string> sections{"server", "echo", "welcome", "udp", "http"};
    if (!sections.contains(std::string(key.str())) || !node.is_table()) {
      throw Error(
          errc::invalid_argument,
          fmt::format("{}:{}: unknown section [{}] (expected server, echo, welcome, udp, http)",
                      source_name, node.source().begin.line, key.str()));
    }
  }
  const toml::table empty;
  ServerConfig config;
  {
    const toml::table* t = root.get_as<toml::table>("server");
    Section s(t != nullptr ? *t : empty, "server", source_name);
    config.threads = static_cast<std::size_t>(s.integer("threads", 0, 0, 1024));
    config.shutdown_grace = s.duration("shutdown_grace", config.shutdown_grace);
    config.max_connections =
        static_cast<std::size_t>(s.integer("max_connections", 10'000, 1, 10'000'000));
    s.refuse_unknown_keys();
  }
  read_service(root, "echo", source_name, config.echo,
               [](Section& s, EchoOptions& o) { o.blocking = s.blocking(); });
  read_service(root, "welcome", source_name, config.welcome, [](Section& s, WelcomeOptions& o) {
    o.message = s.text("message", o.message);
    o.blocked_message = s.text("blocked_message", o.blocked_message);
    o.blocking = s.blocking();
  });
  read_service(root, "http", source_name, config.web, [](Section& s, WebOptions& o) {
    if (const std::string root_dir = s.text("root", ""); !root_dir.empty())
      o.static_root = root_dir;
    o.listing = s.boolean("listing", o.listing);
    o.hello = s.boolean("hello", o.hello);
    o.health = s.boolean("healthz", o.health);
    http::ServerOptions& h = o.http;
    h.header_timeout = s.duration("header_timeout", h.header_timeout);
    h.body_timeout = s.duration("body_timeout", h.body_timeout);
    h.send_timeout = s.duration("send_timeout", h.send_timeout);
    h.keepalive_timeout = s.duration("keepalive_timeout", h.keepalive_timeout);
    h.keepalive_requests = static_cast<std::size_t>(s.integer(
        "keepalive_requests", static_cast<std::int64_t>(h.keepalive_requests), 0, INT64_MAX));
    h.limits.max_body = static_cast<std::size_t>(
        s.integer("max_body", static_cast<std::int64_t>(h.limits.max_body), 0, INT64_MAX));
    read_tls(s, h);
    HttpFeatures& f = o.features;
    const std::string log_format = s.text("access_log", "off");
    if (log_format == "combined") {
      f.access_log = http::LogFormat::combined;
    } else if (log_format == "json") {
      f.access_log = http::LogFormat::json;
    } else if (log_format != "off") {
      s.fail("access_log", "[http] access_log must be \"combined\", \"json\" or \"off\"");
    }
    f.compression = s.boolean("compression", f.compression);
    f.blocking = s.blocking();
    const std::int64_t rate = s.integer("rate_limit", 0, 0, 1'000'000);
    const std::int64_t burst = s.integer("rate_burst", 0, 0, 1'000'000);
    if (rate > 0) {
      f.rate_limit =
          guard::RateLimitOptions{.rate = static_cast<double>(rate),
                                  .burst = static_cast<double>(burst > 0 ? burst : 2 * rate)};
    }
    if (auto origins = s.strings("cors_origins"); !origins.empty()) {
      f.cors = http::CorsOptions{.origins = std::move(origins)};
    }
  });
  read_service(root, "udp", source_name, config.udp, [](Section& s, UdpAckOptions& o) {
    o.reply = s.text("reply", o.reply);
    o.blocking = s.blocking();
  });
  return config;
}

ServerConfig load_server_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(std::error_code(errno, std::system_category()), "read config " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_server_config(text.str(), path);
}

}  // namespace wirekit::services
