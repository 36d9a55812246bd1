#include <algorithm>
#include <array>
#include <utility>

#include <wirekit/core/ascii.hpp>
#include <wirekit/http/static_files.hpp>

namespace wirekit::http {

namespace {

// Sorted by extension, for a binary search.
constexpr std::array<std::pair<std::string_view, std::string_view>, 48> types{{
    {"7z", "application/x-7z-compressed"},
    {"avif", "image/avif"},
    {"bin", "application/octet-stream"},
    {"bmp", "image/bmp"},
    {"c", "text/plain; charset=utf-8"},
    {"cpp", "text/plain; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"h", "text/plain; charset=utf-8"},
    {"hpp", "text/plain; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"html", "text/html; charset=utf-8"},
    {"ico", "image/vnd.microsoft.icon"},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"log", "text/plain; charset=utf-8"},
    {"map", "application/json"},
    {"md", "text/markdown; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"ogg", "audio/ogg"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"py", "text/x-python; charset=utf-8"},
    {"rs", "text/plain; charset=utf-8"},
    {"sh", "text/x-shellscript; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"toml", "application/toml"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xml", "application/xml"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"zip", "application/zip"},
}};

static_assert(std::is_sorted(types.begin(), types.end()));

}  // namespace

std::string_view mime_type(std::string_view filename) noexcept {
  const std::size_t dot = filename.rfind('.');
  const std::size_t slash = filename.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  char ext[16];
  const std::string_view raw = filename.substr(dot + 1);
  if (raw.size() >= sizeof ext) return "application/octet-stream";
  for (std::size_t i = 0; i < raw.size(); ++i) ext[i] = ascii::to_lower(raw[i]);
  const std::string_view key(ext, raw.size());
  const auto it =
      std::lower_bound(types.begin(), types.end(), key,
                       [](const auto& entry, std::string_view k) { return entry.first < k; });
  return it != types.end() && it->first == key ? it->second : "application/octet-stream";
}

bool is_compressible(std::string_view type) noexcept {
  return type.starts_with("text/") || type.starts_with("application/json") ||
         type.starts_with("application/javascript") || type.starts_with("application/xml") ||
         type.starts_with("application/toml") || type.starts_with("application/yaml") ||
         type.starts_with("application/manifest+json") || type.starts_with("image/svg+xml") ||
         type.starts_with("application/wasm");
}

}  // namespace wirekit::http
