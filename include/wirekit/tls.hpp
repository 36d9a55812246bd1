// wirekit tls: OpenSSL 3 contexts, the TLS stream over any stream, and the probe and
// self-signed certificate tools.
#pragma once

#include <wirekit/tls/accept.hpp>
#include <wirekit/tls/context.hpp>
#include <wirekit/tls/stream.hpp>
#include <wirekit/tls/tools.hpp>
