// UniqueFd: the one owner of a file descriptor, so that no error path has to remember to close.
//
//   UniqueFd file(::open(path, O_RDONLY | O_CLOEXEC));
//   if (!file) throw_errno("open");
//   ::read(file.get(), ...);  // closed when `file` goes out of scope
#pragma once

#include <utility>

#include <unistd.h>

namespace wirekit {

// A move-only owner of a descriptor; -1 (or any negative value, as ::open returns on failure)
// means none. Not thread-safe, like the descriptor number it holds.
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  // Gives the descriptor up without closing it; the caller owns it now.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

  // Closes the descriptor held (if any) and takes `fd`. The close's result is dropped: after
  // close(2) fails the descriptor is gone all the same (Linux), and there is no one to tell.
  void reset(int fd = -1) noexcept {
    const int old = std::exchange(fd_, fd);
    if (old >= 0 && old != fd) ::close(old);
  }

  // Closes now and says whether close(2) succeeded (errno tells why not). For a file just
  // written: NFS and some other file systems report a failed write only here.
  [[nodiscard]] bool close() noexcept {
    const int old = release();
    return old < 0 || ::close(old) == 0;
  }

 private:
  int fd_ = -1;
};

}  // namespace wirekit
