// Packet sources (libpcap): capture files read offline, live capture on an interface, and the
// writer of pcap files.
//
//   capture::PcapFile file("trace.pcapng", "tcp port 80");   // pcap or pcapng, BPF filter
//   capture::Frame frame;
//   capture::Packet packet;
//   while (file.next(frame)) {
//     capture::dissect_into(packet, frame.link_type, frame.timestamp, frame.bytes,
//                           frame.original_length);
//   }
//
//   auto live = capture::LiveCapture::open({.interface = "any", .filter = "tcp port 110"});
//   co_await live.run({.count = 10}, [](const capture::Frame& f) { ... });  // Ctrl-C stops it
//
// A Frame's bytes belong to the source and stay valid until it reads the next frame: nothing
// is copied on the way from libpcap's buffer to the dissectors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <wirekit/capture/packet.hpp>
#include <wirekit/core.hpp>

namespace wirekit::capture {

// One captured frame as its source delivered it.
struct Frame {
  LinkType link_type = LinkType::ethernet;  // as pcap_datalink() reports it (a DLT_* value)
  Timestamp timestamp{};                    // capture time
  std::span<const std::uint8_t> bytes;      // what was captured (at most the snapshot length)
  std::uint32_t original_length = 0;        // the frame's length on the wire
};

// The name libpcap gives a link type ("EN10MB", "LINUX_SLL2"), or "DLT <n>".
std::string link_type_name(LinkType link_type);

// A capture file read offline: classic pcap (micro- or nanosecond, either byte order) or
// pcapng. Throws Error when the file cannot be opened (the OS's reason), is not a capture
// file or uses a format libpcap refuses (errc::invalid_argument with libpcap's reason), or when
// `filter` is not a valid BPF expression (errc::invalid_argument with libpcap's reason).
class PcapFile {
 public:
  explicit PcapFile(const std::string& path, const std::string& filter = {});
  ~PcapFile();
  PcapFile(PcapFile&&) noexcept;
  PcapFile& operator=(PcapFile&&) noexcept;

  // The next frame that passes the filter; false at the end of the file, or where it is cut
  // short or damaged (see damage()).
  bool next(Frame& frame);

  LinkType link_type() const noexcept { return link_type_; }
  std::uint32_t snapshot_length() const noexcept;
  const std::string& path() const noexcept { return path_; }
  // Why reading stopped before the end of the file ("truncated dump file; tried to read 1514
  // captured bytes, only got 100"), empty when the file was whole.
  const std::string& damage() const noexcept { return damage_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::string path_;
  std::string damage_;
  LinkType link_type_ = LinkType::ethernet;
};

struct LiveOptions {
  std::string interface = "any";  // a name from `ip link`, or "any" (Linux cooked capture)
  std::string filter;             // BPF, pcap syntax: "tcp port 110 or tcp port 25"
  int snapshot_length = 262144;   // bytes kept of each frame
  bool promiscuous = true;
  bool immediate = true;      // deliver each frame at once rather than in kernel-buffered batches
  int buffer_size = 4 << 20;  // the kernel's ring buffer, bytes
};

struct CaptureLimits {
  std::uint64_t count = 0;  // stop after this many frames (0: no limit)
  Duration duration{};      // stop after this long (zero: no limit)
};

enum class CaptureEnd { count_reached, duration_elapsed, stopped };

struct CaptureCounts {
  std::uint64_t received = 0;  // frames the kernel passed the filter (pcap_stats ps_recv)
  std::uint64_t dropped = 0;   // frames dropped for lack of buffer space (ps_drop)
};

// Live capture through libpcap. Its descriptor waits in the event loop like a socket: run()
// is a coroutine that suspends until frames arrive, and the task's stop token (SIGINT under a
// Runtime) ends it cleanly.
class LiveCapture {
 public:
  // Opens and activates the capture. Throws Error: errc::invalid_argument for an unknown
  // interface or a bad filter; EPERM ("capturing on IFACE needs CAP_NET_RAW ...") without the
  // permission; libpcap's reason for anything else.
  static LiveCapture open(const LiveOptions& options);
  ~LiveCapture();
  LiveCapture(LiveCapture&&) noexcept;
  LiveCapture& operator=(LiveCapture&&) noexcept;

  LinkType link_type() const noexcept { return link_type_; }
  int snapshot_length() const noexcept;
  const std::string& interface() const noexcept { return interface_; }

  // Calls `on_frame` for each captured frame until a limit is reached or the task is asked to
  // stop; says which. Must be awaited on one loop, by one task at a time.
  Task<CaptureEnd> run(CaptureLimits limits, std::function<void(const Frame&)> on_frame);

  CaptureCounts counts() const;

 private:
  struct Handle;
  explicit LiveCapture(std::unique_ptr<Handle> handle, std::string interface);
  std::unique_ptr<Handle> handle_;
  std::string interface_;
  LinkType link_type_ = LinkType::ethernet;
};

// Writes frames to a pcap file (microsecond timestamps, the most widely read form). It writes
// to PATH.part and renames it to PATH in finish(); destroyed unfinished, it removes the part
// file, so an interrupted write never leaves a capture that looks complete.
class PcapWriter {
 public:
  PcapWriter(const std::string& path, LinkType link_type, int snapshot_length);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  void write(const Frame& frame);
  // Flushes, closes and renames the file into place. Throws Error if any of it fails.
  void finish();
  std::uint64_t frames_written() const noexcept { return frames_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::string path_;
  std::uint64_t frames_ = 0;
};

}  // namespace wirekit::capture
