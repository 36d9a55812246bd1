// tls::accept and STARTTLS: the server side every protocol shares.
#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <stdlib.h>

#include <wirekit/net.hpp>
#include <wirekit/tls.hpp>

#include "test_support.hpp"

namespace wirekit::tls {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Pki {
  fs::path dir;
  Pki() {
    std::string pattern = (fs::temp_directory_path() / "wirekit-accept-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
    write_self_signed(make_self_signed({.common_name = "localhost"}), dir);
  }
  ~Pki() { fs::remove_all(dir); }
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;
  ServerContext server() const {
    ServerOptions options;
    options.certificates.push_back({(dir / "cert.pem").string(), (dir / "key.pem").string()});
    return ServerContext(std::move(options));
  }
  ClientContext client() const { return ClientContext({.ca_file = (dir / "ca.pem").string()}); }
};

TEST(TlsAccept, APlaintextClientIsAnsweredInTheProtocolsOwnWords) {
  const Pki pki;
  const ServerContext context = pki.server();
  auto scenario = [&]() -> Task<std::string> {
    auto [a, b] = net::make_pipe();
    auto serve = [&]() -> Task<std::error_code> {
      AcceptOptions options;
      options.on_plaintext = [](net::Stream& plain) -> Task<void> {
        co_await plain.write("-ERR this port speaks TLS\r\n");
      };
      auto inner = std::make_unique<net::PipeStream>(std::move(a));  // named: g++ 12
      try {
        co_await accept(std::move(inner), context, std::move(options));
      } catch (const Error& e) {
        co_return e.code();
      }
      co_return std::error_code{};
    };
    auto client = [&]() -> Task<std::string> {
      co_await b.write("PING\r\n");
      co_return co_await b.read_to_end(1000);
    };
    auto [failure, answer] = co_await when_all(serve(), client());
    EXPECT_EQ(failure, errc::tls_failed);
    co_return answer;
  };
  EXPECT_EQ(test::run(scenario()), "-ERR this port speaks TLS\r\n");
}

TEST(TlsAccept, ATlsClientGetsAStreamAndTheHookIsNotCalled) {
  const Pki pki;
  const ServerContext server_context = pki.server();
  const ClientContext client_context = pki.client();
  auto scenario = [&]() -> Task<std::string> {
    auto [a, b] = net::make_pipe();
    bool hook_called = false;
    auto serve = [&]() -> Task<void> {
      AcceptOptions options;
      options.on_plaintext = [&](net::Stream&) -> Task<void> {
        hook_called = true;
        co_return;
      };
      auto inner = std::make_unique<net::PipeStream>(std::move(a));
      auto secure = co_await accept(std::move(inner), server_context, std::move(options));
      co_await secure->write("over TLS");
      co_await secure->shutdown_write();
    };
    auto client = [&]() -> Task<std::string> {
      TlsStream tls(std::make_unique<net::PipeStream>(std::move(b)), client_context, "localhost");
      co_await tls.handshake();
      co_return co_await tls.read_to_end(1000);
    };
    auto [_, got] = co_await when_all(serve(), client());
    EXPECT_FALSE(hook_called);
    co_return got;
  };
  EXPECT_EQ(test::run(scenario()), "over TLS");
}

TEST(TlsAccept, AClientThatNeverStartsTheHandshakeIsDroppedAtTheTimeout) {
  const Pki pki;
  const ServerContext context = pki.server();
  auto scenario = [&]() -> Task<std::error_code> {
    auto [a, b] = net::make_pipe();
    AcceptOptions options;
    options.handshake_timeout = 50ms;
    auto inner = std::make_unique<net::PipeStream>(std::move(a));
    try {
      co_await accept(std::move(inner), context, std::move(options));
    } catch (const Error& e) {
      co_return e.code();
    }
    co_return std::error_code{};
  };
  EXPECT_EQ(test::run(scenario()), errc::timed_out);
}

// CVE-2011-0411: a command pipelined behind STARTTLS in plaintext must not be read as if it
// had come over TLS.
TEST(StartTls, PlaintextSentAheadOfTheHandshakeIsDroppedNotRead) {
  const Pki pki;
  const ServerContext server_context = pki.server();
  const ClientContext client_context = pki.client();
  auto scenario = [&]() -> Task<std::string> {
    auto [a, b] = net::make_pipe();
    auto serve = [&]() -> Task<std::string> {
      net::BufferedStream plain{a};
      const auto command = co_await plain.read_line(100);
      EXPECT_EQ(*command, "STARTTLS");
      co_await plain.write("220 go ahead\r\n");
      // The injected "RCPT TO" arrived with STARTTLS: it is in `plain` now.
      AcceptOptions options;
      Upgraded upgraded = co_await starttls(plain, server_context, std::move(options));
      EXPECT_EQ(upgraded.dropped, std::string("RCPT TO:<evil@example>\r\n").size());
      net::BufferedStream secure{*upgraded.stream};
      const auto first = co_await secure.read_line(100);
      co_await secure.write("250 hello\r\n");
      co_return std::string(*first);
    };
    auto client = [&]() -> Task<void> {
      co_await b.write("STARTTLS\r\nRCPT TO:<evil@example>\r\n");
      net::BufferedStream plain{b};
      const auto go = co_await plain.read_line(100);
      EXPECT_EQ(*go, "220 go ahead");
      Upgraded upgraded = co_await starttls(plain, client_context, "localhost", 5s);
      co_await upgraded.stream->write("EHLO after\r\n");
      net::BufferedStream secure{*upgraded.stream};
      const auto hello = co_await secure.read_line(100);
      EXPECT_EQ(*hello, "250 hello");
    };
    auto [first, _] = co_await when_all(serve(), client());
    co_return first;
  };
  EXPECT_EQ(test::run(scenario()), "EHLO after");
}

}  // namespace
}  // namespace wirekit::tls
