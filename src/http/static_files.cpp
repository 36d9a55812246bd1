#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <list>
#include <unordered_map>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <wirekit/codec.hpp>
#include <wirekit/core/ascii.hpp>
#include <wirekit/core/fd.hpp>
#include <wirekit/core/log.hpp>
#include <wirekit/http/date.hpp>
#include <wirekit/http/static_files.hpp>

namespace wirekit::http {

namespace {

using Fd = std::shared_ptr<const UniqueFd>;

Fd share(UniqueFd fd) {
  return std::make_shared<const UniqueFd>(std::move(fd));
}

// Opens `relative` below `root` so that neither ".." nor a symbolic link can leave the root.
UniqueFd open_beneath(int root, const std::string& relative) noexcept {
  open_how how{};
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused as not a file).
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  const char* path = relative.empty() ? "." : relative.c_str();
  long fd = 0;
  do {
    fd = ::syscall(SYS_openat2, root, path, &how, sizeof how);
  } while (fd < 0 && errno == EINTR);
  return UniqueFd(static_cast<int>(fd));
}

// "docs/a b.txt" from the decoded route parameter; nullopt for anything that could name a file
// outside the root or is not a plain relative path.
std::optional<std::string> safe_relative_path(std::string_view decoded) {
  std::string out;
  std::string_view rest = decoded;
  while (!rest.empty()) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (segment.empty()) {
      if (rest.empty()) break;  // the trailing slash of a directory
      return std::nullopt;      // "a//b"
    }
    if (segment == "." || segment == ".." || segment.find('\0') != std::string_view::npos ||
        segment.find('\\') != std::string_view::npos) {
      return std::nullopt;
    }
    if (!out.empty()) out += '/';
    out += segment;
  }
  return out;
}

std::string make_etag(const struct stat& st, std::string_view variant = {}) {
  const auto mtime_ns = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000ULL +
                        static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
  return fmt::format("\"{:x}-{:x}{}{}\"", mtime_ns, static_cast<std::uint64_t>(st.st_size),
                     variant.empty() ? "" : "-", variant);
}

// If-None-Match: a list of entity tags (weak comparison), or "*".
bool none_match_hits(std::string_view header, std::string_view etag) {
  if (header == "*") return true;
  bool hit = false;
  ascii::for_each_list_item(header, [&](std::string_view tag) {
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    hit = hit || tag == etag;
  });
  return hit;
}

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};
enum class RangeKind { none, satisfiable, unsatisfiable };

// One "bytes=" range (RFC 9110 §14.1.2). Several ranges, or a syntax we do not read, are
// ignored (the whole representation is sent, which the RFC allows).
RangeKind parse_range(std::string_view header, std::uint64_t size, ByteRange& out) {
  if (!header.starts_with("bytes=")) return RangeKind::none;
  std::string_view spec = header.substr(6);
  if (spec.find(',') != std::string_view::npos) return RangeKind::none;
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeKind::none;
  const auto number = [](std::string_view s, std::uint64_t& v) {
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
  };
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  const std::string_view first = spec.substr(0, dash);
  const std::string_view last = spec.substr(dash + 1);
  if (first.empty()) {  // "-N": the last N bytes
    if (!number(last, b)) return RangeKind::none;
    if (b == 0 || size == 0) return RangeKind::unsatisfiable;
    out = {size - std::min(b, size), std::min(b, size)};
    return RangeKind::satisfiable;
  }
  if (!number(first, a)) return RangeKind::none;
  if (last.empty()) {
    b = size == 0 ? 0 : size - 1;
  } else if (!number(last, b) || b < a) {
    return RangeKind::none;
  }
  if (a >= size) return RangeKind::unsatisfiable;
  b = std::min(b, size - 1);
  out = {a, b - a + 1};
  return RangeKind::satisfiable;
}

std::string format_size(std::uint64_t n) {
  if (n < 1024) return fmt::format("{} B", n);
  if (n < 1024 * 1024) return fmt::format("{:.1f} KiB", static_cast<double>(n) / 1024);
  if (n < 1024ULL * 1024 * 1024) {
    return fmt::format("{:.1f} MiB", static_cast<double>(n) / (1024 * 1024));
  }
  return fmt::format("{:.1f} GiB", static_cast<double>(n) / (1024.0 * 1024 * 1024));
}

}  // namespace

// ---- the per-loop cache -------------------------------------------------------------------------

struct StaticFiles::Shared {
  StaticOptions options;
  UniqueFd root;
};

namespace {

// Small files and compressed variants, kept per loop (no locks), LRU-bounded in bytes, checked
// against the file system at most every `revalidate`.
class StaticCache final : public LoopService {
 public:
  explicit StaticCache(EventLoop&) {}

  struct Entry {
    std::string key;
    struct stat st {};
    Clock::time_point checked;
    std::string content;  // the file's bytes, or one encoding of them
  };

  Entry* find(const std::string& key) {
    const auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return &*it->second;
  }

  Entry& put(std::string key, const struct stat& st, std::string content, std::size_t budget) {
    erase(key);
    bytes_ += content.size() + key.size();
    lru_.push_front(Entry{std::move(key), st, Clock::now(), std::move(content)});
    index_.emplace(lru_.front().key, lru_.begin());
    Entry& fresh = lru_.front();
    while (bytes_ > budget && lru_.size() > 1) erase(lru_.back().key);
    return fresh;
  }

  void erase(const std::string& key) {
    const auto it = index_.find(key);
    if (it == index_.end()) return;
    bytes_ -= it->second->content.size() + it->second->key.size();
    const auto node = it->second;
    index_.erase(it);
    lru_.erase(node);
  }

 private:
  std::list<Entry> lru_;
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
  std::size_t bytes_ = 0;
};

bool same_file(const struct stat& a, const struct stat& b) noexcept {
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

std::string read_all(int fd, std::size_t size) {
  std::string out(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

Response not_found() {
  return Response::error(404);
}

}  // namespace

// ---- StaticFiles --------------------------------------------------------------------------------

StaticFiles::StaticFiles(StaticOptions options) : shared_(std::make_shared<Shared>()) {
  shared_->options = std::move(options);
  const std::string root = shared_->options.root.string();
  shared_->root.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!shared_->root) throw_errno(fmt::format("static files root '{}'", root));
}

namespace {

class Serve {
 public:
  Serve(const StaticFiles::Shared& shared, Request& request)
      : o_(shared.options),
        root_(shared.root.get()),
        request_(request),
        cache_(EventLoop::current().service<StaticCache>()),
        key_prefix_(fmt::format("{}:", static_cast<const void*>(&shared))) {}

  Response run();

 private:
  struct Opened {
    UniqueFd fd;  // open unless served from the cache
    struct stat st {};
    StaticCache::Entry* cached = nullptr;
  };
  // Opens (or finds fresh in the cache) `relative`; errno-style failure in `error`.
  bool open(const std::string& relative, Opened& out, int& error);
  Response serve_file(const std::string& relative, Opened file);
  Response listing(const std::string& relative, UniqueFd dir);
  std::optional<Response> precompressed(const std::string& relative, std::string_view type);
  bool not_modified(std::string_view etag, std::time_t mtime) const;

  const StaticOptions& o_;
  int root_;
  Request& request_;
  StaticCache& cache_;
  std::string key_prefix_;
};

bool Serve::open(const std::string& relative, Opened& out, int& error) {
  const std::string key = key_prefix_ + relative;
  StaticCache::Entry* entry = cache_.find(key);
  if (entry != nullptr && Clock::now() - entry->checked < o_.revalidate) {
    out.st = entry->st;
    out.cached = entry;
    return true;
  }
  UniqueFd fd = open_beneath(root_, relative);
  if (!fd) {
    error = errno;
    if (entry != nullptr) cache_.erase(key);
    return false;
  }
  if (::fstat(fd.get(), &out.st) != 0) {
    error = errno;
    return false;
  }
  out.fd = std::move(fd);
  if (entry != nullptr) {
    if (same_file(entry->st, out.st)) {
      entry->checked = Clock::now();
      out.cached = entry;
    } else {
      cache_.erase(key);
    }
  }
  return true;
}

Response Serve::run() {
  const auto relative = safe_relative_path(request_.param(o_.route_param));
  if (!relative) return not_found();
  // From the request's own path: under a prefix ("/static/{path...}"), "/static" has an empty
  // parameter yet no trailing slash.
  const bool trailing_slash = request_.path().ends_with('/');
  Opened file;
  int error = 0;
  if (!open(*relative, file, error)) {
    if (error == EACCES || error == EPERM) return Response::error(403);
    return not_found();  // ENOENT, ENOTDIR, and EXDEV/ELOOP for a way out of the root alike
  }
  if (S_ISDIR(file.st.st_mode)) {
    if (!trailing_slash) {
      // "/docs" → "/docs/": relative links in the page must resolve inside the directory.
      Response r(301);
      std::string location = std::string(request_.path()) + "/";
      if (!request_.query_string().empty()) location += "?" + std::string(request_.query_string());
      r.headers.set("Location", std::move(location));
      return r;
    }
    if (!o_.index.empty()) {
      const std::string index = relative->empty() ? o_.index : *relative + "/" + o_.index;
      Opened index_file;
      int index_error = 0;
      if (open(index, index_file, index_error) && S_ISREG(index_file.st.st_mode)) {
        return serve_file(index, std::move(index_file));
      }
    }
    if (!o_.listing) return Response::error(403, "directory listing is off");
    if (!file.fd) file.fd = open_beneath(root_, *relative);
    return listing(*relative, std::move(file.fd));
  }
  if (!S_ISREG(file.st.st_mode) || trailing_slash) return not_found();  // "file.txt/": no dir
  return serve_file(*relative, std::move(file));
}

bool Serve::not_modified(std::string_view etag, std::time_t mtime) const {
  // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
  if (const auto inm = request_.header("if-none-match")) return none_match_hits(*inm, etag);
  if (const auto ims = request_.header("if-modified-since")) {
    const auto since = try_parse_http_date(*ims);
    return since && mtime <= *since;
  }
  return false;
}

std::optional<Response> Serve::precompressed(const std::string& relative, std::string_view type) {
  if (!o_.precompressed) return std::nullopt;
  static constexpr std::array<codec::Encoding, 2> offered{codec::Encoding::br,
                                                          codec::Encoding::gzip};
  const codec::Encoding chosen =
      codec::negotiate(request_.header("accept-encoding").value_or(""), offered);
  if (chosen == codec::Encoding::identity) return std::nullopt;
  const std::string sibling = relative + (chosen == codec::Encoding::br ? ".br" : ".gz");
  Opened file;
  int error = 0;
  if (!open(sibling, file, error)) return std::nullopt;
  if (!S_ISREG(file.st.st_mode)) return std::nullopt;
  // The sibling is its own representation: its validators are its own.
  Response r(200);
  r.headers.set("Vary", "Accept-Encoding");
  r.headers.set("ETag", make_etag(file.st, codec::to_string(chosen)));
  r.headers.set("Last-Modified", format_http_date(file.st.st_mtim.tv_sec));
  if (not_modified(*r.headers.get("etag"), file.st.st_mtim.tv_sec)) {
    r.status = 304;
    return r;
  }
  r.headers.set("Content-Type", std::string(type));
  r.headers.set("Content-Encoding", codec::to_string(chosen));
  if (!file.fd) file.fd = open_beneath(root_, sibling);
  r.file =
      Response::FileBody{share(std::move(file.fd)), 0, static_cast<std::uint64_t>(file.st.st_size)};
  return r;
}

Response Serve::serve_file(const std::string& relative, Opened file) {
  Fd owned = file.fd ? share(std::move(file.fd)) : nullptr;
  const auto size = static_cast<std::uint64_t>(file.st.st_size);
  const std::string_view type = mime_type(relative);
  const std::string etag = make_etag(file.st);
  const std::string last_modified = format_http_date(file.st.st_mtim.tv_sec);
  const bool compressible = is_compressible(type);

  Response r(200);
  r.headers.set("Content-Type", std::string(type));
  r.headers.set("Accept-Ranges", "bytes");
  if (compressible) r.headers.set("Vary", "Accept-Encoding");

  // A Range request gets the identity encoding.
  const auto range_header = request_.header("range");
  bool range_applies = range_header.has_value();
  if (const auto if_range = request_.header("if-range"); if_range && range_applies) {
    range_applies = *if_range == etag || *if_range == last_modified;
  }
  if (!range_applies) {
    if (auto sibling = precompressed(relative, type)) return std::move(*sibling);
  }

  // Which representation is sent decides the validator the conditionals compare with.
  codec::Encoding chosen = codec::Encoding::identity;
  if (compressible && o_.compress && !range_applies && size >= 256 && size <= o_.compress_max) {
    static constexpr std::array<codec::Encoding, 3> offered{
        codec::Encoding::br, codec::Encoding::zstd, codec::Encoding::gzip};
    chosen = codec::negotiate(request_.header("accept-encoding").value_or(""), offered);
  }
  r.headers.set("ETag", chosen == codec::Encoding::identity
                            ? etag
                            : make_etag(file.st, codec::to_string(chosen)));
  r.headers.set("Last-Modified", last_modified);
  if (not_modified(*r.headers.get("etag"), file.st.st_mtim.tv_sec)) {
    r.status = 304;
    r.headers.remove("Content-Type");
    return r;
  }

  // The bytes: from the cache, or from the file.
  const std::string key = key_prefix_ + relative;
  const bool small = size <= o_.cache_file_max;
  const std::string* content = nullptr;
  if (file.cached != nullptr) {
    content = &file.cached->content;
  } else if (small) {
    if (!owned) owned = share(open_beneath(root_, relative));
    content = &cache_.put(key, file.st, read_all(owned->get(), size), o_.cache_bytes).content;
  }

  if (range_applies) {
    ByteRange range;
    switch (parse_range(*range_header, size, range)) {
      case RangeKind::unsatisfiable: {
        Response refused = Response::error(416);
        refused.headers.set("Content-Range", fmt::format("bytes */{}", size));
        return refused;
      }
      case RangeKind::satisfiable:
        r.status = 206;
        r.headers.set("Content-Range", fmt::format("bytes {}-{}/{}", range.first,
                                                   range.first + range.length - 1, size));
        if (content != nullptr) {
          r.body = content->substr(range.first, range.length);
        } else {
          r.file = Response::FileBody{owned, range.first, range.length};
        }
        return r;
      case RangeKind::none:
        break;
    }
  }

  // On-the-fly compression of text types, each encoding cached beside the file.
  {
    if (chosen != codec::Encoding::identity) {
      // NUL cannot occur in a path (refused above): no file's key can be a variant's.
      const std::string variant_key = key + '\0' + codec::to_string(chosen);
      StaticCache::Entry* variant = cache_.find(variant_key);
      if (variant == nullptr || !same_file(variant->st, file.st)) {
        if (content == nullptr && !owned) owned = share(open_beneath(root_, relative));
        const std::string plain = content != nullptr ? *content : read_all(owned->get(), size);
        variant = &cache_.put(
            variant_key, file.st,
            codec::compress(chosen, std::as_bytes(std::span(plain.data(), plain.size()))),
            o_.cache_bytes);
      }
      r.headers.set("Content-Encoding", codec::to_string(chosen));
      r.body = variant->content;
      return r;
    }
  }

  if (content != nullptr) {
    r.body = *content;
  } else {
    if (!owned) owned = share(open_beneath(root_, relative));
    r.file = Response::FileBody{owned, 0, size};
  }
  return r;
}

Response Serve::listing(const std::string& relative, UniqueFd dir_fd) {
  if (!dir_fd) return not_found();
  struct CloseDir {
    void operator()(DIR* d) const noexcept { ::closedir(d); }
  };
  const std::unique_ptr<DIR, CloseDir> dir(::fdopendir(dir_fd.get()));
  if (!dir) return Response::error(403);
  // The stream owns the descriptor now: closedir closes it.
  static_cast<void>(dir_fd.release());
  struct Item {
    std::string name;
    bool directory;
    std::uint64_t size;
    std::time_t mtime;
  };
  std::vector<Item> items;
  while (const dirent* e = ::readdir(dir.get())) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    // The entry itself, not what a link points to: a link may lead outside the root.
    if (::fstatat(::dirfd(dir.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    items.push_back({std::string(name), S_ISDIR(st.st_mode), static_cast<std::uint64_t>(st.st_size),
                     st.st_mtim.tv_sec});
  }
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.directory != b.directory ? a.directory : a.name < b.name;
  });
  const std::string title = "/" + relative + (relative.empty() ? "" : "/");
  std::string page = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\"><title>Index of {0}</title>"
      "<style>body{{font:15px system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;"
      "color:#222}}h1{{font-size:1.3em;font-weight:600}}table{{border-collapse:collapse;width:100%}"
      "}"
      "th,td{{text-align:left;padding:.35em .8em;border-bottom:1px solid #eee}}"
      "th{{color:#666;font-weight:500}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}"
      "a{{color:#0b5cad;text-decoration:none}}a:hover{{text-decoration:underline}}</style></head>"
      "<body><h1>Index of {0}</h1><table><tr><th>Name</th><th class=\"n\">Size</th>"
      "<th>Modified</th></tr>\n",
      html_escape(title));
  if (!relative.empty()) page += "<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n";
  for (const Item& item : items) {
    const std::string shown = item.name + (item.directory ? "/" : "");
    page +=
        fmt::format("<tr><td><a href=\"{}\">{}</a></td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                    html_escape(percent_encode(shown, "/")), html_escape(shown),
                    item.directory ? "" : format_size(item.size), format_http_date(item.mtime));
  }
  page += "</table></body></html>\n";
  return Response::html(std::move(page));
}

}  // namespace

Task<Response> StaticFiles::operator()(Request& request) const {
  // File system calls are short here (small files come from memory); the ones that block on a
  // cold disk are the price of not hopping threads for the common case.
  co_return Serve(*shared_, request).run();
}

}  // namespace wirekit::http
