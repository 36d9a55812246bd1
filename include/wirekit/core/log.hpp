// The library's diagnostic log (warnings, failures of detached tasks, shutdown notices).
// It writes to stderr through LogSink::standard_error() (core/log_sink.hpp), so logging on a
// loop never waits for a slow reader of stderr; programs may replace its sinks (the obs layer adds
// Elasticsearch and syslog sinks). What a command prints as its result goes to stdout, never
// through here.
#pragma once

#include <spdlog/logger.h>

namespace wirekit {

spdlog::logger& log();

}  // namespace wirekit
