// wirekit ws: WebSocket (RFC 6455) with permessage-deflate (RFC 7692).
//
// The pure part, free of I/O: frames decoded and encoded over byte spans (Decoder, Encoder),
// the incremental UTF-8 validator text messages and close reasons need, and the raw-deflate
// engine of permessage-deflate (Compressor, Decompressor).
#pragma once

#include <wirekit/ws/deflate.hpp>
#include <wirekit/ws/frame.hpp>
#include <wirekit/ws/utf8.hpp>
