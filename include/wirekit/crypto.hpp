// wirekit crypto: Fernet and JWT on OpenSSL 3 (the HTTP server's bearer-JWT guard, built on
// these, is in wirekit/http/middleware.hpp).
#pragma once

#include <wirekit/crypto/fernet.hpp>
#include <wirekit/crypto/jwt.hpp>
