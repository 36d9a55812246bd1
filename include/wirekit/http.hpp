// wirekit http: the HTTP/1.1 parser, server, router, middleware and static files.
#pragma once

#include <wirekit/http/date.hpp>
#include <wirekit/http/message.hpp>
#include <wirekit/http/middleware.hpp>
#include <wirekit/http/parser.hpp>
#include <wirekit/http/router.hpp>
#include <wirekit/http/server.hpp>
#include <wirekit/http/static_files.hpp>
