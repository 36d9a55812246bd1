#include <algorithm>
#include <fstream>
#include <memory>
#include <set>
#include <tuple>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wirekit/capture/conns.hpp>

namespace wirekit::capture {
namespace {

// A socket of this test, closed at the end of its scope.
class TestSocket {
 public:
  TestSocket(int family, int type) : fd_(::socket(family, type | SOCK_CLOEXEC, 0)) {
    EXPECT_GE(fd_, 0);
  }
  explicit TestSocket(int fd) : fd_(fd) {}
  TestSocket(const TestSocket&) = delete;
  TestSocket& operator=(const TestSocket&) = delete;
  ~TestSocket() { ::close(fd_); }
  int fd() const { return fd_; }
  std::uint64_t inode() const {
    struct stat st {};
    ::fstat(fd_, &st);
    return st.st_ino;
  }
  std::uint16_t port() const {
    sockaddr_storage address{};
    socklen_t size = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    return address.ss_family == AF_INET
               ? ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port)
               : ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }

 private:
  int fd_;
};

sockaddr_in loopback4(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

sockaddr_in6 loopback6(std::uint16_t port) {
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  address.sin6_port = htons(port);
  return address;
}

template <typename Address>
void bind_to(const TestSocket& socket, const Address& address) {
  ASSERT_EQ(::bind(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
}

template <typename Address>
void connect_to(const TestSocket& socket, const Address& address) {
  ASSERT_EQ(::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
}

const Connection* find_inode(const std::vector<Connection>& connections, std::uint64_t inode) {
  const auto found = std::find_if(connections.begin(), connections.end(),
                                  [inode](const Connection& c) { return c.inode == inode; });
  return found == connections.end() ? nullptr : &*found;
}

std::string own_comm() {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

// A listener, a client connected to it and the accepted end, all on 127.0.0.1.
struct TcpTrio {
  TestSocket listener{AF_INET, SOCK_STREAM};
  TestSocket client{AF_INET, SOCK_STREAM};
  std::unique_ptr<TestSocket> accepted;

  TcpTrio() {
    bind_to(listener, loopback4(0));
    EXPECT_EQ(::listen(listener.fd(), 8), 0);
    connect_to(client, loopback4(listener.port()));
    accepted =
        std::make_unique<TestSocket>(::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
  }
};

TEST(Conns, FindsOwnTcpSocketsWithStateAndProcess) {
  TcpTrio trio;
  const auto connections = list_connections({.with_processes = true});

  const Connection* listener = find_inode(connections, trio.listener.inode());
  ASSERT_NE(listener, nullptr);
  EXPECT_EQ(listener->protocol, SocketProtocol::tcp);
  EXPECT_EQ(listener->state, SocketState::listen);
  EXPECT_EQ(listener->local.ip.to_string(), "127.0.0.1");
  EXPECT_EQ(listener->local.port, trio.listener.port());
  EXPECT_TRUE(listener->remote.is_unset());
  EXPECT_EQ(listener->uid, ::getuid());
  EXPECT_EQ(listener->pid, ::getpid());
  EXPECT_EQ(listener->process, own_comm());

  const Connection* client = find_inode(connections, trio.client.inode());
  const Connection* accepted = find_inode(connections, trio.accepted->inode());
  ASSERT_NE(client, nullptr);
  ASSERT_NE(accepted, nullptr);
  EXPECT_EQ(client->state, SocketState::established);
  EXPECT_EQ(accepted->state, SocketState::established);
  EXPECT_EQ(client->remote.port, trio.listener.port());
  EXPECT_EQ(client->local.port, trio.client.port());
  EXPECT_EQ(accepted->local.port, trio.listener.port());
  EXPECT_EQ(accepted->remote.port, trio.client.port());
  EXPECT_EQ(client->pid, ::getpid());
  EXPECT_EQ(accepted->pid, ::getpid());
  EXPECT_EQ(client->proto_name(), "tcp");
}

TEST(Conns, PidsAreLookedUpOnlyWhenAsked) {
  TcpTrio trio;
  const auto connections = list_connections({});
  const Connection* listener = find_inode(connections, trio.listener.inode());
  ASSERT_NE(listener, nullptr);
  EXPECT_EQ(listener->pid, 0);
  EXPECT_TRUE(listener->process.empty());
}

TEST(Conns, FindsUdpSocketsOfBothFamilies) {
  TestSocket unconnected(AF_INET6, SOCK_DGRAM);
  bind_to(unconnected, loopback6(0));
  TestSocket connected(AF_INET, SOCK_DGRAM);
  connect_to(connected, loopback4(9));

  const auto connections = list_connections({.tcp = false});
  const Connection* v6 = find_inode(connections, unconnected.inode());
  ASSERT_NE(v6, nullptr);
  EXPECT_EQ(v6->protocol, SocketProtocol::udp);
  EXPECT_TRUE(v6->is_ipv6());
  EXPECT_EQ(v6->proto_name(), "udp6");
  EXPECT_EQ(v6->state, SocketState::close);
  EXPECT_EQ(state_name(v6->protocol, v6->state), "NONE");
  EXPECT_EQ(format_endpoint(v6->local), "[::1]:" + std::to_string(unconnected.port()));
  EXPECT_EQ(format_endpoint(v6->remote), "[::]:*");

  const Connection* v4 = find_inode(connections, connected.inode());
  ASSERT_NE(v4, nullptr);
  EXPECT_EQ(v4->state, SocketState::established);
  EXPECT_EQ(format_endpoint(v4->remote), "127.0.0.1:9");
  EXPECT_TRUE(std::none_of(connections.begin(), connections.end(),
                           [](const Connection& c) { return c.protocol == SocketProtocol::tcp; }));
}

TEST(Conns, FiltersByProtocolListeningAndState) {
  TcpTrio trio;
  TestSocket udp(AF_INET, SOCK_DGRAM);
  bind_to(udp, loopback4(0));

  const auto listening = list_connections({.listening_only = true});
  EXPECT_NE(find_inode(listening, trio.listener.inode()), nullptr);
  EXPECT_NE(find_inode(listening, udp.inode()), nullptr);
  EXPECT_EQ(find_inode(listening, trio.client.inode()), nullptr);
  for (const Connection& c : listening) {
    EXPECT_EQ(c.state,
              c.protocol == SocketProtocol::tcp ? SocketState::listen : SocketState::close);
  }

  const auto established = list_connections({.udp = false, .state = SocketState::established});
  EXPECT_NE(find_inode(established, trio.client.inode()), nullptr);
  EXPECT_EQ(find_inode(established, trio.listener.inode()), nullptr);
  EXPECT_EQ(find_inode(established, udp.inode()), nullptr);
  for (const Connection& c : established) EXPECT_EQ(c.state, SocketState::established);
}

TEST(Conns, ProcFallbackListsTheSameSockets) {
  TcpTrio trio;
  TestSocket listener6(AF_INET6, SOCK_STREAM);
  bind_to(listener6, loopback6(0));
  ASSERT_EQ(::listen(listener6.fd(), 8), 0);
  TestSocket udp(AF_INET6, SOCK_DGRAM);
  bind_to(udp, loopback6(0));

  const auto key = [](const Connection& c) {
    return std::tuple(c.proto_name(), format_endpoint(c.local), format_endpoint(c.remote),
                      state_name(c.protocol, c.state), c.inode, c.uid);
  };
  // The machine's other sockets come and go between the two reads: compare this test's own.
  std::set<std::uint64_t> ours = {trio.listener.inode(), trio.client.inode(),
                                  trio.accepted->inode(), listener6.inode(), udp.inode()};
  const auto select = [&](ConnectionSource source) {
    std::set<decltype(key(Connection{}))> rows;
    for (const Connection& c : list_connections({}, source)) {
      if (ours.count(c.inode)) rows.insert(key(c));
    }
    return rows;
  };
  const auto from_netlink = select(ConnectionSource::netlink);
  EXPECT_EQ(from_netlink.size(), ours.size());
  EXPECT_EQ(from_netlink, select(ConnectionSource::proc));
}

TEST(Conns, StateNamesFollowPsutilAndParseSsSpellings) {
  EXPECT_EQ(state_name(SocketProtocol::tcp, SocketState::established), "ESTABLISHED");
  EXPECT_EQ(state_name(SocketProtocol::tcp, SocketState::time_wait), "TIME_WAIT");
  EXPECT_EQ(state_name(SocketProtocol::tcp, SocketState::close), "CLOSE");
  EXPECT_EQ(state_name(SocketProtocol::udp, SocketState::close), "NONE");
  EXPECT_EQ(try_parse_state("listen"), SocketState::listen);
  EXPECT_EQ(try_parse_state("ESTAB"), SocketState::established);
  EXPECT_EQ(try_parse_state("fin-wait-1"), SocketState::fin_wait1);
  EXPECT_EQ(try_parse_state("CLOSE_WAIT"), SocketState::close_wait);
  EXPECT_EQ(try_parse_state("bogus"), std::nullopt);
}

TEST(Conns, TableAlignsColumnsAndShowsProcesses) {
  std::vector<Connection> rows(2);
  rows[0].local = {net::IpAddress::v4(0x7f000001), 8080};
  rows[0].state = SocketState::listen;
  rows[0].pid = 42;
  rows[0].process = "nginx";
  rows[1].protocol = SocketProtocol::udp;
  rows[1].local = {*net::IpAddress::try_parse("2001:db8::1"), 53};
  rows[1].remote = {*net::IpAddress::try_parse("2001:db8::2"), 40000};
  rows[1].state = SocketState::established;

  const std::string table = format_table(rows, true);
  EXPECT_EQ(table,
            "Proto  Local Address     Remote Address       State        PID/Program\n"
            "tcp    127.0.0.1:8080    0.0.0.0:*            LISTEN       42/nginx\n"
            "udp6   [2001:db8::1]:53  [2001:db8::2]:40000  ESTABLISHED  -\n");
  EXPECT_EQ(format_table(rows, false).find("PID"), std::string::npos);
}

TEST(Conns, JsonHasEveryField) {
  Connection c;
  c.local = {net::IpAddress::v4(0x7f000001), 22};
  c.state = SocketState::listen;
  c.inode = 1234;
  c.uid = 1000;
  const nlohmann::json json = to_json(c);
  EXPECT_EQ(json["protocol"], "tcp");
  EXPECT_EQ(json["family"], "ipv4");
  EXPECT_EQ(json["local"], (nlohmann::json{{"ip", "127.0.0.1"}, {"port", 22}}));
  EXPECT_TRUE(json["remote"].is_null());
  EXPECT_EQ(json["state"], "LISTEN");
  EXPECT_EQ(json["inode"], 1234);
  EXPECT_EQ(json["uid"], 1000);
  EXPECT_TRUE(json["pid"].is_null());
  EXPECT_TRUE(json["process"].is_null());
}

}  // namespace
}  // namespace wirekit::capture
