// Dissection rate on one thread: the frames of a classic pcap file (read whole into memory with
// plain file reads, so libpcap's cost is not in the figure) dissected over and over.
//   capture peer=wirekit op=dissect packets=... packets_s=...
//   capture peer=wirekit op=dissect_protocol packets=... packets_s=...   (+ protocol_name)
//   capture peer=wirekit op=dissect_flows packets=... packets_s=...      (+ the flow table)
// Usage: capture_bench FILE.pcap [seconds_per_case]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <wirekit/capture/flow.hpp>
#include <wirekit/capture/packet.hpp>

namespace {

using namespace wirekit::capture;
using Clock = std::chrono::steady_clock;

struct Frame {
  std::span<const std::uint8_t> bytes;
  std::uint32_t original_length;
  Timestamp time;
};

struct Capture {
  std::vector<std::uint8_t> data;
  std::vector<Frame> frames;
  LinkType link_type = LinkType::ethernet;
};

std::uint32_t le32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Microsecond pcap in the host's byte order, as pcapgen.py writes it.
bool load(const char* path, Capture& c) {
  std::FILE* in = std::fopen(path, "rb");
  if (!in) return false;
  std::uint8_t chunk[1 << 16];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, in)) > 0;) {
    c.data.insert(c.data.end(), chunk, chunk + n);
  }
  std::fclose(in);
  if (c.data.size() < 24 || le32(c.data.data()) != 0xa1b2c3d4) return false;
  c.link_type = static_cast<LinkType>(le32(c.data.data() + 20));
  std::size_t pos = 24;
  while (pos + 16 <= c.data.size()) {
    const std::uint8_t* h = c.data.data() + pos;
    const std::uint32_t captured = le32(h + 8);
    pos += 16;
    if (pos + captured > c.data.size()) break;
    const auto t = std::chrono::seconds(le32(h)) + std::chrono::microseconds(le32(h + 4));
    c.frames.push_back({{c.data.data() + pos, captured}, le32(h + 12), Timestamp(t)});
    pos += captured;
  }
  return true;
}

template <class Pass>
void run(const char* op, const Capture& c, double seconds, Pass&& pass) {
  std::size_t packets = 0;
  const auto start = Clock::now();
  std::chrono::duration<double> elapsed{};
  do {
    pass();
    packets += c.frames.size();
    elapsed = Clock::now() - start;
  } while (elapsed.count() < seconds);
  std::printf("capture peer=wirekit op=%s packets=%zu packets_s=%.0f\n", op, packets,
              static_cast<double>(packets) / elapsed.count());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: capture_bench FILE.pcap [seconds_per_case]\n");
    return 2;
  }
  Capture c;
  if (!load(argv[1], c) || c.frames.empty()) {
    std::fprintf(stderr, "capture_bench: %s: not a microsecond pcap file with frames\n", argv[1]);
    return 2;
  }
  const double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
  std::size_t sink = 0;
  Packet p;
  run("dissect", c, seconds, [&] {
    for (const Frame& f : c.frames) {
      dissect_into(p, c.link_type, f.time, f.bytes, f.original_length);
      sink += static_cast<std::size_t>(p.app) + p.payload.size();
    }
  });
  run("dissect_protocol", c, seconds, [&] {
    for (const Frame& f : c.frames) {
      dissect_into(p, c.link_type, f.time, f.bytes, f.original_length);
      sink += protocol_name(p).view().size();
    }
  });
  run("dissect_flows", c, seconds, [&] {
    FlowTable flows;
    for (const Frame& f : c.frames) {
      dissect_into(p, c.link_type, f.time, f.bytes, f.original_length);
      if (const FlowRef ref = flows.observe(p)) sink += ref.flow->packets[0];
    }
  });
  return sink == 42 ? 1 : 0;  // keeps the work observable
}
