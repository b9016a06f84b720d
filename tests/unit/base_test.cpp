// base/: the error model and what client strings look like in a log line.
#include <gtest/gtest.h>

#include "base/printable.hpp"
#include "base/result.hpp"

namespace edgesfu {
namespace {

TEST(BaseTest, PrintableEscapesWhatCouldForgeALogLine) {
  EXPECT_EQ(printable("alice"), "alice");
  EXPECT_EQ(printable(std::string("a\r\nb\0c", 6)), "a\\x0d\\x0ab\\x00c");
  EXPECT_EQ(printable("x\\y"), "x\\x5cy");         // the escape character itself
  EXPECT_EQ(printable("\xc3\xa9"), "\\xc3\\xa9");  // non-ASCII bytes, as bytes
  EXPECT_EQ(printable(std::string(200, 'a'), 4), "aaaa...");
}

TEST(BaseTest, ErrorsCarryACode) {
  Result<int> r = make_error(ErrorCode::kConflict, "busy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(r.error().message, "busy");
  EXPECT_EQ(make_error("x").code, ErrorCode::kInternal);
  EXPECT_STREQ(to_string(ErrorCode::kUnavailable), "unavailable");
}

}  // namespace
}  // namespace edgesfu
