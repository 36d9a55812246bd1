// wirekit serve — the integrated server, configured by wirekit.toml.
#include <filesystem>

#include "cli.hpp"

namespace wirekit::cli {

namespace {

struct ServeFlags {
  std::optional<std::string> config;
  std::optional<std::size_t> threads;
};

int serve(const ServeFlags& flags) {
  services::ServerConfig config;  // every service on, with its defaults
  if (flags.config) {
    config = services::load_server_config(*flags.config);
  } else if (std::filesystem::exists(WIREKIT_DEFAULT_CONFIG)) {
    config = services::load_server_config(WIREKIT_DEFAULT_CONFIG);
  }
  if (flags.threads) config.threads = *flags.threads;
  // SIGHUP reloads the HTTPS certificates.
  const std::optional<tls::ServerContext> no_tls;
  Runtime runtime{runtime_options(config.threads, config.web ? config.web->http.tls : no_tls)};
  runtime.run(services::run_server(runtime, config, services::stdout_lines()));
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, Action& action) {
  static ServeFlags flags;
  CLI::App* s = app.add_subcommand(
      "serve", "Run every configured service: echo (1234), welcome (12345), UDP (12345)");
  s->add_option("-c,--config", flags.config,
                "Configuration file (default: ./" WIREKIT_DEFAULT_CONFIG " when present)");
  s->add_option("--threads", flags.threads, "Event loops (overrides [server] threads)");
  s->callback([&action] { action = [] { return serve(flags); }; });
}

}  // namespace wirekit::cli
