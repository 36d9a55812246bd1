// wirekit crypto: Fernet and JWT on OpenSSL 3, and the bearer-JWT guard for the HTTP server.
#pragma once

#include <wirekit/crypto/fernet.hpp>
#include <wirekit/crypto/jwt.hpp>
#include <wirekit/crypto/jwt_guard.hpp>
