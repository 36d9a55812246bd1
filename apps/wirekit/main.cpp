// wirekit: the tutorial's programs as one command-line tool. Each group of subcommands lives
// in its own file and only parses options; the work is done by the library.
#include <cstdio>
#include <exception>

// CLI11's string splitting, inlined here, trips GCC 12's -Wnull-dereference (a false positive
// in std::string's move); the warning is reported at the end of this file, so no push/pop.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <spdlog/spdlog.h>

#include "cli.hpp"

int main(int argc, char** argv) {
  using namespace wirekit;
  CLI::App app{"wirekit: networking toolkit (sockets, servers, clients) from one command",
               "wirekit"};
  app.set_version_flag("--version", std::string("wirekit ") + version());
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log debug details to stderr");

  cli::Action action;
  cli::add_tcp_commands(app, action);
  cli::add_udp_commands(app, action);
  cli::add_echo_command(app, action);
  cli::add_chat_command(app, action);
  cli::add_ws_commands(app, action);
  cli::add_http_commands(app, action);
  cli::add_hello_command(app, action);
  cli::add_serve_command(app, action);
  cli::add_token_commands(app, action);
  cli::add_fetch_command(app, action);
  cli::add_tls_commands(app, action);
#ifdef WIREKIT_WITH_CAPTURE
  cli::add_conns_command(app, action);
  cli::add_capture_commands(app, action);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "wirekit: %s (see wirekit --help)\n", e.what());
    return cli::exit_usage;
  }
  log().set_level(verbose ? spdlog::level::debug : spdlog::level::info);

  try {
    return action();
  } catch (const Error& e) {
    if (e.code() == errc::cancelled) {
      std::fprintf(stderr, "wirekit: interrupted\n");
      return cli::exit_interrupted;
    }
    std::fprintf(stderr, "wirekit: %s\n", e.what());
    return e.code() == errc::invalid_argument ? cli::exit_usage : cli::exit_failure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wirekit: %s\n", e.what());
    return cli::exit_failure;
  }
}
