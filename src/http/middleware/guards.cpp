#include <algorithm>
#include <cmath>

#include <wirekit/http/middleware.hpp>

namespace wirekit::http {

Middleware ip_blocking(std::shared_ptr<guard::IpBlocker> blocker) {
  return [blocker = std::move(blocker)](Request& request, const Handler& next) -> Task<Response> {
    const guard::Verdict v = blocker->check(request.peer().ip());
    if (!guard::admitted(v)) {
      co_return Response::error(403, v == guard::Verdict::denied
                                         ? "your network is not allowed"
                                         : "You have been blocked due to too many attempts.");
    }
    co_return co_await next(request);
  };
}

Middleware rate_limit(std::shared_ptr<guard::RateLimiter> limiter) {
  return [limiter = std::move(limiter)](Request& request, const Handler& next) -> Task<Response> {
    const auto decision = limiter->take(request.peer().ip());
    if (!decision.allowed) {
      Response r = Response::error(429, "slow down");
      const double seconds = std::chrono::duration<double>(decision.retry_after).count();
      r.headers.set("Retry-After",
                    std::to_string(std::max<long long>(1, std::llround(std::ceil(seconds)))));
      co_return r;
    }
    co_return co_await next(request);
  };
}

}  // namespace wirekit::http
