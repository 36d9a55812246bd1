#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <wirekit/capture/conns.hpp>
#include <wirekit/core/error.hpp>
#include <wirekit/core/fd.hpp>

namespace wirekit::capture {
namespace {

constexpr std::uint32_t state_bit(SocketState state) {
  return 1u << static_cast<unsigned>(state);
}
constexpr std::uint32_t all_states = 0x1ffe;  // established (1) .. new_syn_recv (12)

// The kernel-side state filter: the states the caller wants, as a bit mask.
std::uint32_t wanted_states(const ConnectionQuery& query, SocketProtocol protocol) {
  std::uint32_t mask = all_states;
  if (query.listening_only) {
    mask = protocol == SocketProtocol::tcp ? state_bit(SocketState::listen)
                                           : state_bit(SocketState::close);
  }
  if (query.state) {
    std::uint32_t asked = state_bit(*query.state);
    // Embryonic connections are "request sockets" in the kernel's tables, reported as SYN_RECV.
    if (*query.state == SocketState::syn_recv) asked |= state_bit(SocketState::new_syn_recv);
    mask &= asked;
  }
  return mask;
}

bool state_wanted(std::uint32_t mask, unsigned state) {
  return state < 32 && (mask & (1u << state)) != 0;
}

// ---- netlink sock_diag --------------------------------------------------------------------

// The receive buffer: the kernel fills at most about 32 KiB per dump message batch.
constexpr std::size_t netlink_buffer_size = 64 * 1024;

Endpoint endpoint_from_diag(std::uint8_t family, const __be32 (&address)[4], __be16 port) {
  Endpoint endpoint;
  endpoint.port = ntohs(port);
  if (family == AF_INET) {
    endpoint.ip = net::IpAddress::v4(ntohl(address[0]));
  } else {
    std::array<std::uint8_t, 16> bytes;
    std::memcpy(bytes.data(), address, bytes.size());
    endpoint.ip = net::IpAddress::v6(bytes);
  }
  return endpoint;
}

// Dumps one (family, protocol) table into `out`. Returns 0, or the errno that stopped it.
int netlink_dump(int fd, std::uint8_t family, SocketProtocol protocol, std::uint32_t states,
                 std::vector<char>& buffer, std::vector<Connection>& out) {
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.header.nlmsg_seq = 1;
  message.request.sdiag_family = family;
  message.request.sdiag_protocol = protocol == SocketProtocol::tcp ? IPPROTO_TCP : IPPROTO_UDP;
  message.request.idiag_states = states;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    return errno;
  }
  const std::size_t first = out.size();
  for (;;) {
    const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      out.resize(first);
      return errno;
    }
    if (got == 0) return 0;
    // The NLMSG_* macros, without their casts: messages are 4-byte aligned, headers first.
    const auto size = static_cast<std::size_t>(got);
    for (std::size_t offset = 0; offset + sizeof(nlmsghdr) <= size;) {
      const auto* header = reinterpret_cast<const nlmsghdr*>(buffer.data() + offset);
      if (header->nlmsg_len < sizeof(nlmsghdr) || header->nlmsg_len > size - offset) break;
      offset += (header->nlmsg_len + 3u) & ~std::size_t{3};
      const char* payload = reinterpret_cast<const char*>(header) + sizeof(nlmsghdr);
      const std::size_t payload_size = header->nlmsg_len - sizeof(nlmsghdr);
      if (header->nlmsg_type == NLMSG_DONE) return 0;
      if (header->nlmsg_type == NLMSG_ERROR) {
        out.resize(first);
        const auto* error = reinterpret_cast<const nlmsgerr*>(payload);
        return payload_size >= sizeof(nlmsgerr) && error->error != 0 ? -error->error : EPROTO;
      }
      if (payload_size < sizeof(inet_diag_msg)) continue;
      const auto* diag = reinterpret_cast<const inet_diag_msg*>(payload);
      Connection& connection = out.emplace_back();
      connection.protocol = protocol;
      connection.local =
          endpoint_from_diag(diag->idiag_family, diag->id.idiag_src, diag->id.idiag_sport);
      connection.remote =
          endpoint_from_diag(diag->idiag_family, diag->id.idiag_dst, diag->id.idiag_dport);
      connection.state = static_cast<SocketState>(diag->idiag_state);
      connection.uid = diag->idiag_uid;
      connection.inode = diag->idiag_inode;
    }
  }
}

// ---- /proc/net ----------------------------------------------------------------------------

// The whole of a /proc file (their size is unknown until read). False if it cannot be opened.
bool read_proc_file(const char* path, std::string& text) {
  const UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  text.clear();
  std::size_t size = 0;
  for (;;) {
    if (text.size() - size < 64 * 1024) text.resize(size + 256 * 1024);
    const ssize_t got = ::read(fd.get(), text.data() + size, text.size() - size);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_errno(std::string("read ") + path);
    }
    if (got == 0) break;
    size += static_cast<std::size_t>(got);
  }
  text.resize(size);
  return true;
}

std::string_view next_field(std::string_view& line) {
  const auto start = line.find_first_not_of(' ');
  if (start == std::string_view::npos) return line = {};
  line.remove_prefix(start);
  const auto end = std::min(line.find(' '), line.size());
  const std::string_view field = line.substr(0, end);
  line.remove_prefix(end);
  return field;
}

template <typename Integer>
bool parse_number(std::string_view text, Integer& value, int base) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  return error == std::errc() && end == text.data() + text.size();
}

// "0100007F:0277": the address as the kernel's 32-bit words in host order, then the port.
bool parse_proc_endpoint(std::string_view text, Endpoint& endpoint) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view address = text.substr(0, colon);
  if (!parse_number(text.substr(colon + 1), endpoint.port, 16)) return false;
  if (address.size() != 8 && address.size() != 32) return false;
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t word = 0; word < address.size() / 8; ++word) {
    std::uint32_t value = 0;
    if (!parse_number(address.substr(word * 8, 8), value, 16)) return false;
    std::memcpy(bytes.data() + word * 4, &value, 4);
  }
  if (address.size() == 8) {
    std::uint32_t network_order;
    std::memcpy(&network_order, bytes.data(), 4);
    endpoint.ip = net::IpAddress::v4(ntohl(network_order));
  } else {
    endpoint.ip = net::IpAddress::v6(bytes);
  }
  return true;
}

// One /proc/net table: "sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...".
void proc_table(const char* path, SocketProtocol protocol, std::uint32_t states, std::string& text,
                std::vector<Connection>& out) {
  if (!read_proc_file(path, text)) {
    // A kernel without IPv6 has no tcp6/udp6 table: nothing of that family to list.
    if (errno == ENOENT) return;
    throw_errno(std::string("open ") + path);
  }
  std::string_view rest = text;
  rest.remove_prefix(std::min(rest.find('\n'), rest.size()));  // the heading
  while (!rest.empty()) {
    rest.remove_prefix(1);
    const auto end = std::min(rest.find('\n'), rest.size());
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end);
    if (line.empty()) continue;
    next_field(line);  // sl
    const std::string_view local = next_field(line);
    const std::string_view remote = next_field(line);
    const std::string_view state = next_field(line);
    for (int skipped = 0; skipped < 3; ++skipped) next_field(line);  // queues, timer, retransmits
    const std::string_view uid = next_field(line);
    next_field(line);  // timeout
    const std::string_view inode = next_field(line);
    Connection connection;
    connection.protocol = protocol;
    unsigned state_number = 0;
    if (!parse_proc_endpoint(local, connection.local) ||
        !parse_proc_endpoint(remote, connection.remote) || !parse_number(state, state_number, 16) ||
        !parse_number(uid, connection.uid, 10) || !parse_number(inode, connection.inode, 10)) {
      throw Error(errc::protocol_error, std::string(path) + ": unexpected line format");
    }
    if (!state_wanted(states, state_number)) continue;
    connection.state = static_cast<SocketState>(state_number);
    out.push_back(std::move(connection));
  }
}

const char* proc_path(std::uint8_t family, SocketProtocol protocol) {
  if (protocol == SocketProtocol::tcp)
    return family == AF_INET ? "/proc/net/tcp" : "/proc/net/tcp6";
  return family == AF_INET ? "/proc/net/udp" : "/proc/net/udp6";
}

// ---- /proc/*/fd ---------------------------------------------------------------------------

bool all_digits(const char* name) {
  if (*name == '\0') return false;
  for (; *name; ++name) {
    if (*name < '0' || *name > '9') return false;
  }
  return true;
}

// The inode of a "socket:[12345]" link target, or 0 for any other target.
std::uint64_t socket_inode(const char* link, ssize_t size) {
  static constexpr char prefix[] = "socket:[";
  constexpr ssize_t prefix_size = sizeof prefix - 1;
  if (size <= prefix_size + 1 || std::memcmp(link, prefix, prefix_size) != 0 ||
      link[size - 1] != ']') {
    return 0;
  }
  std::uint64_t inode = 0;
  for (ssize_t i = prefix_size; i < size - 1; ++i) {
    const unsigned digit = static_cast<unsigned char>(link[i]) - '0';
    if (digit > 9) return 0;
    inode = inode * 10 + digit;
  }
  return inode;
}

// Calls visit(name) for each entry of the directory `fd` but "." and "..", reading the
// entries in large batches into `buffer`.
template <typename Visit>
void for_each_entry(int fd, std::vector<char>& buffer, Visit&& visit) {
  for (;;) {
    const ssize_t got = ::getdents64(fd, buffer.data(), buffer.size());
    if (got <= 0) return;
    for (ssize_t offset = 0; offset < got;) {
      const auto* entry = reinterpret_cast<const dirent64*>(buffer.data() + offset);
      offset += entry->d_reclen;
      const char* name = entry->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
      if (!visit(name)) return;
    }
  }
}

// "PID/leaf" into `path`; false for a name too long to be a pid.
bool pid_path(char (&path)[32], const char* pid, std::string_view leaf) {
  const std::size_t size = std::strlen(pid);
  if (size + 1 + leaf.size() >= sizeof path) return false;
  std::memcpy(path, pid, size);
  path[size] = '/';
  std::memcpy(path + size + 1, leaf.data(), leaf.size());
  path[size + 1 + leaf.size()] = '\0';
  return true;
}

std::string process_name(int proc, const char* pid) {
  char path[32];
  if (!pid_path(path, pid, "comm")) return {};
  const UniqueFd fd(::openat(proc, path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {};
  char name[64];
  const ssize_t got = ::read(fd.get(), name, sizeof name);
  if (got <= 0) return {};
  std::size_t size = static_cast<std::size_t>(got);
  if (name[size - 1] == '\n') --size;
  return std::string(name, size);
}

// ---- formatting ---------------------------------------------------------------------------

char* write_decimal(char* out, unsigned value) {
  return std::to_chars(out, out + 10, value).ptr;
}

// Writes "ip:port" ("[ip6]:port", "*" for an unset remote's port); at most 48 characters.
char* write_endpoint(char* out, const Endpoint& endpoint, bool unset_port_is_star) {
  const auto& bytes = endpoint.ip.bytes();
  if (endpoint.ip.is_v4()) {
    for (std::size_t i = 0; i < 4; ++i) {
      out = write_decimal(out, bytes[i]);
      *out++ = i < 3 ? '.' : ':';
    }
  } else {
    *out++ = '[';
    ::inet_ntop(AF_INET6, bytes.data(), out, INET6_ADDRSTRLEN);
    out += std::strlen(out);
    *out++ = ']';
    *out++ = ':';
  }
  if (unset_port_is_star && endpoint.port == 0) {
    *out++ = '*';
    return out;
  }
  return write_decimal(out, endpoint.port);
}

constexpr std::size_t max_endpoint_size = 48;

}  // namespace

std::string_view state_name(SocketProtocol protocol, SocketState state) noexcept {
  switch (state) {
    case SocketState::established:
      return "ESTABLISHED";
    case SocketState::syn_sent:
      return "SYN_SENT";
    case SocketState::syn_recv:
      return "SYN_RECV";
    case SocketState::fin_wait1:
      return "FIN_WAIT1";
    case SocketState::fin_wait2:
      return "FIN_WAIT2";
    case SocketState::time_wait:
      return "TIME_WAIT";
    case SocketState::close:
      return protocol == SocketProtocol::udp ? "NONE" : "CLOSE";
    case SocketState::close_wait:
      return "CLOSE_WAIT";
    case SocketState::last_ack:
      return "LAST_ACK";
    case SocketState::listen:
      return "LISTEN";
    case SocketState::closing:
      return "CLOSING";
    case SocketState::new_syn_recv:
      return "SYN_RECV";
  }
  return "UNKNOWN";
}

std::optional<SocketState> try_parse_state(std::string_view name) noexcept {
  std::string canonical;
  for (const char c : name) {
    canonical += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  }
  static constexpr std::pair<std::string_view, SocketState> names[] = {
      {"ESTABLISHED", SocketState::established},
      {"ESTAB", SocketState::established},
      {"SYN_SENT", SocketState::syn_sent},
      {"SYN_RECV", SocketState::syn_recv},
      {"FIN_WAIT1", SocketState::fin_wait1},
      {"FIN_WAIT_1", SocketState::fin_wait1},
      {"FIN_WAIT2", SocketState::fin_wait2},
      {"FIN_WAIT_2", SocketState::fin_wait2},
      {"TIME_WAIT", SocketState::time_wait},
      {"CLOSE", SocketState::close},
      {"NONE", SocketState::close},
      {"UNCONN", SocketState::close},
      {"CLOSE_WAIT", SocketState::close_wait},
      {"LAST_ACK", SocketState::last_ack},
      {"LISTEN", SocketState::listen},
      {"CLOSING", SocketState::closing},
  };
  for (const auto& [text, state] : names) {
    if (canonical == text) return state;
  }
  return std::nullopt;
}

bool Endpoint::is_unset() const noexcept {
  if (port != 0) return false;
  const auto& bytes = ip.bytes();
  return std::all_of(bytes.begin(), bytes.begin() + (ip.is_v4() ? 4 : 16),
                     [](std::uint8_t b) { return b == 0; });
}

std::string_view Connection::proto_name() const noexcept {
  if (protocol == SocketProtocol::tcp) return is_ipv6() ? "tcp6" : "tcp";
  return is_ipv6() ? "udp6" : "udp";
}

std::vector<Connection> list_connections(const ConnectionQuery& query, ConnectionSource source) {
  std::vector<Connection> connections;
  const UniqueFd netlink(source == ConnectionSource::proc
                             ? -1
                             : ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (source == ConnectionSource::netlink && !netlink.valid()) throw_errno("netlink sock_diag");
  std::vector<char> buffer(netlink.valid() ? netlink_buffer_size : 0);
  std::string proc_text;
  for (const SocketProtocol protocol : {SocketProtocol::tcp, SocketProtocol::udp}) {
    if (!(protocol == SocketProtocol::tcp ? query.tcp : query.udp)) continue;
    const std::uint32_t states = wanted_states(query, protocol);
    if (states == 0) continue;
    for (const std::uint8_t family : {std::uint8_t{AF_INET}, std::uint8_t{AF_INET6}}) {
      if (netlink.valid()) {
        const int error =
            netlink_dump(netlink.get(), family, protocol, states, buffer, connections);
        if (error == 0) continue;
        // udp_diag is a module of its own: a kernel may answer for TCP and not for UDP.
        if (source == ConnectionSource::netlink) {
          throw_errno(std::string("netlink sock_diag dump of ") + proc_path(family, protocol),
                      error);
        }
      }
      proc_table(proc_path(family, protocol), protocol, states, proc_text, connections);
    }
  }
  if (query.with_processes) find_processes(connections);
  return connections;
}

void find_processes(std::span<Connection> connections) {
  // Socket inodes sorted, each with its connection: one binary search per descriptor.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> by_inode;
  by_inode.reserve(connections.size());
  for (std::uint32_t i = 0; i < connections.size(); ++i) {
    if (connections[i].inode != 0 && connections[i].pid == 0) {
      by_inode.emplace_back(connections[i].inode, i);
    }
  }
  std::sort(by_inode.begin(), by_inode.end());
  std::size_t unresolved = by_inode.size();
  if (unresolved == 0) return;

  const UniqueFd proc(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!proc.valid()) throw_errno("open /proc");
  std::vector<char> pids_buffer(64 * 1024);
  std::vector<char> fds_buffer(64 * 1024);
  std::vector<std::uint32_t> matched;
  for_each_entry(proc.get(), pids_buffer, [&](const char* pid) {
    char path[32];
    if (!all_digits(pid) || !pid_path(path, pid, "fd")) return true;
    // Gone since the listing, or not ours to read: skipped.
    const UniqueFd fds(::openat(proc.get(), path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fds.valid()) return true;
    int pid_number = 0;
    parse_number(std::string_view(pid), pid_number, 10);
    matched.clear();
    for_each_entry(fds.get(), fds_buffer, [&](const char* fd_name) {
      char link[64];
      const ssize_t size = ::readlinkat(fds.get(), fd_name, link, sizeof link);
      const std::uint64_t inode = socket_inode(link, size);
      if (inode == 0) return true;
      const auto found = std::lower_bound(by_inode.begin(), by_inode.end(),
                                          std::pair<std::uint64_t, std::uint32_t>{inode, 0});
      for (auto it = found; it != by_inode.end() && it->first == inode; ++it) {
        Connection& connection = connections[it->second];
        if (connection.pid != 0) continue;
        connection.pid = pid_number;
        matched.push_back(it->second);
        --unresolved;
      }
      return unresolved > 0;
    });
    if (!matched.empty()) {
      const std::string name = process_name(proc.get(), pid);
      for (const std::uint32_t index : matched) connections[index].process = name;
    }
    return unresolved > 0;
  });
}

std::string format_endpoint(const Endpoint& endpoint) {
  char text[max_endpoint_size];
  return std::string(text, write_endpoint(text, endpoint, endpoint.is_unset()));
}

std::string format_table(std::span<const Connection> connections, bool with_processes) {
  // Endpoints are formatted once into one arena; their widths set the columns.
  std::vector<char> arena(connections.size() * 2 * max_endpoint_size);
  std::vector<std::uint32_t> ends(connections.size() * 2);
  char* cursor = arena.data();
  std::size_t local_width = std::string_view("Local Address").size();
  std::size_t remote_width = std::string_view("Remote Address").size();
  for (std::size_t i = 0; i < connections.size(); ++i) {
    char* start = cursor;
    cursor = write_endpoint(cursor, connections[i].local, false);
    local_width = std::max(local_width, static_cast<std::size_t>(cursor - start));
    ends[2 * i] = static_cast<std::uint32_t>(cursor - arena.data());
    start = cursor;
    cursor = write_endpoint(cursor, connections[i].remote, connections[i].remote.is_unset());
    remote_width = std::max(remote_width, static_cast<std::size_t>(cursor - start));
    ends[2 * i + 1] = static_cast<std::uint32_t>(cursor - arena.data());
  }
  constexpr std::size_t proto_width = 5;
  constexpr std::size_t state_width = 11;  // "ESTABLISHED"
  std::string out;
  out.reserve((connections.size() + 1) *
              (proto_width + local_width + remote_width + state_width + 32));
  const auto cell = [&out](std::string_view text, std::size_t width) {
    out += text;
    out.append(width - std::min(width, text.size()) + 2, ' ');
  };
  const auto end_row = [&out] {
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  };
  cell("Proto", proto_width);
  cell("Local Address", local_width);
  cell("Remote Address", remote_width);
  cell("State", state_width);
  if (with_processes) out += "PID/Program";
  end_row();
  std::uint32_t begin = 0;
  for (std::size_t i = 0; i < connections.size(); ++i) {
    const Connection& c = connections[i];
    cell(c.proto_name(), proto_width);
    cell(std::string_view(arena.data() + begin, ends[2 * i] - begin), local_width);
    cell(std::string_view(arena.data() + ends[2 * i], ends[2 * i + 1] - ends[2 * i]), remote_width);
    begin = ends[2 * i + 1];
    cell(state_name(c.protocol, c.state), state_width);
    if (with_processes) {
      if (c.pid == 0) {
        out += '-';
      } else {
        char pid[16];
        out.append(pid, write_decimal(pid, static_cast<unsigned>(c.pid)));
        out += '/';
        out += c.process;
      }
    }
    end_row();
  }
  return out;
}

nlohmann::json to_json(const Connection& connection) {
  const auto endpoint = [](const Endpoint& e) {
    return nlohmann::json{{"ip", e.ip.to_string()}, {"port", e.port}};
  };
  return {
      {"protocol", connection.protocol == SocketProtocol::tcp ? "tcp" : "udp"},
      {"family", connection.is_ipv6() ? "ipv6" : "ipv4"},
      {"local", endpoint(connection.local)},
      {"remote", connection.remote.is_unset() ? nlohmann::json() : endpoint(connection.remote)},
      {"state", state_name(connection.protocol, connection.state)},
      {"inode", connection.inode},
      {"uid", connection.uid},
      {"pid", connection.pid == 0 ? nlohmann::json() : nlohmann::json(connection.pid)},
      {"process", connection.pid == 0 ? nlohmann::json() : nlohmann::json(connection.process)},
  };
}

}  // namespace wirekit::capture
