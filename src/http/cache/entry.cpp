// The cache's entry format (src/http/cache/entry.hpp): an Entry as the bytes of one file, and
// back.
#include "cache/entry.hpp"

#include <chrono>

#include <wirekit/core/error.hpp>

namespace wirekit::http::detail {

namespace {

constexpr std::string_view file_magic = "WKCACHE1";

void put_number(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_number(out, bytes.size());
  out += bytes;
}

std::uint64_t time_number(CacheClock::time_point t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

CacheClock::time_point number_time(std::uint64_t n) {
  return CacheClock::time_point(std::chrono::duration_cast<CacheClock::duration>(
      std::chrono::nanoseconds(static_cast<std::int64_t>(n))));
}

// Reads what put_number/put_bytes wrote; a read past the end fails the whole decoding.
class Decoder {
 public:
  explicit Decoder(std::string_view in) noexcept : in_(in) {}

  std::uint64_t number() noexcept {
    if (in_.size() < 8) {
      failed_ = true;
      return 0;
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      value |= std::uint64_t{static_cast<unsigned char>(in_[i])} << (8 * i);
    }
    in_.remove_prefix(8);
    return value;
  }

  std::string_view bytes() noexcept {
    const std::uint64_t size = number();
    if (size > in_.size()) failed_ = true;
    if (failed_) return {};
    const std::string_view out = in_.substr(0, size);
    in_.remove_prefix(size);
    return out;
  }

  bool failed() const noexcept { return failed_; }
  // Everything read was there, and nothing is left over.
  bool complete() const noexcept { return !failed_ && in_.empty(); }

 private:
  std::string_view in_;
  bool failed_ = false;
};

std::string encode_head(const Entry& entry) {
  std::string out;
  put_bytes(out, entry.key);
  put_number(out, time_number(entry.request_time));
  put_number(out, time_number(entry.response_time));
  put_number(out, entry.vary.size());
  for (const VaryValue& v : entry.vary) {
    put_bytes(out, v.name);
    put_number(out, std::uint64_t{v.value.has_value()});
    put_bytes(out, v.value.value_or(""));
  }
  return out;
}

}  // namespace

std::size_t Entry::bytes() const noexcept {
  std::size_t total =
      key.size() + response.reason.size() + response.headers.wire().size() + response.body.size();
  for (const VaryValue& v : vary) total += v.name.size() + (v.value ? v.value->size() : 0);
  return total;
}

std::uint64_t fnv1a(std::string_view data, std::uint64_t hash) noexcept {
  for (const char c : data) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3;
  }
  return hash;
}

std::optional<EncodedEntry> encode_entry(const Entry& entry, std::uint64_t max_file_bytes) {
  EncodedEntry out;
  out.head = encode_head(entry);
  put_number(out.tail, static_cast<std::uint64_t>(entry.response.status));
  put_bytes(out.tail, entry.response.reason);
  put_bytes(out.tail, entry.response.headers.wire());
  put_number(out.tail, entry.response.body.size());  // the body itself follows, uncopied
  const std::uint64_t tail_size = out.tail.size() + entry.response.body.size();
  if (out.head.size() + tail_size > max_file_bytes) return std::nullopt;

  out.prefix = file_magic;
  put_number(out.prefix, out.head.size());
  put_number(out.prefix, tail_size);
  put_number(out.prefix, fnv1a(entry.response.body, fnv1a(out.tail, fnv1a(out.head))));
  return out;
}

std::optional<EntryFrame> decode_prefix(std::string_view prefix, std::uint64_t file_size,
                                        std::uint64_t max_file_bytes) noexcept {
  if (prefix.size() != entry_prefix_size || !prefix.starts_with(file_magic)) return std::nullopt;
  Decoder in(prefix.substr(file_magic.size()));
  EntryFrame frame;
  frame.head_size = in.number();
  frame.tail_size = in.number();
  frame.checksum = in.number();
  if (!in.complete() || frame.head_size > max_file_bytes ||
      frame.tail_size > max_file_bytes - frame.head_size ||
      file_size != entry_prefix_size + frame.head_size + frame.tail_size) {
    return std::nullopt;
  }
  return frame;
}

bool decode_head(std::string_view head, Entry& entry) {
  Decoder in(head);
  entry.key = in.bytes();
  entry.request_time = number_time(in.number());
  entry.response_time = number_time(in.number());
  const std::uint64_t count = in.number();
  for (std::uint64_t i = 0; i < count && !in.failed(); ++i) {
    VaryValue v{std::string(in.bytes()), std::nullopt};
    const std::uint64_t present = in.number();
    const std::string_view value = in.bytes();
    if (present > 1) return false;
    if (present == 1) v.value = value;
    entry.vary.push_back(std::move(v));
  }
  return in.complete();
}

bool decode_tail(const EntryFrame& frame, std::string_view head, std::string_view tail,
                 CachedResponse& response) {
  if (fnv1a(tail, fnv1a(head)) != frame.checksum) return false;
  Decoder in(tail);
  const std::uint64_t status = in.number();
  response.reason = in.bytes();
  std::string_view lines = in.bytes();
  response.body = in.bytes();
  if (!in.complete() || status < 100 || status > 999) return false;
  response.status = static_cast<int>(status);
  try {
    while (!lines.empty()) {
      const std::size_t eol = lines.find("\r\n");
      const std::size_t colon = lines.find(": ");
      if (eol == std::string_view::npos || colon > eol) return false;
      // Throws Error for a header line no Headers could have produced.
      response.headers.add(lines.substr(0, colon), lines.substr(colon + 2, eol - colon - 2));
      lines.remove_prefix(eol + 2);
    }
  } catch (const Error&) {
    return false;
  }
  return true;
}

}  // namespace wirekit::http::detail
