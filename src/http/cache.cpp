// The private HTTP cache (include/wirekit/http/cache.hpp): Cache-Control and freshness
// (RFC 9111 §4.2, §5.2), Vary (§4.1), validation (§4.3), an LRU in memory and one file per
// entry on disk.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <list>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wirekit/core/error.hpp>
#include <wirekit/http/cache.hpp>
#include <wirekit/http/date.hpp>
#include <wirekit/http/parser.hpp>

namespace wirekit::http {

namespace {

namespace fs = std::filesystem;
using Clock = Cache::Clock;
using Seconds = std::chrono::seconds;
using namespace std::chrono_literals;

// Variants of one URL (different Accept-Encoding, say) kept side by side; beyond this the
// least recently used goes, so a Vary on a field that changes with every request cannot fill
// the cache with one URL.
constexpr std::size_t max_variants_per_url = 4;
// §4.2.2: a heuristic lifetime is 10% of the time since Last-Modified, at most a day.
constexpr Seconds max_heuristic_lifetime = 24h;
// The largest delta-seconds (§1.2.2); lifetimes and ages are capped there too, so adding clock
// durations to them cannot overflow.
constexpr Seconds max_delta_seconds{2147483648};

// ---- Field values --------------------------------------------------------------------------

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t';
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The non-empty members of a comma-separated list, trimmed.
std::vector<std::string_view> list_members(std::string_view value) {
  std::vector<std::string_view> out;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    const std::string_view member = trim_ows(value.substr(0, comma));
    if (!member.empty()) out.push_back(member);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

// A request's value of `name` as Vary compares it (§4.1): every field of that name, each list
// member trimmed and its runs of whitespace made one space, joined by ", ". Absent fields give
// nullopt, which only matches another absence.
std::optional<std::string> vary_value(const Headers& request, std::string_view name) {
  std::optional<std::string> out;
  for (const auto [field, value] : request) {
    if (!iequals(field, name)) continue;
    if (!out) out.emplace();
    for (const std::string_view member : list_members(value)) {
      if (!out->empty()) *out += ", ";
      bool in_space = false;
      for (const char c : member) {
        if (is_space(c)) {
          in_space = true;
          continue;
        }
        if (in_space) *out += ' ';
        in_space = false;
        *out += c;
      }
    }
  }
  return out;
}

// The fields a response's Vary names, lower case; nullopt for "Vary: *", which no later
// request can be shown to match.
std::optional<std::vector<std::string>> vary_fields(const Headers& response) {
  std::vector<std::string> names;
  for (const auto [field, value] : response) {
    if (!iequals(field, "vary")) continue;
    for (const std::string_view member : list_members(value)) {
      if (member == "*") return std::nullopt;
      std::string name = ascii_lower(member);
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(std::move(name));
      }
    }
  }
  return names;
}

std::optional<std::time_t> date_field(const Headers& headers, std::string_view name) {
  const auto value = headers.get(name);
  return value ? try_parse_http_date(trim_ows(*value)) : std::nullopt;
}

Seconds since_epoch(Clock::time_point t) {
  return std::chrono::floor<Seconds>(t.time_since_epoch());
}

// delta-seconds (§1.2.2): digits only; larger values than the cap mean the cap, as asked.
std::optional<Seconds> delta_seconds(std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range || value > max_delta_seconds.count()) {
    return max_delta_seconds;
  }
  return Seconds(value);
}

// Weak comparison (RFC 9110 §8.8.3.2): "W/" aside, the opaque tags are equal.
bool same_entity_tag(std::string_view a, std::string_view b) noexcept {
  a = trim_ows(a);
  b = trim_ows(b);
  if (a.starts_with("W/")) a.remove_prefix(2);
  if (b.starts_with("W/")) b.remove_prefix(2);
  return a == b;
}

// ---- Cache-Control (§5.2) ------------------------------------------------------------------

struct CacheControl {
  bool no_store = false;
  bool no_cache = false;
  bool must_revalidate = false;
  // public, s-maxage or must-revalidate: §3.5's permission to store an answer to a request
  // with Authorization.
  bool allows_authorized = false;
  std::optional<Seconds> max_age;
  std::optional<Seconds> max_stale;
  std::optional<Seconds> min_fresh;

  void apply(std::string_view directive, std::optional<std::string_view> argument) {
    if (iequals(directive, "no-store")) {
      no_store = true;
    } else if (iequals(directive, "no-cache")) {
      // The form naming fields ("no-cache=Set-Cookie") is taken as the plain one, as most
      // caches do (§5.2.2.4): revalidating more often is always correct.
      no_cache = true;
    } else if (iequals(directive, "must-revalidate")) {
      must_revalidate = true;
      allows_authorized = true;
    } else if (iequals(directive, "proxy-revalidate")) {
      // It binds shared caches only; honouring it here too costs at most a revalidation.
      must_revalidate = true;
    } else if (iequals(directive, "public") || iequals(directive, "s-maxage")) {
      allows_authorized = true;  // s-maxage's lifetime is for shared caches: ignored
    } else if (iequals(directive, "max-age")) {
      // The first occurrence counts (§4.2.1); one that is not a number makes the response
      // stale rather than leaving its lifetime to Expires.
      if (!max_age) max_age = argument ? delta_seconds(*argument).value_or(0s) : 0s;
    } else if (iequals(directive, "max-stale")) {
      max_stale = argument ? delta_seconds(*argument) : Seconds::max();  // bare: any staleness
    } else if (iequals(directive, "min-fresh")) {
      if (argument) min_fresh = delta_seconds(*argument);
    }
  }

  // One field value: `token [ "=" ( token / quoted-string ) ]`, comma-separated. A quoted
  // argument arrives unquoted (recipients accept both forms, §5.2), and commas inside quotes
  // do not split.
  void parse(std::string_view value) {
    std::size_t at = 0;
    const auto skip_space = [&] {
      while (at < value.size() && is_space(value[at])) ++at;
    };
    while (at < value.size()) {
      skip_space();
      const std::size_t name_start = at;
      while (at < value.size() && is_token_char(static_cast<unsigned char>(value[at]))) ++at;
      const std::string_view name = value.substr(name_start, at - name_start);
      skip_space();
      std::optional<std::string_view> argument;
      std::string unquoted;
      if (at < value.size() && value[at] == '=') {
        ++at;
        skip_space();
        if (at < value.size() && value[at] == '"') {
          for (++at; at < value.size() && value[at] != '"'; ++at) {
            if (value[at] == '\\' && at + 1 < value.size()) ++at;
            unquoted += value[at];
          }
          ++at;  // the closing quote
          argument = unquoted;
        } else {
          const std::size_t arg_start = at;
          while (at < value.size() && value[at] != ',' && !is_space(value[at])) ++at;
          argument = value.substr(arg_start, at - arg_start);
        }
      }
      // Whatever else precedes the next comma is malformed; skipping it keeps the directives
      // after it.
      while (at < value.size() && value[at] != ',') ++at;
      ++at;
      if (!name.empty()) apply(name, argument);
    }
  }
};

CacheControl response_cache_control(const Headers& headers) {
  CacheControl out;
  for (const auto [field, value] : headers) {
    if (iequals(field, "cache-control")) out.parse(value);
  }
  return out;
}

CacheControl request_cache_control(const Headers& headers) {
  CacheControl out = response_cache_control(headers);
  // §5.4: without Cache-Control, a request's "Pragma: no-cache" means "Cache-Control: no-cache".
  if (!headers.contains("Cache-Control")) {
    const auto pragma = headers.get("Pragma");
    out.no_cache = pragma && list_contains(*pragma, "no-cache");
  }
  return out;
}

// ---- Entries -------------------------------------------------------------------------------

struct VaryValue {
  std::string name;  // lower case
  std::optional<std::string> value;
  bool operator==(const VaryValue&) const = default;
};

// A stored response with what selecting it and computing its age need. Immutable once made:
// lookups share it (std::shared_ptr<const Entry>) and copy what they hand out outside the lock.
struct Entry {
  std::string key;              // Url::str()
  std::vector<VaryValue> vary;  // the request's values of the fields the response's Vary names
  CachedResponse response;
  Clock::time_point request_time;
  Clock::time_point response_time;

  bool selected_by(const Headers& request) const {
    return std::all_of(vary.begin(), vary.end(),
                       [&](const VaryValue& v) { return vary_value(request, v.name) == v.value; });
  }

  std::size_t bytes() const noexcept {
    std::size_t total =
        key.size() + response.reason.size() + response.headers.wire().size() + response.body.size();
    for (const VaryValue& v : vary) total += v.name.size() + (v.value ? v.value->size() : 0);
    return total;
  }
};

// date_value (§4.2.3): the Date field, or when the response arrived if it has none.
Seconds date_value(const Headers& headers, Clock::time_point response_time) {
  const auto date = date_field(headers, "Date");
  return date ? Seconds(*date) : since_epoch(response_time);
}

// corrected_initial_age (§4.2.3): what the response's age was when it arrived, the larger of
// what the clocks say and what the Age field plus the round trip say.
Seconds initial_age(const Headers& headers, Clock::time_point request_time,
                    Clock::time_point response_time) {
  const auto age_field = headers.get("Age");
  const Seconds age_value = age_field ? delta_seconds(trim_ows(*age_field)).value_or(0s) : 0s;
  const Seconds apparent_age =
      std::max(0s, since_epoch(response_time) - date_value(headers, response_time));
  const Seconds response_delay =
      std::max(0s, std::chrono::floor<Seconds>(response_time - request_time));
  return std::min(std::max(apparent_age, age_value + response_delay), max_delta_seconds);
}

Seconds current_age(const Entry& entry, Clock::time_point now) {
  const Seconds resident_time =
      std::max(0s, std::chrono::floor<Seconds>(now - entry.response_time));
  return initial_age(entry.response.headers, entry.request_time, entry.response_time) +
         std::min(resident_time, max_delta_seconds);
}

// §4.2.1: max-age, else Expires − Date, else the heuristic of §4.2.2, else nothing.
Seconds freshness_lifetime(const Entry& entry, const CacheControl& response) {
  if (response.max_age) return *response.max_age;
  const Headers& headers = entry.response.headers;
  const Seconds date = date_value(headers, entry.response_time);
  if (const auto expires = headers.get("Expires")) {
    // An Expires that is not a date ("0", "-1") means already expired (§5.3).
    const auto at = try_parse_http_date(trim_ows(*expires));
    return at ? std::clamp(Seconds(*at) - date, 0s, max_delta_seconds) : 0s;
  }
  // Every status this cache stores is heuristically cacheable (RFC 9110 §15.1), so a
  // Last-Modified is all the heuristic needs.
  if (const auto last_modified = date_field(headers, "Last-Modified")) {
    return std::clamp((date - Seconds(*last_modified)) / 10, 0s, max_heuristic_lifetime);
  }
  return 0s;
}

// Whether a stored response may answer without asking the server (§4.2, §5.2.1).
bool may_serve(const CacheControl& request, const CacheControl& response, Seconds age,
               Seconds lifetime) {
  if (request.no_cache || response.no_cache) return false;
  // max-age=0 is how clients ask for revalidation: an age that rounds down to 0 must not pass.
  if (request.max_age && (*request.max_age == 0s || age > *request.max_age)) return false;
  if (lifetime > age) return !request.min_fresh || lifetime - age >= *request.min_fresh;
  // Stale: only within the request's max-stale, and never against must-revalidate (§5.2.2.2).
  return request.max_stale && !response.must_revalidate && age - lifetime <= *request.max_stale;
}

// The conditional fields that revalidate `stored` (§4.3.1); empty when it has no validator.
Headers validators_for(const CachedResponse& stored) {
  Headers out;
  if (const auto etag = stored.headers.get("ETag")) out.set("If-None-Match", trim_ows(*etag));
  if (const auto last_modified = date_field(stored.headers, "Last-Modified")) {
    out.set("If-Modified-Since", format_http_date(*last_modified));
  }
  return out;
}

// The heuristically cacheable statuses of RFC 9110 §15.1 but 206: parts of a body are not kept.
bool stored_status(int status) noexcept {
  switch (status) {
    case 200:
    case 203:
    case 204:
    case 300:
    case 301:
    case 308:
    case 404:
    case 405:
    case 410:
    case 414:
    case 501:
      return true;
    default:
      return false;
  }
}

// Conditional and range requests go to the server as the caller wrote them: answering them
// from the cache would mean evaluating their preconditions here (§4.3.2).
bool passes_through(const Headers& request) noexcept {
  return request.contains("If-None-Match") || request.contains("If-Modified-Since") ||
         request.contains("If-Match") || request.contains("If-Unmodified-Since") ||
         request.contains("If-Range") || request.contains("Range");
}

// A whole, newer answer makes the stored one outdated even when it may not be stored itself.
// A server error does not (the entry stays for the next revalidation), nor does a 304 or 206
// answering the caller's own conditional or range request.
bool supersedes_stored(int status) noexcept {
  return status < 500 && status != 304 && status != 206;
}

bool is_safe_method(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE";
}

// The entry `response` makes, or nullopt when RFC 9111 §3 (or usefulness) says not to store it.
std::optional<Entry> make_entry(const std::string& key, const Headers& request,
                                const CachedResponse& response, Clock::time_point request_time,
                                Clock::time_point response_time, std::size_t max_entry_bytes) {
  if (!stored_status(response.status)) return std::nullopt;
  const CacheControl response_cc = response_cache_control(response.headers);
  if (request_cache_control(request).no_store || response_cc.no_store) return std::nullopt;
  // §3.5 asks this of shared caches; a Cache shared by sessions may hold several users'
  // answers, so it is one.
  if (request.contains("Authorization") && !response_cc.allows_authorized) return std::nullopt;
  const auto fields = vary_fields(response.headers);
  if (!fields) return std::nullopt;

  Entry entry{key, {}, response, request_time, response_time};
  for (const std::string& name : *fields) entry.vary.push_back({name, vary_value(request, name)});
  if (entry.bytes() > max_entry_bytes) return std::nullopt;
  // Never fresh and nothing to revalidate with: it could never answer a request.
  const bool can_be_fresh = !response_cc.no_cache && freshness_lifetime(entry, response_cc) >
                                                         current_age(entry, response_time);
  if (!can_be_fresh && validators_for(response).empty()) return std::nullopt;
  return entry;
}

// §3.2: a 304's fields replace the stored ones of the same name, except those describing the
// stored body's framing and coding, which a response without a body cannot speak for.
void update_headers(Headers& stored, const Headers& update) {
  std::vector<std::string_view> replaced;
  for (const Headers::Field field : update) {
    const std::string_view name = field.first;  // (clang 14 cannot capture a structured binding)
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
        iequals(name, "content-encoding")) {
      continue;
    }
    if (std::none_of(replaced.begin(), replaced.end(),
                     [&](std::string_view seen) { return iequals(seen, name); })) {
      stored.remove(name);
      replaced.push_back(name);
    }
    stored.add(name, field.second);
  }
}

// ---- Entry files ---------------------------------------------------------------------------
//
// "<16 hex digits of the key's hash>-<slot>", a slot per variant of the URL. Each holds
//   prefix: "WKCACHE1", head size, tail size, checksum of head and tail (8 bytes each)
//   head:   key, request time, response time, vary count, (name, present, value) per field
//   tail:   status, reason, header lines, body
// with numbers as 8 bytes little-endian and strings as their size then their bytes. The key in
// the head is compared on every read, so two URLs with the same hash never see each other's
// entries; the head alone says which slot holds what, so finding one reads no body but its own.

constexpr std::string_view file_magic = "WKCACHE1";
constexpr std::size_t file_prefix_size = 32;
// A file may exceed its entry's bytes by its framing: sizes, times and the status.
constexpr std::size_t file_framing_allowance = 64u << 10;

// FNV-1a: stable across processes and builds, unlike std::hash, so files are found again.
std::uint64_t fnv1a(std::string_view data, std::uint64_t hash = 0xcbf29ce484222325) noexcept {
  for (const char c : data) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3;
  }
  return hash;
}

void put_number(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_number(out, bytes.size());
  out += bytes;
}

std::uint64_t time_number(Clock::time_point t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

Clock::time_point number_time(std::uint64_t n) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::nanoseconds(static_cast<std::int64_t>(n))));
}

// Reads what put_number/put_bytes wrote; a read past the end fails the whole decoding.
class Decoder {
 public:
  explicit Decoder(std::string_view in) noexcept : in_(in) {}

  std::uint64_t number() noexcept {
    if (in_.size() < 8) {
      failed_ = true;
      return 0;
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      value |= std::uint64_t{static_cast<unsigned char>(in_[i])} << (8 * i);
    }
    in_.remove_prefix(8);
    return value;
  }

  std::string_view bytes() noexcept {
    const std::uint64_t size = number();
    if (size > in_.size()) failed_ = true;
    if (failed_) return {};
    const std::string_view out = in_.substr(0, size);
    in_.remove_prefix(size);
    return out;
  }

  bool failed() const noexcept { return failed_; }
  // Everything read was there, and nothing is left over.
  bool complete() const noexcept { return !failed_ && in_.empty(); }

 private:
  std::string_view in_;
  bool failed_ = false;
};

std::string encode_head(const Entry& entry) {
  std::string out;
  put_bytes(out, entry.key);
  put_number(out, time_number(entry.request_time));
  put_number(out, time_number(entry.response_time));
  put_number(out, entry.vary.size());
  for (const VaryValue& v : entry.vary) {
    put_bytes(out, v.name);
    put_number(out, std::uint64_t{v.value.has_value()});
    put_bytes(out, v.value.value_or(""));
  }
  return out;
}

bool decode_head(std::string_view head, Entry& entry) {
  Decoder in(head);
  entry.key = in.bytes();
  entry.request_time = number_time(in.number());
  entry.response_time = number_time(in.number());
  const std::uint64_t count = in.number();
  for (std::uint64_t i = 0; i < count && !in.failed(); ++i) {
    VaryValue v{std::string(in.bytes()), std::nullopt};
    const std::uint64_t present = in.number();
    const std::string_view value = in.bytes();
    if (present > 1) return false;
    if (present == 1) v.value = value;
    entry.vary.push_back(std::move(v));
  }
  return in.complete();
}

// Throws Error (from Headers::add) for a header line no Headers could have produced.
bool decode_tail(std::string_view tail, CachedResponse& response) {
  Decoder in(tail);
  const std::uint64_t status = in.number();
  response.reason = in.bytes();
  std::string_view lines = in.bytes();
  response.body = in.bytes();
  if (!in.complete() || status < 100 || status > 999) return false;
  response.status = static_cast<int>(status);
  while (!lines.empty()) {
    const std::size_t eol = lines.find("\r\n");
    const std::size_t colon = lines.find(": ");
    if (eol == std::string_view::npos || colon > eol) return false;
    response.headers.add(lines.substr(0, colon), lines.substr(colon + 2, eol - colon - 2));
    lines.remove_prefix(eol + 2);
  }
  return true;
}

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

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

class EntryFiles {
 public:
  EntryFiles(fs::path directory, std::size_t max_entry_bytes)
      : directory_(std::move(directory)),
        max_file_bytes_(max_entry_bytes + file_framing_allowance) {
    std::error_code error;
    fs::create_directories(directory_, error);
    if (error) {
      throw Error(error, "cache directory '" + directory_.string() + "': " + error.message());
    }
  }

  // The most recent entry for `key` that `request` selects.
  std::optional<Entry> find(const std::string& key, const Headers& request) {
    std::optional<Entry> best;
    for (std::size_t slot = 0; slot < max_variants_per_url; ++slot) {
      const fs::path path = slot_path(key, slot);
      const auto head = read(path, Part::head);
      if (!head || head->key != key || !head->selected_by(request) ||
          (best && best->response_time >= head->response_time)) {
        continue;
      }
      // Read again, whole: another process may have replaced the file since.
      auto whole = read(path, Part::whole);
      if (whole && whole->key == key && whole->selected_by(request)) best = std::move(whole);
    }
    return best;
  }

  // Writes `entry` over the variant `request` selects, else into a free slot, else over the
  // variant stored longest ago.
  void put(const Entry& entry, const Headers& request) {
    std::optional<std::size_t> same;
    std::optional<std::size_t> free;
    std::size_t oldest = 0;
    std::optional<Clock::time_point> oldest_time;
    for (std::size_t slot = 0; slot < max_variants_per_url; ++slot) {
      const auto head = read(slot_path(entry.key, slot), Part::head);
      // A slot held by another URL with the same hash is taken over: a collision costs an
      // entry, never a wrong answer.
      if (!head || head->key != entry.key) {
        if (!free) free = slot;
      } else if (head->selected_by(request)) {
        if (same) {
          remove(slot_path(entry.key, slot));  // a second copy of the same variant
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

  // Removes the variants of `key` that `request` selects, or all of them without a request.
  void drop(const std::string& key, const Headers* request) {
    for (std::size_t slot = 0; slot < max_variants_per_url; ++slot) {
      const fs::path path = slot_path(key, slot);
      const auto head = read(path, Part::head);
      if (head && head->key == key && (!request || head->selected_by(*request))) remove(path);
    }
  }

  // Removes every entry file (and any temporary a crashed writer left), nothing else.
  void clear() {
    std::error_code error;
    for (fs::directory_iterator it(directory_, error), end; !error && it != end;
         it.increment(error)) {
      const std::string name = it->path().filename().string();
      if (name.size() > 17 && name[16] == '-' &&
          std::all_of(name.begin(), name.begin() + 16,
                      [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
        remove(it->path());
      }
    }
  }

 private:
  enum class Part { head, whole };

  fs::path slot_path(const std::string& key, std::size_t slot) const {
    return directory_ / fmt::format("{:016x}-{}", fnv1a(key), slot);
  }

  static void remove(const fs::path& path) noexcept {
    std::error_code ignored;
    fs::remove(path, ignored);
  }

  // The entry in `path` (only its head, or whole); nullopt when there is none. A damaged
  // file — truncated, grown, or not ours — is removed: it would never read better.
  std::optional<Entry> read(const fs::path& path, Part part) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    const FileDescriptor file(fd);
    auto entry = decode(file.get(), part);
    if (!entry) remove(path);
    return entry;
  }

  std::optional<Entry> decode(int fd, Part part) const {
    std::string prefix(file_prefix_size, '\0');
    struct stat st {};
    if (!read_exact(fd, prefix.data(), prefix.size()) || ::fstat(fd, &st) != 0) {
      return std::nullopt;
    }
    Decoder in(std::string_view(prefix).substr(file_magic.size()));
    const std::uint64_t head_size = in.number();
    const std::uint64_t tail_size = in.number();
    const std::uint64_t checksum = in.number();
    // The sizes are checked before anything is allocated for them.
    if (!prefix.starts_with(file_magic) || head_size > max_file_bytes_ ||
        tail_size > max_file_bytes_ - head_size ||
        static_cast<std::uint64_t>(st.st_size) != file_prefix_size + head_size + tail_size) {
      return std::nullopt;
    }
    std::string head(head_size, '\0');
    Entry entry;
    if (!read_exact(fd, head.data(), head.size()) || !decode_head(head, entry)) {
      return std::nullopt;
    }
    if (part == Part::head) return entry;
    std::string tail(tail_size, '\0');
    try {
      if (!read_exact(fd, tail.data(), tail.size()) || fnv1a(tail, fnv1a(head)) != checksum ||
          !decode_tail(tail, entry.response)) {
        return std::nullopt;
      }
    } catch (const Error&) {
      return std::nullopt;
    }
    return entry;
  }

  // Written to a temporary name and renamed, so readers see the old file or the new one, never
  // a partial one. No fsync: a file a crash truncates fails the size check and is dropped.
  void write(const fs::path& path, const Entry& entry) {
    const std::string head = encode_head(entry);
    std::string tail;
    put_number(tail, static_cast<std::uint64_t>(entry.response.status));
    put_bytes(tail, entry.response.reason);
    put_bytes(tail, entry.response.headers.wire());
    put_number(tail, entry.response.body.size());  // the body itself follows, uncopied
    const std::uint64_t tail_size = tail.size() + entry.response.body.size();
    if (head.size() + tail_size > max_file_bytes_) return;  // it could not be read back

    std::string prefix(file_magic);
    put_number(prefix, head.size());
    put_number(prefix, tail_size);
    put_number(prefix, fnv1a(entry.response.body, fnv1a(tail, fnv1a(head))));

    static std::atomic<std::uint64_t> temporaries{0};
    const fs::path temporary = fmt::format("{}.tmp-{}-{}", path.string(), ::getpid(),
                                           temporaries.fetch_add(1, std::memory_order_relaxed));
    // 0600: a private cache holds what one user fetched.
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return;
    bool written = write_all(fd, prefix) && write_all(fd, head) && write_all(fd, tail) &&
                   write_all(fd, entry.response.body);
    written = ::close(fd) == 0 && written;
    if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) remove(temporary);
  }

  fs::path directory_;
  std::size_t max_file_bytes_;
};

}  // namespace

// ---- Cache ---------------------------------------------------------------------------------

struct Cache::State {
  using EntryPtr = std::shared_ptr<const Entry>;
  using Lru = std::list<EntryPtr>;

  explicit State(CacheOptions o) : options(std::move(o)) {
    if (options.directory) files.emplace(*options.directory, options.max_entry_bytes);
  }

  // The most recent entry for `key` that `request` selects: from memory, else from disk (and
  // then kept in memory). Null if there is none.
  EntryPtr find(const std::string& key, const Headers& request) {
    if (const auto found = by_key.find(key); found != by_key.end()) {
      std::optional<Lru::iterator> best;
      for (const Lru::iterator it : found->second) {
        if ((*it)->selected_by(request) &&
            (!best || (**best)->response_time < (*it)->response_time)) {
          best = it;
        }
      }
      if (best) {
        touch(*best);
        return **best;
      }
    }
    if (!files) return nullptr;
    auto loaded = files->find(key, request);
    if (!loaded) return nullptr;
    auto entry = std::make_shared<const Entry>(std::move(*loaded));
    remember(entry, request);
    return entry;
  }

  // Stores `entry` in memory and on disk in place of the variant `request` selects.
  void keep(Entry entry, const Headers& request) {
    if (files) files->put(entry, request);
    remember(std::make_shared<const Entry>(std::move(entry)), request);
  }

  // Drops the variants of `key` that `request` selects (all of them without a request).
  void forget(const std::string& key, const Headers* request) {
    if (const auto found = by_key.find(key); found != by_key.end()) {
      // Copied: erase() edits the list being walked.
      const std::vector<Lru::iterator> variants = found->second;
      for (const Lru::iterator it : variants) {
        if (!request || (*it)->selected_by(*request)) erase(it);
      }
    }
    if (files) files->drop(key, request);
  }

  void remember(EntryPtr entry, const Headers& request) {
    const std::size_t cost = entry->bytes();
    if (const auto found = by_key.find(entry->key); found != by_key.end()) {
      const std::vector<Lru::iterator> variants = found->second;
      for (const Lru::iterator it : variants) {
        if ((*it)->selected_by(request)) erase(it);
      }
    }
    if (cost > options.max_bytes) return;  // it would push out everything else and still not fit
    lru.push_front(entry);
    bytes += cost;
    std::vector<Lru::iterator>& variants = by_key[entry->key];
    variants.push_back(lru.begin());
    if (variants.size() > max_variants_per_url) erase(variants.front());
    while (bytes > options.max_bytes) erase(std::prev(lru.end()));
  }

  // Marks `it` most recently used, in the whole cache and among its URL's variants (which are
  // kept least recently used first).
  void touch(Lru::iterator it) {
    lru.splice(lru.begin(), lru, it);
    std::vector<Lru::iterator>& variants = by_key[(*it)->key];
    const auto position = std::find(variants.begin(), variants.end(), it);
    std::rotate(position, position + 1, variants.end());
  }

  void erase(Lru::iterator it) {
    const auto found = by_key.find((*it)->key);
    std::erase(found->second, it);
    if (found->second.empty()) by_key.erase(found);
    bytes -= (*it)->bytes();
    lru.erase(it);
  }

  CacheOptions options;
  std::optional<EntryFiles> files;
  std::mutex mutex;  // guards everything below, and the files
  Lru lru;           // most recently used first
  std::unordered_map<std::string, std::vector<Lru::iterator>> by_key;
  std::size_t bytes = 0;
};

Cache::Cache(CacheOptions options) : state_(std::make_unique<State>(std::move(options))) {}

Cache::~Cache() = default;

CacheLookup Cache::lookup(std::string_view method, const Url& url, const Headers& request_headers,
                          Clock::time_point now) {
  CacheLookup result;
  const bool head = method == "HEAD";
  if ((method != "GET" && !head) || passes_through(request_headers)) return result;
  const CacheControl request = request_cache_control(request_headers);
  if (request.no_store) return result;

  State::EntryPtr entry;
  {
    const std::lock_guard lock(state_->mutex);
    entry = state_->find(url.str(), request_headers);
  }
  if (!entry) return result;

  const CacheControl response = response_cache_control(entry->response.headers);
  const Seconds age = current_age(*entry, now);
  if (may_serve(request, response, age, freshness_lifetime(*entry, response))) {
    result.state = CacheLookup::fresh;
  } else {
    result.validators = validators_for(entry->response);
    // Without a validator a 304 cannot come back: this is a plain request.
    if (result.validators.empty()) return result;
    result.state = CacheLookup::stale;
  }
  CachedResponse& stored = result.stored.emplace(entry->response);
  stored.headers.set("Age", std::to_string(age.count()));
  if (head) stored.body.clear();
  return result;
}

CachedResponse Cache::store(std::string_view method, const Url& url, const Headers& request_headers,
                            CachedResponse network, const CacheLookup& lookup,
                            Clock::time_point request_time, Clock::time_point response_time) {
  const bool head = method == "HEAD";
  if (method != "GET" && !head) {
    // §4.4: a successful unsafe request may have changed what the URL's entries hold.
    if (!is_safe_method(method) && network.status >= 200 && network.status < 400) invalidate(url);
    return network;
  }
  const std::string key = url.str();

  if (network.status == 304 && lookup.state == CacheLookup::stale && lookup.stored) {
    State::EntryPtr entry;
    {
      const std::lock_guard lock(state_->mutex);
      entry = state_->find(key, request_headers);
    }
    // The cache's own copy when it still has one (a HEAD lookup's `stored` has no body);
    // otherwise what the lookup handed out, which is whole for GET.
    CachedResponse merged = entry ? entry->response : *lookup.stored;
    const bool whole = entry || !head;
    const auto stored_etag = merged.headers.get("ETag");
    const auto confirmed_etag = network.headers.get("ETag");
    // A 304 naming another representation does not confirm this one (§4.3.4).
    if (stored_etag && confirmed_etag && !same_entity_tag(*stored_etag, *confirmed_etag)) {
      return network;
    }
    // They described the stored response's arrival; the 304's own, if any, take their place.
    merged.headers.remove("Age");
    merged.headers.remove("Date");
    update_headers(merged.headers, network.headers);
    const Seconds age = initial_age(merged.headers, request_time, response_time);
    if (whole) {
      auto refreshed = make_entry(key, request_headers, merged, request_time, response_time,
                                  state_->options.max_entry_bytes);
      const std::lock_guard lock(state_->mutex);
      if (refreshed) {
        state_->keep(std::move(*refreshed), request_headers);
      } else {
        state_->forget(key, &request_headers);
      }
    }
    merged.headers.set("Age", std::to_string(age.count()));
    if (head) merged.body.clear();
    return merged;
  }

  // A HEAD response has no body to keep; a GET's may replace the entry.
  if (head) return network;
  auto entry = make_entry(key, request_headers, network, request_time, response_time,
                          state_->options.max_entry_bytes);
  const std::lock_guard lock(state_->mutex);
  if (entry) {
    state_->keep(std::move(*entry), request_headers);
  } else if (supersedes_stored(network.status)) {
    state_->forget(key, &request_headers);
  }
  return network;
}

void Cache::invalidate(const Url& url) {
  const std::lock_guard lock(state_->mutex);
  state_->forget(url.str(), nullptr);
}

void Cache::clear() {
  const std::lock_guard lock(state_->mutex);
  state_->lru.clear();
  state_->by_key.clear();
  state_->bytes = 0;
  if (state_->files) state_->files->clear();
}

std::size_t Cache::size_bytes() const noexcept {
  const std::lock_guard lock(state_->mutex);
  return state_->bytes;
}

std::size_t Cache::entries() const noexcept {
  const std::lock_guard lock(state_->mutex);
  return state_->lru.size();
}

}  // namespace wirekit::http
