#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include <fmt/format.h>
#include <pcap/pcap.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <wirekit/capture/source.hpp>
#include <wirekit/net/stream.hpp>

namespace wirekit::capture {

namespace {

// Both sources ask libpcap for nanosecond timestamps, so tv_usec holds nanoseconds.
Frame frame_of(LinkType link_type, const pcap_pkthdr& header, const u_char* data) {
  const std::chrono::nanoseconds since_epoch =
      std::chrono::seconds(header.ts.tv_sec) + std::chrono::nanoseconds(header.ts.tv_usec);
  return Frame{
      .link_type = link_type,
      .timestamp = Timestamp(since_epoch),
      .bytes = std::span(data, header.caplen),
      .original_length = header.len,
  };
}

LinkType link_type_of(pcap_t* p) {
  return static_cast<LinkType>(pcap_datalink(p));
}

// A compiled BPF program, freed with its owner.
struct Filter {
  bpf_program program{};
  bool compiled = false;
  Filter() = default;
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;
  ~Filter() {
    if (compiled) pcap_freecode(&program);
  }
};

// Compiles `filter` for `p` and installs it; libpcap's reason when it is not valid BPF.
void set_filter(pcap_t* p, const std::string& filter, Filter& compiled) {
  if (filter.empty()) return;
  if (pcap_compile(p, &compiled.program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    throw Error(errc::invalid_argument,
                fmt::format("invalid filter '{}': {}", filter, pcap_geterr(p)));
  }
  compiled.compiled = true;
  if (pcap_setfilter(p, &compiled.program) != 0) {
    throw Error(errc::invalid_argument,
                fmt::format("cannot apply filter '{}': {}", filter, pcap_geterr(p)));
  }
}

struct PcapCloser {
  void operator()(pcap_t* p) const noexcept { pcap_close(p); }
};
using PcapPtr = std::unique_ptr<pcap_t, PcapCloser>;

}  // namespace

std::string link_type_name(LinkType link_type) {
  const int value = static_cast<int>(link_type);
  const char* name = pcap_datalink_val_to_name(value);
  return name ? std::string(name) : fmt::format("DLT {}", value);
}

// ---- PcapFile -----------------------------------------------------------------------------

// A classic pcap file is read straight from a memory map: libpcap's reader copies every
// record out of its stdio buffer, which costs more than dissecting it. libpcap still opens the
// file (its checks and messages, its link type) and reads pcapng, standard input and anything
// that cannot be mapped.
struct PcapFile::Handle {
  PcapPtr pcap;
  Filter filter;
  const std::uint8_t* map = nullptr;
  std::size_t map_size = 0;
  std::size_t offset = 0;
  bool swapped = false;
  bool nanoseconds = false;

  ~Handle() {
    if (map != nullptr) ::munmap(const_cast<std::uint8_t*>(map), map_size);
  }

  void map_classic_pcap(std::FILE* file) {
    struct stat info {};
    if (::fstat(::fileno(file), &info) != 0 || !S_ISREG(info.st_mode)) return;
    const auto size = static_cast<std::size_t>(info.st_size);
    if (size < file_header_size) return;
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, ::fileno(file), 0);
    if (p == MAP_FAILED) return;
    std::uint32_t magic = 0;
    std::memcpy(&magic, p, 4);
    switch (magic) {
      case 0xa1b2c3d4:
        break;
      case 0xd4c3b2a1:
        swapped = true;
        break;
      case 0xa1b23c4d:
        nanoseconds = true;
        break;
      case 0x4d3cb2a1:
        swapped = nanoseconds = true;
        break;
      default:  // pcapng, or a pcap variant libpcap knows better
        ::munmap(p, size);
        return;
    }
    ::madvise(p, size, MADV_SEQUENTIAL);
    map = static_cast<const std::uint8_t*>(p);
    map_size = size;
    offset = file_header_size;
  }

  std::uint32_t field(std::size_t at) const noexcept {
    std::uint32_t v = 0;
    std::memcpy(&v, map + at, 4);
    return swapped ? __builtin_bswap32(v) : v;
  }

  static constexpr std::size_t file_header_size = 24;
  static constexpr std::size_t record_header_size = 16;
  // libpcap's MAXIMUM_SNAPLEN: it refuses records larger than this as corrupt.
  static constexpr std::uint32_t max_record = 262144;
};

PcapFile::PcapFile(const std::string& path, const std::string& filter)
    : handle_(std::make_unique<Handle>()), path_(path) {
  // Opened here rather than by libpcap, so that a missing or unreadable file is reported with
  // the OS's reason instead of libpcap's paraphrase.
  std::FILE* file = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw_errno("cannot open " + path);
  char reason[PCAP_ERRBUF_SIZE] = "";
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, reason);
  if (p == nullptr) {
    if (file != stdin) std::fclose(file);
    throw Error(errc::invalid_argument,
                fmt::format("{} is not a capture file libpcap can read: {}", path, reason));
  }
  handle_->pcap.reset(p);
  link_type_ = link_type_of(p);
  set_filter(p, filter, handle_->filter);
  if (file != stdin) handle_->map_classic_pcap(file);
}

PcapFile::~PcapFile() = default;
PcapFile::PcapFile(PcapFile&&) noexcept = default;
PcapFile& PcapFile::operator=(PcapFile&&) noexcept = default;

bool PcapFile::next(Frame& frame) {
  Handle& h = *handle_;
  if (h.map == nullptr) {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    switch (pcap_next_ex(h.pcap.get(), &header, &data)) {
      case 1:
        frame = frame_of(link_type_, *header, data);
        return true;
      case PCAP_ERROR_BREAK:
        return false;
      default:
        damage_ = pcap_geterr(h.pcap.get());
        return false;
    }
  }
  for (;;) {
    const std::size_t left = h.map_size - h.offset;
    if (left < Handle::record_header_size) {
      // libpcap's words for the same damage
      if (left != 0) {
        damage_ = fmt::format("truncated dump file; tried to read {} header bytes, only got {}",
                              Handle::record_header_size, left);
      }
      return false;
    }
    pcap_pkthdr header{};
    header.ts.tv_sec = static_cast<time_t>(h.field(h.offset));
    const std::uint32_t fraction = h.field(h.offset + 4);
    header.ts.tv_usec = static_cast<suseconds_t>(h.nanoseconds ? fraction : fraction * 1000ULL);
    header.caplen = h.field(h.offset + 8);
    header.len = h.field(h.offset + 12);
    if (header.caplen > Handle::max_record) {
      damage_ = fmt::format("invalid packet capture length {}, bigger than maximum of {}",
                            header.caplen, Handle::max_record);
      return false;
    }
    if (header.caplen > left - Handle::record_header_size) {
      damage_ = fmt::format("truncated dump file; tried to read {} captured bytes, only got {}",
                            header.caplen, left - Handle::record_header_size);
      return false;
    }
    const std::uint8_t* data = h.map + h.offset + Handle::record_header_size;
    h.offset += Handle::record_header_size + header.caplen;
    if (h.filter.compiled && pcap_offline_filter(&h.filter.program, &header, data) == 0) {
      continue;
    }
    frame = frame_of(link_type_, header, data);
    return true;
  }
}

std::uint32_t PcapFile::snapshot_length() const noexcept {
  return static_cast<std::uint32_t>(pcap_snapshot(handle_->pcap.get()));
}

// ---- LiveCapture --------------------------------------------------------------------------

struct LiveCapture::Handle {
  PcapPtr pcap;
  IoSource source;
  std::string failure;  // libpcap's reason once reading failed
  ~Handle() { source.detach(); }
};

namespace {

// co_await → the next frame has been stored in `frame`. Takes a frame from libpcap's ring
// without suspending while there is one; otherwise waits on the capture descriptor in the loop.
class NextFrame final : public net::detail::TimedOperation<NextFrame> {
 public:
  NextFrame(pcap_t* pcap, IoSource& source, std::string& failure, const std::string& interface,
            Frame& frame, Duration timeout) noexcept
      : TimedOperation(source, timeout),
        pcap_(pcap),
        failure_(failure),
        interface_(interface),
        frame_(frame) {}
  void await_resume() const { rethrow_failure(); }

 private:
  bool step() noexcept override {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int got = pcap_next_ex(pcap_, &header, &data);
    if (got == 1) {
      frame_ = frame_of(link_type_of(pcap_), *header, data);
      return true;
    }
    if (got == 0) {
      source_.clear(Interest::read);
      return record(net::Attempt::blocked(Interest::read));
    }
    failure_ = pcap_geterr(pcap_);
    return record(net::Attempt::failed_errno(EIO));
  }
  std::string describe() const override {
    return failure_.empty() ? "capture on " + interface_
                            : fmt::format("capture on {}: {}", interface_, failure_);
  }

  pcap_t* pcap_;
  std::string& failure_;
  const std::string& interface_;
  Frame& frame_;
};

[[noreturn]] void throw_activation_failure(pcap_t* p, int status, const std::string& interface) {
  switch (status) {
    case PCAP_ERROR_PERM_DENIED:
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      throw Error(std::make_error_code(std::errc::operation_not_permitted),
                  fmt::format("capturing on {} needs CAP_NET_RAW (run as root or grant it: "
                              "setcap cap_net_raw,cap_net_admin=eip wirekit)",
                              interface));
    case PCAP_ERROR_NO_SUCH_DEVICE:
      throw Error(errc::invalid_argument,
                  fmt::format("no interface named '{}' to capture on (see ip link)", interface));
    default:
      break;
  }
  const std::string detail = pcap_geterr(p);
  throw Error(std::make_error_code(std::errc::io_error),
              fmt::format("cannot capture on {}: {}", interface,
                          detail.empty() ? pcap_statustostr(status) : detail));
}

}  // namespace

LiveCapture LiveCapture::open(const LiveOptions& options) {
  char reason[PCAP_ERRBUF_SIZE] = "";
  PcapPtr pcap(pcap_create(options.interface.c_str(), reason));
  if (!pcap) {
    throw Error(std::make_error_code(std::errc::io_error),
                fmt::format("cannot capture on {}: {}", options.interface, reason));
  }
  pcap_t* p = pcap.get();
  pcap_set_snaplen(p, options.snapshot_length);
  pcap_set_promisc(p, options.promiscuous ? 1 : 0);
  pcap_set_immediate_mode(p, options.immediate ? 1 : 0);
  pcap_set_buffer_size(p, options.buffer_size);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  const int status = pcap_activate(p);
  // Positive values are warnings (promiscuous mode not supported...): the capture works.
  if (status < 0) throw_activation_failure(p, status, options.interface);
  Filter compiled;  // pcap_setfilter keeps its own copy
  set_filter(p, options.filter, compiled);
  if (pcap_setnonblock(p, 1, reason) != 0) {
    throw Error(std::make_error_code(std::errc::io_error),
                fmt::format("cannot capture on {}: {}", options.interface, reason));
  }
  const int fd = pcap_get_selectable_fd(p);
  if (fd < 0) {
    throw Error(std::make_error_code(std::errc::io_error),
                fmt::format("cannot capture on {}: no descriptor to wait on", options.interface));
  }
  auto handle = std::make_unique<Handle>();
  handle->pcap = std::move(pcap);
  handle->source.set_fd(fd);
  return LiveCapture(std::move(handle), options.interface);
}

LiveCapture::LiveCapture(std::unique_ptr<Handle> handle, std::string interface)
    : handle_(std::move(handle)),
      interface_(std::move(interface)),
      link_type_(link_type_of(handle_->pcap.get())) {}

LiveCapture::~LiveCapture() = default;
LiveCapture::LiveCapture(LiveCapture&&) noexcept = default;
LiveCapture& LiveCapture::operator=(LiveCapture&&) noexcept = default;

int LiveCapture::snapshot_length() const noexcept {
  return pcap_snapshot(handle_->pcap.get());
}

Task<CaptureEnd> LiveCapture::run(CaptureLimits limits,
                                  std::function<void(const Frame&)> on_frame) {
  const bool timed = limits.duration > Duration::zero();
  const Clock::time_point deadline = Clock::now() + limits.duration;
  std::uint64_t seen = 0;
  Frame frame;
  // However the run ends, the descriptor leaves the loop's epoll now, while the loop exists:
  // the capture may outlive the loop (a program reads counts() after its runtime is gone).
  struct LeaveLoop {
    IoSource& source;
    ~LeaveLoop() { source.detach(); }
  } leave_loop{handle_->source};
  for (;;) {
    if (limits.count != 0 && seen >= limits.count) co_return CaptureEnd::count_reached;
    Duration left{};
    if (timed) {
      left = deadline - Clock::now();
      if (left <= Duration::zero()) co_return CaptureEnd::duration_elapsed;
    }
    try {
      NextFrame next(handle_->pcap.get(), handle_->source, handle_->failure, interface_, frame,
                     left);
      co_await next;
    } catch (const Error& e) {
      if (e.code() == errc::cancelled) co_return CaptureEnd::stopped;
      if (e.code() == errc::timed_out) co_return CaptureEnd::duration_elapsed;
      throw;
    }
    ++seen;
    on_frame(frame);
  }
}

CaptureCounts LiveCapture::counts() const {
  pcap_stat stat{};
  if (pcap_stats(handle_->pcap.get(), &stat) != 0) return {};
  return {.received = stat.ps_recv, .dropped = stat.ps_drop};
}

// ---- PcapWriter ---------------------------------------------------------------------------

struct PcapWriter::Handle {
  PcapPtr dead;
  pcap_dumper_t* dumper = nullptr;
  std::string part_path;
  ~Handle() {
    if (dumper != nullptr) {
      pcap_dump_close(dumper);
      std::remove(part_path.c_str());
    }
  }
};

PcapWriter::PcapWriter(const std::string& path, LinkType link_type, int snapshot_length)
    : handle_(std::make_unique<Handle>()), path_(path) {
  handle_->dead.reset(pcap_open_dead(static_cast<int>(link_type), snapshot_length));
  if (!handle_->dead) throw Error(errc::invalid_argument, "cannot write " + path);
  handle_->part_path = path + ".part";
  std::FILE* file = std::fopen(handle_->part_path.c_str(), "wb");
  if (file == nullptr) throw_errno("cannot write " + handle_->part_path);
  handle_->dumper = pcap_dump_fopen(handle_->dead.get(), file);
  if (handle_->dumper == nullptr) {
    std::fclose(file);
    std::remove(handle_->part_path.c_str());
    throw Error(
        std::make_error_code(std::errc::io_error),
        fmt::format("cannot write {}: {}", handle_->part_path, pcap_geterr(handle_->dead.get())));
  }
}

PcapWriter::~PcapWriter() = default;

void PcapWriter::write(const Frame& frame) {
  pcap_pkthdr header{};
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::microseconds>(frame.timestamp.time_since_epoch());
  header.ts.tv_sec = static_cast<time_t>(since_epoch.count() / 1'000'000);
  header.ts.tv_usec = static_cast<suseconds_t>(since_epoch.count() % 1'000'000);
  header.caplen = static_cast<bpf_u_int32>(frame.bytes.size());
  header.len = frame.original_length;
  pcap_dump(reinterpret_cast<u_char*>(handle_->dumper), &header, frame.bytes.data());
  ++frames_;
}

void PcapWriter::finish() {
  pcap_dumper_t* dumper = std::exchange(handle_->dumper, nullptr);
  if (dumper == nullptr) return;
  const bool flushed = pcap_dump_flush(dumper) == 0 && !std::ferror(pcap_dump_file(dumper));
  const int saved_errno = errno;
  pcap_dump_close(dumper);
  if (!flushed) {
    std::remove(handle_->part_path.c_str());
    throw_errno("cannot write " + handle_->part_path, saved_errno);
  }
  if (std::rename(handle_->part_path.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    std::remove(handle_->part_path.c_str());
    throw_errno("cannot rename " + handle_->part_path + " to " + path_, err);
  }
}

}  // namespace wirekit::capture
