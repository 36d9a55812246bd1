// The cache's entries on disk: one file per variant, "<16 hex digits of the key's hash>-<slot>",
// up to max_variants_per_url slots per URL. Every member does blocking file I/O: the Cache calls
// it on the shared ThreadPool (blocking()) from its coroutines, on the caller's thread from its
// synchronous members. Thread-safe: members may be called from any threads at once; operations
// on the same URL are serialised, others run in parallel. Other processes may use the same
// directory: files are replaced by rename, and every read checks what it finds. Private to the
// http layer.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "cache/entry.hpp"

namespace wirekit::http::detail {

class DiskStore {
 public:
  // Creates `directory` if needed; throws Error when it cannot. `on_file_io`, when set, is
  // called before each entry file is opened (CacheOptions::on_file_io).
  DiskStore(std::filesystem::path directory, std::size_t max_entry_bytes,
            std::function<void()> on_file_io);

  // The most recent entry for `key` that `request` selects.
  std::optional<Entry> find(const std::string& key, const Headers& request);

  // Writes `entry` over the variant `request` selects, else into a free slot, else over the
  // variant stored longest ago.
  void put(const Entry& entry, const Headers& request);

  // Removes the variants of `key` that `request` selects, or all of them without a request.
  void drop(const std::string& key, const Headers* request);

  // Removes every entry file (and any temporary a crashed writer left), nothing else.
  void clear();

 private:
  enum class Part { head, whole };

  std::mutex& lock_for(const std::string& key) noexcept;
  std::filesystem::path slot_path(const std::string& key, std::size_t slot) const;
  std::optional<Entry> read(const std::filesystem::path& path, Part part);
  std::optional<Entry> decode(int fd, Part part) const;
  void write(const std::filesystem::path& path, const Entry& entry);
  void before_file_io() const;

  const std::filesystem::path directory_;
  const std::size_t max_file_bytes_;
  const std::function<void()> on_file_io_;
  // Serialise the operations on one URL (by its hash): two stores of its variants would
  // otherwise pick the same free slot.
  std::array<std::mutex, 16> locks_;
};

}  // namespace wirekit::http::detail
