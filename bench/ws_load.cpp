// WebSocket echo load client: N connections, each keeping one message in flight (send, wait for
// the whole echo, send the next), for a warm-up and then a measured duration. Standalone C++20
// on epoll, no wirekit code, so it measures any server alike. Client frames are masked with a
// fresh key per frame (RFC 6455 §5.3); every echo is checked (opcode, length, bytes); pings are
// answered. With --server-pid it reads the server's CPU time (utime + stime of every thread,
// /proc/PID/stat) at the start and the end of the measured interval, so the figure can be
// normalised: echoes per CPU-second of the server.
//
//   ws_load --port P [--host 127.0.0.1] [--path /] [--connections 500] [--size 512]
//           [--duration 5] [--warmup 1] [--server-pid PID] [--text] [--label NAME]
//
// Prints one line:
//   ws_echo peer=NAME size=512 connections=500 seconds=5.000 echoes=N msgs_s=R
//           server_cpu_s=C server_cpu=99% echoes_per_cpu_s=E client_cpu=70% errors=0
// and exits 1 when a connection fails or an echo is wrong.
#include <array>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "ws_load: %s\n", what.c_str());
  std::exit(1);
}

// --- SHA-1 and base64, for the Sec-WebSocket-Accept check (RFC 6455 §4.2.2) -----------------

std::array<std::uint8_t, 20> sha1(std::string_view data) {
  std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string m(data);
  const std::uint64_t bits = std::uint64_t(data.size()) * 8;
  m.push_back(char(0x80));
  while (m.size() % 64 != 56) m.push_back('\0');
  for (int i = 7; i >= 0; --i) m.push_back(char(bits >> (i * 8)));
  auto rol = [](std::uint32_t v, int s) { return (v << s) | (v >> (32 - s)); };
  for (std::size_t off = 0; off < m.size(); off += 64) {
    std::uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      const auto* p = reinterpret_cast<const unsigned char*>(m.data() + off + 4 * i);
      w[i] =
          std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
    }
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      std::uint32_t f, k;
      if (i < 20)
        f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40)
        f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60)
        f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else
        f = b ^ c ^ d, k = 0xCA62C1D6;
      const std::uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  std::array<std::uint8_t, 20> out{};
  for (std::size_t i = 0; i < 20; ++i) out[i] = std::uint8_t(h[i / 4] >> (24 - 8 * (i % 4)));
  return out;
}

std::string base64(const std::uint8_t* p, std::size_t n) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < n; i += 3) {
    const std::uint32_t v = std::uint32_t(p[i]) << 16 |
                            (i + 1 < n ? std::uint32_t(p[i + 1]) << 8 : 0) |
                            (i + 2 < n ? p[i + 2] : 0);
    out += table[v >> 18 & 63];
    out += table[v >> 12 & 63];
    out += i + 1 < n ? table[v >> 6 & 63] : '=';
    out += i + 2 < n ? table[v & 63] : '=';
  }
  return out;
}

// --- masks: xoshiro-style generator seeded from getrandom(), a fresh key for every frame ------

struct Rng {
  std::uint64_t s[2];
  Rng() {
    if (getrandom(s, sizeof s, 0) != sizeof s) die("getrandom failed");
    s[0] |= 1;
  }
  std::uint64_t next() {  // xorshift128+
    std::uint64_t a = s[0];
    const std::uint64_t b = s[1];
    s[0] = b;
    a ^= a << 23;
    s[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
    return s[1] + b;
  }
};

// XOR of `n` bytes with the 4-byte key `mask` (key byte i%4 on byte i), eight bytes at a time.
void apply_mask(std::uint8_t* dst, const std::uint8_t* src, std::size_t n, std::uint32_t mask) {
  std::uint64_t m8 = std::uint64_t(mask) << 32 | mask;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, src + i, 8);
    v ^= m8;
    std::memcpy(dst + i, &v, 8);
  }
  const auto* key = reinterpret_cast<const std::uint8_t*>(&mask);
  for (; i < n; ++i) dst[i] = src[i] ^ key[i & 3];
}

// Bytes with a read offset, growing without zero-filling (a std::vector's resize would clear
// every byte it adds: a 64 KiB memset per read).
struct Bytes {
  std::unique_ptr<std::uint8_t[]> data;
  std::size_t cap = 0, begin = 0, end = 0;

  std::size_t size() const { return end - begin; }
  const std::uint8_t* head() const { return data.get() + begin; }
  // Room for n more bytes at the end; returns where they go.
  std::uint8_t* room(std::size_t n) {
    if (begin == end) begin = end = 0;
    if (end + n > cap) {
      if (begin) {  // compact first
        std::memmove(data.get(), data.get() + begin, end - begin);
        end -= begin;
        begin = 0;
      }
      if (end + n > cap) {
        std::size_t c = std::max<std::size_t>(cap * 2, 4096);
        while (c < end + n) c *= 2;
        auto grown = std::make_unique_for_overwrite<std::uint8_t[]>(c);
        if (end) std::memcpy(grown.get(), data.get(), end);
        data = std::move(grown);
        cap = c;
      }
    }
    return data.get() + end;
  }
  void append(const std::uint8_t* p, std::size_t n) {
    std::memcpy(room(n), p, n);
    end += n;
  }
  void consume(std::size_t n) { begin += n; }
};

// A client frame (FIN, masked) of `opcode` carrying `payload`, appended to `out`.
void append_frame(Bytes& out, int opcode, const std::uint8_t* payload, std::size_t n, Rng& rng) {
  std::uint8_t* f = out.room(n + 14);
  std::size_t h = 0;
  f[h++] = std::uint8_t(0x80 | opcode);
  if (n < 126) {
    f[h++] = std::uint8_t(0x80 | n);
  } else if (n < 65536) {
    f[h++] = 0x80 | 126;
    f[h++] = std::uint8_t(n >> 8);
    f[h++] = std::uint8_t(n);
  } else {
    f[h++] = 0x80 | 127;
    for (int i = 7; i >= 0; --i) f[h++] = std::uint8_t(std::uint64_t(n) >> (8 * i));
  }
  const auto mask = std::uint32_t(rng.next());
  std::memcpy(f + h, &mask, 4);
  h += 4;
  apply_mask(f + h, payload, n, mask);
  out.end += h + n;
}

// --- the server's CPU time ---------------------------------------------------------------------

// utime + stime of the whole process (every thread), in seconds; nullopt once it is gone.
std::optional<double> process_cpu_seconds(long pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  const std::string_view text(buf, std::size_t(n));
  const auto close = text.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string_view::npos) return std::nullopt;
  std::istringstream rest{std::string(text.substr(close + 1))};
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // field 3 is the state; 14 utime, 15 stime
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

double process_cpu_self() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// --- connections ---------------------------------------------------------------------------------

struct Options {
  std::string host = "127.0.0.1", path = "/", label = "server";
  int port = 0, connections = 500;
  std::size_t size = 512;
  double duration = 5, warmup = 1;
  long server_pid = 0;
  bool text = false;
};

struct Conn {
  int fd = -1;
  Bytes out;  // the frames still to write
  Bytes in;   // bytes read, not yet parsed
  bool want_write = false;
};

struct Load {
  Options opt;
  std::vector<std::uint8_t> payload;
  std::vector<Conn> conns;
  int ep = -1;
  Rng rng;
  std::uint64_t echoes = 0, errors = 0;

  void fail(Conn& c, const std::string& why) {
    std::fprintf(stderr, "ws_load: connection %zu: %s\n", std::size_t(&c - conns.data()),
                 why.c_str());
    ++errors;
    std::exit(1);
  }

  void set_events(Conn& c, bool write) {
    if (write == c.want_write) return;
    c.want_write = write;
    epoll_event ev{};
    ev.events = EPOLLIN | (write ? std::uint32_t(EPOLLOUT) : 0u);
    ev.data.u32 = std::uint32_t(&c - conns.data());
    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void flush(Conn& c) {
    while (c.out.size()) {
      const ssize_t w = ::send(c.fd, c.out.head(), c.out.size(), MSG_NOSIGNAL);
      if (w > 0) {
        c.out.consume(std::size_t(w));
      } else if (w < 0 && errno == EAGAIN) {
        set_events(c, true);
        return;
      } else if (w < 0 && errno == EINTR) {
        continue;
      } else {
        fail(c, std::string("send: ") + std::strerror(errno));
      }
    }
    set_events(c, false);
  }

  void send_message(Conn& c) {
    append_frame(c.out, opt.text ? 1 : 2, payload.data(), payload.size(), rng);
    flush(c);
  }

  // Parses every whole frame buffered; an echo of the message sends the next one.
  void parse(Conn& c) {
    std::size_t off = 0;
    const std::uint8_t* b = c.in.head();
    const std::size_t avail = c.in.size();
    for (;;) {
      if (avail - off < 2) break;
      const std::uint8_t* f = b + off;
      const int opcode = f[0] & 0x0f;
      const bool fin = f[0] & 0x80;
      if (f[1] & 0x80) fail(c, "the server sent a masked frame");
      if (f[0] & 0x70) fail(c, "the server set a reserved bit (compression was not offered)");
      std::uint64_t len = f[1] & 0x7f;
      std::size_t head = 2;
      if (len == 126) {
        if (avail - off < 4) break;
        len = std::uint64_t(f[2]) << 8 | f[3];
        head = 4;
      } else if (len == 127) {
        if (avail - off < 10) break;
        len = 0;
        for (int i = 2; i < 10; ++i) len = len << 8 | f[i];
        head = 10;
      }
      if (avail - off < head + len) break;
      const std::uint8_t* p = f + head;
      if (opcode == 9) {  // ping: pong with the same payload
        append_frame(c.out, 10, p, std::size_t(len), rng);
        flush(c);
      } else if (opcode == 10) {
        // unsolicited pong: ignored
      } else if (opcode == 8) {
        fail(c, "the server closed the connection" +
                    (len >= 2 ? " with " + std::to_string(int(p[0]) << 8 | p[1]) : std::string()));
      } else if (opcode == (opt.text ? 1 : 2)) {
        if (!fin) fail(c, "the server fragmented its echo (not expected here)");
        if (len != payload.size() || std::memcmp(p, payload.data(), payload.size()) != 0)
          fail(c, "the echo differs from the message (" + std::to_string(len) + " bytes)");
        ++echoes;
        send_message(c);
      } else {
        fail(c, "unexpected opcode " + std::to_string(opcode));
      }
      off += head + std::size_t(len);
    }
    c.in.consume(off);
  }

  void on_readable(Conn& c) {
    for (;;) {
      const std::size_t room = std::max<std::size_t>(65536, opt.size + 16);
      const ssize_t r = ::recv(c.fd, c.in.room(room), room, 0);
      if (r > 0) {
        c.in.end += std::size_t(r);
        parse(c);
        if (std::size_t(r) < room) return;  // drained
        continue;
      }
      if (r < 0 && errno == EAGAIN) return;
      if (r < 0 && errno == EINTR) continue;
      fail(c, r == 0 ? "the server closed the TCP connection"
                     : std::string("recv: ") + std::strerror(errno));
    }
  }

  // Connects and does the opening handshake (blocking, bounded by a 10 s socket timeout).
  void open(Conn& c, const sockaddr_in& addr) {
    c.fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (c.fd < 0) die(std::string("socket: ") + std::strerror(errno));
    timeval tv{10, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      die("connect to " + opt.host + ":" + std::to_string(opt.port) + ": " + std::strerror(errno));
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::uint8_t raw[16];
    for (int i = 0; i < 16; i += 8) {
      const std::uint64_t v = rng.next();
      std::memcpy(raw + i, &v, 8);
    }
    const std::string key = base64(raw, 16);
    const std::string req =
        "GET " + opt.path + " HTTP/1.1\r\nHost: " + opt.host + ":" + std::to_string(opt.port) +
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
        "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (::send(c.fd, req.data(), req.size(), MSG_NOSIGNAL) != ssize_t(req.size()))
      die("handshake: send failed");
    std::string resp;
    std::size_t end;
    char buf[4096];
    while ((end = resp.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
      if (r <= 0) die("handshake: no answer from the server");
      resp.append(buf, std::size_t(r));
      if (resp.size() > 65536) die("handshake: answer too long");
    }
    if (resp.compare(0, 12, "HTTP/1.1 101") != 0)
      die("handshake refused: " + resp.substr(0, resp.find("\r\n")));
    const auto digest = sha1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    const std::string accept = base64(digest.data(), digest.size());
    std::string head = resp.substr(0, end);
    std::string lower = head;
    for (auto& ch : lower) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    const auto at = lower.find("\r\nsec-websocket-accept:");
    if (at == std::string::npos) die("handshake: no Sec-WebSocket-Accept");
    std::size_t v = at + 23;
    while (v < head.size() && head[v] == ' ') ++v;
    if (head.compare(v, accept.size(), accept) != 0) die("handshake: wrong Sec-WebSocket-Accept");
    if (lower.find("\r\nsec-websocket-extensions:") != std::string::npos)
      die("handshake: the server answered with an extension that was not offered");
    c.in.append(reinterpret_cast<const std::uint8_t*>(resp.data()) + end + 4,
                resp.size() - end - 4);  // read past the head
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = std::uint32_t(&c - conns.data());
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) != 0) die("epoll_ctl failed");
  }

  // Runs the event loop until `until`.
  void run_until(Clock::time_point until) {
    epoll_event events[512];
    while (Clock::now() < until) {
      const int n = epoll_wait(ep, events, 512, 50);
      if (n < 0 && errno != EINTR) die(std::string("epoll_wait: ") + std::strerror(errno));
      for (int i = 0; i < n; ++i) {
        Conn& c = conns[events[i].data.u32];
        if (events[i].events & EPOLLOUT) flush(c);
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
      }
    }
  }
};

void usage() {
  std::fprintf(
      stderr,
      "usage: ws_load --port P [--host 127.0.0.1] [--path /] [--connections 500] [--size 512]\n"
      "               [--duration 5] [--warmup 1] [--server-pid PID] [--text] [--label NAME]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Load load;
  Options& o = load.opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    try {
      if (a == "--port")
        o.port = std::stoi(value());
      else if (a == "--host")
        o.host = value();
      else if (a == "--path")
        o.path = value();
      else if (a == "--connections")
        o.connections = std::stoi(value());
      else if (a == "--size")
        o.size = std::stoul(value());
      else if (a == "--duration")
        o.duration = std::stod(value());
      else if (a == "--warmup")
        o.warmup = std::stod(value());
      else if (a == "--server-pid")
        o.server_pid = std::stol(value());
      else if (a == "--label")
        o.label = value();
      else if (a == "--text")
        o.text = true;
      else
        usage();
    } catch (const std::exception&) {
      usage();
    }
  }
  if (o.port <= 0 || o.connections <= 0 || o.duration <= 0 || o.warmup < 0) usage();
  std::signal(SIGPIPE, SIG_IGN);

  rlimit lim{};  // one descriptor per connection: the soft limit raised to the hard one
  getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? 20000 : lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur < rlim_t(o.connections) + 16)
    die("RLIMIT_NOFILE (" + std::to_string(lim.rlim_cur) + ") is below --connections");

  load.payload.resize(o.size);
  for (std::size_t i = 0; i < o.size; ++i)
    load.payload[i] = std::uint8_t('a' + i % 26);  // valid UTF-8 too
  load.conns.resize(std::size_t(o.connections));
  load.ep = epoll_create1(EPOLL_CLOEXEC);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(std::uint16_t(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1)
    die("--host must be an IPv4 address");
  for (auto& c : load.conns) load.open(c, addr);

  for (auto& c : load.conns) load.send_message(c);  // one message in flight on each connection
  load.run_until(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.warmup)));

  const std::uint64_t echoes0 = load.echoes;
  std::optional<double> cpu0;
  if (o.server_pid) {
    cpu0 = process_cpu_seconds(o.server_pid);
    if (!cpu0) die("no process " + std::to_string(o.server_pid));
  }
  const double self0 = process_cpu_self();
  const auto t0 = Clock::now();
  load.run_until(
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration)));
  const auto t1 = Clock::now();
  std::optional<double> cpu1 = o.server_pid ? process_cpu_seconds(o.server_pid) : std::nullopt;
  const double self1 = process_cpu_self();

  const double seconds = std::chrono::duration<double>(t1 - t0).count();
  const auto echoes = load.echoes - echoes0;
  std::printf("ws_echo peer=%s size=%zu connections=%d seconds=%.3f echoes=%" PRIu64 " msgs_s=%.0f",
              o.label.c_str(), o.size, o.connections, seconds, echoes, double(echoes) / seconds);
  if (cpu0 && cpu1) {
    const double cpu = *cpu1 - *cpu0;
    std::printf(" server_cpu_s=%.2f server_cpu=%.0f%% echoes_per_cpu_s=%.0f", cpu,
                cpu / seconds * 100, cpu > 0 ? double(echoes) / cpu : 0.0);
  }
  std::printf(" client_cpu=%.0f%% errors=%" PRIu64 "\n", (self1 - self0) / seconds * 100,
              load.errors);
  for (auto& c : load.conns) ::close(c.fd);
  return echoes > 0 ? 0 : 1;
}
