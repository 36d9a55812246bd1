// DNS messages (RFC 1035): names with compression pointers, the first question on the hot path,
// every record on demand.
#include <algorithm>

#include "dissect_detail.hpp"

namespace wirekit::capture {

using detail::Bytes;
using detail::load16;
using detail::load32;

namespace {

constexpr std::size_t header_size = 12;
constexpr int max_pointer_jumps = 128;
constexpr std::size_t max_name_wire_length = 255;

void append(DnsName& name, char c) noexcept {
  if (name.size < DnsName::max_size) {
    name.text[name.size++] = c;
  } else {
    name.cut = true;
  }
}

// A label byte as tshark prints it: printable ASCII as is, '.' and '\' escaped, the rest \ddd.
void append_label_byte(DnsName& name, std::uint8_t b) noexcept {
  if (b == '.' || b == '\\') {
    append(name, '\\');
    append(name, static_cast<char>(b));
  } else if (b > 0x20 && b < 0x7f) {
    append(name, static_cast<char>(b));
  } else {
    append(name, '\\');
    append(name, static_cast<char>('0' + b / 100));
    append(name, static_cast<char>('0' + b / 10 % 10));
    append(name, static_cast<char>('0' + b % 10));
  }
}

void set_root(DnsName& name) noexcept {
  for (char c : std::string_view("<Root>")) append(name, c);
}

// Skips the question or resource record at `pos`; returns the offset after it, or 0.
std::size_t skip_entry(Bytes message, std::size_t pos, bool question, DnsName& scratch) noexcept {
  pos = dns_read_name(message, pos, scratch);
  if (pos == 0) return 0;
  if (question) return pos + 4 <= message.size() ? pos + 4 : 0;
  if (pos + 10 > message.size()) return 0;
  const std::size_t end = pos + 10 + load16(message.data() + pos + 8);
  return end <= message.size() ? end : 0;
}

std::string name_text(Bytes message, std::size_t offset) {
  DnsName name;
  if (dns_read_name(message, offset, name) == 0) return {};
  return std::string(name.view());
}

// What tshark's Info shows after a record's type.
std::string record_data_text(Bytes message, std::size_t rdata_offset, const DnsRecord& r) {
  switch (r.type) {
    case 1:
      return r.rdata.size() == 4 ? net::IpAddress::from_v4_bytes(r.rdata.data()).to_string()
                                 : std::string{};
    case 28:
      return r.rdata.size() == 16 ? net::IpAddress::from_v6_bytes(r.rdata.data()).to_string()
                                  : std::string{};
    case 2:   // NS
    case 5:   // CNAME
    case 6:   // SOA: the primary name server
    case 12:  // PTR
      return name_text(message, rdata_offset);
    case 15:  // MX
      if (r.rdata.size() < 3) return {};
      return std::to_string(load16(r.rdata.data())) + ' ' + name_text(message, rdata_offset + 2);
    case 16: {  // TXT: the first string
      if (r.rdata.empty() || std::size_t{r.rdata[0]} + 1 > r.rdata.size()) return {};
      return std::string(detail::as_text(r.rdata.subspan(1, r.rdata[0])));
    }
    default:
      return {};
  }
}

}  // namespace

std::size_t dns_read_name(Bytes message, std::size_t offset, DnsName& name) noexcept {
  name.size = 0;
  name.cut = false;
  std::size_t pos = offset;
  std::size_t end = 0;  // just after the name's own encoding, once known
  std::size_t wire_length = 0;
  int jumps = 0;
  for (;;) {
    if (pos >= message.size()) return 0;
    const std::uint8_t length = message[pos];
    if ((length & 0xc0) == 0xc0) {
      if (pos + 1 >= message.size() || ++jumps > max_pointer_jumps) return 0;
      if (end == 0) end = pos + 2;
      pos = ((std::size_t{length} & 0x3f) << 8) | message[pos + 1];
      continue;
    }
    if ((length & 0xc0) != 0) return 0;  // extended label types (RFC 6891 obsoleted them)
    if (length == 0) {
      if (end == 0) end = pos + 1;
      break;
    }
    wire_length += std::size_t{length} + 1;
    if (wire_length > max_name_wire_length || pos + 1 + length > message.size()) return 0;
    if (name.size != 0) append(name, '.');
    for (std::size_t i = 0; i < length; ++i) append_label_byte(name, message[pos + 1 + i]);
    pos += 1 + std::size_t{length};
  }
  if (name.size == 0) set_root(name);
  return end;
}

void detail::dissect_dns(Packet& p, Bytes message, Dns::Flavor flavor) noexcept {
  Dns& dns = p.dns;
  dns.flavor = flavor;
  dns.message = message;
  const Problem shortage =
      p.frame.size() < p.original_length ? Problem::truncated : Problem::malformed;
  // A header cut short still shows what was captured of it, as tshark does: the ID, the flags.
  if (message.size() >= 2) dns.id = load16(message.data());
  if (message.size() >= 4) dns.flags = load16(message.data() + 2);
  if (message.size() < header_size) return set_problem(p, shortage, Layer::application);
  dns.question_count = load16(message.data() + 4);
  dns.answer_count = load16(message.data() + 6);
  dns.authority_count = load16(message.data() + 8);
  dns.additional_count = load16(message.data() + 10);
  std::size_t pos = header_size;
  if (dns.question_count > 0) {
    pos = dns_read_name(message, pos, dns.query_name);
    if (pos == 0 || pos + 4 > message.size()) {
      dns.query_name.size = 0;
      return set_problem(p, shortage, Layer::application);
    }
    dns.query_type = load16(message.data() + pos);
    dns.query_class = load16(message.data() + pos + 2);
    pos += 4;
  }
  // The rest is checked, not kept: a record that does not fit makes the message malformed.
  DnsName scratch;
  const std::size_t records =
      std::size_t{dns.answer_count} + dns.authority_count + dns.additional_count;
  for (std::size_t i = 1; i < dns.question_count && pos != 0; ++i) {
    pos = skip_entry(message, pos, true, scratch);
  }
  for (std::size_t i = 0; i < records && pos != 0; ++i) {
    pos = skip_entry(message, pos, false, scratch);
  }
  if (pos == 0) set_problem(p, shortage, Layer::application);
}

DnsRecords dns_records(Bytes message) {
  DnsRecords out;
  if (message.size() < header_size) {
    out.complete = false;
    return out;
  }
  const std::array<std::uint16_t, 4> counts = {
      load16(message.data() + 4), load16(message.data() + 6), load16(message.data() + 8),
      load16(message.data() + 10)};
  std::size_t pos = header_size;
  DnsName name;
  for (std::size_t section = 0; section < counts.size(); ++section) {
    for (std::size_t i = 0; i < counts[section]; ++i) {
      if (out.records.size() == DnsRecords::max_records) return out;
      DnsRecord r;
      r.section = static_cast<DnsRecord::Section>(section);
      pos = dns_read_name(message, pos, name);
      const bool question = section == 0;
      if (pos == 0 || pos + (question ? 4u : 10u) > message.size()) {
        out.complete = false;
        return out;
      }
      r.name = std::string(name.view());
      r.type = load16(message.data() + pos);
      r.klass = load16(message.data() + pos + 2);
      pos += 4;
      if (!question) {
        r.ttl = load32(message.data() + pos);
        const std::size_t length = load16(message.data() + pos + 4);
        pos += 6;
        if (pos + length > message.size()) {
          out.complete = false;
          return out;
        }
        r.rdata = message.subspan(pos, length);
        r.data_text = record_data_text(message, pos, r);
        pos += length;
      }
      out.records.push_back(std::move(r));
    }
  }
  return out;
}

std::string dns_type_name(std::uint16_t type) {
  switch (type) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 13:
      return "HINFO";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 35:
      return "NAPTR";
    case 41:
      return "OPT";
    case 43:
      return "DS";
    case 46:
      return "RRSIG";
    case 47:
      return "NSEC";
    case 48:
      return "DNSKEY";
    case 50:
      return "NSEC3";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 252:
      return "AXFR";
    case 255:
      return "ANY";
    case 257:
      return "CAA";
    default:
      return "Unknown (" + std::to_string(type) + ")";
  }
}

}  // namespace wirekit::capture
