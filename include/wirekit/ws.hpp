// wirekit ws: WebSocket (RFC 6455) with permessage-deflate (RFC 7692).
//
// The pure part, free of I/O: frames decoded and encoded over byte spans (Decoder, Encoder),
// the incremental UTF-8 validator text messages and close reasons need, the raw-deflate engine
// of permessage-deflate (Compressor, Decompressor), and the opening handshake with the
// negotiation of extensions and subprotocols. On top: Connection (one WebSocket after its
// handshake), accept (a route of an HTTP server), connect (the client) and Room (broadcast).
#pragma once

#include <wirekit/ws/client.hpp>
#include <wirekit/ws/connection.hpp>
#include <wirekit/ws/deflate.hpp>
#include <wirekit/ws/frame.hpp>
#include <wirekit/ws/handshake.hpp>
#include <wirekit/ws/room.hpp>
#include <wirekit/ws/server.hpp>
#include <wirekit/ws/utf8.hpp>
