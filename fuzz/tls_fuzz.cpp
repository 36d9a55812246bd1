// Fuzzes what wirekit puts around OpenSSL: the BIO over a stream, the mapping of OpenSSL's
// verdicts to Attempts, and the failure messages. The first byte picks the side:
//   even  the input is what a client sends to a wirekit server (a ClientHello, records...)
//   odd   the input is what a server answers to a wirekit client's ClientHello
// The second byte sets the sizes of the pieces the stream hands over (1 to 256 bytes), so
// records split at every boundary. Only a clean outcome may come out: bytes, the end, or a
// failure code — never an exception, a crash or a read out of bounds.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include <stdlib.h>

#include <wirekit/tls.hpp>

namespace {

using namespace wirekit;

// A stream whose input is the fuzz data, cut into pieces; what is written to it is dropped.
class ScriptedStream final : public net::Stream {
 public:
  ScriptedStream(std::span<const std::uint8_t> script, std::size_t piece)
      : script_(script), piece_(piece) {}
  void close() noexcept override { open_ = false; }
  bool is_open() const noexcept override { return open_; }
  std::string describe() const override { return "fuzz peer"; }
  net::Attempt try_read(std::span<std::byte> buffer) noexcept override {
    const std::size_t n = std::min({buffer.size(), piece_, script_.size()});
    std::memcpy(buffer.data(), script_.data(), n);
    script_ = script_.subspan(n);
    return net::Attempt::done(n);
  }
  net::Attempt try_write(std::span<const std::byte> data) noexcept override {
    return net::Attempt::done(data.size());
  }
  net::Attempt try_shutdown_write() noexcept override { return net::Attempt::done(0); }
  IoSource& io_source() noexcept override { return source_; }

 private:
  std::span<const std::uint8_t> script_;
  std::size_t piece_;
  bool open_ = true;
  IoSource source_;
};

struct Contexts {
  std::optional<tls::ServerContext> server;
  std::optional<tls::ClientContext> client;
  Contexts() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tls-fuzz-XXXXXX").string();
    const std::filesystem::path dir = ::mkdtemp(pattern.data());
    tls::write_self_signed(tls::make_self_signed({}), dir);
    server.emplace(tls::ServerOptions{
        .certificates = {{(dir / "cert.pem").string(), (dir / "key.pem").string()}},
        .client_ca_file = (dir / "ca.pem").string()});
    client.emplace(tls::ClientOptions{.ca_file = (dir / "ca.pem").string(), .alpn = {"http/1.1"}});
    std::filesystem::remove_all(dir);
  }
};

const Contexts& contexts() {
  static const Contexts made;
  return made;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool as_server = data[0] % 2 == 0;
  const std::size_t piece = std::size_t{data[1]} + 1;
  auto inner = std::make_unique<ScriptedStream>(std::span(data + 2, size - 2), piece);
  const Contexts& c = contexts();
  std::optional<tls::TlsStream> stream;
  if (as_server) {
    stream.emplace(std::move(inner), *c.server);
  } else {
    stream.emplace(std::move(inner), *c.client, "localhost");
  }
  std::array<std::byte, 4096> buffer;
  for (int step = 0; step < 10'000; ++step) {
    const net::Attempt a = stream->try_read(buffer);
    if (a.error || a.would_block || a.bytes == 0) {
      (void)stream->describe();
      (void)stream->verification();
      break;
    }
  }
  return 0;
}
