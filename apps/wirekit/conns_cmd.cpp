// wirekit conns (§9.2): the machine's TCP and UDP sockets, as psutil.net_connections and ss.
#include <nlohmann/json.hpp>

#include <wirekit/capture/conns.hpp>

#include "cli.hpp"

namespace wirekit::cli {

namespace {

struct ConnsFlags {
  bool tcp = false;
  bool udp = false;
  bool listening = false;
  bool pid = false;
  bool json = false;
  std::string state;
  std::string source = "auto";
};

int list_conns(const ConnsFlags& flags) {
  capture::ConnectionQuery query;
  // Neither --tcp nor --udp: both.
  query.tcp = flags.tcp || !flags.udp;
  query.udp = flags.udp || !flags.tcp;
  query.listening_only = flags.listening;
  query.with_processes = flags.pid;
  if (!flags.state.empty()) {
    query.state = capture::try_parse_state(flags.state);
    if (!query.state) {
      throw Error(errc::invalid_argument, "unknown state '" + flags.state +
                                              "': expected LISTEN, ESTABLISHED, TIME_WAIT, ...");
    }
  }
  const capture::ConnectionSource source =
      flags.source == "netlink" ? capture::ConnectionSource::netlink
      : flags.source == "proc"  ? capture::ConnectionSource::proc
                                : capture::ConnectionSource::automatic;
  const std::vector<capture::Connection> connections = capture::list_connections(query, source);
  if (flags.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const capture::Connection& connection : connections) {
      rows.push_back(capture::to_json(connection));
    }
    write_stdout(rows.dump() + "\n");
  } else {
    write_stdout(capture::format_table(connections, flags.pid));
  }
  return 0;
}

}  // namespace

void add_conns_command(CLI::App& app, Action& action) {
  static ConnsFlags flags;
  CLI::App* conns =
      app.add_subcommand("conns", "List TCP and UDP sockets: addresses, state, process (§9.2)");
  conns->add_flag("--tcp", flags.tcp, "TCP sockets (default: TCP and UDP)");
  conns->add_flag("--udp", flags.udp, "UDP sockets (default: TCP and UDP)");
  conns->add_flag("-l,--listening", flags.listening,
                  "Only listening TCP sockets and unconnected UDP sockets");
  conns->add_option("--state", flags.state,
                    "Only sockets in this state (LISTEN, ESTABLISHED, ...)");
  conns->add_flag("-p,--pid", flags.pid,
                  "Show the process holding each socket (scans /proc/*/fd; root sees all)");
  conns->add_flag("--json", flags.json, "A JSON array, one object per socket");
  conns
      ->add_option("--source", flags.source,
                   "Where to read sockets: auto (netlink, else /proc/net), netlink, proc")
      ->check(CLI::IsMember({"auto", "netlink", "proc"}));
  conns->callback([&action] { action = [] { return list_conns(flags); }; });
}

}  // namespace wirekit::cli
