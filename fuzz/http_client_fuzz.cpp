// Fuzzes what the HTTP client reads from servers and users: URLs (as typed, and Location
// headers resolved against the request's URL) and response heads. The first byte picks:
//   0  Url::parse; a URL that parses must print (str()) as a URL that parses to the same text
//   1  resolving a reference against a fixed base, with the same round-trip property
//   2  a response head, then its body by the framing it announces
// Only wirekit::Error may come out; a crash or a broken property is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/core/error.hpp>
#include <wirekit/http/parser.hpp>
#include <wirekit/http/url.hpp>

namespace {

using namespace wirekit::http;

void check_round_trip(const Url& url) {
  const std::string text = url.str();
  if (Url::parse(text).str() != text) __builtin_trap();
}

void response(std::string_view data) {
  const Limits limits;
  std::vector<Header> storage(limits.max_headers);
  ResponseHead head;
  std::size_t scanned = 0;
  ParseError error;
  if (parse_response(data, head, storage, limits, scanned, error) != ParseResult::complete) return;
  if (head.head_size > data.size()) __builtin_trap();
  const std::string_view rest = data.substr(head.head_size);
  BodyDecoder decoder = head.framing.chunked
                            ? BodyDecoder::chunked(limits)
                            : BodyDecoder::fixed(head.framing.content_length.value_or(0), 1 << 20);
  std::string body;
  const std::size_t used = decoder.feed(rest, body, error);
  if (used != BodyDecoder::npos && used > rest.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 3) {
      case 0:
        check_round_trip(Url::parse(input));
        break;
      case 1: {
        static const Url base = Url::parse("http://a.example:8080/b/c/d;p?q");
        check_round_trip(base.resolve(input));
        break;
      }
      default:
        response(input);
        break;
    }
  } catch (const wirekit::Error&) {
  }
  return 0;
}
