// The machine's TCP and UDP sockets (tutorial §9.2, psutil.net_connections, `ss -tuanp`):
// listed through netlink sock_diag (inet_diag, what ss uses), or from /proc/net/{tcp,udp}[6]
// when netlink is unavailable; the owning process found, on request, by scanning /proc/*/fd.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <wirekit/net/address.hpp>

namespace wirekit::capture {

enum class SocketProtocol : std::uint8_t { tcp, udp };

// The kernel's socket states (include/net/tcp_states.h); UDP uses established (connected) and
// close (unconnected).
enum class SocketState : std::uint8_t {
  established = 1,
  syn_sent,
  syn_recv,
  fin_wait1,
  fin_wait2,
  time_wait,
  close,
  close_wait,
  last_ack,
  listen,
  closing,
  new_syn_recv,
};

// psutil's name for a state: "ESTABLISHED", "LISTEN", "TIME_WAIT", ...; an unconnected UDP
// socket is "NONE", as psutil says for every UDP socket.
std::string_view state_name(SocketProtocol protocol, SocketState state) noexcept;
// The state a psutil name stands for (case-insensitive, ss's "ESTAB" and "SYN-SENT" spellings
// too); nullopt for an unknown name.
std::optional<SocketState> try_parse_state(std::string_view name) noexcept;

struct Endpoint {
  net::IpAddress ip;
  std::uint16_t port = 0;
  // The unspecified address with port 0: a listening or unconnected socket's remote end.
  bool is_unset() const noexcept;
};

struct Connection {
  SocketProtocol protocol = SocketProtocol::tcp;
  Endpoint local;
  Endpoint remote;
  SocketState state = SocketState::close;
  std::uint64_t inode = 0;  // 0 for TIME_WAIT sockets, which no process holds
  std::uint32_t uid = 0;
  int pid = 0;          // 0: not looked up, or no process of ours holds the socket
  std::string process;  // the holder's /proc/PID/comm when pid != 0

  bool is_ipv6() const noexcept { return local.ip.is_v6(); }
  // "tcp", "tcp6", "udp", "udp6", as netstat's Proto column.
  std::string_view proto_name() const noexcept;
};

struct ConnectionQuery {
  bool tcp = true;
  bool udp = true;
  // Only sockets waiting for peers: TCP LISTEN and unconnected UDP (what `ss -l` shows).
  bool listening_only = false;
  std::optional<SocketState> state;
  // Find each socket's process through /proc/*/fd. Processes that exit meanwhile or whose
  // descriptors we may not read are skipped; their sockets keep pid 0.
  bool with_processes = false;
};

enum class ConnectionSource : std::uint8_t {
  automatic,  // netlink, else /proc/net when netlink sock_diag is unavailable
  netlink,
  proc,
};

// The sockets matching `query`, in the kernel's order (TCP before UDP, IPv4 before IPv6).
// Throws Error when neither source can be read.
std::vector<Connection> list_connections(const ConnectionQuery& query,
                                         ConnectionSource source = ConnectionSource::automatic);

// Fills pid and process of the connections whose socket inode some process holds.
void find_processes(std::span<Connection> connections);

// "127.0.0.1:8080", "[::1]:8080"; "0.0.0.0:*" / "[::]:*" for an unset remote end, as ss shows.
std::string format_endpoint(const Endpoint& endpoint);

// An aligned table with a header: Proto, Local Address, Remote Address, State, and
// PID/Program when `with_processes`.
std::string format_table(std::span<const Connection> connections, bool with_processes);

// {"protocol": "tcp", "family": "ipv4", "local": {"ip", "port"}, "remote": {...} or null,
//  "state": "LISTEN", "inode", "uid", "pid" and "process" (null when unknown)}.
nlohmann::json to_json(const Connection& connection);

}  // namespace wirekit::capture
