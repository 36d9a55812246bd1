#include "client/body.hpp"

#include <random>

#include <wirekit/codec.hpp>
#include <wirekit/http/url.hpp>

namespace wirekit::http::client_detail {
namespace {

std::string multipart_boundary() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string boundary = "wirekit-";
  for (int i = 0; i < 24; ++i) boundary += alphabet[random() % 36];
  return boundary;
}

// A quoted-string for Content-Disposition parameters; quotes and line breaks cannot appear.
std::string quoted_parameter(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') {
      out += "%22";
    } else if (c == '\r' || c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

Body make_body(const RequestOptions& options) {
  const int kinds = (options.data ? 1 : 0) + (options.json ? 1 : 0) +
                    (!options.form.empty() || !options.files.empty() ? 1 : 0);
  if (kinds > 1) {
    throw Error(errc::invalid_argument, "a request has one body: data, form/files or json");
  }
  Body body;
  if (options.data) {
    body = {*options.data, "application/octet-stream", true};
  } else if (options.json) {
    body = {options.json->dump(), "application/json", true};
  } else if (!options.files.empty()) {
    const std::string boundary = multipart_boundary();
    std::string out;
    for (const auto& [name, value] : options.form) {
      out += "--" + boundary +
             "\r\nContent-Disposition: form-data; name=" + quoted_parameter(name) + "\r\n\r\n" +
             value + "\r\n";
    }
    for (const FilePart& file : options.files) {
      out += "--" + boundary +
             "\r\nContent-Disposition: form-data; name=" + quoted_parameter(file.field) +
             "; filename=" + quoted_parameter(file.filename) +
             "\r\nContent-Type: " + file.content_type + "\r\n\r\n" + file.data + "\r\n";
    }
    out += "--" + boundary + "--\r\n";
    body = {std::move(out), "multipart/form-data; boundary=" + boundary, true};
  } else if (!options.form.empty()) {
    body = {encode_form(options.form), "application/x-www-form-urlencoded", true};
  }
  if (body.present && options.gzip) body.bytes = codec::compress(codec::Encoding::gzip, body.bytes);
  return body;
}

}  // namespace wirekit::http::client_detail
