// wirekit.toml: [server] and one section per service, each a [name] table or repeated as
// [[name]] (HTTP on 8080 and HTTPS on 8443 from one file). docs/configuration.md lists the keys.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/core/time.hpp>
#include <wirekit/services/service.hpp>

namespace wirekit::services {

struct Endpoint;
struct Blocking;

// One section of the file, read key by key. Every reader records the key it asked for, so
// refuse_unknown_keys() turns a typo into an error instead of a silently ignored setting.
// Errors name the file and line: "wirekit.toml:3: [echo] port must be a whole number ...".
class ConfigSection {
 public:
  struct Source;  // the TOML table and the keys read (toml++ stays out of the public headers)
  explicit ConfigSection(Source& source) noexcept : source_(source) {}
  ConfigSection(const ConfigSection&) = delete;
  ConfigSection& operator=(const ConfigSection&) = delete;

  const std::string& name() const noexcept;

  bool boolean(const char* key, bool fallback);
  std::int64_t integer(const char* key, std::int64_t fallback, std::int64_t min, std::int64_t max);
  std::string text(const char* key, std::string fallback);
  Duration duration(const char* key, Duration fallback);
  std::vector<std::string> strings(const char* key);
  // host and port
  Endpoint endpoint(const Endpoint& fallback);
  // block_after, block_window, allow, deny (the networks checked now)
  Blocking blocking();
  // One of `choices`, or an error listing them.
  std::string choice(const char* key, std::string fallback,
                     std::initializer_list<std::string_view> choices);

  // An error about `key` (at its line when present).
  [[noreturn]] void fail(const char* key, const std::string& what);
  void refuse_unknown_keys() const;

 private:
  Source& source_;
};

// The whole file: the runtime's settings and the services it describes, in the registry's
// order (for each kind, its sections in the file's order).
struct ServerConfig {
  std::size_t threads = 0;  // event loops; 0: one per core
  net::ServeOptions serve;  // [server] max_connections, shutdown_grace
  Services services;
};

// A section that is absent turns its service off; `enabled = false` too. An unknown section or
// key, or a value of the wrong type, is an Error(errc::invalid_argument) naming file and line.
ServerConfig parse_server_config(std::string_view toml_text, const std::string& source_name,
                                 const Registry& registry = Registry::standard());
ServerConfig load_server_config(const std::string& path,
                                const Registry& registry = Registry::standard());
// Without a file: every service of `registry` with its defaults.
ServerConfig default_server_config(const Registry& registry = Registry::standard());

// The RunOptions `config` asks for.
RunOptions run_options(const ServerConfig& config);

}  // namespace wirekit::services
