// The cache's RFC 9111 decisions (src/http/cache/policy.hpp): Cache-Control and freshness
// (§4.2, §5.2), Vary (§4.1), validation (§4.3) and what may be stored (§3).
#include "cache/policy.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <vector>

#include <wirekit/core/ascii.hpp>
#include <wirekit/http/date.hpp>
#include <wirekit/http/parser.hpp>

namespace wirekit::http::detail {

namespace {

using Clock = CacheClock;
using namespace std::chrono_literals;

// §4.2.2: a heuristic lifetime is 10% of the time since Last-Modified, at most a day.
constexpr Seconds max_heuristic_lifetime = 24h;
// The largest delta-seconds (§1.2.2); lifetimes and ages are capped there too, so adding clock
// durations to them cannot overflow.
constexpr Seconds max_delta_seconds{2147483648};

// ---- Field values --------------------------------------------------------------------------

// The non-empty members of a comma-separated list, trimmed.
std::vector<std::string_view> list_members(std::string_view value) {
  std::vector<std::string_view> out;
  ascii::for_each_list_item(value, [&](std::string_view member) { out.push_back(member); });
  return out;
}

}  // namespace

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
        if (ascii::is_ows(c)) {
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

namespace {

// request can be shown to match.
std::optional<std::vector<std::string>> vary_fields(const Headers& response) {
  std::vector<std::string> names;
  for (const auto [field, value] : response) {
    if (!iequals(field, "vary")) continue;
    for (const std::string_view member : list_members(value)) {
      if (member == "*") return std::nullopt;
      std::string name = ascii::to_lower(member);
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

}  // namespace

// ---- Cache-Control (§5.2) ------------------------------------------------------------------

void CacheControl::apply(std::string_view directive, std::optional<std::string_view> argument) {
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
void CacheControl::parse(std::string_view value) {
  std::size_t at = 0;
  const auto skip_space = [&] {
    while (at < value.size() && ascii::is_ows(value[at])) ++at;
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
        while (at < value.size() && value[at] != ',' && !ascii::is_ows(value[at])) ++at;
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

bool selects(const Headers& request, const Entry& entry) {
  return std::all_of(entry.vary.begin(), entry.vary.end(),
                     [&](const VaryValue& v) { return vary_value(request, v.name) == v.value; });
}

// ---- Age and freshness (§4.2) --------------------------------------------------------------

namespace {

// date_value (§4.2.3): the Date field, or when the response arrived if it has none.
Seconds date_value(const Headers& headers, Clock::time_point response_time) {
  const auto date = date_field(headers, "Date");
  return date ? Seconds(*date) : since_epoch(response_time);
}

}  // namespace

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

namespace {

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

}  // namespace

bool is_safe_method(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE";
}

namespace {

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

}  // namespace

// ---- Lookups and stores --------------------------------------------------------------------

std::optional<CacheControl> lookup_directives(std::string_view method, const Headers& request) {
  if ((method != "GET" && method != "HEAD") || passes_through(request)) return std::nullopt;
  CacheControl directives = request_cache_control(request);
  if (directives.no_store) return std::nullopt;
  return directives;
}

CacheLookup answer(const Entry* entry, const CacheControl& request, bool head,
                   Clock::time_point now) {
  CacheLookup result;
  if (entry == nullptr) return result;
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

bool confirms_stored(const CachedResponse& network, const CacheLookup& lookup) noexcept {
  return network.status == 304 && lookup.state == CacheLookup::stale && lookup.stored;
}

StoreDecision decide_store(const std::string& key, bool head, const Headers& request,
                           CachedResponse network, const CacheLookup& lookup, const Entry* current,
                           Clock::time_point request_time, Clock::time_point response_time,
                           std::size_t max_entry_bytes) {
  StoreDecision decision;
  if (confirms_stored(network, lookup)) {
    // The cache's own copy when it still has one (a HEAD lookup's `stored` has no body);
    // otherwise what the lookup handed out, which is whole for GET.
    CachedResponse merged = current ? current->response : *lookup.stored;
    const bool whole = current || !head;
    const auto stored_etag = merged.headers.get("ETag");
    const auto confirmed_etag = network.headers.get("ETag");
    // A 304 naming another representation does not confirm this one (§4.3.4).
    if (stored_etag && confirmed_etag && !same_entity_tag(*stored_etag, *confirmed_etag)) {
      decision.response = std::move(network);
      return decision;
    }
    // They described the stored response's arrival; the 304's own, if any, take their place.
    merged.headers.remove("Age");
    merged.headers.remove("Date");
    update_headers(merged.headers, network.headers);
    const Seconds age = initial_age(merged.headers, request_time, response_time);
    if (whole) {
      decision.keep =
          make_entry(key, request, merged, request_time, response_time, max_entry_bytes);
      decision.forget = !decision.keep;
    }
    merged.headers.set("Age", std::to_string(age.count()));
    if (head) merged.body.clear();
    decision.response = std::move(merged);
    return decision;
  }

  // A HEAD response has no body to keep; a GET's may replace the entry.
  if (!head) {
    decision.keep = make_entry(key, request, network, request_time, response_time, max_entry_bytes);
    decision.forget = !decision.keep && supersedes_stored(network.status);
  }
  decision.response = std::move(network);
  return decision;
}

}  // namespace wirekit::http::detail
