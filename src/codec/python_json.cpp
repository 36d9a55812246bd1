// Python json.dumps text (include/wirekit/codec/python_json.hpp).
#include <charconv>
#include <cmath>
#include <cstdio>

#include <wirekit/codec/python_json.hpp>
#include <wirekit/core/error.hpp>

namespace wirekit::codec {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_u_escape(std::string& out, unsigned unit) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += hex_digits[(unit >> shift) & 0xF];
}

// The next code point of UTF-8 `s` at `i` (advancing `i`), or -1 for a malformed sequence.
long next_code_point(const std::string& s, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(s[i++]);
  std::size_t extra = 0;
  long cp = 0;
  if (lead < 0x80) return lead;
  if ((lead & 0xE0) == 0xC0) {
    extra = 1;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3;
    cp = lead & 0x07;
  } else {
    return -1;
  }
  if (i + extra > s.size()) return -1;
  for (std::size_t k = 0; k < extra; ++k) {
    const auto c = static_cast<unsigned char>(s[i++]);
    if ((c & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr long smallest[] = {0, 0x80, 0x800, 0x10000};
  if (cp < smallest[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  return cp;
}

void append_string(std::string& out, const std::string& s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        ++i;
        continue;
      case '\\':
        out += "\\\\";
        ++i;
        continue;
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      case '\b':
        out += "\\b";
        ++i;
        continue;
      case '\f':
        out += "\\f";
        ++i;
        continue;
      default:
        break;
    }
    const long cp = next_code_point(s, i);
    if (cp < 0) throw Error(errc::invalid_argument, "JSON text is not valid UTF-8");
    if (cp >= 0x10000) {
      const long v = cp - 0x10000;
      append_u_escape(out, static_cast<unsigned>(0xD800 + (v >> 10)));
      append_u_escape(out, static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
    } else {
      append_u_escape(out, static_cast<unsigned>(cp));
    }
  }
  out += '"';
}

// Python's float repr: the shortest digits that round-trip, written positionally when the
// decimal exponent is in [-4, 16) ("100000.0", "0.0001") and as "1e-05" / "1e+16" otherwise.
void append_float(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-Infinity" : "Infinity";
    return;
  }
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));  // "-1.2345e+05"
  const bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  const auto e = sci.find('e');
  int exponent = 0;
  std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exponent);
  std::string digits;
  for (char ch : sci.substr(0, e)) {
    if (ch != '.') digits += ch;
  }
  if (negative) out += '-';
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out += digits;
    } else {
      const auto int_len = static_cast<std::size_t>(exponent) + 1;
      if (digits.size() <= int_len) {
        out += digits;
        out.append(int_len - digits.size(), '0');
        out += ".0";
      } else {
        out.append(digits, 0, int_len);
        out += '.';
        out.append(digits, int_len);
      }
    }
    return;
  }
  out += digits[0];
  if (digits.size() > 1) {
    out += '.';
    out.append(digits, 1);
  }
  char exp_text[16];
  std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  out += exp_text;
}

}  // namespace

void append_python_json(std::string& out, const nlohmann::ordered_json& value,
                        const PythonJsonStyle& style) {
  using Type = nlohmann::ordered_json::value_t;
  switch (value.type()) {
    case Type::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : value.items()) {
        if (!first) out += style.item_separator;
        first = false;
        append_string(out, key);
        out += style.key_separator;
        append_python_json(out, item, style);
      }
      out += '}';
      return;
    }
    case Type::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value) {
        if (!first) out += style.item_separator;
        first = false;
        append_python_json(out, item, style);
      }
      out += ']';
      return;
    }
    case Type::string:
      append_string(out, value.get_ref<const std::string&>());
      return;
    case Type::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case Type::number_integer:
      out += std::to_string(value.get<std::int64_t>());
      return;
    case Type::number_unsigned:
      out += std::to_string(value.get<std::uint64_t>());
      return;
    case Type::number_float:
      append_float(out, value.get<double>());
      return;
    case Type::null:
      out += "null";
      return;
    case Type::discarded:
    case Type::binary:
      break;
  }
}

std::string python_json(const nlohmann::ordered_json& value, const PythonJsonStyle& style) {
  std::string out;
  append_python_json(out, value, style);
  return out;
}

}  // namespace wirekit::codec
