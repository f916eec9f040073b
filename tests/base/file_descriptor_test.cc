#include "base/file_descriptor.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <utility>

namespace sluice {
namespace {

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

int OpenNull() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

TEST(FileDescriptorTest, ClosesWhenItGoesOutOfScope) {
  int raw = -1;
  {
    FileDescriptor fd(OpenNull());
    raw = fd.get();
    ASSERT_GE(raw, 0);
    EXPECT_TRUE(IsOpen(raw));
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(FileDescriptorTest, ReleaseHandsTheDescriptorOver) {
  int raw = -1;
  {
    FileDescriptor fd(OpenNull());
    raw = fd.Release();
    EXPECT_EQ(fd.get(), -1);
  }
  EXPECT_TRUE(IsOpen(raw));
  ::close(raw);
}

TEST(FileDescriptorTest, MovingTransfersOwnershipAndAssignmentClosesTheOldOne) {
  FileDescriptor first(OpenNull());
  FileDescriptor second(OpenNull());
  const int first_raw = first.get();
  const int second_raw = second.get();
  FileDescriptor moved(std::move(first));
  EXPECT_EQ(first.get(), -1);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(moved.get(), first_raw);
  second = std::move(moved);
  EXPECT_FALSE(IsOpen(second_raw));
  EXPECT_EQ(second.get(), first_raw);
  EXPECT_TRUE(IsOpen(first_raw));
}

TEST(FileDescriptorTest, CloseReportsTheResultAndLeavesNothingToClose) {
  FileDescriptor fd(OpenNull());
  const int raw = fd.get();
  EXPECT_EQ(fd.Close(), 0);
  EXPECT_EQ(fd.get(), -1);
  EXPECT_FALSE(IsOpen(raw));
  errno = 0;
  EXPECT_EQ(fd.Close(), -1);  // nothing left: close(-1)
  EXPECT_EQ(errno, EBADF);
}

}  // namespace
}  // namespace sluice
