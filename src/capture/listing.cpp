#include <chrono>
#include <iterator>
#include <optional>

#include <fmt/format.h>

#include <wirekit/capture/listing.hpp>

namespace wirekit::capture {

namespace {

void append_address(std::string& out, const net::IpAddress& address) {
  const std::size_t at = out.size();
  out.resize(at + net::IpAddress::max_text);
  out.resize(at + address.format(out.data() + at));
}

void append_mac(std::string& out, const MacAddress& mac) {
  static constexpr MacAddress broadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  if (mac == broadcast) {
    out += "Broadcast";
    return;
  }
  fmt::format_to(std::back_inserter(out), "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", mac.bytes[0],
                 mac.bytes[1], mac.bytes[2], mac.bytes[3], mac.bytes[4], mac.bytes[5]);
}

// tshark's source and destination columns: the IP addresses, else the link-layer ones.
void append_endpoint(std::string& out, const Packet& packet, bool source) {
  const std::optional<net::IpAddress>& address = source ? packet.src : packet.dst;
  if (address) {
    append_address(out, *address);
  } else if (packet.has_mac) {
    append_mac(out, source ? packet.link_src : packet.link_dst);
  }
}

// An address, or "-" when the packet has none (no IP layer, or one cut before its addresses).
void append_ip(std::string& out, const std::optional<net::IpAddress>& address) {
  if (address) {
    append_address(out, *address);
  } else {
    out += '-';
  }
}

// Pads out[from, end) to `width` characters, on the left (right-aligned) or on the right.
void pad(std::string& out, std::size_t from, std::size_t width, bool right_align) {
  const std::size_t length = out.size() - from;
  if (length >= width) return;
  out.insert(right_align ? from : out.size(), width - length, ' ');
}

double seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

// Length of the valid UTF-8 sequence at text[i], or 0 if the bytes there are not one.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  std::uint32_t min = 0;
  std::uint32_t code = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, min = 0x80, code = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, min = 0x800, code = lead & 0x0f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, min = 0x10000, code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence(text, i);
      if (length == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

void PacketListing::begin(std::string& out) const {
  if (style_ == Style::json) out += "[\n";
}

void PacketListing::end(std::string& out) const {
  if (style_ == Style::json) out += number_ == 0 ? "]\n" : "\n]\n";
}

void PacketListing::append(std::string& out, const Packet& packet) {
  if (++number_ == 1) first_ = packet.timestamp;
  switch (style_) {
    case Style::summary:
      append_summary(out, packet);
      break;
    case Style::addresses:
      out += "Source IP: ";
      append_ip(out, packet.src);
      out += "\tDestination IP: ";
      append_ip(out, packet.dst);
      out += "\tProtocol: ";
      out += protocol_name(packet).view();
      out += '\n';
      break;
    case Style::json:
      append_json(out, packet);
      break;
  }
}

// tshark's columns: number right-aligned in 5, time in 10, source right-aligned in 12,
// destination left-aligned in 12, then protocol, length and info as they are.
void PacketListing::append_summary(std::string& out, const Packet& packet) {
  fmt::format_to(std::back_inserter(out), "{:5} {:10.6f} ", number_,
                 seconds(packet.timestamp - first_));
  std::size_t from = out.size();
  append_endpoint(out, packet, true);
  pad(out, from, 12, true);
  out += " \xe2\x86\x92 ";  // →
  from = out.size();
  append_endpoint(out, packet, false);
  pad(out, from, 12, false);
  out += ' ';
  out += protocol_name(packet).view();
  fmt::format_to(std::back_inserter(out), " {} ", packet.original_length);
  info_.clear();
  append_info(packet, info_);
  out += info_;
  out += '\n';
}

void PacketListing::append_json(std::string& out, const Packet& packet) {
  if (number_ > 1) out += ",\n";
  fmt::format_to(std::back_inserter(out), "{{\"number\":{},\"time\":{:.6f},\"src\":", number_,
                 seconds(packet.timestamp - first_));
  for (const std::optional<net::IpAddress>* address : {&packet.src, &packet.dst}) {
    if (*address) {
      out += '"';
      append_address(out, **address);
      out += '"';
    } else {
      out += "null";
    }
    if (address == &packet.src) out += ",\"dst\":";
  }
  out += ",\"protocol\":";
  append_json_string(out, protocol_name(packet).view());
  out += ",\"transport\":";
  const std::string_view transport = transport_name(packet);
  if (transport.empty()) {
    out += "null";
  } else {
    append_json_string(out, transport);
  }
  fmt::format_to(std::back_inserter(out), ",\"length\":{},\"info\":", packet.original_length);
  info_.clear();
  append_info(packet, info_);
  append_json_string(out, info_);
  out += '}';
}

}  // namespace wirekit::capture
