#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/core/ascii.hpp>

namespace wirekit {
namespace {

std::vector<std::string> items(std::string_view list) {
  std::vector<std::string> out;
  ascii::for_each_list_item(list, [&](std::string_view item) { out.emplace_back(item); });
  return out;
}

TEST(Ascii, IequalsIgnoresCaseOfLettersOnly) {
  EXPECT_TRUE(ascii::iequals("Content-Length", "content-LENGTH"));
  EXPECT_TRUE(ascii::iequals("", ""));
  EXPECT_FALSE(ascii::iequals("Content-Length", "Content-Lengt"));
  // Bytes that differ only in bit 5 are not letters: '@' is not '`', '[' is not '{', CR is not
  // '-' (a "content\rlength" field is not Content-Length).
  EXPECT_FALSE(ascii::iequals("@", "`"));
  EXPECT_FALSE(ascii::iequals("[", "{"));
  EXPECT_FALSE(ascii::iequals("content\rlength", "content-length"));
  // Non-ASCII bytes compare as they are.
  EXPECT_FALSE(ascii::iequals("\xc3\xa9", "\xc3\x89"));
  static_assert(ascii::iequals("GZIP", "gzip"));
}

TEST(Ascii, ToLowerChangesOnlyAToZ) {
  EXPECT_EQ(ascii::to_lower('A'), 'a');
  EXPECT_EQ(ascii::to_lower('z'), 'z');
  EXPECT_EQ(ascii::to_lower('@'), '@');
  EXPECT_EQ(ascii::to_lower("WWW.Example.COM"), "www.example.com");
  EXPECT_EQ(ascii::to_lower("\xc3\x89T\xc3\x89"), "\xc3\x89t\xc3\x89");
  EXPECT_EQ(ascii::to_lower(std::string_view()), "");
}

TEST(Ascii, IcontainsFindsAWordInAnyCase) {
  EXPECT_TRUE(ascii::icontains("USER alice", "user"));
  EXPECT_TRUE(ascii::icontains("a PassWord", "password"));
  EXPECT_TRUE(ascii::icontains("auth", "auth"));
  EXPECT_TRUE(ascii::icontains("anything", ""));
  EXPECT_FALSE(ascii::icontains("us", "user"));
  EXPECT_FALSE(ascii::icontains("u s e r", "user"));
}

TEST(Ascii, TrimOwsRemovesSpacesAndTabsOnly) {
  EXPECT_EQ(ascii::trim_ows(" \t keep-alive\t "), "keep-alive");
  EXPECT_EQ(ascii::trim_ows("a b"), "a b");
  EXPECT_EQ(ascii::trim_ows(" \t "), "");
  EXPECT_EQ(ascii::trim_ows("value\r"), "value\r");  // CR is no whitespace here
  EXPECT_TRUE(ascii::is_ows('\t'));
  EXPECT_FALSE(ascii::is_ows('\n'));
}

TEST(Ascii, NextItemSplitsAtTheFirstSeparator) {
  std::string_view rest = "gzip;q=0.5";
  EXPECT_EQ(ascii::next_item(rest, ';'), "gzip");
  EXPECT_EQ(rest, "q=0.5");
  EXPECT_EQ(ascii::next_item(rest, ';'), "q=0.5");
  EXPECT_TRUE(rest.empty());
  std::string_view trailing = "a,";
  EXPECT_EQ(ascii::next_item(trailing, ','), "a");
  EXPECT_EQ(trailing, "");
}

TEST(Ascii, ListItemsAreTrimmedAndEmptyOnesSkipped) {
  EXPECT_EQ(items("a, b ,\tc"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(items(",,a, ,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(items("one"), (std::vector<std::string>{"one"}));
  EXPECT_TRUE(items("").empty());
  EXPECT_TRUE(items(" , ").empty());
}

TEST(Ascii, ListContainsMatchesWholeItemsIgnoringCase) {
  EXPECT_TRUE(ascii::list_contains("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(ascii::list_contains(" close ", "close"));
  EXPECT_TRUE(ascii::list_contains(",,close,,", "close"));
  EXPECT_FALSE(ascii::list_contains("upgrades", "upgrade"));
  EXPECT_FALSE(ascii::list_contains("", "close"));
  static_assert(ascii::list_contains("gzip, br", "BR"));
}

}  // namespace
}  // namespace wirekit
