// The private HTTP cache (include/wirekit/http/cache.hpp): the Cache ties RFC 9111's decisions
// (cache/policy.cpp) to the LRU in memory (cache/memory_store.cpp) and the entry files
// (cache/disk_store.cpp, in the format of cache/entry.cpp). The synchronous members do the file
// I/O on the calling thread, the *_async ones through blocking(); both share everything else.
#include <utility>

#include <wirekit/core/runtime.hpp>
#include <wirekit/http/cache.hpp>

#include "cache/disk_store.hpp"
#include "cache/entry.hpp"
#include "cache/memory_store.hpp"
#include "cache/policy.hpp"

namespace wirekit::http {

using detail::DiskStore;
using detail::Entry;
using detail::EntryPtr;

struct Cache::State {
  explicit State(CacheOptions o) : options(std::move(o)), memory(options.max_bytes) {
    if (options.directory) {
      disk = std::make_shared<DiskStore>(*options.directory, options.max_entry_bytes,
                                         options.on_file_io);
    }
  }

  // The most recent entry for `key` that `request` selects: from memory, else from disk (and
  // then kept in memory), with the file I/O on this thread. Null if there is none.
  EntryPtr find(const std::string& key, const Headers& request) {
    if (EntryPtr entry = memory.find(key, request)) return entry;
    if (!disk) return nullptr;
    const std::uint64_t generation = memory.generation();
    return remember(disk->find(key, request), request, generation);
  }

  // What find() does after a miss in memory, with the file I/O on the shared ThreadPool.
  Task<EntryPtr> load(const std::string& key, const Headers& request) {
    const std::uint64_t generation = memory.generation();
    // Copies: the pool thread must not see this frame, which may be destroyed meanwhile.
    auto read = blocking([disk = disk, key, request] { return disk->find(key, request); });
    std::optional<Entry> loaded = co_await std::move(read);
    co_return remember(std::move(loaded), request, generation);
  }

  EntryPtr remember(std::optional<Entry> loaded, const Headers& request, std::uint64_t generation) {
    if (!loaded) return nullptr;
    auto entry = std::make_shared<const Entry>(std::move(*loaded));
    memory.put_loaded(entry, request, generation);
    return entry;
  }

  CacheOptions options;
  detail::MemoryStore memory;
  // Null without a directory. Shared with the pool threads doing its I/O, which may outlive
  // the Cache when the task awaiting them is destroyed.
  std::shared_ptr<DiskStore> disk;
};

namespace {

// What store() does on the cache, after the decision: memory first, then the file.
struct StoreAction {
  std::string key;
  EntryPtr keep;        // stored in place of the variant the request selects
  bool forget = false;  // else, that variant dropped
};

StoreAction memory_part(detail::MemoryStore& memory, std::string key, const Headers& request,
                        detail::StoreDecision& decision) {
  StoreAction action{std::move(key), nullptr, decision.forget};
  if (decision.keep) {
    action.keep = std::make_shared<const Entry>(std::move(*decision.keep));
    memory.put(action.keep, request);
  } else if (action.forget) {
    memory.drop(action.key, &request);
  }
  return action;
}

void disk_part(DiskStore& disk, const StoreAction& action, const Headers& request) {
  if (action.keep) {
    disk.put(*action.keep, request);
  } else if (action.forget) {
    disk.drop(action.key, &request);
  }
}

bool invalidates(std::string_view method, const CachedResponse& network) {
  // §4.4: a successful unsafe request may have changed what the URL's entries hold.
  return !detail::is_safe_method(method) && network.status >= 200 && network.status < 400;
}

}  // namespace

Cache::Cache(CacheOptions options) : state_(std::make_unique<State>(std::move(options))) {}

Cache::~Cache() = default;

CacheLookup Cache::lookup(std::string_view method, const Url& url, const Headers& request_headers,
                          Clock::time_point now) {
  const auto request = detail::lookup_directives(method, request_headers);
  if (!request) return {};
  const EntryPtr entry = state_->find(url.str(), request_headers);
  return detail::answer(entry.get(), *request, method == "HEAD", now);
}

Task<CacheLookup> Cache::lookup_async(std::string_view method, const Url& url,
                                      const Headers& request_headers, Clock::time_point now) {
  const auto request = detail::lookup_directives(method, request_headers);
  if (!request) co_return CacheLookup{};
  const bool head = method == "HEAD";
  const std::string key = url.str();
  EntryPtr entry = state_->memory.find(key, request_headers);
  if (!entry && state_->disk) entry = co_await state_->load(key, request_headers);
  co_return detail::answer(entry.get(), *request, head, now);
}

CachedResponse Cache::store(std::string_view method, const Url& url, const Headers& request_headers,
                            CachedResponse network, const CacheLookup& lookup,
                            Clock::time_point request_time, Clock::time_point response_time) {
  const bool head = method == "HEAD";
  if (method != "GET" && !head) {
    if (invalidates(method, network)) invalidate(url);
    return network;
  }
  std::string key = url.str();
  // The entry a 304 updates, as the cache holds it now.
  const EntryPtr current =
      detail::confirms_stored(network, lookup) ? state_->find(key, request_headers) : nullptr;
  detail::StoreDecision decision =
      detail::decide_store(key, head, request_headers, std::move(network), lookup, current.get(),
                           request_time, response_time, state_->options.max_entry_bytes);
  const StoreAction action = memory_part(state_->memory, std::move(key), request_headers, decision);
  if (state_->disk) disk_part(*state_->disk, action, request_headers);
  return std::move(decision.response);
}

Task<CachedResponse> Cache::store_async(std::string_view method, const Url& url,
                                        const Headers& request_headers, CachedResponse network,
                                        const CacheLookup& lookup, Clock::time_point request_time,
                                        Clock::time_point response_time) {
  const bool head = method == "HEAD";
  if (method != "GET" && !head) {
    if (invalidates(method, network)) co_await invalidate_async(url);
    co_return network;
  }
  std::string key = url.str();
  EntryPtr current;
  if (detail::confirms_stored(network, lookup)) {
    current = state_->memory.find(key, request_headers);
    if (!current && state_->disk) current = co_await state_->load(key, request_headers);
  }
  detail::StoreDecision decision =
      detail::decide_store(key, head, request_headers, std::move(network), lookup, current.get(),
                           request_time, response_time, state_->options.max_entry_bytes);
  StoreAction action = memory_part(state_->memory, std::move(key), request_headers, decision);
  if (state_->disk && (action.keep || action.forget)) {
    auto write = blocking([disk = state_->disk, action = std::move(action),
                           request = request_headers] { disk_part(*disk, action, request); });
    co_await std::move(write);
  }
  co_return std::move(decision.response);
}

void Cache::invalidate(const Url& url) {
  const std::string key = url.str();
  state_->memory.drop(key, nullptr);
  if (state_->disk) state_->disk->drop(key, nullptr);
}

Task<void> Cache::invalidate_async(const Url& url) {
  std::string key = url.str();
  state_->memory.drop(key, nullptr);
  if (!state_->disk) co_return;
  auto remove = blocking([disk = state_->disk, key = std::move(key)] { disk->drop(key, nullptr); });
  co_await std::move(remove);
}

void Cache::clear() {
  state_->memory.clear();
  if (state_->disk) state_->disk->clear();
}

std::size_t Cache::size_bytes() const noexcept {
  return state_->memory.bytes();
}

std::size_t Cache::entries() const noexcept {
  return state_->memory.entries();
}

}  // namespace wirekit::http
