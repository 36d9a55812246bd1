// wirekit serve — the integrated server, configured by wirekit.toml.
#include <filesystem>

#include <fmt/format.h>

#include "cli.hpp"

namespace wirekit::cli {

namespace {

struct ServeFlags {
  std::optional<std::string> config;
  std::optional<std::size_t> threads;
};

int serve(const ServeFlags& flags) {
  services::ServerConfig config;
  if (flags.config) {
    config = services::load_server_config(*flags.config);
  } else if (std::filesystem::exists(WIREKIT_DEFAULT_CONFIG)) {
    config = services::load_server_config(WIREKIT_DEFAULT_CONFIG);
  } else {
    config = services::default_server_config();  // every service on, with its defaults
  }
  if (flags.threads) config.threads = *flags.threads;
  services::run(config.services, services::run_options(config));
  return 0;
}

std::string services_help() {
  std::string out = "Services (each a [section] of wirekit.toml, or repeated as [[section]]):";
  for (const services::ServiceKind& kind : services::Registry::standard().kinds()) {
    out += fmt::format("\n  {:<9} {}", kind.section, kind.summary);
  }
  return out + "\nKeys and defaults: docs/configuration.md";
}

}  // namespace

void add_serve_command(CLI::App& app, Action& action) {
  static ServeFlags flags;
  CLI::App* s = app.add_subcommand(
      "serve",
      "Run every service wirekit.toml configures, all with defaults without it (§3.1, §3.2, "
      "§4.2, §5.1, §7.2, §8.1)");
  s->footer(services_help());
  s->add_option("-c,--config", flags.config,
                "Configuration file (default: ./" WIREKIT_DEFAULT_CONFIG " when present)");
  s->add_option("--threads", flags.threads, "Event loops (overrides [server] threads)");
  s->callback([&action] { action = [] { return serve(flags); }; });
}

}  // namespace wirekit::cli
