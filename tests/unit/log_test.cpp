// Logging: JSON lines (each a JSON object that parses, with the session's
// room and participant when logged through SessionLog or in a LogContext),
// per-component levels, and text lines as before.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "base/log.hpp"

namespace edgesfu {
namespace {

std::vector<nlohmann::json> lines_of(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << l;
    out.push_back(j);
  }
  return out;
}

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { init_logging(LogLevel::kInfo); }  // stderr, text, for the rest
  std::ostringstream os_;
  spdlog::sink_ptr sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(os_);
};

TEST_F(LogTest, JsonLinesCarryComponentAndSession) {
  LogOptions o;
  o.json = true;
  init_logging(o, sink_);
  logger(LogComponent::kDataplane).info("port {} up", "wire");
  SessionLog(LogComponent::kSession, "room \"a\"", "PA_1").warn("ends: {}", "a\nb\t\x01 \xff");
  {
    LogContext c("r2", "PA_2");
    logger(LogComponent::kWebhook).error("x");
  }
  logger(LogComponent::kWebhook).info("after");  // the context is gone
  auto l = lines_of(os_.str());
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0]["component"], "dataplane");
  EXPECT_EQ(l[0]["level"], "info");
  EXPECT_EQ(l[0]["msg"], "port wire up");
  EXPECT_FALSE(l[0].contains("room"));
  EXPECT_EQ(l[1]["component"], "session");
  EXPECT_EQ(l[1]["level"], "warn");
  EXPECT_EQ(l[1]["room"], "room \"a\"");
  EXPECT_EQ(l[1]["participant"], "PA_1");
  EXPECT_EQ(l[1]["msg"], "ends: a\nb\t\x01 \xEF\xBF\xBD");  // 0xff is no UTF-8: U+FFFD
  EXPECT_EQ(l[2]["room"], "r2");
  EXPECT_EQ(l[2]["participant"], "PA_2");
  EXPECT_FALSE(l[3].contains("participant"));
  const std::string t = l[0]["time"];
  EXPECT_EQ(t.size(), 24u);  // 2026-12-01T14:42:24.760Z
  EXPECT_EQ(t.back(), 'Z');
}

TEST_F(LogTest, ComponentLevelsOverrideTheLevel) {
  LogOptions o;
  o.level = LogLevel::kWarn;
  o.components[static_cast<std::size_t>(LogComponent::kSession)] = LogLevel::kDebug;
  o.components[static_cast<std::size_t>(LogComponent::kWebhook)] = LogLevel::kOff;
  init_logging(o, sink_);
  logger(LogComponent::kLivekit).info("hidden");
  logger(LogComponent::kLivekit).warn("shown 1");
  SessionLog(LogComponent::kSession, "r", "p").debug("shown 2");
  logger(LogComponent::kWebhook).error("hidden");
  const std::string s = os_.str();
  EXPECT_EQ(s.find("hidden"), std::string::npos);
  EXPECT_NE(s.find("shown 1"), std::string::npos);
  EXPECT_NE(s.find("shown 2"), std::string::npos);
}

TEST_F(LogTest, TextLinesAsBefore) {
  init_logging(LogOptions{}, sink_);
  SessionLog(LogComponent::kSession, "r", "PA_9").info("session {} ends: {}", "PA_9", "bye");
  const std::string s = os_.str();
  // "2026-12-01T14:42:24.760 info session PA_9 ends: bye"
  EXPECT_EQ(s.substr(23), " info session PA_9 ends: bye\n") << s;
}

TEST(JsonQuote, EscapesAndKeepsUtf8) {
  EXPECT_EQ(json_quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_quote("\x7f"), R"("\u007f")");
  EXPECT_EQ(json_quote("h\xC3\xA9"), "\"h\xC3\xA9\"");                         // é stays
  EXPECT_EQ(json_quote("\xC3"), R"("\ufffd")");                                // cut short
  EXPECT_EQ(json_quote("\xF8\x80"), R"("\ufffd\ufffd")");                      // no such lead byte
  EXPECT_EQ(json_quote("\xE2\x82\xAC"), "\"\xE2\x82\xAC\"");                   // €
  EXPECT_EQ(json_quote("\xE0\x80\xAF"), R"("\ufffd\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(json_quote("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");            // a surrogate
  EXPECT_EQ(json_quote("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // past U+10FFFF
  EXPECT_EQ(json_quote("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"");           // U+1F600
}

}  // namespace
}  // namespace edgesfu
