// Internal: the kinds of the standard registry, each defined beside its service.
#pragma once

#include <wirekit/services/service.hpp>

namespace wirekit::services {

ServiceKind echo_kind();
ServiceKind welcome_kind();
ServiceKind udp_ack_kind();
ServiceKind web_kind();
ServiceKind chat_kind();

}  // namespace wirekit::services
