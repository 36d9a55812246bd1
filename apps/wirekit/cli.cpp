#include "cli.hpp"

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

void add_threads_flag(CLI::App& command, std::size_t& threads) {
  command.add_option("--threads", threads, "Event loops (0: one per core)")->capture_default_str();
}

RuntimeOptions runtime_options(std::size_t threads) {
  return RuntimeOptions{.threads = threads, .handle_signals = true};
}

}  // namespace wirekit::cli
