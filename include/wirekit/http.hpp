// wirekit http: the HTTP/1.1 parser, server, router, middleware, static files, and the client
// with its connection pool and cache.
#pragma once

#include <wirekit/http/cache.hpp>
#include <wirekit/http/client.hpp>
#include <wirekit/http/date.hpp>
#include <wirekit/http/fetch.hpp>
#include <wirekit/http/message.hpp>
#include <wirekit/http/middleware.hpp>
#include <wirekit/http/parser.hpp>
#include <wirekit/http/router.hpp>
#include <wirekit/http/server.hpp>
#include <wirekit/http/static_files.hpp>
#include <wirekit/http/url.hpp>
