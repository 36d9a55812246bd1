#include <array>

#include <fmt/format.h>

#include <wirekit/guard.hpp>

#include "address_table.hpp"

namespace wirekit::guard {

namespace {

// The window is cut into this many slots; an attempt leaves the count when its slot does, so
// a block lifts between `window` and `window * (1 + 1/slots)` after the attempts that caused it.
constexpr std::size_t slots = 8;

}  // namespace

const char* to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::allowed:
      return "allowed";
    case Verdict::blocked:
      return "blocked";
    case Verdict::denied:
      return "denied";
    case Verdict::trusted:
      return "trusted";
  }
  return "unknown";
}

// One client's admitted attempts, per slot of the window.
struct IpBlocker::Table {
  struct Counts {
    std::array<std::uint32_t, slots> per_slot{};
    std::uint64_t last_slot = 0;
    bool blocked = false;  // at last_slot
  };
  explicit Table(std::size_t max_tracked) : clients(max_tracked) {}
  detail::AddressTable<Counts> clients;
};

IpBlocker::IpBlocker(IpBlockerOptions options) : options_(std::move(options)) {
  if (options_.window <= Duration::zero()) {
    throw Error(errc::invalid_argument, "IP blocker window must be longer than zero");
  }
  if (options_.ipv6_prefix > 128) {
    throw Error(errc::invalid_argument,
                fmt::format("IPv6 prefix /{} is longer than 128 bits", options_.ipv6_prefix));
  }
  table_ = std::make_unique<Table>(options_.max_tracked);
}

IpBlocker::~IpBlocker() = default;

Verdict IpBlocker::check(const net::IpAddress& ip) {
  return check(ip, Clock::now());
}

Verdict IpBlocker::check(const net::IpAddress& ip, Clock::time_point now) {
  const net::IpAddress address = ip.unmapped();
  for (const net::IpNetwork& n : options_.allow) {
    if (n.contains(address)) return Verdict::trusted;
  }
  for (const net::IpNetwork& n : options_.deny) {
    if (n.contains(address)) return Verdict::denied;
  }
  const auto slot_length = std::max<Duration>(Duration{1}, options_.window / slots);
  const auto slot = static_cast<std::uint64_t>(now.time_since_epoch() / slot_length);
  // A client blocked within the window stays remembered under a flood of new addresses: evicted,
  // it would come back with a clean slate.
  auto still_blocked = [slot](const Table::Counts& c) {
    return c.blocked && slot - c.last_slot < slots;
  };
  return table_->clients.with(
      detail::client_key(address, options_.ipv6_prefix),
      [&](Table::Counts& c, bool fresh) {
        // Clear the slots that left the window since the client was last seen.
        if (fresh || slot - c.last_slot >= slots) {
          c.per_slot.fill(0);
        } else {
          for (std::uint64_t s = c.last_slot + 1; s <= slot; ++s) c.per_slot[s % slots] = 0;
        }
        c.last_slot = slot;
        std::uint64_t in_window = 0;
        for (std::uint32_t n : c.per_slot) in_window += n;
        c.blocked = in_window >= options_.max_attempts;
        if (c.blocked) return Verdict::blocked;
        ++c.per_slot[slot % slots];
        return Verdict::allowed;
      },
      still_blocked);
}

std::size_t IpBlocker::tracked() const {
  return table_->clients.size();
}

}  // namespace wirekit::guard
