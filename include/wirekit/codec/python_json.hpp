// JSON text exactly as Python's json.dumps writes it, so that bytes made here equal a Python
// program's: what PyJWT signs (separators "," and ":"), what the tutorial's chat server
// broadcasts (json.dumps' defaults, ", " and ": ").
//
//   codec::python_json(nlohmann::ordered_json{{"type", "message"}, {"user", "张三"}})
//     // {"type": "message", "user": "\u5f20\u4e09"}
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace wirekit::codec {

// json.dumps' `separators`; the defaults are its own.
struct PythonJsonStyle {
  std::string_view item_separator = ", ";
  std::string_view key_separator = ": ";
};

// Objects keep their order (the caller sorts when Python does), strings are escaped with
// ensure_ascii (\u00e9, surrogate pairs above U+FFFF), floats are written as Python's repr.
// Throws Error(errc::invalid_argument) on a string that is not UTF-8.
void append_python_json(std::string& out, const nlohmann::ordered_json& value,
                        const PythonJsonStyle& style = {});
std::string python_json(const nlohmann::ordered_json& value, const PythonJsonStyle& style = {});

}  // namespace wirekit::codec
