// wirekit capture: packet sources (libpcap files and live capture), our own dissectors, the
// flow table and credential scanner, capture statistics and reports, and the machine's
// connection list (docs/capture.md).
#pragma once

#include <wirekit/capture/conns.hpp>
#include <wirekit/capture/creds.hpp>
#include <wirekit/capture/flow.hpp>
#include <wirekit/capture/listing.hpp>
#include <wirekit/capture/packet.hpp>
#include <wirekit/capture/report.hpp>
#include <wirekit/capture/source.hpp>
#include <wirekit/capture/stats.hpp>
