#include <wirekit/core/log_sink.hpp>
#include <wirekit/services/builtin.hpp>
#include <wirekit/services/config.hpp>
#include <wirekit/services/service.hpp>

#include "kinds.hpp"

namespace wirekit::services {

LineSink stdout_lines() {
  // Through the bounded sink: a reader of stdout that stops reading costs lines, never a loop.
  return [](const std::string& line) { LogSink::standard_output().write(line); };
}

std::string describe(std::span<const Listening> listening) {
  std::string out;
  for (const Listening& l : listening) {
    if (!out.empty()) out += ", ";
    out += l.address.to_string();
  }
  return out;
}

namespace {

void announce_each(const Services& services, const LineSink& lines) {
  for (const auto& service : services) {
    lines(service->name() + ": listening on " + describe(service->listening()));
  }
}

}  // namespace

Task<void> run_services(Runtime& runtime, const Services& services, const RunOptions& options) {
  if (services.empty()) {
    throw Error(errc::invalid_argument, "no service is enabled in the configuration");
  }
  const ServiceContext context{runtime, options.serve, options.lines, services};
  // Everything is bound before anything is served: a port in use stops the start-up whole.
  for (const auto& service : services) co_await service->bind(context);
  (options.announce ? options.announce : announce_each)(services, options.lines);
  std::vector<Task<void>> serving;
  serving.reserve(services.size());
  for (const auto& service : services) serving.push_back(service->serve(context));
  co_await when_all(std::move(serving));
}

void run(const Services& services, const RunOptions& options) {
  RuntimeOptions runtime_options{.threads = options.threads,
                                 .handle_signals = options.handle_signals};
  for (const auto& service : services) {
    if (!service->reloads()) continue;
    runtime_options.on_reload = [&services] {
      // Each service reloads even when another's reload failed; the first failure is reported.
      std::exception_ptr failure;
      for (const auto& s : services) {
        try {
          if (s->reloads()) s->reload();
        } catch (...) {
          if (!failure) failure = std::current_exception();
        }
      }
      if (failure) std::rethrow_exception(failure);
    };
    break;
  }
  Runtime runtime{std::move(runtime_options)};
  runtime.run(run_services(runtime, services, options));
}

Registry& Registry::add(ServiceKind kind) {
  kinds_.push_back(std::move(kind));
  return *this;
}

const ServiceKind* Registry::find(std::string_view section) const noexcept {
  for (const ServiceKind& kind : kinds_) {
    if (kind.section == section) return &kind;
  }
  return nullptr;
}

const Registry& Registry::standard() {
  static const Registry registry = [] {
    Registry r;
    r.add(echo_kind()).add(welcome_kind()).add(udp_ack_kind()).add(web_kind()).add(chat_kind());
    return r;
  }();
  return registry;
}

}  // namespace wirekit::services
