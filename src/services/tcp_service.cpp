#include <wirekit/services/builtin.hpp>

namespace wirekit::services {

TcpService::TcpService(std::string name, Endpoint endpoint, MakeHandler make_handler)
    : name_(std::move(name)),
      endpoint_(std::move(endpoint)),
      make_handler_(std::move(make_handler)) {}

Task<void> TcpService::bind(const ServiceContext& context) {
  tcp_ = co_await bind_tcp(endpoint_, context.serve, context.runtime.size());
  handler_ = make_handler_(context);
}

Task<void> TcpService::serve(const ServiceContext& context) {
  co_await tcp_->serve(context.runtime, handler_);
}

std::vector<Listening> TcpService::listening() const {
  return listening_of(tcp_.get());
}

}  // namespace wirekit::services
