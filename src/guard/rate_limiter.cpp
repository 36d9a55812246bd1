#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <wirekit/guard.hpp>

#include "address_table.hpp"

namespace wirekit::guard {

struct RateLimiter::Table {
  struct Bucket {
    double tokens = 0;
    Clock::time_point refilled{};
  };
  explicit Table(std::size_t max_tracked) : clients(max_tracked) {}
  detail::AddressTable<Bucket> clients;
};

RateLimiter::RateLimiter(RateLimitOptions options) : options_(std::move(options)) {
  if (!(options_.rate > 0) || !(options_.burst >= 1) || !std::isfinite(options_.rate) ||
      !std::isfinite(options_.burst)) {
    throw Error(errc::invalid_argument,
                fmt::format("rate limit needs a rate above 0 and a burst of at least 1 (got {}/s, "
                            "burst {})",
                            options_.rate, options_.burst));
  }
  if (options_.ipv6_prefix > 128) {
    throw Error(errc::invalid_argument,
                fmt::format("IPv6 prefix /{} is longer than 128 bits", options_.ipv6_prefix));
  }
  table_ = std::make_unique<Table>(options_.max_tracked);
}

RateLimiter::~RateLimiter() = default;

RateLimiter::Decision RateLimiter::take(const net::IpAddress& ip) {
  return take(ip, Clock::now());
}

RateLimiter::Decision RateLimiter::take(const net::IpAddress& ip, Clock::time_point now) {
  for (const net::IpNetwork& n : options_.exempt) {
    if (n.contains(ip.unmapped())) return {};
  }
  return table_->clients.with(
      detail::client_key(ip, options_.ipv6_prefix), [&](Table::Bucket& b, bool fresh) {
        if (fresh) {
          b.tokens = options_.burst;
        } else {
          const double elapsed = std::chrono::duration<double>(now - b.refilled).count();
          b.tokens = std::min(options_.burst, b.tokens + std::max(0.0, elapsed) * options_.rate);
        }
        b.refilled = now;
        if (b.tokens >= 1) {
          b.tokens -= 1;
          return Decision{};
        }
        const double wait = (1 - b.tokens) / options_.rate;
        return Decision{false,
                        std::chrono::duration_cast<Duration>(std::chrono::duration<double>(wait))};
      });
}

std::size_t RateLimiter::tracked() const {
  return table_->clients.size();
}

}  // namespace wirekit::guard
