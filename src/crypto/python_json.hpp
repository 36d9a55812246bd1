// Internal: JSON text exactly as Python's json.dumps(value, separators=(",", ":")) writes it —
// what PyJWT signs — so a token encoded here matches PyJWT's byte for byte.
#pragma once

#include <string>

#include <wirekit/crypto/jwt.hpp>

namespace wirekit::crypto::detail {

// Objects keep their order (the caller sorts when PyJWT does), strings are escaped with
// ensure_ascii (\u00e9, surrogate pairs above U+FFFF), floats use Python's repr. Throws
// Error(errc::invalid_argument) on a string that is not UTF-8.
void append_python_json(std::string& out, const jwt::Json& value);

}  // namespace wirekit::crypto::detail
