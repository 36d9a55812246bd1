#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <stdlib.h>

#include <wirekit/core/runtime.hpp>
#include <wirekit/core/task.hpp>
#include <wirekit/core/task_group.hpp>
#include <wirekit/core/time.hpp>
#include <wirekit/http/cache.hpp>
#include <wirekit/http/date.hpp>

namespace wirekit::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = Cache::Clock;
using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Every exchange happens at a fixed time, so every age is exact.
const Clock::time_point t0 = Clock::from_time_t(1'700'000'000);

std::string http_date(Clock::time_point t) {
  return format_http_date(Clock::to_time_t(t));
}

Headers headers(Fields fields) {
  Headers out;
  for (const auto& [name, value] : fields) out.add(name, value);
  return out;
}

CachedResponse response(int status, Fields fields, std::string body = "hello") {
  return CachedResponse{status, std::string(reason_phrase(status)), headers(fields),
                        std::move(body)};
}

// A 200 dated `at` with `fields` besides.
CachedResponse ok_at(Clock::time_point at, Fields fields, std::string body = "hello") {
  CachedResponse r = response(200, fields, std::move(body));
  r.headers.set("Date", http_date(at));
  return r;
}

std::string field(const CachedResponse& r, std::string_view name) {
  return std::string(r.headers.get(name).value_or("(absent)"));
}

class CacheTest : public ::testing::Test {
 protected:
  // The client's side of an exchange without a prior lookup: the request went out and the
  // answer came back at `at`.
  CachedResponse fetched(Cache& cache, CachedResponse answer, Clock::time_point at = t0,
                         const Headers& request = {}, std::string_view method = "GET") {
    return cache.store(method, url_, request, std::move(answer), CacheLookup{}, at, at);
  }

  CacheLookup::State state_at(Cache& cache, Clock::time_point at, const Headers& request = {}) {
    return cache.lookup("GET", url_, request, at).state;
  }

  Url url_ = Url::parse("http://example.com/page?x=1");
  Cache cache_;
};

// ---- Freshness -----------------------------------------------------------------------------

using CacheFreshness = CacheTest;

TEST_F(CacheFreshness, MaxAgeIsFreshUntilItPasses) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}, {"ETag", "\"v1\""}}));
  const CacheLookup fresh = cache_.lookup("GET", url_, {}, t0 + 59s);
  ASSERT_EQ(fresh.state, CacheLookup::fresh);
  ASSERT_TRUE(fresh.stored);
  EXPECT_EQ(fresh.stored->body, "hello");
  EXPECT_EQ(fresh.stored->status, 200);
  EXPECT_EQ(field(*fresh.stored, "Age"), "59");
  EXPECT_TRUE(fresh.validators.empty());
  EXPECT_EQ(state_at(cache_, t0 + 60s), CacheLookup::stale);
}

TEST_F(CacheFreshness, ExpiresMinusDateIsTheLifetime) {
  // The server's clock runs an hour behind ours: Expires counts from its Date, not our clock.
  const Clock::time_point server_now = t0 - 1h;
  CachedResponse r = ok_at(server_now, {{"ETag", "\"v1\""}});
  r.headers.set("Expires", http_date(server_now + 100s));
  cache_.store("GET", url_, {}, r, {}, t0, t0);
  // The apparent age (Date is an hour old) makes it stale at once...
  EXPECT_EQ(state_at(cache_, t0), CacheLookup::stale);

  // ...and with agreeing clocks it is fresh for exactly Expires − Date.
  Cache cache;
  CachedResponse agreeing = ok_at(t0, {{"ETag", "\"v1\""}});
  agreeing.headers.set("Expires", http_date(t0 + 100s));
  fetched(cache, agreeing);
  EXPECT_EQ(state_at(cache, t0 + 99s), CacheLookup::fresh);
  EXPECT_EQ(state_at(cache, t0 + 100s), CacheLookup::stale);
}

TEST_F(CacheFreshness, ExpiresThatIsNotADateMeansExpired) {
  fetched(cache_, ok_at(t0, {{"Expires", "0"}, {"ETag", "\"v1\""}}));
  EXPECT_EQ(state_at(cache_, t0), CacheLookup::stale);
}

TEST_F(CacheFreshness, MaxAgeOverridesExpires) {
  CachedResponse r = ok_at(t0, {{"Cache-Control", "max-age=10"}, {"ETag", "\"v1\""}});
  r.headers.set("Expires", http_date(t0 + 1h));
  fetched(cache_, r);
  EXPECT_EQ(state_at(cache_, t0 + 9s), CacheLookup::fresh);
  EXPECT_EQ(state_at(cache_, t0 + 11s), CacheLookup::stale);
}

TEST_F(CacheFreshness, HeuristicIsATenthOfTheTimeSinceLastModified) {
  CachedResponse r = ok_at(t0, {});
  r.headers.set("Last-Modified", http_date(t0 - 1000s));
  fetched(cache_, r);
  EXPECT_EQ(state_at(cache_, t0 + 99s), CacheLookup::fresh);
  EXPECT_EQ(state_at(cache_, t0 + 100s), CacheLookup::stale);
}

TEST_F(CacheFreshness, HeuristicIsAtMostADay) {
  CachedResponse r = ok_at(t0, {});
  r.headers.set("Last-Modified", http_date(t0 - 24h * 365));
  fetched(cache_, r);
  EXPECT_EQ(state_at(cache_, t0 + 24h - 1s), CacheLookup::fresh);
  EXPECT_EQ(state_at(cache_, t0 + 24h), CacheLookup::stale);
}

TEST_F(CacheFreshness, HeuristicIsNotUsedWithAnExplicitLifetime) {
  CachedResponse r = ok_at(t0, {{"Cache-Control", "max-age=0"}});
  r.headers.set("Last-Modified", http_date(t0 - 24h * 365));
  fetched(cache_, r);
  EXPECT_EQ(state_at(cache_, t0 + 1s), CacheLookup::stale);
}

TEST_F(CacheFreshness, AgeCountsAgeFieldRoundTripAndResidence) {
  // Sent at t0, answered at t0+2s, already 30 s old upstream: 32 s old on arrival.
  CachedResponse r = ok_at(t0, {{"Cache-Control", "max-age=100"}, {"Age", "30"}});
  cache_.store("GET", url_, {}, r, {}, t0, t0 + 2s);
  const CacheLookup later = cache_.lookup("GET", url_, {}, t0 + 12s);
  ASSERT_EQ(later.state, CacheLookup::fresh);
  EXPECT_EQ(field(*later.stored, "Age"), "42");
  EXPECT_EQ(state_at(cache_, t0 + 2s + 67s), CacheLookup::fresh);  // 99 s old
  EXPECT_EQ(state_at(cache_, t0 + 2s + 68s), CacheLookup::miss);   // 100: stale, no validator
}

TEST_F(CacheFreshness, AgeIsAtLeastWhatTheDateSays) {
  // No Age field, but the Date is 50 s before the response arrived.
  fetched(cache_, ok_at(t0 - 50s, {{"Cache-Control", "max-age=100"}}), t0);
  const CacheLookup now = cache_.lookup("GET", url_, {}, t0);
  ASSERT_EQ(now.state, CacheLookup::fresh);
  EXPECT_EQ(field(*now.stored, "Age"), "50");
}

TEST_F(CacheFreshness, RequestNoCacheAndMaxAgeForceRevalidation) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=600"}, {"ETag", "\"v1\""}}));
  EXPECT_EQ(state_at(cache_, t0, headers({{"Cache-Control", "no-cache"}})), CacheLookup::stale);
  EXPECT_EQ(state_at(cache_, t0, headers({{"Cache-Control", "max-age=0"}})), CacheLookup::stale);
  EXPECT_EQ(state_at(cache_, t0, headers({{"Pragma", "no-cache"}})), CacheLookup::stale);
  EXPECT_EQ(state_at(cache_, t0 + 40s, headers({{"Cache-Control", "max-age=30"}})),
            CacheLookup::stale);
  EXPECT_EQ(state_at(cache_, t0 + 20s, headers({{"Cache-Control", "max-age=30"}})),
            CacheLookup::fresh);
  EXPECT_EQ(state_at(cache_, t0 + 20s), CacheLookup::fresh);
}

TEST_F(CacheFreshness, MinFreshWantsLifetimeLeft) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}, {"ETag", "\"v1\""}}));
  EXPECT_EQ(state_at(cache_, t0 + 30s, headers({{"Cache-Control", "min-fresh=20"}})),
            CacheLookup::fresh);
  EXPECT_EQ(state_at(cache_, t0 + 30s, headers({{"Cache-Control", "min-fresh=40"}})),
            CacheLookup::stale);
}

TEST_F(CacheFreshness, MaxStaleServesStaleUnlessMustRevalidate) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=10"}, {"ETag", "\"v1\""}}));
  EXPECT_EQ(state_at(cache_, t0 + 20s, headers({{"Cache-Control", "max-stale=15"}})),
            CacheLookup::fresh);
  EXPECT_EQ(state_at(cache_, t0 + 20s, headers({{"Cache-Control", "max-stale=5"}})),
            CacheLookup::stale);
  EXPECT_EQ(state_at(cache_, t0 + 24h, headers({{"Cache-Control", "max-stale"}})),
            CacheLookup::fresh);

  for (const char* directive : {"must-revalidate", "proxy-revalidate"}) {
    Cache cache;
    fetched(cache, ok_at(t0, {{"Cache-Control", "max-age=10"},
                              {"Cache-Control", directive},
                              {"ETag", "\"v1\""}}));
    EXPECT_EQ(state_at(cache, t0 + 20s, headers({{"Cache-Control", "max-stale"}})),
              CacheLookup::stale)
        << directive;
  }
}

TEST_F(CacheFreshness, CacheControlQuotesAndCommas) {
  // "no-store" inside a quoted argument is not a directive; a quoted max-age counts.
  fetched(cache_, ok_at(t0, {{"Cache-Control", R"(ext="no-store, \"no-cache\"" , MAX-AGE="60")"}}));
  EXPECT_EQ(state_at(cache_, t0 + 59s), CacheLookup::fresh);

  // Empty members and a malformed one do not hide what follows them.
  Cache cache;
  fetched(cache, ok_at(t0, {{"Cache-Control", "max-age=60,, =junk x, no-store"}}));
  EXPECT_EQ(cache.entries(), 0u);
}

// ---- What is stored ------------------------------------------------------------------------

using CacheStorage = CacheTest;

TEST_F(CacheStorage, NoStoreResponseIsNotStored) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60, no-store"}, {"ETag", "\"v1\""}}));
  EXPECT_EQ(cache_.entries(), 0u);
  EXPECT_EQ(state_at(cache_, t0), CacheLookup::miss);
}

TEST_F(CacheStorage, NoStoreRequestIsNeitherStoredNorAnswered) {
  const Headers no_store = headers({{"Cache-Control", "no-store"}});
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}}), t0, no_store);
  EXPECT_EQ(cache_.entries(), 0u);

  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}}));
  EXPECT_EQ(state_at(cache_, t0, no_store), CacheLookup::miss);
  EXPECT_EQ(state_at(cache_, t0), CacheLookup::fresh);
}

TEST_F(CacheStorage, UncacheableStatusIsNotStored) {
  for (const int status : {500, 302, 206, 201}) {
    CachedResponse r = response(status, {{"Cache-Control", "max-age=60"}, {"ETag", "\"v1\""}});
    fetched(cache_, r);
    EXPECT_EQ(cache_.entries(), 0u) << status;
  }
  fetched(cache_, response(404, {{"Cache-Control", "max-age=60"}}));
  EXPECT_EQ(cache_.entries(), 1u);
}

TEST_F(CacheStorage, AnswerToAuthorizationIsNotStoredUnlessPublic) {
  const Headers authorized = headers({{"Authorization", "Bearer secret"}});
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}}), t0, authorized);
  EXPECT_EQ(cache_.entries(), 0u);
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60, public"}}), t0, authorized);
  EXPECT_EQ(cache_.entries(), 1u);
}

TEST_F(CacheStorage, ResponseThatCouldNeverBeUsedIsNotStored) {
  fetched(cache_, ok_at(t0, {}));  // no lifetime, no validator
  fetched(cache_, ok_at(t0, {{"Cache-Control", "no-cache, max-age=60"}}));
  EXPECT_EQ(cache_.entries(), 0u);
}

TEST_F(CacheStorage, SizeCountsKeyHeadersAndBody) {
  const CachedResponse r = ok_at(t0, {{"Cache-Control", "max-age=60"}}, std::string(1000, 'x'));
  fetched(cache_, r);
  EXPECT_EQ(cache_.size_bytes(),
            url_.str().size() + r.reason.size() + r.headers.wire().size() + r.body.size());
  cache_.clear();
  EXPECT_EQ(cache_.size_bytes(), 0u);
  EXPECT_EQ(cache_.entries(), 0u);
}

TEST_F(CacheStorage, LeastRecentlyUsedIsEvictedBeyondMaxBytes) {
  // Room for two 1000-byte bodies with their headers, not three.
  Cache cache(CacheOptions{.max_bytes = 2500});
  const auto store_at = [&](std::string_view target, char fill) {
    Url url = url_;
    url.target = target;
    cache.store("GET", url, {},
                ok_at(t0, {{"Cache-Control", "max-age=60"}}, std::string(1000, fill)), {}, t0, t0);
    return url;
  };
  const Url a = store_at("/a", 'a');
  const Url b = store_at("/b", 'b');
  EXPECT_EQ(cache.entries(), 2u);
  EXPECT_EQ(cache.lookup("GET", a, {}, t0).state, CacheLookup::fresh);  // a is now the newer
  const Url c = store_at("/c", 'c');
  EXPECT_EQ(cache.entries(), 2u);
  EXPECT_LE(cache.size_bytes(), 2500u);
  EXPECT_EQ(cache.lookup("GET", b, {}, t0).state, CacheLookup::miss);
  EXPECT_EQ(cache.lookup("GET", a, {}, t0).state, CacheLookup::fresh);
  EXPECT_EQ(cache.lookup("GET", c, {}, t0).state, CacheLookup::fresh);
}

TEST_F(CacheStorage, OversizedEntryIsNotStored) {
  Cache cache(CacheOptions{.max_entry_bytes = 500});
  const CachedResponse big = ok_at(t0, {{"Cache-Control", "max-age=60"}}, std::string(600, 'x'));
  const CachedResponse returned = cache.store("GET", url_, {}, big, {}, t0, t0);
  EXPECT_EQ(returned.body.size(), 600u);  // the caller still gets it
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.size_bytes(), 0u);
  cache.store("GET", url_, {}, ok_at(t0, {{"Cache-Control", "max-age=60"}}, "small"), {}, t0, t0);
  EXPECT_EQ(cache.entries(), 1u);
}

// ---- Validation ----------------------------------------------------------------------------

using CacheValidation = CacheTest;

TEST_F(CacheValidation, NoCacheResponseIsStoredButAlwaysRevalidated) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "no-cache, max-age=3600"}, {"ETag", "\"v1\""}}));
  EXPECT_EQ(cache_.entries(), 1u);
  for (const auto at : {t0, t0 + 1s, t0 + 1h}) {
    const CacheLookup lookup = cache_.lookup("GET", url_, {}, at);
    EXPECT_EQ(lookup.state, CacheLookup::stale);
    EXPECT_EQ(lookup.validators.get("If-None-Match"), "\"v1\"");
  }
}

TEST_F(CacheValidation, EtagBecomesIfNoneMatch) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=10"}, {"ETag", "W/\"abc\""}}));
  const CacheLookup lookup = cache_.lookup("GET", url_, {}, t0 + 20s);
  ASSERT_EQ(lookup.state, CacheLookup::stale);
  EXPECT_EQ(lookup.validators.get("If-None-Match"), "W/\"abc\"");
  EXPECT_FALSE(lookup.validators.contains("If-Modified-Since"));
  ASSERT_TRUE(lookup.stored);
  EXPECT_EQ(lookup.stored->body, "hello");
  EXPECT_EQ(field(*lookup.stored, "Age"), "20");
}

TEST_F(CacheValidation, LastModifiedBecomesIfModifiedSince) {
  // An obsolete RFC 850 date is sent back as an IMF-fixdate.
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=10"},
                             {"Last-Modified", "Sunday, 06-Nov-94 08:49:37 GMT"}}));
  const CacheLookup lookup = cache_.lookup("GET", url_, {}, t0 + 20s);
  ASSERT_EQ(lookup.state, CacheLookup::stale);
  EXPECT_EQ(lookup.validators.get("If-Modified-Since"), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_FALSE(lookup.validators.contains("If-None-Match"));
}

TEST_F(CacheValidation, NotModifiedUpdatesHeadersAndReturnsStoredBody) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"},
                             {"ETag", "\"v1\""},
                             {"Content-Length", "5"},
                             {"Content-Encoding", "identity"},
                             {"X-Old", "a"},
                             {"X-Old", "a2"},
                             {"X-Kept", "k"}}));
  const Clock::time_point later = t0 + 100s;
  const CacheLookup lookup = cache_.lookup("GET", url_, {}, later);
  ASSERT_EQ(lookup.state, CacheLookup::stale);

  CachedResponse not_modified = response(304,
                                         {{"Cache-Control", "max-age=120"},
                                          {"ETag", "\"v1\""},
                                          {"Content-Length", "0"},
                                          {"Content-Encoding", "gzip"},
                                          {"X-Old", "b"}},
                                         "");
  not_modified.headers.set("Date", http_date(later));
  const CachedResponse result =
      cache_.store("GET", url_, lookup.validators, not_modified, lookup, later, later);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.reason, "OK");
  EXPECT_EQ(result.body, "hello");
  EXPECT_EQ(field(result, "Cache-Control"), "max-age=120");
  EXPECT_EQ(field(result, "X-Old"), "b");
  EXPECT_EQ(result.headers.wire().find("a2"), std::string_view::npos);  // every X-Old replaced
  EXPECT_EQ(field(result, "X-Kept"), "k");
  EXPECT_EQ(field(result, "Content-Length"), "5");
  EXPECT_EQ(field(result, "Content-Encoding"), "identity");
  EXPECT_EQ(field(result, "Date"), http_date(later));
  EXPECT_EQ(field(result, "Age"), "0");

  // The entry was refreshed: fresh again for the 304's lifetime, from the 304's time.
  const CacheLookup again = cache_.lookup("GET", url_, {}, later + 119s);
  ASSERT_EQ(again.state, CacheLookup::fresh);
  EXPECT_EQ(field(*again.stored, "X-Old"), "b");
  EXPECT_EQ(field(*again.stored, "Age"), "119");
  EXPECT_EQ(cache_.entries(), 1u);
}

TEST_F(CacheValidation, NotModifiedWithoutDateCountsFromItsArrival) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}, {"ETag", "\"v1\""}}));
  const Clock::time_point later = t0 + 100s;
  const CacheLookup lookup = cache_.lookup("GET", url_, {}, later);
  ASSERT_EQ(lookup.state, CacheLookup::stale);
  cache_.store("GET", url_, {}, response(304, {}, ""), lookup, later, later);
  // The stored Date (t0) would make it 100 s old at once; the refresh happened at `later`.
  EXPECT_EQ(state_at(cache_, later + 59s), CacheLookup::fresh);
  EXPECT_EQ(state_at(cache_, later + 60s), CacheLookup::stale);
}

TEST_F(CacheValidation, NotModifiedNamingAnotherEtagIsReturnedAsIs) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=10"}, {"ETag", "\"v1\""}}));
  const CacheLookup lookup = cache_.lookup("GET", url_, {}, t0 + 20s);
  ASSERT_EQ(lookup.state, CacheLookup::stale);
  const CachedResponse result = cache_.store(
      "GET", url_, {}, response(304, {{"ETag", "\"v2\""}}, ""), lookup, t0 + 20s, t0 + 20s);
  EXPECT_EQ(result.status, 304);
  EXPECT_EQ(state_at(cache_, t0 + 20s), CacheLookup::stale);  // not refreshed
}

TEST_F(CacheValidation, ServerErrorDuringRevalidationIsReturnedAndEntryKept) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=10"}, {"ETag", "\"v1\""}}));
  const CacheLookup lookup = cache_.lookup("GET", url_, {}, t0 + 20s);
  ASSERT_EQ(lookup.state, CacheLookup::stale);
  const CachedResponse result =
      cache_.store("GET", url_, {}, response(503, {}, "busy"), lookup, t0 + 20s, t0 + 20s);
  EXPECT_EQ(result.status, 503);
  EXPECT_EQ(result.body, "busy");
  EXPECT_EQ(cache_.entries(), 1u);
  EXPECT_EQ(state_at(cache_, t0 + 21s), CacheLookup::stale);
}

TEST_F(CacheValidation, NewResponseReplacesTheStoredOne) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=10"}, {"ETag", "\"v1\""}}));
  fetched(cache_, ok_at(t0 + 20s, {{"Cache-Control", "max-age=10"}, {"ETag", "\"v2\""}}, "new"),
          t0 + 20s);
  const CacheLookup again = cache_.lookup("GET", url_, {}, t0 + 21s);
  ASSERT_EQ(again.state, CacheLookup::fresh);
  EXPECT_EQ(again.stored->body, "new");
  EXPECT_EQ(cache_.entries(), 1u);

  // A newer answer that may not be stored still retires the old one.
  fetched(cache_, ok_at(t0 + 40s, {{"Cache-Control", "no-store"}}, "private"), t0 + 40s);
  EXPECT_EQ(cache_.entries(), 0u);
}

TEST_F(CacheValidation, ConditionalRequestOfTheCallerPassesThrough) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}, {"ETag", "\"v1\""}}));
  const Headers conditional = headers({{"If-None-Match", "\"v1\""}});
  const CacheLookup lookup = cache_.lookup("GET", url_, conditional, t0);
  EXPECT_EQ(lookup.state, CacheLookup::miss);
  const CachedResponse result =
      cache_.store("GET", url_, conditional, response(304, {}, ""), lookup, t0, t0);
  EXPECT_EQ(result.status, 304);
  EXPECT_EQ(state_at(cache_, t0), CacheLookup::fresh);
  EXPECT_EQ(cache_.lookup("GET", url_, headers({{"Range", "bytes=0-1"}}), t0).state,
            CacheLookup::miss);
}

// ---- Vary ----------------------------------------------------------------------------------

using CacheVary = CacheTest;

TEST_F(CacheVary, AcceptEncodingKeepsOneEntryPerValue) {
  const Headers gzip = headers({{"Accept-Encoding", "gzip,   deflate;  q=0.5"}});
  const Headers br = headers({{"accept-encoding", "br"}});
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}, {"Vary", "Accept-Encoding"}}, "gz"),
          t0, gzip);
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}, {"vary", "accept-encoding"}}, "br"),
          t0, br);
  EXPECT_EQ(cache_.entries(), 2u);

  // Whitespace and the split into fields do not matter; names are case-insensitive.
  const Headers gzip_again =
      headers({{"ACCEPT-ENCODING", " gzip"}, {"Accept-Encoding", "deflate; q=0.5 "}});
  const CacheLookup gz = cache_.lookup("GET", url_, gzip_again, t0);
  ASSERT_EQ(gz.state, CacheLookup::fresh);
  EXPECT_EQ(gz.stored->body, "gz");
  const CacheLookup brotli = cache_.lookup("GET", url_, br, t0);
  ASSERT_EQ(brotli.state, CacheLookup::fresh);
  EXPECT_EQ(brotli.stored->body, "br");

  EXPECT_EQ(state_at(cache_, t0, headers({{"Accept-Encoding", "zstd"}})), CacheLookup::miss);
  EXPECT_EQ(state_at(cache_, t0, headers({{"Accept-Encoding", "deflate;  q=0.5, gzip"}})),
            CacheLookup::miss);
  EXPECT_EQ(state_at(cache_, t0), CacheLookup::miss);  // absent is not "gzip"
}

TEST_F(CacheVary, AbsentFieldMatchesOnlyAbsence) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}, {"Vary", "Accept-Language"}}));
  EXPECT_EQ(state_at(cache_, t0), CacheLookup::fresh);
  EXPECT_EQ(state_at(cache_, t0, headers({{"Accept-Language", ""}})), CacheLookup::miss);
  EXPECT_EQ(state_at(cache_, t0, headers({{"Accept-Language", "fr"}})), CacheLookup::miss);
}

TEST_F(CacheVary, VaryStarIsNotStored) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}, {"Vary", "Accept, *"}}));
  EXPECT_EQ(cache_.entries(), 0u);
}

TEST_F(CacheVary, VariantsOfOneUrlAreBounded) {
  for (const char* language : {"en", "fr", "de", "it", "es"}) {
    fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}, {"Vary", "Accept-Language"}}), t0,
            headers({{"Accept-Language", language}}));
  }
  EXPECT_EQ(cache_.entries(), 4u);
  EXPECT_EQ(state_at(cache_, t0, headers({{"Accept-Language", "en"}})), CacheLookup::miss);
  EXPECT_EQ(state_at(cache_, t0, headers({{"Accept-Language", "es"}})), CacheLookup::fresh);
}

TEST_F(CacheVary, InvalidateDropsEveryVariant) {
  for (const char* encoding : {"gzip", "br"}) {
    fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}, {"Vary", "Accept-Encoding"}}), t0,
            headers({{"Accept-Encoding", encoding}}));
  }
  Url other = url_;
  other.target = "/other";
  cache_.store("GET", other, {}, ok_at(t0, {{"Cache-Control", "max-age=60"}}), {}, t0, t0);
  EXPECT_EQ(cache_.entries(), 3u);
  cache_.invalidate(url_);
  EXPECT_EQ(cache_.entries(), 1u);
  EXPECT_EQ(cache_.lookup("GET", other, {}, t0).state, CacheLookup::fresh);
}

// ---- Methods -------------------------------------------------------------------------------

using CacheMethods = CacheTest;

TEST_F(CacheMethods, PostIsAMissAndItsSuccessInvalidates) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}}));
  EXPECT_EQ(cache_.lookup("POST", url_, {}, t0).state, CacheLookup::miss);

  // A failed POST changed nothing.
  fetched(cache_, response(500, {}), t0, {}, "POST");
  EXPECT_EQ(state_at(cache_, t0), CacheLookup::fresh);

  const CachedResponse created = fetched(cache_, response(201, {}, "made"), t0, {}, "POST");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, "made");
  EXPECT_EQ(cache_.entries(), 0u);
  EXPECT_EQ(state_at(cache_, t0), CacheLookup::miss);
}

TEST_F(CacheMethods, HeadIsAnsweredFromGetEntryWithoutBody) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}, {"Content-Length", "5"}}));
  const CacheLookup head = cache_.lookup("HEAD", url_, {}, t0 + 1s);
  ASSERT_EQ(head.state, CacheLookup::fresh);
  EXPECT_EQ(head.stored->body, "");
  EXPECT_EQ(field(*head.stored, "Content-Length"), "5");
  EXPECT_EQ(cache_.lookup("GET", url_, {}, t0 + 1s).stored->body, "hello");  // entry intact
}

TEST_F(CacheMethods, HeadRevalidationKeepsTheGetBody) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=10"}, {"ETag", "\"v1\""}}));
  const CacheLookup head = cache_.lookup("HEAD", url_, {}, t0 + 20s);
  ASSERT_EQ(head.state, CacheLookup::stale);
  CachedResponse not_modified = response(304, {{"Cache-Control", "max-age=60"}}, "");
  not_modified.headers.set("Date", http_date(t0 + 20s));
  const CachedResponse result =
      cache_.store("HEAD", url_, {}, not_modified, head, t0 + 20s, t0 + 20s);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "");
  const CacheLookup get = cache_.lookup("GET", url_, {}, t0 + 30s);
  ASSERT_EQ(get.state, CacheLookup::fresh);
  EXPECT_EQ(get.stored->body, "hello");
}

TEST_F(CacheMethods, HeadResponseIsNotStored) {
  fetched(cache_, ok_at(t0, {{"Cache-Control", "max-age=60"}}, ""), t0, {}, "HEAD");
  EXPECT_EQ(cache_.entries(), 0u);
}

// ---- On disk -------------------------------------------------------------------------------

class CacheDisk : public CacheTest {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wirekit-cache-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    directory_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }

  CacheOptions on_disk(const fs::path& directory) const {
    return CacheOptions{.directory = directory};
  }

  std::vector<fs::path> files(const fs::path& directory) const {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(directory)) out.push_back(entry.path());
    return out;
  }

  fs::path directory_;
};

TEST_F(CacheDisk, EntriesOutliveTheirCache) {
  {
    Cache first(on_disk(directory_));
    fetched(first, ok_at(t0, {{"Cache-Control", "max-age=60"}, {"ETag", "\"v1\""}}, "on disk"));
  }
  ASSERT_EQ(files(directory_).size(), 1u);
  Cache second(on_disk(directory_));
  const CacheLookup lookup = second.lookup("GET", url_, {}, t0 + 10s);
  ASSERT_EQ(lookup.state, CacheLookup::fresh);
  EXPECT_EQ(lookup.stored->body, "on disk");
  EXPECT_EQ(field(*lookup.stored, "ETag"), "\"v1\"");
  EXPECT_EQ(field(*lookup.stored, "Age"), "10");
  EXPECT_EQ(second.entries(), 1u);  // now in memory too
  EXPECT_EQ(second.lookup("GET", url_, {}, t0 + 61s).state, CacheLookup::stale);
}

TEST_F(CacheDisk, VariantsAreFoundOnDisk) {
  {
    Cache first(on_disk(directory_));
    for (const char* encoding : {"gzip", "br"}) {
      fetched(first,
              ok_at(t0, {{"Cache-Control", "max-age=60"}, {"Vary", "Accept-Encoding"}}, encoding),
              t0, headers({{"Accept-Encoding", encoding}}));
    }
  }
  Cache second(on_disk(directory_));
  for (const char* encoding : {"br", "gzip"}) {
    const CacheLookup lookup =
        second.lookup("GET", url_, headers({{"Accept-Encoding", encoding}}), t0);
    ASSERT_EQ(lookup.state, CacheLookup::fresh) << encoding;
    EXPECT_EQ(lookup.stored->body, encoding);
  }
  EXPECT_EQ(second.lookup("GET", url_, headers({{"Accept-Encoding", "zstd"}}), t0).state,
            CacheLookup::miss);
}

TEST_F(CacheDisk, EntryTooBigForMemoryIsServedFromDisk) {
  Cache cache(CacheOptions{.max_bytes = 0, .directory = directory_});
  fetched(cache, ok_at(t0, {{"Cache-Control", "max-age=60"}}));
  EXPECT_EQ(cache.entries(), 0u);
  const CacheLookup lookup = cache.lookup("GET", url_, {}, t0);
  ASSERT_EQ(lookup.state, CacheLookup::fresh);
  EXPECT_EQ(lookup.stored->body, "hello");
}

TEST_F(CacheDisk, DamagedFileIsAMissAndIsRemoved) {
  const auto damage_and_look = [&](auto damage) {
    {
      Cache first(on_disk(directory_));
      fetched(first, ok_at(t0, {{"Cache-Control", "max-age=60"}}, std::string(100, 'b')));
    }
    const auto stored = files(directory_);
    EXPECT_EQ(stored.size(), 1u);
    damage(stored.at(0));
    Cache second(on_disk(directory_));
    EXPECT_EQ(second.lookup("GET", url_, {}, t0).state, CacheLookup::miss);
    EXPECT_TRUE(files(directory_).empty());
  };
  // Truncated, as a crash before the data reached the disk could leave it.
  damage_and_look([](const fs::path& file) { fs::resize_file(file, fs::file_size(file) / 2); });
  // One flipped byte in the body.
  damage_and_look([](const fs::path& file) {
    std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(-10, std::ios::end);
    io.put('X');
  });
  // Empty, as a crash right after creating it could leave it.
  damage_and_look([](const fs::path& file) { fs::resize_file(file, 0); });
  // Not a cache file at all.
  damage_and_look([](const fs::path& file) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << "garbage";
  });
  // Sizes that claim more than the limit allows are not believed (nor allocated).
  damage_and_look([](const fs::path& file) {
    std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(8);
    io.write("\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
  });
}

TEST_F(CacheDisk, FileOfAnotherUrlIsNeverServed) {
  // Stands for a hash collision: the file named for `url_` holds another URL's entry.
  const fs::path other_directory = directory_ / "other";
  Url other = url_;
  other.target = "/other";
  {
    Cache mine(on_disk(directory_));
    fetched(mine, ok_at(t0, {{"Cache-Control", "max-age=60"}}, "mine"));
    Cache theirs(on_disk(other_directory));
    theirs.store("GET", other, {}, ok_at(t0, {{"Cache-Control", "max-age=60"}}, "theirs"), {}, t0,
                 t0);
  }
  const auto mine = files(directory_);
  const auto theirs = files(other_directory);
  ASSERT_EQ(theirs.size(), 1u);
  const auto my_file = std::find_if(mine.begin(), mine.end(),
                                    [](const fs::path& p) { return fs::is_regular_file(p); });
  ASSERT_NE(my_file, mine.end());
  fs::copy_file(theirs[0], *my_file, fs::copy_options::overwrite_existing);
  Cache cache(on_disk(directory_));
  EXPECT_EQ(cache.lookup("GET", url_, {}, t0).state, CacheLookup::miss);
}

TEST_F(CacheDisk, InvalidateAndClearRemoveFiles) {
  { std::ofstream(directory_ / "notes.txt") << "not the cache's"; }
  Cache cache(on_disk(directory_));
  fetched(cache, ok_at(t0, {{"Cache-Control", "max-age=60"}}));
  cache.invalidate(url_);
  EXPECT_EQ(Cache(on_disk(directory_)).lookup("GET", url_, {}, t0).state, CacheLookup::miss);

  fetched(cache, ok_at(t0, {{"Cache-Control", "max-age=60"}}));
  EXPECT_EQ(files(directory_).size(), 2u);
  cache.clear();
  EXPECT_EQ(cache.lookup("GET", url_, {}, t0).state, CacheLookup::miss);
  ASSERT_EQ(files(directory_).size(), 1u);
  EXPECT_EQ(files(directory_)[0].filename().string(), "notes.txt");
}

// ---- On disk, from a loop ------------------------------------------------------------------

// What happened on a loop while an operation ran beside a task ticking every 10 ms.
struct BesideTicker {
  int ticks = 0;  // ticks while the operation ran
  std::chrono::steady_clock::duration took{};
};

BesideTicker beside_ticker(const std::function<Task<void>()>& operation) {
  return run([&]() -> Task<BesideTicker> {
    BesideTicker seen;
    int ticks = 0;
    bool done = false;
    auto ticker = [&]() -> Task<void> {
      while (!done) {
        co_await wirekit::sleep(10ms);
        ++ticks;
      }
    };
    auto work = [&]() -> Task<void> {
      const auto start = std::chrono::steady_clock::now();
      Task<void> op = operation();
      co_await std::move(op);
      seen.took = std::chrono::steady_clock::now() - start;
      seen.ticks = ticks;
      done = true;
    };
    Task<void> ticking = ticker();
    Task<void> working = work();
    co_await when_all(std::move(ticking), std::move(working));
    co_return seen;
  }());
}

TEST_F(CacheDisk, SlowDiskDoesNotStallTheLoop) {
  // Once armed, the next entry file the cache opens takes 200 ms.
  std::atomic<bool> slow{false};
  CacheOptions options = on_disk(directory_);
  options.on_file_io = [&slow] {
    if (slow.exchange(false)) std::this_thread::sleep_for(200ms);
  };
  Cache writer(options);
  Cache reader(options);  // its memory is empty: its lookup reads the file

  CachedResponse seen;
  const BesideTicker storing = beside_ticker([&]() -> Task<void> {
    slow = true;
    CachedResponse answer = ok_at(t0, {{"Cache-Control", "max-age=60"}}, "slow disk");
    const CacheLookup none;
    const Headers request;
    seen = co_await writer.store_async("GET", url_, request, std::move(answer), none, t0, t0);
  });
  EXPECT_GE(storing.took, 200ms);  // the store waited for the disk...
  EXPECT_GE(storing.ticks, 5);     // ...and the loop ran meanwhile (20 ticks if idle)
  EXPECT_EQ(seen.body, "slow disk");
  EXPECT_EQ(files(directory_).size(), 1u);  // written by the time the store completed

  CacheLookup found;
  const BesideTicker looking = beside_ticker([&]() -> Task<void> {
    slow = true;
    const Headers request;
    found = co_await reader.lookup_async("GET", url_, request, t0 + 1s);
  });
  EXPECT_GE(looking.took, 200ms);
  EXPECT_GE(looking.ticks, 5);
  ASSERT_EQ(found.state, CacheLookup::fresh);
  EXPECT_EQ(found.stored->body, "slow disk");
}

TEST_F(CacheDisk, AsyncMembersRevalidateAndInvalidateOnDisk) {
  // Nothing fits in memory: every answer comes from the files.
  Cache cache(CacheOptions{.max_bytes = 0, .directory = directory_});
  const Headers request;
  run([&]() -> Task<void> {
    CachedResponse first = ok_at(t0, {{"Cache-Control", "max-age=10"}, {"ETag", "\"v1\""}});
    const CacheLookup none;
    co_await cache.store_async("GET", url_, request, std::move(first), none, t0, t0);
    EXPECT_EQ(files(directory_).size(), 1u);

    const CacheLookup stale = co_await cache.lookup_async("GET", url_, request, t0 + 20s);
    EXPECT_EQ(stale.state, CacheLookup::stale);
    EXPECT_EQ(std::string(stale.validators.get("If-None-Match").value_or("")), "\"v1\"");

    CachedResponse not_modified =
        response(304, {{"Cache-Control", "max-age=60"}, {"ETag", "\"v1\""}}, "");
    not_modified.headers.set("Date", http_date(t0 + 20s));
    const CachedResponse confirmed = co_await cache.store_async(
        "GET", url_, request, std::move(not_modified), stale, t0 + 20s, t0 + 20s);
    EXPECT_EQ(confirmed.status, 200);
    EXPECT_EQ(confirmed.body, "hello");
    EXPECT_EQ(field(confirmed, "Cache-Control"), "max-age=60");

    const CacheLookup fresh = co_await cache.lookup_async("GET", url_, request, t0 + 70s);
    EXPECT_EQ(fresh.state, CacheLookup::fresh);
    EXPECT_EQ(field(*fresh.stored, "Age"), "50");

    // A successful POST to the URL drops it (§4.4), file and all.
    CachedResponse created = response(201, {});
    co_await cache.store_async("POST", url_, request, std::move(created), none, t0, t0);
    EXPECT_TRUE(files(directory_).empty());
    const CacheLookup after_post = co_await cache.lookup_async("GET", url_, request, t0 + 70s);
    EXPECT_EQ(after_post.state, CacheLookup::miss);

    CachedResponse again = ok_at(t0, {{"Cache-Control", "max-age=60"}});
    co_await cache.store_async("GET", url_, request, std::move(again), none, t0, t0);
    EXPECT_EQ(files(directory_).size(), 1u);
    co_await cache.invalidate_async(url_);
    EXPECT_TRUE(files(directory_).empty());
  }());
}

TEST_F(CacheDisk, DamagedFileIsAMissForLookupAsync) {
  const Headers request;
  for (const bool truncate : {true, false}) {
    {
      Cache first(on_disk(directory_));
      fetched(first, ok_at(t0, {{"Cache-Control", "max-age=60"}}, std::string(100, 'b')));
    }
    const auto stored = files(directory_);
    ASSERT_EQ(stored.size(), 1u);
    if (truncate) {
      fs::resize_file(stored[0], fs::file_size(stored[0]) - 1);
    } else {
      std::ofstream(stored[0], std::ios::binary | std::ios::trunc) << "WKCACHE1 and then garbage";
    }
    Cache second(on_disk(directory_));
    const CacheLookup lookup = run(second.lookup_async("GET", url_, request, t0));
    EXPECT_EQ(lookup.state, CacheLookup::miss) << truncate;
    EXPECT_TRUE(files(directory_).empty()) << truncate;
  }
}

// ---- Threads -------------------------------------------------------------------------------

TEST(CacheThreads, SharedCacheSurvivesConcurrentUse) {
  Cache cache(CacheOptions{.max_bytes = 20'000});
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 300; ++i) {
        const Url url = Url::parse("http://example.com/" + std::to_string((i + t) % 40));
        const CacheLookup lookup = cache.lookup("GET", url, {}, t0);
        if (lookup.state == CacheLookup::fresh) continue;
        CachedResponse r = response(200, {{"Cache-Control", "max-age=60"}},
                                    std::string(static_cast<std::size_t>(100 + i), 'x'));
        r.headers.set("Date", http_date(t0));
        cache.store("GET", url, {}, std::move(r), lookup, t0, t0);
        if (i % 50 == 0) cache.invalidate(url);
      }
    });
  }
  threads.clear();
  EXPECT_LE(cache.size_bytes(), 20'000u);
  EXPECT_GT(cache.entries(), 0u);
}

TEST(CacheThreads, DiskCacheSharedByLoopsNeverMixesEntries) {
  char pattern[] = "/tmp/wirekit-cache-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const fs::path directory = pattern;
  const auto body_of = [](int n) { return "body of " + std::to_string(n); };
  {
    // Small enough in memory that the loops keep reading and writing the files.
    Cache cache(CacheOptions{.max_bytes = 300, .directory = directory});
    Runtime runtime{RuntimeOptions{.threads = 2, .handle_signals = false}};
    std::atomic<int> wrong{0};
    std::atomic<int> served{0};
    auto main = [&]() -> Task<void> {
      std::function<Task<void>(std::size_t)> each = [&](std::size_t loop) -> Task<void> {
        const Headers request;
        for (int i = 0; i < 60; ++i) {
          const int n = (i * 7 + static_cast<int>(loop) * 3) % 10;
          const Url url = Url::parse("http://example.com/" + std::to_string(n));
          const CacheLookup lookup = co_await cache.lookup_async("GET", url, request, t0);
          if (lookup.state == CacheLookup::fresh) {
            ++served;
            if (lookup.stored->body != body_of(n)) ++wrong;
            continue;
          }
          CachedResponse answer = ok_at(t0, {{"Cache-Control", "max-age=60"}}, body_of(n));
          co_await cache.store_async("GET", url, request, std::move(answer), lookup, t0, t0);
          if (i % 20 == 0) co_await cache.invalidate_async(url);
        }
      };
      co_await runtime.on_each(std::move(each));
    };
    runtime.run(main());
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_GT(served.load(), 0);
    EXPECT_LE(cache.size_bytes(), 300u);
  }
  // What the files hold afterwards is whole and where it belongs.
  Cache later(CacheOptions{.directory = directory});
  for (int n = 0; n < 10; ++n) {
    const CacheLookup lookup =
        later.lookup("GET", Url::parse("http://example.com/" + std::to_string(n)), {}, t0);
    if (lookup.state == CacheLookup::fresh) {
      EXPECT_EQ(lookup.stored->body, body_of(n));
    }
  }
  std::error_code ignored;
  fs::remove_all(directory, ignored);
}

}  // namespace
}  // namespace wirekit::http
