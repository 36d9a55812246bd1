#include <cerrno>
#include <charconv>
#include <map>

#include <fcntl.h>
#include <unistd.h>

#include <wirekit/core/fd.hpp>
#include <wirekit/core/task_group.hpp>
#include <wirekit/http/fetch.hpp>

namespace wirekit::http {
namespace {

// The file being written: FILE.part, appended to or truncated as the answer decides.
class PartFile {
 public:
  explicit PartFile(std::filesystem::path part) : part_(std::move(part)) {}

  std::uint64_t existing_size() const {
    std::error_code ec;
    const auto size = std::filesystem::file_size(part_, ec);
    return ec ? 0 : size;
  }
  void open(bool append) {
    fd_.reset(::open(part_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC),
                     0644));
    if (!fd_) throw_errno("open " + part_.string());
  }
  void write(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_.get(), data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("write " + part_.string());
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Closes the file and gives it its final name.
  void complete(const std::filesystem::path& path) {
    if (!fd_.close()) throw_errno("close " + part_.string());
    std::filesystem::rename(part_, path);
  }
  bool is_open() const noexcept { return fd_.valid(); }

 private:
  std::filesystem::path part_;
  UniqueFd fd_;
};

// The total size in "Content-Range: bytes */N" or "bytes A-B/N".
std::optional<std::uint64_t> range_total(std::string_view content_range) {
  const auto slash = content_range.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::uint64_t total = 0;
  const char* begin = content_range.data() + slash + 1;
  const char* end = content_range.data() + content_range.size();
  if (std::from_chars(begin, end, total).ptr != end) return std::nullopt;
  return total;
}

std::optional<std::uint64_t> range_start(std::string_view content_range) {
  const auto space = content_range.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::uint64_t start = 0;
  const char* begin = content_range.data() + space + 1;
  if (std::from_chars(begin, content_range.data() + content_range.size(), start).ec !=
      std::errc()) {
    return std::nullopt;
  }
  return start;
}

std::string status_text(const ClientResponse& r) {
  return std::to_string(r.status) + " " +
         (r.reason.empty() ? std::string(reason_phrase(r.status)) : r.reason);
}

// "report.pdf" for ".../report.pdf?x=1", "index.html" for ".../".
std::string file_name_of(const std::string& url_text) {
  std::string name;
  try {
    const Url url = Url::parse(url_text);
    const std::string_view path = std::string_view(url.target).substr(0, url.target.find('?'));
    name = path.substr(path.rfind('/') + 1);
  } catch (const Error&) {
  }
  if (name.empty() || name == "." || name == "..") name = "index.html";
  return name;
}

}  // namespace

namespace {

Task<DownloadResult> download_to(Session& session, std::string url, std::filesystem::path path,
                                 RequestOptions options,
                                 std::function<void(std::size_t)> on_bytes) {
  DownloadResult result{.url = url, .path = path};
  std::optional<PartFile> file;
  std::uint64_t offset = 0;
  // A Range of the caller's own asks for those bytes: the answer is the file, written afresh;
  // resuming a part file applies only to the ranges we ask for.
  const bool callers_range = options.headers.get("Range").has_value();
  if (!path.empty()) {
    file.emplace(std::filesystem::path(path).concat(".part"));
    if (!callers_range) offset = file->existing_size();
    if (offset > 0) options.headers.set("Range", "bytes=" + std::to_string(offset) + "-");
  }
  bool complete_already = false;
  options.on_head = [&](const ClientResponse& head) {
    result.status = head.status;
    if (!file || head.status >= 400) {
      if (head.status == 416 && offset > 0) {
        const auto total = range_total(head.header("Content-Range").value_or(""));
        complete_already =
            total && *total == offset;  // the part was whole; only the rename was missing
      }
      return;
    }
    const auto start = range_start(head.header("Content-Range").value_or(""));
    result.resumed = head.status == 206 && offset > 0 && start == offset;
    if (head.status == 206 && !result.resumed && !callers_range) {
      throw Error(errc::protocol_error, "the server answered a different range than asked");
    }
    file->open(result.resumed);
  };
  options.on_body = [&](std::string_view piece) {
    if (result.status >= 400) return;  // an error page is not the file
    if (file && file->is_open()) file->write(piece);
    result.bytes += piece.size();
    if (on_bytes) on_bytes(piece.size());
  };
  try {
    const ClientResponse response = co_await session.get(url, std::move(options));
    result.status = response.status;
    if (complete_already) {
      file->complete(path);
      result.resumed = true;
    } else if (response.status >= 400) {
      result.error = status_text(response);
    } else if (file) {
      if (!file->is_open()) file->open(false);  // an empty body still makes a file
      file->complete(path);
    }
  } catch (const Error& e) {
    result.error = e.what();  // FILE.part stays, to be resumed
  }
  co_return result;
}

}  // namespace

Task<DownloadResult> download(Session& session, std::string_view url, std::string_view path,
                              RequestOptions options, std::function<void(std::size_t)> on_bytes) {
  return download_to(session, std::string(url), std::filesystem::path(path), std::move(options),
                     std::move(on_bytes));
}

Task<std::vector<DownloadResult>> fetch_all(std::vector<std::string> urls, FetchOptions options) {
  const std::size_t concurrency = std::max<std::size_t>(1, options.concurrency);
  Session session({.limit = concurrency,
                   .limit_per_host = options.per_host,
                   .timeouts = options.timeouts,
                   .decompress = false,
                   .tls = options.tls});
  std::vector<std::filesystem::path> paths(urls.size());
  if (options.directory) {
    std::filesystem::create_directories(*options.directory);
    std::map<std::string, int> seen;
    for (std::size_t i = 0; i < urls.size(); ++i) {
      const std::string name = file_name_of(urls[i]);
      const int n = seen[name]++;
      paths[i] = *options.directory / (n == 0 ? name : name + "." + std::to_string(n));
    }
  }
  std::vector<DownloadResult> results(urls.size());
  std::size_t next = 0;
  auto worker = [&]() -> Task<void> {
    while (next < urls.size()) {
      const std::size_t i = next++;
      RequestOptions request;  // named, not braced: see the g++ 12 note in client.hpp
      request.headers = options.headers;
      const std::string path = paths[i].string();
      results[i] = co_await download(session, urls[i], path, std::move(request), options.on_bytes);
      if (options.on_done) options.on_done(results[i]);
    }
  };
  TaskGroup group;
  for (std::size_t w = 0; w < std::min(concurrency, urls.size()); ++w) group.spawn(worker());
  co_await group.join();
  co_return results;
}

}  // namespace wirekit::http
