// wirekit sniff — tutorial §9.1 (scapy's sniff, with --creds its credential sniffer);
// wirekit pcap stats | list | creds — tutorial §14.2 (pyshark) and tshark's statistics.
#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include <wirekit/capture.hpp>

#include "cli.hpp"

namespace wirekit::cli {

namespace {

// Output gathered in one large buffer and written in big pieces: a capture of a million
// packets is a million lines.
class Output {
 public:
  static constexpr std::size_t flush_at = 1 << 20;
  Output() { text_.reserve(flush_at + 64 * 1024); }
  std::string& text() noexcept { return text_; }
  void flush_if_full() {
    if (text_.size() >= flush_at) flush();
  }
  void flush() {
    write_stdout(text_);
    text_.clear();
  }

 private:
  std::string text_;
};

// Reads every frame of `file`, dissects it, shows it to `flows` when given, and hands the
// packet to `use`; reports a file cut short or damaged after everything before the damage was
// used.
template <class Use>
void for_each_packet(capture::PcapFile& file, capture::FlowTable* flows, Use use) {
  capture::Frame frame;
  capture::Packet packet;
  while (file.next(frame)) {
    capture::dissect_into(packet, frame.link_type, frame.timestamp, frame.bytes,
                          frame.original_length);
    if (flows) flows->observe(packet);
    use(packet);
  }
}

// The per-packet views name a packet as tshark does, which takes what earlier packets of its
// conversation said (a TLS 1.3 session's version, the segment that ends an HTTP message): a
// flow table sees each packet first. Of a file it keeps every conversation, as tshark does
// (up to four million; 645,231 take ~200 MB); a live capture keeps the table's default bounds.
capture::FlowLimits whole_file_flows() {
  return {.max_flows = 4'000'000, .idle_timeout = std::chrono::nanoseconds::zero()};
}

void check_whole(const capture::PcapFile& file) {
  if (!file.damage().empty()) {
    throw Error(errc::invalid_argument, file.path() + ": " + file.damage());
  }
}

// The capture file and BPF filter every `pcap` subcommand takes.
struct FileFlags {
  std::string file;
  std::string filter;
};

void add_file_options(CLI::App& command, FileFlags& flags) {
  command.add_option("file", flags.file, "pcap or pcapng file ('-': standard input)")->required();
  command.add_option("-f,--filter", flags.filter, "Only packets matching this BPF filter");
}

struct StatsFlags : FileFlags {
  bool json = false;
  std::size_t top = 10;
  std::string html;
};

int pcap_stats(const StatsFlags& flags) {
  capture::PcapFile file(flags.file, flags.filter);
  capture::StatsCollector collector;
  for_each_packet(file, nullptr, [&](const capture::Packet& packet) { collector.add(packet); });
  const capture::CaptureStats stats = collector.finish({.top = flags.top});
  if (!flags.html.empty()) {
    capture::write_html_report(stats, flags.html, {.source = flags.file, .filter = flags.filter});
  }
  if (flags.json) {
    write_stdout(capture::to_json(stats).dump(2) + "\n");
  } else {
    write_stdout(capture::format_text(stats, {.source = flags.file, .filter = flags.filter}));
  }
  check_whole(file);
  return 0;
}

struct ListFlags : FileFlags {
  bool json = false;
};

int pcap_list(const ListFlags& flags) {
  capture::PcapFile file(flags.file, flags.filter);
  capture::PacketListing listing(flags.json ? capture::PacketListing::Style::json
                                            : capture::PacketListing::Style::addresses);
  Output out;
  capture::FlowTable flows(whole_file_flows());
  listing.begin(out.text());
  for_each_packet(file, &flows, [&](const capture::Packet& packet) {
    listing.append(out.text(), packet);
    out.flush_if_full();
  });
  listing.end(out.text());
  out.flush();
  check_whole(file);
  return 0;
}

int pcap_creds(const FileFlags& flags) {
  capture::PcapFile file(flags.file, flags.filter);
  Output out;
  for_each_packet(file, nullptr, [&](const capture::Packet& packet) {
    out.text() += capture::tutorial_alert(packet);
    out.flush_if_full();
  });
  out.flush();
  check_whole(file);
  return 0;
}

struct SniffFlags {
  capture::LiveOptions live;
  std::uint64_t count = 0;
  std::optional<std::string> duration;
  bool no_promiscuous = false;
  bool creds = false;
  std::string write;
};

int sniff(SniffFlags flags) {
  flags.live.promiscuous = !flags.no_promiscuous;
  const capture::CaptureLimits limits{
      .count = flags.count,
      .duration = flags.duration ? parse_duration(*flags.duration) : Duration{}};
  capture::LiveCapture live = capture::LiveCapture::open(flags.live);
  std::optional<capture::PcapWriter> writer;
  if (!flags.write.empty()) writer.emplace(flags.write, live.link_type(), live.snapshot_length());
  capture::PacketListing listing(capture::PacketListing::Style::summary);
  capture::FlowTable flows;
  capture::Packet packet;
  std::uint64_t captured = 0;
  Output out;
  std::fprintf(stderr, "Capturing on '%s'\n", live.interface().c_str());
  Runtime runtime{runtime_options(1)};
  auto main = [&]() -> Task<void> {
    co_await live.run(limits, [&](const capture::Frame& frame) {
      capture::dissect_into(packet, frame.link_type, frame.timestamp, frame.bytes,
                            frame.original_length);
      flows.observe(packet);
      ++captured;
      if (writer) writer->write(frame);
      if (flags.creds) {
        out.text() += capture::tutorial_alert(packet);
      } else {
        listing.append(out.text(), packet);
      }
      if (!out.text().empty()) out.flush();
    });
  };
  runtime.run(main());
  out.flush();
  if (writer) writer->finish();
  const capture::CaptureCounts counts = live.counts();
  std::fprintf(stderr, "%llu packet%s captured", static_cast<unsigned long long>(captured),
               captured == 1 ? "" : "s");
  if (counts.dropped != 0) {
    std::fprintf(stderr, ", %llu dropped", static_cast<unsigned long long>(counts.dropped));
  }
  std::fputc('\n', stderr);
  return 0;
}

}  // namespace

void add_capture_commands(CLI::App& app, Action& action) {
  static SniffFlags sniff_flags;
  CLI::App* s = app.add_subcommand(
      "sniff",
      "Capture live packets, one summary line each (§9.1; --creds: its credential sniffer)");
  s->add_option("-i,--interface", sniff_flags.live.interface, "Interface to capture on, or any")
      ->capture_default_str();
  s->add_option("-f,--filter", sniff_flags.live.filter,
                "BPF capture filter in pcap syntax, e.g. 'tcp port 110 or tcp port 25'");
  s->add_option("-c,--count", sniff_flags.count, "Stop after N packets (0: no limit)");
  s->add_option("--duration", sniff_flags.duration, "Stop after this long, e.g. 10s");
  s->add_option("--snaplen", sniff_flags.live.snapshot_length, "Bytes kept of each packet")
      ->capture_default_str()
      ->check(CLI::Range(64, 262144));
  s->add_flag("--no-promisc", sniff_flags.no_promiscuous,
              "Do not put the interface in promiscuous mode");
  s->add_flag("--creds", sniff_flags.creds,
              "Print POP3/SMTP/IMAP/FTP/HTTP payloads carrying user/pass/login/auth (the "
              "tutorial's §9.1 sniffer) instead of the summary lines");
  s->add_option("-w,--write", sniff_flags.write, "Also write the packets to this pcap file");
  s->callback([&action] { action = [] { return sniff(sniff_flags); }; });

  CLI::App* pcap =
      app.add_subcommand("pcap", "Read capture files: statistics, packets, credentials (§14.2)");
  pcap->require_subcommand(1);

  static StatsFlags stats;
  CLI::App* st = pcap->add_subcommand(
      "stats", "Packets, bytes, protocols, top talkers, TCP/UDP conversations, DNS names (§14.2)");
  add_file_options(*st, stats);
  st->add_flag("--json", stats.json, "Print JSON");
  st->add_option("--top", stats.top,
                 "Entries of each ranking and conversation table (0: all, as tshark -z conv)")
      ->capture_default_str();
  st->add_option("--html", stats.html, "Also write a self-contained HTML report with charts");
  st->callback([&action] { action = [] { return pcap_stats(stats); }; });

  static ListFlags list;
  CLI::App* l = pcap->add_subcommand(
      "list", "One line per packet: Source IP, Destination IP, Protocol (the §14.2 program)");
  add_file_options(*l, list);
  l->add_flag("--json", list.json,
              "Print a JSON array: number, time, src, dst, protocol, transport, length, info");
  l->callback([&action] { action = [] { return pcap_list(list); }; });

  static FileFlags creds;
  CLI::App* c = pcap->add_subcommand(
      "creds", "Plaintext POP3/SMTP/IMAP/FTP/HTTP credentials in a capture (§9.1, offline)");
  add_file_options(*c, creds);
  c->callback([&action] { action = [] { return pcap_creds(creds); }; });
}

}  // namespace wirekit::cli
