// Test captures: frames built byte by byte, written as classic pcap (by hand, so the reader is
// not checked against its own writer only) or pcapng, in a temporary directory.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace wirekit::test {

using Bytes = std::vector<std::uint8_t>;

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "wirekit-capture-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
inline void put32le(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put16le(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}

using Ip4 = std::array<std::uint8_t, 4>;
using Ip6 = std::array<std::uint8_t, 16>;

enum : std::uint8_t { tcp_protocol = 6, udp_protocol = 17, icmp_protocol = 1 };

inline Bytes transport(std::uint8_t protocol, std::uint16_t sport, std::uint16_t dport,
                       std::string_view payload) {
  Bytes t;
  if (protocol == tcp_protocol) {
    put16(t, sport), put16(t, dport), put32(t, 1), put32(t, 0);
    t.push_back(0x50), t.push_back(0x18), put16(t, 65535), put16(t, 0), put16(t, 0);
  } else if (protocol == udp_protocol) {
    put16(t, sport), put16(t, dport), put16(t, static_cast<std::uint16_t>(8 + payload.size()));
    put16(t, 0);
  } else {  // ICMP echo request
    t.push_back(8), t.push_back(0), put16(t, 0), put16(t, 7), put16(t, 1);
  }
  t.insert(t.end(), payload.begin(), payload.end());
  return t;
}

// Ethernet + IPv4 + TCP/UDP/ICMP, padded to Ethernet's 60-byte minimum.
inline Bytes ipv4_frame(Ip4 src, Ip4 dst, std::uint8_t protocol, std::uint16_t sport,
                        std::uint16_t dport, std::string_view payload = {}) {
  const Bytes t = transport(protocol, sport, dport, payload);
  Bytes f = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00};
  f.push_back(0x45), f.push_back(0), put16(f, static_cast<std::uint16_t>(20 + t.size()));
  put16(f, 0), put16(f, 0x4000), f.push_back(64), f.push_back(protocol), put16(f, 0);
  f.insert(f.end(), src.begin(), src.end());
  f.insert(f.end(), dst.begin(), dst.end());
  f.insert(f.end(), t.begin(), t.end());
  if (f.size() < 60) f.resize(60, 0);
  return f;
}

inline Bytes ipv6_frame(const Ip6& src, const Ip6& dst, std::uint8_t protocol, std::uint16_t sport,
                        std::uint16_t dport, std::string_view payload = {}) {
  const Bytes t = transport(protocol, sport, dport, payload);
  Bytes f = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd};
  put32(f, 0x60000000), put16(f, static_cast<std::uint16_t>(t.size()));
  f.push_back(protocol), f.push_back(64);
  f.insert(f.end(), src.begin(), src.end());
  f.insert(f.end(), dst.begin(), dst.end());
  f.insert(f.end(), t.begin(), t.end());
  return f;
}

// A DNS query for `name` (an A record), as pcapgen and dig send it.
inline std::string dns_query(std::uint16_t id, std::string_view name) {
  Bytes m;
  put16(m, id), put16(m, 0x0100), put16(m, 1), put16(m, 0), put16(m, 0), put16(m, 0);
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t dot = std::min(name.find('.', start), name.size());
    m.push_back(static_cast<std::uint8_t>(dot - start));
    m.insert(m.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  m.push_back(0), put16(m, 1), put16(m, 1);
  return std::string(m.begin(), m.end());
}

struct TestFrame {
  std::uint64_t time_us = 0;  // since the epoch
  Bytes bytes;
  std::uint32_t original_length = 0;  // 0: the frame's size
};

// Classic pcap, microsecond timestamps, little-endian, Ethernet.
inline void write_pcap(const std::string& path, const std::vector<TestFrame>& frames,
                       std::uint32_t link_type = 1) {
  Bytes out;
  put32le(out, 0xa1b2c3d4), put16le(out, 2), put16le(out, 4), put32le(out, 0), put32le(out, 0);
  put32le(out, 262144), put32le(out, link_type);
  for (const TestFrame& f : frames) {
    put32le(out, static_cast<std::uint32_t>(f.time_us / 1'000'000));
    put32le(out, static_cast<std::uint32_t>(f.time_us % 1'000'000));
    put32le(out, static_cast<std::uint32_t>(f.bytes.size()));
    put32le(out, f.original_length != 0 ? f.original_length
                                        : static_cast<std::uint32_t>(f.bytes.size()));
    out.insert(out.end(), f.bytes.begin(), f.bytes.end());
  }
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
}

// pcapng: a section header, one Ethernet interface with nanosecond timestamps (if_tsresol 9),
// and one enhanced packet block per frame.
inline void write_pcapng(const std::string& path, const std::vector<TestFrame>& frames) {
  Bytes out;
  const auto block = [&out](std::uint32_t type, const Bytes& body) {
    const auto total = static_cast<std::uint32_t>(12 + body.size());
    put32le(out, type), put32le(out, total);
    out.insert(out.end(), body.begin(), body.end());
    put32le(out, total);
  };
  Bytes shb;
  put32le(shb, 0x1a2b3c4d), put16le(shb, 1), put16le(shb, 0);
  put32le(shb, 0xffffffff), put32le(shb, 0xffffffff);  // section length unknown
  block(0x0a0d0d0a, shb);
  Bytes idb;
  put16le(idb, 1), put16le(idb, 0), put32le(idb, 262144);
  put16le(idb, 9), put16le(idb, 1), idb.push_back(9), idb.insert(idb.end(), 3, 0);  // if_tsresol
  put16le(idb, 0), put16le(idb, 0);                                                 // opt_endofopt
  block(1, idb);
  for (const TestFrame& f : frames) {
    const std::uint64_t ns = f.time_us * 1000;
    Bytes epb;
    put32le(epb, 0), put32le(epb, static_cast<std::uint32_t>(ns >> 32));
    put32le(epb, static_cast<std::uint32_t>(ns));
    put32le(epb, static_cast<std::uint32_t>(f.bytes.size()));
    put32le(epb, f.original_length != 0 ? f.original_length
                                        : static_cast<std::uint32_t>(f.bytes.size()));
    epb.insert(epb.end(), f.bytes.begin(), f.bytes.end());
    epb.resize((epb.size() + 3) / 4 * 4, 0);
    block(6, epb);
  }
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size()));
}

}  // namespace wirekit::test
