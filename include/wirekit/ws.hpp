// wirekit ws: WebSocket (RFC 6455) — the opening handshake and permessage-deflate negotiation.
#pragma once

#include <wirekit/ws/handshake.hpp>
