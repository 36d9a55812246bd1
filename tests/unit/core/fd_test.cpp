#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <wirekit/core/fd.hpp>

namespace wirekit {
namespace {

int open_null() {
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

bool is_closed(int fd) {
  errno = 0;
  return ::fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

TEST(UniqueFd, DefaultHoldsNothing) {
  const UniqueFd none;
  EXPECT_FALSE(none);
  EXPECT_FALSE(none.valid());
  EXPECT_EQ(none.get(), -1);
}

TEST(UniqueFd, FailedOpenIsInvalid) {
  const UniqueFd failed(::open("/nonexistent/wirekit", O_RDONLY | O_CLOEXEC));
  EXPECT_FALSE(failed);
}

TEST(UniqueFd, ClosesOnDestruction) {
  const int raw = open_null();
  ASSERT_GE(raw, 0);
  {
    const UniqueFd fd(raw);
    EXPECT_TRUE(fd);
    EXPECT_EQ(fd.get(), raw);
    EXPECT_FALSE(is_closed(raw));
  }
  EXPECT_TRUE(is_closed(raw));
}

TEST(UniqueFd, MoveTransfersOwnershipAndClosesOnce) {
  const int raw = open_null();
  UniqueFd from(raw);
  {
    const UniqueFd to(std::move(from));
    EXPECT_FALSE(from);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
    EXPECT_EQ(to.get(), raw);
    from.reset();  // owns nothing: must not close the descriptor `to` holds
    EXPECT_FALSE(is_closed(raw));
  }
  EXPECT_TRUE(is_closed(raw));
  // A descriptor with the number just freed belongs to someone else now: the moved-from object
  // must not close it when it goes.
  const int reused = open_null();
  ASSERT_EQ(reused, raw);
  { const UniqueFd gone(std::move(from)); }
  EXPECT_FALSE(is_closed(reused));
  ::close(reused);
}

TEST(UniqueFd, MoveAssignmentClosesWhatTheTargetHeld) {
  const int first = open_null();
  const int second = open_null();
  UniqueFd target(first);
  UniqueFd source(second);
  target = std::move(source);
  EXPECT_TRUE(is_closed(first));
  EXPECT_EQ(target.get(), second);
  EXPECT_FALSE(is_closed(second));
}

TEST(UniqueFd, ReleaseGivesUpOwnership) {
  const int raw = open_null();
  {
    UniqueFd fd(raw);
    EXPECT_EQ(fd.release(), raw);
    EXPECT_FALSE(fd);
  }
  EXPECT_FALSE(is_closed(raw));
  ::close(raw);
}

TEST(UniqueFd, ResetClosesTheOldDescriptor) {
  const int first = open_null();
  const int second = open_null();
  UniqueFd fd(first);
  fd.reset(second);
  EXPECT_TRUE(is_closed(first));
  EXPECT_EQ(fd.get(), second);
  fd.reset();
  EXPECT_TRUE(is_closed(second));
  EXPECT_FALSE(fd);
}

TEST(UniqueFd, ResetToTheSameDescriptorKeepsItOpen) {
  const int raw = open_null();
  UniqueFd fd(raw);
  fd.reset(raw);
  EXPECT_FALSE(is_closed(raw));
}

TEST(UniqueFd, CloseReportsSuccessAndLeavesNothing) {
  const int raw = open_null();
  UniqueFd fd(raw);
  EXPECT_TRUE(fd.close());
  EXPECT_TRUE(is_closed(raw));
  EXPECT_FALSE(fd);
  EXPECT_TRUE(fd.close());  // nothing left to close is no failure
}

}  // namespace
}  // namespace wirekit
