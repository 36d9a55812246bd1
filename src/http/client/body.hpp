// A request's body made from RequestOptions: raw bytes, JSON, urlencoded or multipart form,
// gzip-compressed when asked.
#pragma once

#include <string>

#include <wirekit/http/client.hpp>

namespace wirekit::http::client_detail {

struct Body {
  std::string bytes;
  std::string content_type;
  bool present = false;
};

// Throws Error(errc::invalid_argument) when the options name more than one kind of body.
Body make_body(const RequestOptions& options);

}  // namespace wirekit::http::client_detail
