#include <wirekit/http/middleware.hpp>
#include <wirekit/http/static_files.hpp>

namespace wirekit::http {

namespace {

// Compresses a streamed body on its way to the connection.
class CompressingWriter final : public BodyWriter {
 public:
  CompressingWriter(BodyWriter& out, codec::Encoding e, int level)
      : out_(out), compressor_(e, level) {}
  Task<void> write(std::string_view data) override {
    compressor_.write(std::as_bytes(std::span(data.data(), data.size())), buffer_);
    // Each piece a producer hands over is flushed: a stream is often read as it comes.
    compressor_.flush(buffer_);
    co_await out_.write(buffer_);
    buffer_.clear();
  }
  Task<void> finish() {
    compressor_.finish(buffer_);
    co_await out_.write(buffer_);
    buffer_.clear();
  }

 private:
  BodyWriter& out_;
  codec::Compressor compressor_;
  std::string buffer_;
};

}  // namespace

Middleware compression(CompressionOptions options) {
  return [options = std::move(options)](Request& request, const Handler& next) -> Task<Response> {
    Response response = co_await next(request);
    const bool streamed = static_cast<bool>(response.producer);
    // Small bodies first, without looking at a header: most API answers end here.
    if (!streamed && response.body.size() < options.min_size) co_return response;
    const std::string_view type = response.headers.get("content-type").value_or("");
    // A 206 is a byte range of the identity encoding: compressing it would break the range.
    if (response.status < 200 || response.status == 204 || response.status == 206 ||
        response.status == 304 || response.file || response.headers.contains("content-encoding") ||
        response.headers.contains("content-range") || !is_compressible(type)) {
      co_return response;
    }
    add_to_list(response.headers, "Vary", "Accept-Encoding");
    const codec::Encoding chosen =
        codec::negotiate(request.header("accept-encoding").value_or(""), options.encodings);
    if (chosen == codec::Encoding::identity) co_return response;

    response.headers.set("Content-Encoding", codec::to_string(chosen));
    // The compressed bytes are another representation: a strong validator must not match both.
    if (const auto etag = response.headers.get("etag"); etag && !etag->starts_with("W/")) {
      response.headers.set("ETag", "W/" + std::string(*etag));
    }
    if (streamed) {
      response.producer = [inner = std::move(response.producer), chosen,
                           level = options.level](BodyWriter& out) -> Task<void> {
        CompressingWriter writer(out, chosen, level);
        co_await inner(writer);
        co_await writer.finish();
      };
    } else {
      response.body = codec::compress(
          chosen, std::as_bytes(std::span(response.body.data(), response.body.size())),
          options.level);
    }
    co_return response;
  };
}

}  // namespace wirekit::http
