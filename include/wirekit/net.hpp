// wirekit net: addresses, DNS, TCP / UDP / Unix sockets, the Stream interface, TcpServer, and
// the Twisted-style Protocol adapter.
#pragma once

#include <wirekit/core.hpp>
#include <wirekit/net/address.hpp>
#include <wirekit/net/buffered_stream.hpp>
#include <wirekit/net/pipe.hpp>
#include <wirekit/net/pool.hpp>
#include <wirekit/net/protocol.hpp>
#include <wirekit/net/resolver.hpp>
#include <wirekit/net/server.hpp>
#include <wirekit/net/socket.hpp>
#include <wirekit/net/stream.hpp>
#include <wirekit/net/tcp.hpp>
#include <wirekit/net/udp.hpp>
#include <wirekit/net/unix.hpp>
