// Tutorial §14.2, traffic analysis: the first 10 packets' source IP, destination IP and
// transport protocol, as the pyshark program prints them. Packets without an IPv4 layer (or
// with one cut before its addresses) are skipped, as pyshark's `packet.ip` raising
// AttributeError skips them there.
//   ./pcap_analysis [INTERFACE=eth0 | FILE.pcap]   (a live interface needs CAP_NET_RAW)
#include <cstdio>
#include <filesystem>

#include <wirekit/capture.hpp>

using namespace wirekit;

namespace {

constexpr std::uint64_t packet_count = 10;

void analyze(const capture::Frame& frame) {
  const capture::Packet packet =
      capture::dissect(frame.link_type, frame.timestamp, frame.bytes, frame.original_length);
  if (packet.network != capture::Network::ipv4 || !packet.src) return;
  const std::string_view transport = capture::transport_name(packet);
  std::printf("Source IP: %s\nDestination IP: %s\nProtocol: %.*s\n---\n",
              packet.src->to_string().c_str(), packet.dst->to_string().c_str(),
              static_cast<int>(transport.empty() ? 4 : transport.size()),
              transport.empty() ? "None" : transport.data());
}

Task<void> analyze_traffic(std::string interface) {
  capture::LiveCapture capture = capture::LiveCapture::open({.interface = std::move(interface)});
  co_await capture.run({.count = packet_count}, analyze);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string source = argc > 1 ? argv[1] : "eth0";  // your interface, or a capture file
  try {
    if (std::filesystem::is_regular_file(source)) {
      capture::PcapFile file(source);
      capture::Frame frame;
      for (std::uint64_t n = 0; n < packet_count && file.next(frame); ++n) analyze(frame);
    } else {
      run(analyze_traffic(source));
    }
  } catch (const Error& e) {
    if (e.code() == errc::cancelled) return 0;  // Ctrl-C
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
