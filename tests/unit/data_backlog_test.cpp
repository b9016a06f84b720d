// session::DataBacklog: reliable messages held for a data channel that is not
// open yet, bounded in bytes, count and age.
#include "slowpath/session/data_backlog.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgesfu::sp::session {
namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Released {
  std::vector<std::string> msgs;
  std::vector<bool> binary;
  DataBacklog::ReleaseFn fn() {
    return [this](bool b, std::span<const uint8_t> m) {
      msgs.emplace_back(m.begin(), m.end());
      binary.push_back(b);
    };
  }
};

TEST(DataBacklog, HandsOverInOrderPerLabel) {
  DataBacklog q({});
  EXPECT_TRUE(q.hold("_reliable", true, bytes("one"), 0));
  EXPECT_TRUE(q.hold("app", false, bytes("other"), 1));
  EXPECT_TRUE(q.hold("_reliable", true, bytes("two"), 2));
  EXPECT_EQ(q.messages(), 3u);
  EXPECT_EQ(q.bytes(), 11u);
  Released r;
  q.release("_reliable", 3, r.fn());
  EXPECT_EQ(r.msgs, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(r.binary, (std::vector<bool>{true, true}));
  EXPECT_EQ(q.messages(), 1u);  // the other channel's stays
  EXPECT_EQ(q.bytes(), 5u);
  Released again;
  q.release("_reliable", 4, again.fn());
  EXPECT_TRUE(again.msgs.empty());
  Released app;
  q.release("app", 5, app.fn());
  EXPECT_EQ(app.msgs, (std::vector<std::string>{"other"}));
  EXPECT_EQ(app.binary, (std::vector<bool>{false}));
  EXPECT_EQ(q.counters().held, 3u);
  EXPECT_EQ(q.counters().released, 3u);
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(DataBacklog, BoundedInBytesAndMessages) {
  DataBacklog::Limits l;
  l.max_bytes = 10;
  l.max_messages = 3;
  DataBacklog q(l);
  EXPECT_TRUE(q.hold("a", true, bytes("123456"), 0));
  EXPECT_FALSE(q.hold("a", true, bytes("12345"), 0));  // 11 bytes would not fit
  EXPECT_TRUE(q.hold("a", true, bytes("1234"), 0));
  EXPECT_FALSE(q.hold("a", true, bytes("x"), 0));  // 10 of 10 bytes held
  EXPECT_EQ(q.counters().overflow, 2u);

  DataBacklog few(l);
  EXPECT_TRUE(few.hold("a", true, bytes("1"), 0));
  EXPECT_TRUE(few.hold("a", true, bytes("2"), 0));
  EXPECT_TRUE(few.hold("a", true, bytes(""), 0));
  EXPECT_FALSE(few.hold("a", true, bytes("3"), 0));  // the fourth message
  EXPECT_EQ(few.counters().overflow, 1u);
  EXPECT_EQ(few.messages(), 3u);
}

TEST(DataBacklog, ExpiredMessagesAreDroppedAndCounted) {
  DataBacklog::Limits l;
  l.max_age_ms = 100;
  l.max_bytes = 6;
  DataBacklog q(l);
  EXPECT_TRUE(q.hold("a", true, bytes("old"), 0));
  EXPECT_TRUE(q.hold("a", true, bytes("mid"), 60));
  // At 150 the first is 150 ms old: expired, which makes room for the next.
  EXPECT_TRUE(q.hold("a", true, bytes("new"), 150));
  EXPECT_EQ(q.counters().expired, 1u);
  Released r;
  q.release("a", 170, r.fn());  // "mid" is 110 ms old by now
  EXPECT_EQ(r.msgs, (std::vector<std::string>{"new"}));
  EXPECT_EQ(q.counters().expired, 2u);
  EXPECT_EQ(q.counters().released, 1u);
  EXPECT_EQ(q.messages(), 0u);
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(DataBacklog, ReleaseMayHoldAgain) {
  // A send made while releasing can be held again (the channel closed in
  // between): the backlog is consistent when the callback runs.
  DataBacklog q({});
  EXPECT_TRUE(q.hold("a", true, bytes("x"), 0));
  EXPECT_TRUE(q.hold("b", true, bytes("y"), 0));
  std::vector<std::string> seen;
  q.release("a", 1, [&](bool, std::span<const uint8_t> m) {
    seen.emplace_back(m.begin(), m.end());
    EXPECT_TRUE(q.hold("a", true, m, 1));
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"x"}));
  EXPECT_EQ(q.messages(), 2u);
  EXPECT_EQ(q.bytes(), 2u);
}

}  // namespace
}  // namespace edgesfu::sp::session
