// Fuzzes whole capture files through the pipeline of `wirekit pcap`: the reader (the memory-
// mapped classic pcap records, libpcap for pcapng and the rest), then every frame dissected,
// counted by the statistics, listed in each style and scanned for credentials, and at the end
// the text, JSON and HTML outputs. The input is the file; it is handed over as a memfd so that
// the reader maps and reads it as it would a file on disk.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>
#include <sys/mman.h>
#include <unistd.h>

#include <wirekit/capture/creds.hpp>
#include <wirekit/capture/listing.hpp>
#include <wirekit/capture/report.hpp>
#include <wirekit/capture/source.hpp>
#include <wirekit/capture/stats.hpp>

namespace {

using namespace wirekit::capture;

void run_pipeline(const std::string& path) {
  PcapFile file(path);
  StatsCollector stats;
  PacketListing summary(PacketListing::Style::summary);
  PacketListing addresses(PacketListing::Style::addresses);
  PacketListing json(PacketListing::Style::json);
  std::string out;
  Frame frame;
  Packet packet;
  json.begin(out);
  while (file.next(frame)) {
    dissect_into(packet, frame.link_type, frame.timestamp, frame.bytes, frame.original_length);
    stats.add(packet);
    summary.append(out, packet);
    addresses.append(out, packet);
    json.append(out, packet);
    out += tutorial_alert(packet);
    if (out.size() > (1 << 20)) out.clear();
  }
  json.end(out);
  const CaptureStats result = stats.finish({.top = 5});
  out += format_text(result, {.source = path});
  out += to_json(result).dump();
  out += render_html_report(result, {.source = path});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = ::memfd_create("capture", 0);
  if (fd < 0) return 0;
  if (::write(fd, data, size) == static_cast<ssize_t>(size)) {
    try {
      run_pipeline("/proc/self/fd/" + std::to_string(fd));
    } catch (const wirekit::Error&) {
      // Not a capture file, or one libpcap refuses: reported, as it should be.
    }
  }
  ::close(fd);
  return 0;
}
