// Fuzzes the capture layer's parsers of captured bytes: the dissectors, the flow table's
// reassembly and the credential scanner. The first byte picks the mode and the link type:
//   bit 7 clear: the rest is one frame of link type links[byte % 9], dissected, named, its Info
//     written and its DNS records decoded; bit 6 says whether the frame was cut by a snapshot
//     length (wire length larger than the bytes);
//   bit 7 set: the rest is a sequence of frames, each behind a 1-byte length, all of that link
//     type, fed through a small FlowTable with reassembly and the credential scanner.
// Every view a Packet holds must lie inside the frame; anything else (or a crash) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <wirekit/capture/creds.hpp>
#include <wirekit/capture/flow.hpp>
#include <wirekit/capture/packet.hpp>

namespace {

using namespace wirekit::capture;

constexpr LinkType links[] = {LinkType::ethernet, LinkType::linux_sll, LinkType::linux_sll2,
                              LinkType::raw,      LinkType::null,      LinkType::loop,
                              LinkType::ipv4,     LinkType::ipv6,      static_cast<LinkType>(147)};

void check_inside(std::span<const std::uint8_t> frame, const void* data, std::size_t size) {
  if (size == 0) return;
  const auto* p = static_cast<const std::uint8_t*>(data);
  if (p < frame.data() || p + size > frame.data() + frame.size()) std::abort();
}

void check(const Packet& p) {
  check_inside(p.frame, p.payload.data(), p.payload.size());
  check_inside(p.frame, p.dns.message.data(), p.dns.message.size());
  check_inside(p.frame, p.http.method.data(), p.http.method.size());
  check_inside(p.frame, p.http.target.data(), p.http.target.size());
  check_inside(p.frame, p.http.host.data(), p.http.host.size());
  check_inside(p.frame, p.http.reason.data(), p.http.reason.size());
  check_inside(p.frame, p.tls.sni.data(), p.tls.sni.size());
  if (p.dns.query_name.size > DnsName::max_size) std::abort();
  if (protocol_name(p).view().empty()) std::abort();
  std::string text = info(p);
  if (p.app == App::dns) {
    const DnsRecords records = dns_records(p.dns.message);
    if (records.records.size() > DnsRecords::max_records) std::abort();
  }
  text += tutorial_alert(p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  const LinkType link = links[(mode & 0x3f) % std::size(links)];
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  if ((mode & 0x80) == 0) {
    const auto wire = static_cast<std::uint32_t>(rest.size() + ((mode & 0x40) ? 100 : 0));
    const Packet p = dissect(link, Timestamp{}, rest, wire);
    check(p);
    CredentialScanner scanner;
    std::vector<Credential> found;
    scanner.scan(p, found);
    return 0;
  }

  FlowTable flows({.max_flows = 4,
                   .idle_timeout = std::chrono::seconds(5),
                   .reassemble = true,
                   .max_buffered_bytes = 300,
                   .max_out_of_order = 3});
  CredentialScanner scanner({.max_connections = 3, .max_line = 64});
  std::vector<Credential> found;
  const Packet* current = nullptr;
  flows.on_data([&](const Flow&, int, std::string_view bytes) {
    return scanner.scan_stream(*current, bytes, found);
  });
  std::size_t ended = 0;
  flows.on_end([&](const Flow&, FlowEnd) { ++ended; });
  std::size_t pos = 0;
  std::int64_t second = 0;
  while (pos < rest.size()) {
    const std::size_t length = std::min<std::size_t>(rest[pos], rest.size() - pos - 1);
    const auto frame = rest.subspan(pos + 1, length);
    pos += 1 + length;
    // Time moves by the frame's first byte, in seconds, so idle expiry happens too.
    second += frame.empty() ? 0 : frame[0] % 4;
    Packet p = dissect(link, Timestamp(std::chrono::seconds(second)), frame,
                       static_cast<std::uint32_t>(frame.size()));
    current = &p;
    flows.observe(p);
    check(p);
    scanner.scan(p, found);
    if (flows.size() > 4) std::abort();
  }
  const std::uint64_t created = flows.counters().flows;
  flows.finish();
  if (ended != created || flows.size() != 0) std::abort();
  return 0;
}
