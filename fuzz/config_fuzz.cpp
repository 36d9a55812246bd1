// Fuzzes the wirekit.toml reader: any file gives a configuration or one wirekit::Error.
#include <cstdint>
#include <string_view>

#include <wirekit/services.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;  // configuration files are small; keep runs fast
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)wirekit::services::parse_server_config(text, "fuzz.toml");
  } catch (const wirekit::Error&) {
  }
  return 0;
}
