#include "certificate.hpp"

#include <array>
#include <ctime>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "openssl.hpp"

namespace wirekit::tls {

namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::string name_text(const X509_NAME* name) {
  const detail::BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  return bio_text(bio.get());
}

// "Nov 26 02:00:00 2026 GMT", the form of Python's getpeercert() and `openssl x509 -dates`.
std::string time_text(const ASN1_TIME* time) {
  const detail::BioPtr bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), time);
  return bio_text(bio.get());
}

std::chrono::system_clock::time_point time_point(const ASN1_TIME* time) {
  std::tm parts{};
  if (ASN1_TIME_to_tm(time, &parts) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

std::string general_name_text(const GENERAL_NAME* name) {
  switch (name->type) {
    case GEN_DNS:
    case GEN_EMAIL:
    case GEN_URI: {
      const ASN1_IA5STRING* text = name->d.ia5;
      const std::string value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                              static_cast<std::size_t>(ASN1_STRING_length(text)));
      const char* kind = name->type == GEN_DNS ? "DNS" : name->type == GEN_EMAIL ? "email" : "URI";
      return fmt::format("{}:{}", kind, value);
    }
    case GEN_IPADD: {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      const unsigned char* bytes = ASN1_STRING_get0_data(ip);
      std::array<char, 64> text{};
      const int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
      if (ASN1_STRING_length(ip) != 4 && ASN1_STRING_length(ip) != 16) return "IP:?";
      inet_ntop(family, bytes, text.data(), static_cast<socklen_t>(text.size()));
      return fmt::format("IP:{}", text.data());
    }
    default:
      return "other";
  }
}

}  // namespace

CertificateInfo certificate_info(X509* cert) {
  CertificateInfo info;
  info.subject = name_text(X509_get_subject_name(cert));
  info.issuer = name_text(X509_get_issuer_name(cert));
  info.not_before = time_text(X509_get0_notBefore(cert));
  info.not_after = time_text(X509_get0_notAfter(cert));
  info.expires = time_point(X509_get0_notAfter(cert));
  if (auto* sans = static_cast<GENERAL_NAMES*>(
          X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      info.subject_alt_names.push_back(general_name_text(sk_GENERAL_NAME_value(sans, i)));
    }
    GENERAL_NAMES_free(sans);
  }
  if (BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(serial)) {
      info.serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(serial);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (X509_digest(cert, EVP_sha256(), digest.data(), &size) == 1) {
    for (unsigned int i = 0; i < size; ++i) {
      info.sha256_fingerprint += fmt::format("{}{:02X}", i == 0 ? "" : ":", digest[i]);
    }
  }
  return info;
}

}  // namespace wirekit::tls
