// Content-coding names and Accept-Encoding negotiation.
#include <vector>

#include <gtest/gtest.h>

#include "codec/codec_support.hpp"

namespace wirekit::codec::test {

namespace {

using enum Encoding;

// The server's usual preference: the best ratio first.
const std::vector<Encoding> server{br, zstd, gzip, deflate};

TEST(ParseEncoding, KnownTokensInAnyCase) {
  EXPECT_EQ(try_parse_encoding("gzip"), gzip);
  EXPECT_EQ(try_parse_encoding("x-gzip"), gzip);
  EXPECT_EQ(try_parse_encoding("X-GZip"), gzip);
  EXPECT_EQ(try_parse_encoding("GZIP"), gzip);
  EXPECT_EQ(try_parse_encoding("deflate"), deflate);
  EXPECT_EQ(try_parse_encoding("Br"), br);
  EXPECT_EQ(try_parse_encoding("zstd"), zstd);
  EXPECT_EQ(try_parse_encoding("identity"), identity);
}

TEST(ParseEncoding, OtherTokensAreUnknown) {
  for (const char* token : {"", "compress", "x-compress", "sdch", "*", " gzip", "gzip ", "gz",
                            "gzipx", "brotli", "zstandard"}) {
    EXPECT_EQ(try_parse_encoding(token), std::nullopt) << token;
  }
}

TEST(ParseEncoding, ToStringRoundTrips) {
  for (const Encoding e : all_encodings) EXPECT_EQ(try_parse_encoding(to_string(e)), e);
  EXPECT_STREQ(to_string(gzip), "gzip");
  EXPECT_STREQ(to_string(br), "br");
}

TEST(Negotiate, EmptyHeaderMeansIdentity) {
  EXPECT_EQ(negotiate("", server), identity);
  EXPECT_EQ(negotiate("  ", server), identity);
  EXPECT_EQ(negotiate(" , ,", server), identity);
}

TEST(Negotiate, NothingOfferedMeansIdentity) {
  EXPECT_EQ(negotiate("gzip, br", {}), identity);
}

TEST(Negotiate, ServerOrderBreaksTies) {
  EXPECT_EQ(negotiate("gzip, deflate, br", server), br);
  EXPECT_EQ(negotiate("gzip, deflate", server), gzip);
  const std::vector<Encoding> gzip_first{gzip, br};
  EXPECT_EQ(negotiate("br, gzip", gzip_first), gzip);
  EXPECT_EQ(negotiate("br;q=0.5, gzip;q=0.5", gzip_first), gzip);
}

TEST(Negotiate, HigherQValueWins) {
  EXPECT_EQ(negotiate("gzip;q=1.0, br;q=0.5", server), gzip);
  EXPECT_EQ(negotiate("br;q=0.001, gzip;q=0.002", server), gzip);
  EXPECT_EQ(negotiate("deflate;q=0.9, gzip;q=0.8", server), deflate);
  EXPECT_EQ(negotiate("gzip;q=1, br;q=1.000", server), br);
}

TEST(Negotiate, QZeroRefuses) {
  EXPECT_EQ(negotiate("br;q=0, gzip", server), gzip);
  EXPECT_EQ(negotiate("br;q=0", server), identity);
  EXPECT_EQ(negotiate("gzip;q=0.000", server), identity);
  EXPECT_EQ(negotiate("*;q=0", server), identity);
}

TEST(Negotiate, StarStandsForTheCodingsNotNamed) {
  EXPECT_EQ(negotiate("*", server), br);
  EXPECT_EQ(negotiate("br;q=0, *", server), zstd);
  EXPECT_EQ(negotiate("*;q=0.5, gzip;q=0.1", server), br);
  EXPECT_EQ(negotiate("gzip, *;q=0", server), gzip);
  EXPECT_EQ(negotiate("gzip;q=0.4, *;q=0.5", std::vector<Encoding>{gzip}), gzip);
}

TEST(Negotiate, IdentityTakesPartWhenOffered) {
  const std::vector<Encoding> with_identity{gzip, identity};
  EXPECT_EQ(negotiate("gzip;q=0.5, identity", with_identity), identity);
  EXPECT_EQ(negotiate("gzip, identity;q=0", with_identity), gzip);
  EXPECT_EQ(negotiate("*;q=0.5, gzip;q=0.1", with_identity), identity);
  EXPECT_EQ(negotiate("gzip;q=0.1", with_identity), gzip) << "unnamed identity is the fallback";
}

TEST(Negotiate, IdentityRefusedAndNothingElseStillAnswersIdentity) {
  EXPECT_EQ(negotiate("identity;q=0", server), identity);
  EXPECT_EQ(negotiate("identity;q=0, *;q=0", server), identity);
}

TEST(Negotiate, CaseAndWhitespaceDoNotMatter) {
  EXPECT_EQ(negotiate("GZIP", server), gzip);
  EXPECT_EQ(negotiate("Br;Q=0.9, gZiP", server), gzip);
  EXPECT_EQ(negotiate(" gzip ; q=0.5 ,\tbr ;q=0.8 ", server), br);
  EXPECT_EQ(negotiate("gzip;q = 0.5,br;q= 0.4", server), gzip);
}

TEST(Negotiate, XGzipIsGzip) {
  EXPECT_EQ(negotiate("x-gzip", server), gzip);
}

TEST(Negotiate, UnknownCodingsAreIgnored) {
  EXPECT_EQ(negotiate("compress, sdch, gzip;q=0.1", server), gzip);
  EXPECT_EQ(negotiate("compress, sdch", server), identity);
  EXPECT_EQ(negotiate("zstd", std::vector<Encoding>{gzip}), identity) << "not offered";
}

TEST(Negotiate, MalformedElementsAreIgnored) {
  EXPECT_EQ(negotiate("gzip;q=2, br;q=0.5", server), br);
  EXPECT_EQ(negotiate("gzip;q=abc", server), identity);
  EXPECT_EQ(negotiate("gzip;q=0.5555, deflate", server), deflate);
  EXPECT_EQ(negotiate("gzip;q=-1, deflate", server), deflate);
  EXPECT_EQ(negotiate("gzip;q=1.5, deflate", server), deflate);
  EXPECT_EQ(negotiate("gzip;q=, deflate", server), deflate);
  EXPECT_EQ(negotiate("gzip;level=9", server), gzip) << "other parameters are skipped";
}

TEST(Negotiate, ACodingNamedTwiceKeepsItsHighestWeight) {
  EXPECT_EQ(negotiate("gzip;q=0, gzip;q=0.5", server), gzip);
  EXPECT_EQ(negotiate("gzip;q=0.5, br;q=0.6, x-gzip;q=0.7", server), gzip);
}

TEST(Negotiate, BrowserHeaders) {
  EXPECT_EQ(negotiate("gzip, deflate, br, zstd", server), br);  // Chrome 123+
  EXPECT_EQ(negotiate("gzip, deflate, br", server), br);        // Firefox, Safari
  EXPECT_EQ(negotiate("gzip, deflate", server), gzip);          // curl --compressed, older
  EXPECT_EQ(negotiate("identity", server), identity);
}

}  // namespace

}  // namespace wirekit::codec::test
