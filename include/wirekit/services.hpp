// wirekit services: what `wirekit serve` runs. The Service contract, its registry and runner
// (services/service.hpp), wirekit.toml (services/config.hpp), endpoints and blocking
// (services/endpoint.hpp), and the tutorial's servers as services (services/builtin.hpp). The
// CLI only parses options and calls these; a program can run the same services itself.
#pragma once

#include <wirekit/services/builtin.hpp>
#include <wirekit/services/config.hpp>
#include <wirekit/services/endpoint.hpp>
#include <wirekit/services/service.hpp>
