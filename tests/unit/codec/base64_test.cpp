// base64 and base64url (RFC 4648).
#include <gtest/gtest.h>

#include <wirekit/core/error.hpp>

#include "codec/codec_support.hpp"

namespace wirekit::codec::test {

namespace {

struct Vector {
  const char* data;
  const char* text;
};

// RFC 4648 §10.
constexpr Vector rfc_vectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

template <class F>
void expect_invalid(F&& f, std::string_view input) {
  try {
    f();
    ADD_FAILURE() << "accepted '" << input << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
    EXPECT_TRUE(std::string_view(e.what()).starts_with("invalid base64")) << e.what();
  }
}

TEST(Base64, Rfc4648Vectors) {
  for (const auto& v : rfc_vectors) {
    EXPECT_EQ(base64_encode(std::string_view(v.data)), v.text);
    EXPECT_EQ(base64_decode(v.text), v.data);
  }
}

TEST(Base64Url, Rfc4648VectorsWithAndWithoutPadding) {
  for (const auto& v : rfc_vectors) {
    std::string unpadded = v.text;
    while (unpadded.ends_with('=')) unpadded.pop_back();
    EXPECT_EQ(base64url_encode(std::string_view(v.data)), unpadded);
    EXPECT_EQ(base64url_encode(std::string_view(v.data), true), v.text);
    EXPECT_EQ(base64url_decode(unpadded), v.data);
    EXPECT_EQ(base64url_decode(v.text), v.data);
  }
}

TEST(Base64, AlphabetsDifferInTheLastTwoDigits) {
  const std::string data("\xfb\xff\xbf", 3);
  EXPECT_EQ(base64_encode(data), "+/+/");
  EXPECT_EQ(base64url_encode(data), "-_-_");
  EXPECT_EQ(base64_encode(std::string("\xfb\xff", 2)), "+/8=");
  EXPECT_EQ(base64url_encode(std::string("\xfb\xff", 2)), "-_8");
  EXPECT_EQ(base64url_encode(std::string("\xfb\xff", 2), true), "-_8=");
  EXPECT_EQ(base64_decode("+/+/"), data);
  EXPECT_EQ(base64url_decode("-_-_"), data);
}

TEST(Base64, EveryByteValueAndLengthRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); ++n) {
    const std::string data = all.substr(0, n) + random_bytes(n % 7, static_cast<std::uint32_t>(n));
    EXPECT_EQ(base64_decode(base64_encode(data)), data);
    EXPECT_EQ(base64url_decode(base64url_encode(data)), data);
    EXPECT_EQ(base64url_decode(base64url_encode(data, true)), data);
  }
}

TEST(Base64, SpanAndStringViewOverloadsAgree) {
  EXPECT_EQ(base64_encode(bytes("hello")), base64_encode(std::string_view("hello")));
  EXPECT_EQ(base64url_encode(bytes("hello"), true), base64url_encode("hello", true));
}

TEST(Base64, InvalidInputIsRejected) {
  for (const char* text : {
           "Zg",        // padding missing
           "Zg=",       // padding short
           "Zg===",     // too much padding
           "Z===",      // a lone character
           "Z",         //
           "=",         //
           "====",      //
           "Zm9v!A==",  // not in the alphabet
           "Zm9v\n",    // whitespace
           "Zm 9v",     //
           "Zh==",      // bits set after the last byte: not canonical
           "Zm9=",      //
           "-_8=",      // the url alphabet
           "Zg==Zg==",  // padding inside
           "Zm9vYg=a",  //
       }) {
    expect_invalid([&] { base64_decode(text); }, text);
  }
}

TEST(Base64Url, InvalidInputIsRejected) {
  for (const char* text :
       {"Z", "Zm9vY", "Zg=", "Zg===", "+/8", "Zh", "Zm9v\r\n", "Zg==Zg", "a=b", "Zm9vYg==="}) {
    expect_invalid([&] { base64url_decode(text); }, text);
  }
}

TEST(Base64, MessagesSayWhatIsWrong) {
  try {
    base64_decode("Zm9v!A==");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "invalid base64: unexpected character '!' at offset 4");
  }
  try {
    base64url_decode(std::string("Zm\x01v", 4));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "invalid base64url: unexpected character 0x01 at offset 2");
  }
  try {
    base64_decode("Zg");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "invalid base64: length 2 is not a multiple of 4");
  }
}

}  // namespace

}  // namespace wirekit::codec::test
