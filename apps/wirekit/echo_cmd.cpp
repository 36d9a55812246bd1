// wirekit echo — tutorial §8.1 (Twisted's echo server).
#include "cli.hpp"

namespace wirekit::cli {

namespace {

struct EchoFlags {
  services::EchoOptions echo;
  BlockingFlags blocking;
  std::size_t threads = 0;
  std::size_t max_connections = 10'000;
};

int echo(const EchoFlags& flags) {
  const services::Blocking blocking = flags.blocking.parse();
  Runtime runtime{runtime_options(flags.threads)};
  auto main = [&]() -> Task<void> {
    auto server = co_await services::bind_tcp(
        flags.echo.endpoint, {.max_connections = flags.max_connections}, runtime.size());
    services::stdout_lines()("Echo server is listening on " +
                             services::describe(server->local_addresses()));
    co_await server->serve(runtime,
                           services::guarded(services::make_blocker(blocking), services::echo));
  };
  runtime.run(main());
  return 0;
}

}  // namespace

void add_echo_command(CLI::App& app, Action& action) {
  static EchoFlags flags;
  CLI::App* e = app.add_subcommand("echo", "Echo every byte back to its sender (§8.1)");
  e->add_option("--host", flags.echo.endpoint.host, "Address or name to listen on")
      ->capture_default_str();
  e->add_option("--port", flags.echo.endpoint.port, "Port to listen on")->capture_default_str();
  e->add_option("--max-connections", flags.max_connections, "Open connections at most")
      ->capture_default_str();
  add_threads_flag(*e, flags.threads);
  add_blocking_flags(*e, flags.blocking);
  e->callback([&action] { action = [] { return echo(flags); }; });
}

}  // namespace wirekit::cli
