// br, Brotli (RFC 7932), with the reference library.
#include <cctype>
#include <cstdint>
#include <new>

#include <brotli/decode.h>
#include <brotli/encode.h>

#include <wirekit/codec.hpp>

#include "codec_impl.hpp"

namespace wirekit::codec::detail {

namespace {

const std::uint8_t* bytes_of(std::span<const std::byte> data) noexcept {
  return reinterpret_cast<const std::uint8_t*>(data.data());
}

struct DestroyDecoder {
  void operator()(BrotliDecoderState* s) const noexcept { BrotliDecoderDestroyInstance(s); }
};
struct DestroyEncoder {
  void operator()(BrotliEncoderState* s) const noexcept { BrotliEncoderDestroyInstance(s); }
};

// BrotliDecoderErrorString() names the error as in the C enum, "_ERROR_FORMAT_PADDING_1";
// users read "format padding 1".
std::string describe(BrotliDecoderErrorCode code) {
  std::string_view name = BrotliDecoderErrorString(code);
  if (name.starts_with("_ERROR_")) name.remove_prefix(7);
  std::string text;
  text.reserve(name.size());
  for (const char c : name) {
    text += c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

class BrotliEncoder final : public StreamEncoder {
 public:
  explicit BrotliEncoder(int quality)
      : state_(BrotliEncoderCreateInstance(nullptr, nullptr, nullptr)) {
    if (!state_) throw std::bad_alloc();
    BrotliEncoderSetParameter(state_.get(), BROTLI_PARAM_QUALITY,
                              static_cast<std::uint32_t>(quality));
  }

  void write(std::span<const std::byte> data, std::string& out) override {
    run(BROTLI_OPERATION_PROCESS, data, out);
  }
  void flush(std::string& out) override { run(BROTLI_OPERATION_FLUSH, {}, out); }
  void finish(std::string& out) override { run(BROTLI_OPERATION_FINISH, {}, out); }

 private:
  // Takes the output from the encoder's own buffer: one copy into `out`, and no guessing of
  // how much room to offer.
  void run(BrotliEncoderOperation op, std::span<const std::byte> data, std::string& out) {
    BrotliEncoderState* s = state_.get();
    std::size_t avail_in = data.size();
    const std::uint8_t* next_in = bytes_of(data);
    std::size_t avail_out = 0;
    for (;;) {
      if (!BrotliEncoderCompressStream(s, op, &avail_in, &next_in, &avail_out, nullptr, nullptr)) {
        library_failure("BrotliEncoderCompressStream", "the encoder refused the operation");
      }
      std::size_t n = 0;
      const std::uint8_t* produced = BrotliEncoderTakeOutput(s, &n);
      if (n > 0) out.append(reinterpret_cast<const char*>(produced), n);
      const bool done = op == BROTLI_OPERATION_FINISH
                            ? BrotliEncoderIsFinished(s) != BROTLI_FALSE
                            : avail_in == 0 && BrotliEncoderHasMoreOutput(s) == BROTLI_FALSE;
      if (done) return;
    }
  }

  std::unique_ptr<BrotliEncoderState, DestroyEncoder> state_;
};

}  // namespace

std::string brotli_compress(std::span<const std::byte> data, int quality) {
  std::size_t n = BrotliEncoderMaxCompressedSize(data.size());
  std::string out(n, '\0');
  if (!BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, data.size(),
                             bytes_of(data), &n, reinterpret_cast<std::uint8_t*>(out.data()))) {
    library_failure("BrotliEncoderCompress", "out of memory");
  }
  shrink_to(out, n);
  return out;
}

std::string brotli_decompress(std::span<const std::byte> data, std::size_t max_output) {
  if (data.empty()) return {};
  const std::unique_ptr<BrotliDecoderState, DestroyDecoder> state(
      BrotliDecoderCreateInstance(nullptr, nullptr, nullptr));
  if (!state) throw std::bad_alloc();
  BoundedOutput out(max_output, data.size() * 4);
  std::size_t avail_in = data.size();
  const std::uint8_t* next_in = bytes_of(data);
  for (;;) {
    const std::span<char> space = out.space();
    std::size_t avail_out = space.size();
    auto* next_out = reinterpret_cast<std::uint8_t*>(space.data());
    const BrotliDecoderResult result = BrotliDecoderDecompressStream(
        state.get(), &avail_in, &next_in, &avail_out, &next_out, nullptr);
    out.commit(space.size() - avail_out);
    switch (result) {
      case BROTLI_DECODER_RESULT_SUCCESS:
        if (avail_in > 0) invalid_data(Encoding::br, "data after the end of the stream");
        return std::move(out).take();
      case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
        break;
      case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
        invalid_data(Encoding::br, "truncated");
      case BROTLI_DECODER_RESULT_ERROR:
        invalid_data(Encoding::br, describe(BrotliDecoderGetErrorCode(state.get())));
    }
  }
}

std::unique_ptr<StreamEncoder> brotli_encoder(int quality) {
  return std::make_unique<BrotliEncoder>(quality);
}

}  // namespace wirekit::codec::detail
