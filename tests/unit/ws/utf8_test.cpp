// UTF-8 validation: the rules RFC 3629 sets, the cases of Markus Kuhn's UTF-8 test that
// Autobahn 6.x is generated from, fail-fast, and pieces split anywhere.
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include <wirekit/ws/utf8.hpp>

namespace {

using wirekit::ws::is_valid_utf8;
using wirekit::ws::Utf8Validator;

std::string bytes(std::initializer_list<unsigned> list) {
  std::string s;
  for (const unsigned b : list) s.push_back(static_cast<char>(b));
  return s;
}

TEST(Utf8, AcceptsAsciiAndTheEmptyString) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("Hello-µ@ßöäüàá-UTF-8!!"));
  EXPECT_TRUE(is_valid_utf8(std::string(1000, 'a')));
  EXPECT_TRUE(is_valid_utf8(std::string("a\0b", 3)));
}

TEST(Utf8, AcceptsTheBoundariesOfEachLength) {  // Kuhn 2.1–2.3
  EXPECT_TRUE(is_valid_utf8(bytes({0x7f})));
  EXPECT_TRUE(is_valid_utf8(bytes({0xc2, 0x80})));
  EXPECT_TRUE(is_valid_utf8(bytes({0xdf, 0xbf})));
  EXPECT_TRUE(is_valid_utf8(bytes({0xe0, 0xa0, 0x80})));
  EXPECT_TRUE(is_valid_utf8(bytes({0xed, 0x9f, 0xbf})));  // U+D7FF
  EXPECT_TRUE(is_valid_utf8(bytes({0xee, 0x80, 0x80})));  // U+E000
  EXPECT_TRUE(is_valid_utf8(bytes({0xef, 0xbf, 0xbd})));  // U+FFFD
  EXPECT_TRUE(is_valid_utf8(bytes({0xf0, 0x90, 0x80, 0x80})));
  EXPECT_TRUE(is_valid_utf8(bytes({0xf4, 0x8f, 0xbf, 0xbf})));  // U+10FFFF
  EXPECT_TRUE(is_valid_utf8("κόσμε"));                          // Kuhn 1
}

TEST(Utf8, AcceptsNoncharacters) {                              // Kuhn 5.3, Autobahn 6.23
  EXPECT_TRUE(is_valid_utf8(bytes({0xef, 0xbf, 0xbe})));        // U+FFFE
  EXPECT_TRUE(is_valid_utf8(bytes({0xef, 0xbf, 0xbf})));        // U+FFFF
  EXPECT_TRUE(is_valid_utf8(bytes({0xef, 0xb7, 0x90})));        // U+FDD0
  EXPECT_TRUE(is_valid_utf8(bytes({0xf0, 0x9f, 0xbf, 0xbe})));  // U+1FFFE
  EXPECT_TRUE(is_valid_utf8(bytes({0xf4, 0x8f, 0xbf, 0xbe})));  // U+10FFFE
}

TEST(Utf8, RejectsBeyondU10FFFF) {  // Autobahn 6.4.1 uses U+110000
  EXPECT_FALSE(is_valid_utf8(bytes({0xf4, 0x90, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xf5, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xf7, 0xbf, 0xbf, 0xbf})));  // Kuhn 2.1.4 (U+1FFFFF)
}

TEST(Utf8, RejectsFiveAndSixByteForms) {  // Kuhn 2.1.5, 2.1.6, 2.2.5, 2.2.6
  EXPECT_FALSE(is_valid_utf8(bytes({0xf8, 0x88, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xfc, 0x84, 0x80, 0x80, 0x80, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xfb, 0xbf, 0xbf, 0xbf, 0xbf})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xfd, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xfe})));  // Kuhn 3.5
  EXPECT_FALSE(is_valid_utf8(bytes({0xff})));
}

TEST(Utf8, RejectsOverlongForms) {  // Kuhn 4.1–4.3
  EXPECT_FALSE(is_valid_utf8(bytes({0xc0, 0xaf})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xe0, 0x80, 0xaf})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xf0, 0x80, 0x80, 0xaf})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xc1, 0xbf})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xe0, 0x9f, 0xbf})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xf0, 0x8f, 0xbf, 0xbf})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xc0, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xe0, 0x80, 0x80})));
}

TEST(Utf8, RejectsSurrogates) {                                              // Kuhn 5.1, 5.2
  EXPECT_FALSE(is_valid_utf8(bytes({0xed, 0xa0, 0x80})));                    // U+D800
  EXPECT_FALSE(is_valid_utf8(bytes({0xed, 0xad, 0xbf})));                    // U+DB7F
  EXPECT_FALSE(is_valid_utf8(bytes({0xed, 0xb0, 0x80})));                    // U+DC00
  EXPECT_FALSE(is_valid_utf8(bytes({0xed, 0xbf, 0xbf})));                    // U+DFFF
  EXPECT_FALSE(is_valid_utf8(bytes({0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80})));  // a pair
}

TEST(Utf8, RejectsLoneContinuationAndIncompleteSequences) {  // Kuhn 3.1–3.4
  EXPECT_FALSE(is_valid_utf8(bytes({0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xbf})));
  EXPECT_FALSE(is_valid_utf8(bytes({0x80, 0xbf, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xc0, 0x20})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xe0, 0x20})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xc2})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xe0, 0xa0})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xf0, 0x90, 0x80})));
  EXPECT_FALSE(is_valid_utf8(bytes({0xe1, 0x80, 0x41})));  // ASCII where a continuation belongs
}

TEST(Utf8, FailsFastAtTheFirstImpossibleByte) {  // Autobahn 6.4.x
  const auto fails_at = [](const std::string& s) {
    Utf8Validator v;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (!v.feed(s.substr(i, 1))) return i;
    }
    return s.size();
  };
  EXPECT_EQ(fails_at(bytes({0x41, 0xf4, 0x90, 0x80, 0x80})), 2U);  // at the 90
  EXPECT_EQ(fails_at(bytes({0xe0, 0x80, 0x80})), 1U);              // overlong, at the 80
  EXPECT_EQ(fails_at(bytes({0xed, 0xa0, 0x80})), 1U);              // surrogate, at the A0
  EXPECT_EQ(fails_at(bytes({0xf0, 0x8f, 0x80, 0x80})), 1U);
  EXPECT_EQ(fails_at(bytes({0xc0, 0x80})), 0U);
  EXPECT_EQ(fails_at(bytes({0xf5})), 0U);
  EXPECT_EQ(fails_at(bytes({0xc2, 0x41})), 1U);
  EXPECT_EQ(fails_at(bytes({0xf4, 0x8f, 0xbf, 0xbf})), 4U);  // valid: never fails
}

TEST(Utf8, StaysFailedUntilReset) {
  Utf8Validator v;
  EXPECT_FALSE(v.feed(bytes({0xff})));
  EXPECT_FALSE(v.feed("a"));
  EXPECT_FALSE(v.complete());
  v.reset();
  EXPECT_TRUE(v.feed("a"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8, PiecesSplitInsideCodePointsGiveTheVerdictOfTheWhole) {  // Autobahn 6.2
  const std::string text = "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6-\xe2\x82\xac-\xf0\x9d\x84\x9e-" +
                           std::string(40, 'x') + "\xf4\x8f\xbf\xbf!";
  for (std::size_t piece = 1; piece <= text.size(); ++piece) {
    Utf8Validator v;
    bool ok = true;
    for (std::size_t at = 0; at < text.size(); at += piece)
      ok = v.feed(text.substr(at, piece)) && ok;
    EXPECT_TRUE(ok) << piece;
    EXPECT_TRUE(v.complete()) << piece;
  }
  Utf8Validator open;
  EXPECT_TRUE(open.feed("ab\xe2\x82"));
  EXPECT_FALSE(open.complete());
  EXPECT_TRUE(open.feed("\xac"));
  EXPECT_TRUE(open.complete());
}

TEST(Utf8, FindsAFaultAfterALongAsciiRun) {  // the 8-byte fast path must not skip it
  for (std::size_t prefix = 0; prefix < 24; ++prefix) {
    std::string s(prefix, 'a');
    s += "\xc0\xaf";
    s += std::string(20, 'b');
    EXPECT_FALSE(is_valid_utf8(s)) << prefix;
  }
}

}  // namespace
