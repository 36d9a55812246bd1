// wirekit guard: defence against abusive clients. IpBlocker is the tutorial's §7.2 IP blocker
// done right: attempts are counted per address in a sliding window, entries expire, memory is
// bounded however many distinct addresses arrive, and allow/deny networks are honoured.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <wirekit/core.hpp>
#include <wirekit/net/address.hpp>

namespace wirekit::guard {

struct IpBlockerOptions {
  std::uint32_t max_attempts = 5;  // attempts admitted per window; the next ones are blocked
  Duration window = std::chrono::seconds(60);
  std::size_t max_tracked = 65'536;   // addresses remembered; the least recently seen go first
  unsigned ipv6_prefix = 64;          // IPv6 clients are counted per /64: one host owns a /64
  std::vector<net::IpNetwork> allow;  // never counted, never blocked
  std::vector<net::IpNetwork> deny;   // always refused
};

enum class Verdict {
  allowed,  // counted, under the limit
  blocked,  // over the limit in the current window
  denied,   // in a deny network
  trusted,  // in an allow network
};

inline bool admitted(Verdict v) noexcept {
  return v == Verdict::allowed || v == Verdict::trusted;
}
const char* to_string(Verdict v) noexcept;

// Thread-safe: one blocker is shared by every loop of a server.
class IpBlocker {
 public:
  explicit IpBlocker(IpBlockerOptions options = {});
  ~IpBlocker();
  IpBlocker(const IpBlocker&) = delete;
  IpBlocker& operator=(const IpBlocker&) = delete;

  // Records one attempt from `ip` and says whether it is admitted. A blocked attempt is not
  // counted (as in the tutorial): the block lifts once the admitted attempts leave the window.
  Verdict check(const net::IpAddress& ip);
  Verdict check(const net::IpAddress& ip, Clock::time_point now);

  // Addresses (or IPv6 prefixes) currently remembered.
  std::size_t tracked() const;
  const IpBlockerOptions& options() const noexcept { return options_; }

 private:
  struct Table;
  IpBlockerOptions options_;
  std::unique_ptr<Table> table_;
};

// A token bucket per client: `rate` requests per second on average, bursts of up to `burst`.
struct RateLimitOptions {
  double rate = 10;   // tokens added per second
  double burst = 20;  // bucket size
  std::size_t max_tracked = 65'536;
  unsigned ipv6_prefix = 64;
  std::vector<net::IpNetwork> exempt;  // never limited
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimitOptions options);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  struct Decision {
    bool allowed = true;
    Duration retry_after{};  // when refused: until a token is back
  };
  // Takes one token from the client's bucket if there is one.
  Decision take(const net::IpAddress& ip);
  Decision take(const net::IpAddress& ip, Clock::time_point now);
  std::size_t tracked() const;

 private:
  struct Table;
  RateLimitOptions options_;
  std::unique_ptr<Table> table_;
};

}  // namespace wirekit::guard
