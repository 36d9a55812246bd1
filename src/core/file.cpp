#include <cerrno>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <wirekit/core/error.hpp>
#include <wirekit/core/fd.hpp>
#include <wirekit/core/file.hpp>

namespace wirekit {

void write_file_atomically(const std::filesystem::path& path, std::string_view data, mode_t mode) {
  const std::string part = path.string() + ".part";
  UniqueFd file(::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!file) throw_errno("cannot write " + part);
  const auto fail = [&](std::string_view what, int err) {
    file.reset();
    ::unlink(part.c_str());
    throw_errno(what, err);
  };
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(file.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write " + part, errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(file.get()) != 0) fail("cannot write " + part, errno);
  if (!file.close()) fail("cannot write " + part, errno);
  if (::rename(part.c_str(), path.c_str()) != 0) {
    fail("cannot rename " + part + " to " + path.string(), errno);
  }
}

}  // namespace wirekit
