// Python json.dumps text: the expected strings are what python3.11's json.dumps printed.
#include <gtest/gtest.h>

#include <wirekit/codec/python_json.hpp>
#include <wirekit/core/error.hpp>

namespace {

using wirekit::codec::python_json;
using Json = nlohmann::ordered_json;

TEST(PythonJson, TheChatBroadcastIsByteForByteWhatJsonDumpsWrites) {
  const Json message{
      {"type", "message"}, {"user", "张三"}, {"message", "hi \xF0\x9F\x98\x80 \"q\" \\ \n\t\x01"}};
  EXPECT_EQ(
      python_json(message),
      R"({"type": "message", "user": "\u5f20\u4e09", "message": "hi \ud83d\ude00 \"q\" \\ \n\t\u0001"})");
}

TEST(PythonJson, NestedValuesUseTheSameSeparatorsAndPythonsNumberForms) {
  const Json value{{"a", Json::array({1, 2.5, nullptr, true, Json{{"b", 1e100}}})}};
  EXPECT_EQ(python_json(value), R"({"a": [1, 2.5, null, true, {"b": 1e+100}]})");
}

TEST(PythonJson, CompactSeparatorsAreWhatPyJwtSigns) {
  const Json claims{{"sub", "1"}, {"n", Json::array({1, 2})}};
  EXPECT_EQ(python_json(claims, {.item_separator = ",", .key_separator = ":"}),
            R"({"sub":"1","n":[1,2]})");
}

TEST(PythonJson, AStringThatIsNotUtf8IsRefused) {
  EXPECT_THROW(python_json(Json("\xFF")), wirekit::Error);
}

}  // namespace
