// Internal: an X509 certificate as CertificateInfo.
#pragma once

#include <openssl/x509.h>

#include <wirekit/tls/context.hpp>

namespace wirekit::tls {

CertificateInfo certificate_info(X509* cert);

}  // namespace wirekit::tls
