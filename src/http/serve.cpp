#include <wirekit/core/log.hpp>
#include <wirekit/core/runtime.hpp>
#include <wirekit/http/server.hpp>

namespace wirekit::http {

void serve(Router router, std::string_view address, ServerOptions options) {
  RuntimeOptions runtime_options{.handle_signals = true};
  if (options.tls)
    runtime_options.on_reload = [context = *options.tls]() mutable { context.reload(); };
  Runtime runtime{std::move(runtime_options)};
  net::TcpServer tcp{address, {}, runtime.size()};
  const std::string_view scheme = options.tls ? "https" : "http";
  Server server{std::move(router), std::move(options)};
  for (const auto& at : tcp.local_addresses())
    log().info("serving {}://{}/", scheme, at.to_string());
  runtime.run(server.serve(runtime, tcp));
}

}  // namespace wirekit::http
