// In-memory streams: two connected ends in one process, for tests of code written against
// Stream (a parser, a protocol) without sockets. Bounded like a socket buffer, so a writer
// waits for its reader.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

#include <wirekit/net/stream.hpp>

namespace wirekit::net {

class PipeStream final : public Stream {
 public:
  struct Shared;
  PipeStream(std::shared_ptr<Shared> shared, int side) noexcept;
  PipeStream(PipeStream&&) noexcept = default;
  ~PipeStream() override;

  void close() noexcept override;
  bool is_open() const noexcept override;
  std::string describe() const override;

  Attempt try_read(std::span<std::byte> buffer) noexcept override;
  Attempt try_write(std::span<const std::byte> data) noexcept override;
  Attempt try_shutdown_write() noexcept override;
  IoSource& io_source() noexcept override;

 private:
  std::shared_ptr<Shared> shared_;
  int side_;
};

// Two connected ends; each direction buffers at most `capacity` bytes.
std::pair<PipeStream, PipeStream> make_pipe(std::size_t capacity = std::size_t{64} << 10);

}  // namespace wirekit::net
