// The cache's entry files (src/http/cache/disk_store.hpp).
#include "cache/disk_store.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <system_error>
#include <tuple>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wirekit/core/error.hpp>
#include <wirekit/core/fd.hpp>

#include "cache/policy.hpp"

namespace wirekit::http::detail {

namespace {

namespace fs = std::filesystem;

bool read_exact(int fd, char* data, std::size_t size) noexcept {
  while (size > 0) {
    const ssize_t n = ::read(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool write_all(int fd, std::string_view data) noexcept {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void remove_file(const fs::path& path) noexcept {
  std::error_code ignored;
  fs::remove(path, ignored);
}

}  // namespace

DiskStore::DiskStore(fs::path directory, std::size_t max_entry_bytes,
                     std::function<void()> on_file_io)
    : directory_(std::move(directory)),
      max_file_bytes_(max_entry_bytes + entry_framing_allowance),
      on_file_io_(std::move(on_file_io)) {
  std::error_code error;
  fs::create_directories(directory_, error);
  if (error) {
    throw Error(error, "cache directory '" + directory_.string() + "': " + error.message());
  }
}

std::optional<Entry> DiskStore::find(const std::string& key, const Headers& request) {
  const std::lock_guard lock(lock_for(key));
  std::optional<Entry> best;
  for (std::size_t slot = 0; slot < max_variants_per_url; ++slot) {
    const fs::path path = slot_path(key, slot);
    const auto head = read(path, Part::head);
    if (!head || head->key != key || !selects(request, *head) ||
        (best && best->response_time >= head->response_time)) {
      continue;
    }
    // Read again, whole: another process may have replaced the file since.
    auto whole = read(path, Part::whole);
    if (whole && whole->key == key && selects(request, *whole)) best = std::move(whole);
  }
  return best;
}

void DiskStore::put(const Entry& entry, const Headers& request) {
  const std::lock_guard lock(lock_for(entry.key));
  std::optional<std::size_t> same;
  std::optional<std::size_t> free;
  std::size_t oldest = 0;
  std::optional<CacheClock::time_point> oldest_time;
  for (std::size_t slot = 0; slot < max_variants_per_url; ++slot) {
    const auto head = read(slot_path(entry.key, slot), Part::head);
    // A slot held by another URL with the same hash is taken over: a collision costs an
    // entry, never a wrong answer.
    if (!head || head->key != entry.key) {
      if (!free) free = slot;
    } else if (selects(request, *head)) {
      if (same) {
        remove_file(slot_path(entry.key, slot));  // a second copy of the same variant
      } else {
        same = slot;
      }
    } else if (!oldest_time || head->response_time < *oldest_time) {
      oldest = slot;
      oldest_time = head->response_time;
    }
  }
  write(slot_path(entry.key, same ? *same : free ? *free : oldest), entry);
}

void DiskStore::drop(const std::string& key, const Headers* request) {
  const std::lock_guard lock(lock_for(key));
  for (std::size_t slot = 0; slot < max_variants_per_url; ++slot) {
    const fs::path path = slot_path(key, slot);
    const auto head = read(path, Part::head);
    if (head && head->key == key && (!request || selects(*request, *head))) remove_file(path);
  }
}

void DiskStore::clear() {
  std::array<std::unique_lock<std::mutex>, std::tuple_size_v<decltype(locks_)>> held;
  for (std::size_t i = 0; i < locks_.size(); ++i) held[i] = std::unique_lock(locks_[i]);
  std::error_code error;
  for (fs::directory_iterator it(directory_, error), end; !error && it != end;
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.size() > 17 && name[16] == '-' &&
        std::all_of(name.begin(), name.begin() + 16,
                    [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
      remove_file(it->path());
    }
  }
}

std::mutex& DiskStore::lock_for(const std::string& key) noexcept {
  return locks_[fnv1a(key) % locks_.size()];
}

fs::path DiskStore::slot_path(const std::string& key, std::size_t slot) const {
  return directory_ / fmt::format("{:016x}-{}", fnv1a(key), slot);
}

void DiskStore::before_file_io() const {
  if (on_file_io_) on_file_io_();
}

// The entry in `path` (only its head, or whole); nullopt when there is none. A damaged file —
// truncated, grown, or not ours — is removed: it would never read better.
std::optional<Entry> DiskStore::read(const fs::path& path, Part part) {
  before_file_io();
  const UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) return std::nullopt;
  auto entry = decode(file.get(), part);
  if (!entry) remove_file(path);
  return entry;
}

std::optional<Entry> DiskStore::decode(int fd, Part part) const {
  std::string prefix(entry_prefix_size, '\0');
  struct stat st {};
  if (!read_exact(fd, prefix.data(), prefix.size()) || ::fstat(fd, &st) != 0) {
    return std::nullopt;
  }
  const auto frame = decode_prefix(prefix, static_cast<std::uint64_t>(st.st_size), max_file_bytes_);
  if (!frame) return std::nullopt;
  std::string head(frame->head_size, '\0');
  Entry entry;
  if (!read_exact(fd, head.data(), head.size()) || !decode_head(head, entry)) {
    return std::nullopt;
  }
  if (part == Part::head) return entry;
  std::string tail(frame->tail_size, '\0');
  if (!read_exact(fd, tail.data(), tail.size()) ||
      !decode_tail(*frame, head, tail, entry.response)) {
    return std::nullopt;
  }
  return entry;
}

// Written to a temporary name and renamed, so readers see the old file or the new one, never a
// partial one. No fsync: a file a crash truncates fails the size check and is dropped.
void DiskStore::write(const fs::path& path, const Entry& entry) {
  const auto encoded = encode_entry(entry, max_file_bytes_);
  if (!encoded) return;  // it could not be read back
  static std::atomic<std::uint64_t> temporaries{0};
  const fs::path temporary = fmt::format("{}.tmp-{}-{}", path.string(), ::getpid(),
                                         temporaries.fetch_add(1, std::memory_order_relaxed));
  before_file_io();
  // 0600: a private cache holds what one user fetched.
  UniqueFd file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!file) return;
  bool written = write_all(file.get(), encoded->prefix) && write_all(file.get(), encoded->head) &&
                 write_all(file.get(), encoded->tail) && write_all(file.get(), entry.response.body);
  written = file.close() && written;
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) remove_file(temporary);
}

}  // namespace wirekit::http::detail
