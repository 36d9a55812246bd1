#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <stdlib.h>

#include <wirekit/http.hpp>
#include <wirekit/net.hpp>
#include <wirekit/tls.hpp>

#include "test_support.hpp"

namespace wirekit::tls {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const net::SocketAddress loopback_any_port = *net::SocketAddress::try_parse("127.0.0.1:0");

// A development CA and certificate for `name`, written into a fresh directory.
struct Pki {
  fs::path dir;
  explicit Pki(const std::string& name = "localhost") {
    std::string pattern = (fs::temp_directory_path() / "wirekit-tls-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
    write_self_signed(make_self_signed({.common_name = name}), dir);
  }
  ~Pki() { fs::remove_all(dir); }
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;
  std::string ca() const { return (dir / "ca.pem").string(); }
  std::string cert() const { return (dir / "cert.pem").string(); }
  std::string key() const { return (dir / "key.pem").string(); }
  CertificateFiles files() const { return {cert(), key()}; }
};

std::string common_name(const TlsStream& stream) {
  const auto cert = stream.peer_certificate();
  if (!cert) return "(none)";
  const auto cn = cert->subject.find("CN=");
  return cert->subject.substr(cn + 3, cert->subject.find(',', cn) - cn - 3);
}

Task<void> shake(TlsStream& stream) {
  co_await stream.handshake();
}

std::string text(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// What a client sees of a handshake with a server using `server_options`, over loopback TCP:
// the CN of the server's certificate, or the client's error message.
Task<std::string> client_view(ServerOptions server_options, ClientOptions client_options,
                              std::string server_name) {
  const ServerContext server_context(std::move(server_options));
  const ClientContext client_context(client_options);
  net::TcpListener listener = net::TcpListener::bind(loopback_any_port);
  auto server = [&]() -> Task<void> {
    net::TcpStream accepted = co_await listener.accept();
    auto inner = std::make_unique<net::TcpStream>(std::move(accepted));
    TlsStream tls(std::move(inner), server_context);
    try {
      co_await tls.handshake();
      co_await tls.write("served");
    } catch (const Error&) {
      // The client's verdict is what the test looks at.
    }
  };
  auto client = [&]() -> Task<std::string> {
    net::TcpStream socket = co_await net::TcpStream::connect(listener.local_address());
    auto inner = std::make_unique<net::TcpStream>(std::move(socket));
    TlsStream tls(std::move(inner), client_context, server_name);
    try {
      co_await tls.handshake().timeout(5s);
      std::array<std::byte, 6> buffer;
      co_await tls.read_exact(buffer);
      co_return common_name(tls);
    } catch (const Error& e) {
      co_return std::string(e.what());
    }
  };
  auto [_, seen] = co_await when_all(server(), client());
  co_return seen;
}

TEST(Tls, HandshakeAndLargeEchoOverAnInMemoryPipe) {
  const Pki pki;
  auto scenario = [&]() -> Task<std::string> {
    const ServerContext server_context({.certificates = {pki.files()}});
    const ClientContext client_context({.ca_file = pki.ca(), .alpn = {"h2", "http/1.1"}});
    auto [a, b] = net::make_pipe(16 * 1024);
    TlsStream server(std::make_unique<net::PipeStream>(std::move(a)), server_context);
    TlsStream client(std::make_unique<net::PipeStream>(std::move(b)), client_context, "localhost");
    const std::string payload(3 * 1024 * 1024 + 17, 'x');
    auto serve = [&]() -> Task<void> {
      co_await server.handshake();
      std::string data(payload.size(), '\0');
      co_await server.read_exact(std::as_writable_bytes(std::span(data)));
      co_await server.write(data);
      co_await server.shutdown_write();
    };
    auto talk = [&]() -> Task<std::string> {
      co_await client.handshake();
      auto [_, echoed] = co_await when_all(
          [&]() -> Task<void> { co_await client.write(payload); }(),
          [&]() -> Task<std::string> { co_return co_await client.read_to_end(8 << 20); }());
      co_return fmt::format("{} {} {} {} {}", client.version(), client.alpn(), common_name(client),
                            client.verification(), echoed == payload);
    };
    auto [_, seen] = co_await when_all(serve(), talk());
    co_return seen;
  };
  // ALPN: the server accepts only http/1.1 (its default), though the client prefers h2.
  EXPECT_EQ(test::run(scenario()), "TLSv1.3 http/1.1 localhost ok true");
}

TEST(Tls, CloseWithoutCloseNotifyEndsTheStreamLikeOneWithIt) {
  const Pki pki;
  auto scenario = [&](bool notify) -> Task<std::string> {
    const ServerContext server_context({.certificates = {pki.files()}});
    const ClientContext client_context({.ca_file = pki.ca()});
    auto [a, b] = net::make_pipe();
    TlsStream server(std::make_unique<net::PipeStream>(std::move(a)), server_context);
    TlsStream client(std::make_unique<net::PipeStream>(std::move(b)), client_context, "localhost");
    auto serve = [&]() -> Task<void> {
      co_await server.handshake();
      co_await server.write("body until the end");
      if (notify) {
        server.close();  // sends close_notify first
      } else {
        server.inner().close();  // as Python's http.server over ssl does
      }
    };
    auto [_, got] = co_await when_all(serve(), [&]() -> Task<std::string> {
      co_await client.handshake();
      co_return co_await client.read_to_end(1000);
    }());
    co_return got;
  };
  EXPECT_EQ(test::run(scenario(true)), "body until the end");
  EXPECT_EQ(test::run(scenario(false)), "body until the end");
}

TEST(Tls, WritevGathersChunksAndPartialWritesResume) {
  const Pki pki;
  auto scenario = [&]() -> Task<std::string> {
    const ServerContext server_context({.certificates = {pki.files()}});
    const ClientContext client_context({.ca_file = pki.ca()});
    net::TcpListener listener = net::TcpListener::bind(loopback_any_port);
    std::vector<std::string> chunks;
    std::string expected;
    for (int i = 0; i < 200; ++i) {
      chunks.push_back(
          std::string(static_cast<std::size_t>(i * 997 % 70'000), static_cast<char>('a' + i % 26)));
      expected += chunks.back();
    }
    auto server = [&]() -> Task<std::string> {
      net::TcpStream accepted = co_await listener.accept();
      auto inner = std::make_unique<net::TcpStream>(std::move(accepted));
      TlsStream tls(std::move(inner), server_context);
      co_await tls.handshake();
      std::string received = co_await tls.read_to_end(64 << 20);
      co_await tls.write("got it");
      co_return received;
    };
    auto client = [&]() -> Task<void> {
      net::TcpStream socket = co_await net::TcpStream::connect(listener.local_address());
      auto inner = std::make_unique<net::TcpStream>(std::move(socket));
      TlsStream tls(std::move(inner), client_context, "127.0.0.1");
      co_await tls.handshake();
      std::vector<iovec> parts;
      for (std::string& c : chunks) parts.push_back({c.data(), c.size()});
      co_await tls.writev(parts);
      co_await tls.shutdown_write();
      // Read to the end before closing: closing with the server's session ticket unread
      // would make the kernel reset the connection under the server's last reads.
      co_await tls.read_to_end(100);
    };
    auto [received, _] = co_await when_all(server(), client());
    co_return received == expected ? "same"
                                   : fmt::format("{} of {}", received.size(), expected.size());
  };
  EXPECT_EQ(test::run(scenario()), "same");
}

TEST(Tls, SecondConnectionResumesTheSession) {
  const Pki pki;
  auto scenario = [&]() -> Task<std::string> {
    const ServerContext server_context({.certificates = {pki.files()}});
    const ClientContext client_context({.ca_file = pki.ca()});
    net::TcpListener listener = net::TcpListener::bind(loopback_any_port);
    std::string reused;
    for (int round = 0; round < 3; ++round) {
      auto server = [&]() -> Task<void> {
        net::TcpStream accepted = co_await listener.accept();
        TlsStream tls(std::make_unique<net::TcpStream>(std::move(accepted)), server_context);
        co_await tls.handshake();
        co_await tls.write("hi");
        co_await tls.shutdown_write();
      };
      auto client = [&]() -> Task<void> {
        net::TcpStream socket = co_await net::TcpStream::connect(listener.local_address());
        TlsStream tls(std::make_unique<net::TcpStream>(std::move(socket)), client_context,
                      "localhost");
        co_await tls.handshake();
        // Reading takes in the server's session ticket (TLS 1.3 sends it after the handshake).
        co_await tls.read_to_end(100);
        reused += tls.session_reused() ? 'R' : 'F';
      };
      co_await when_all(server(), client());
    }
    co_return reused;
  };
  EXPECT_EQ(test::run(scenario()), "FRR");
}

TEST(Tls, ServerPicksTheCertificateByServerName) {
  const Pki first("first.test");
  const Pki second("second.test");
  const ServerOptions options{.certificates = {first.files(), second.files()}};
  auto client = [&](const Pki& trusted, std::string name) {
    return test::run(client_view(options, {.ca_file = trusted.ca()}, std::move(name)));
  };
  EXPECT_EQ(client(second, "second.test"), "second.test");
  EXPECT_EQ(client(first, "first.test"), "first.test");
  // A name no certificate has gets the default, which then fails the name check.
  EXPECT_NE(client(first, "third.test").find("not valid for 'third.test'"), std::string::npos);
}

TEST(Tls, VerificationFailuresNameTheirCause) {
  const Pki pki;
  const Pki stranger;
  const ServerOptions options{.certificates = {pki.files()}};
  const std::string unknown_ca = test::run(client_view(options, {}, "localhost"));
  EXPECT_NE(unknown_ca.find("TLS handshake with localhost (127.0.0.1:"), std::string::npos)
      << unknown_ca;
  EXPECT_NE(unknown_ca.find("certificate verify failed: unable to get local issuer certificate"),
            std::string::npos)
      << unknown_ca;
  const std::string other_ca =
      test::run(client_view(options, {.ca_file = stranger.ca()}, "localhost"));
  EXPECT_NE(other_ca.find("certificate verify failed"), std::string::npos) << other_ca;
  const std::string wrong_name =
      test::run(client_view(options, {.ca_file = pki.ca()}, "example.com"));
  EXPECT_NE(wrong_name.find("hostname mismatch (the certificate is not valid for 'example.com')"),
            std::string::npos)
      << wrong_name;
  // --insecure connects anyway.
  EXPECT_EQ(test::run(client_view(options, {.verify = false}, "example.com")), "localhost");
}

TEST(Tls, InsecureClientStillReportsWhatVerificationWouldSay) {
  const Pki pki;
  auto scenario = [&]() -> Task<std::string> {
    const ServerContext server_context({.certificates = {pki.files()}});
    const ClientContext client_context({.verify = false});
    auto [a, b] = net::make_pipe();
    TlsStream server(std::make_unique<net::PipeStream>(std::move(a)), server_context);
    TlsStream client(std::make_unique<net::PipeStream>(std::move(b)), client_context, "localhost");
    co_await when_all(shake(server), shake(client));
    co_return client.verification();
  };
  EXPECT_EQ(test::run(scenario()), "unable to get local issuer certificate");
}

TEST(Tls, MutualTlsChecksTheClientCertificate) {
  const Pki pki;
  const Pki stranger;
  auto scenario = [&](ClientOptions client_options) -> Task<std::string> {
    const ServerContext server_context({.certificates = {pki.files()},
                                        .client_ca_file = pki.ca(),
                                        .require_client_certificate = true});
    client_options.ca_file = pki.ca();
    const ClientContext client_context(client_options);
    auto [a, b] = net::make_pipe();
    TlsStream server(std::make_unique<net::PipeStream>(std::move(a)), server_context);
    TlsStream client(std::make_unique<net::PipeStream>(std::move(b)), client_context, "localhost");
    auto serve = [&]() -> Task<std::string> {
      try {
        co_await server.handshake();
        co_await server.write("welcome");
        co_return "client " + common_name(server);
      } catch (const Error& e) {
        co_return std::string("server: ") + e.what();
      }
    };
    auto talk = [&]() -> Task<std::string> {
      try {
        co_await client.handshake();
        // TLS 1.3 finishes the client's handshake before the server has judged its
        // certificate: a refusal arrives as an alert on the first read.
        std::array<std::byte, 7> buffer;
        co_await client.read_exact(buffer);
        co_return text(buffer);
      } catch (const Error& e) {
        co_return std::string("client: ") + e.what();
      }
    };
    auto [server_view, client_seen] = co_await when_all(serve(), talk());
    co_return server_view + " | " + client_seen;
  };
  EXPECT_EQ(test::run(scenario({.cert_file = pki.cert(), .key_file = pki.key()})),
            "client localhost | welcome");
  const std::string without = test::run(scenario({}));
  EXPECT_NE(without.find("server: TLS handshake with pipe"), std::string::npos) << without;
  EXPECT_NE(without.find("client: read from pipe end B (tlsv13 alert certificate required; the "
                         "server requires a client certificate): TLS failed"),
            std::string::npos)
      << without;
  const std::string untrusted =
      test::run(scenario({.cert_file = stranger.cert(), .key_file = stranger.key()}));
  EXPECT_NE(untrusted.find("server: TLS handshake"), std::string::npos) << untrusted;
  EXPECT_EQ(untrusted.find("welcome"), std::string::npos) << untrusted;
}

// A raw server on loopback that does `behave` with each connection, for broken peers.
Task<std::string> against_raw_server(std::function<Task<void>(net::TcpStream&)> behave,
                                     Duration timeout) {
  const ClientContext client_context({.verify = false});
  net::TcpListener listener = net::TcpListener::bind(loopback_any_port);
  auto server = [&]() -> Task<void> {
    net::TcpStream accepted = co_await listener.accept();
    co_await behave(accepted);
  };
  auto client = [&]() -> Task<std::string> {
    net::TcpStream socket = co_await net::TcpStream::connect(listener.local_address());
    TlsStream tls(std::make_unique<net::TcpStream>(std::move(socket)), client_context, "localhost");
    try {
      co_await tls.handshake().timeout(timeout);
      co_return "connected";
    } catch (const Error& e) {
      co_return fmt::format("{} | {}", static_cast<int>(e.code().value()), e.what());
    }
  };
  auto [_, seen] = co_await when_all(server(), client());
  co_return seen;
}

TEST(Tls, PeerClosingMidHandshakeIsAnUnexpectedEnd) {
  const std::string seen = test::run(against_raw_server(
      [](net::TcpStream& s) -> Task<void> {
        std::array<std::byte, 512> hello;
        co_await s.read_some(hello);
        s.close();
      },
      5s));
  EXPECT_EQ(seen.substr(0, seen.find(' ')), std::to_string(static_cast<int>(errc::unexpected_eof)));
  EXPECT_NE(seen.find("the peer closed the connection during the handshake"), std::string::npos)
      << seen;
}

TEST(Tls, SilentServerTimesTheHandshakeOut) {
  const std::string seen = test::run(against_raw_server(
      [](net::TcpStream& s) -> Task<void> {
        std::array<std::byte, 512> hello;
        co_await s.read_some(hello);
        co_await sleep(1s);
      },
      200ms));
  EXPECT_NE(seen.find("TLS handshake with localhost (127.0.0.1:"), std::string::npos) << seen;
  EXPECT_NE(seen.find("timed out after 200ms"), std::string::npos) << seen;
}

TEST(Tls, PlainTextPeerIsNamedAsNotSpeakingTls) {
  const std::string seen = test::run(against_raw_server(
      [](net::TcpStream& s) -> Task<void> {
        std::array<std::byte, 512> hello;
        co_await s.read_some(hello);
        co_await s.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
      },
      5s));
  EXPECT_NE(seen.find("is the peer speaking TLS on this port?"), std::string::npos) << seen;
}

TEST(Tls, StartTlsUpgradesAConnectionInPlace) {
  const Pki pki;
  auto scenario = [&]() -> Task<std::string> {
    const ServerContext server_context({.certificates = {pki.files()}});
    const ClientContext client_context({.ca_file = pki.ca()});
    net::TcpListener listener = net::TcpListener::bind(loopback_any_port);
    auto server = [&]() -> Task<void> {
      auto plain = std::make_unique<net::TcpStream>(co_await listener.accept());
      std::array<std::byte, 10> command;
      co_await plain->read_exact(command);  // "STARTTLS\r\n"
      co_await plain->write("220 go ahead\r\n");
      TlsStream tls(std::move(plain), server_context);
      co_await tls.handshake();
      co_await tls.write("secret");
      co_await tls.shutdown_write();
    };
    auto client = [&]() -> Task<std::string> {
      auto plain = std::make_unique<net::TcpStream>(
          co_await net::TcpStream::connect(listener.local_address()));
      co_await plain->write("STARTTLS\r\n");
      std::array<std::byte, 14> answer;
      co_await plain->read_exact(answer);
      TlsStream tls(std::move(plain), client_context, "localhost");
      co_await tls.handshake();
      co_return text(answer) + co_await tls.read_to_end(100) + " " + std::string(tls.version());
    };
    auto [_, seen] = co_await when_all(server(), client());
    co_return seen;
  };
  EXPECT_EQ(test::run(scenario()), "220 go ahead\r\nsecret TLSv1.3");
}

TEST(Tls, ReloadServesNewCertificatesAndKeepsTheOldOnFailure) {
  const Pki before("before.test");
  const Pki after("after.test");
  const fs::path live = before.dir / "live";
  fs::create_directory(live);
  const auto install = [&](const Pki& pki) {
    fs::copy_file(pki.cert(), live / "cert.pem", fs::copy_options::overwrite_existing);
    fs::copy_file(pki.key(), live / "key.pem", fs::copy_options::overwrite_existing);
  };
  install(before);
  ServerContext context(
      {.certificates = {{(live / "cert.pem").string(), (live / "key.pem").string()}}});
  const auto served_name = [&] {
    auto scenario = [&]() -> Task<std::string> {
      auto [a, b] = net::make_pipe();
      const ClientContext client_context({.verify = false});
      TlsStream server(std::make_unique<net::PipeStream>(std::move(a)), context);
      TlsStream client(std::make_unique<net::PipeStream>(std::move(b)), client_context, "x");
      co_await when_all(shake(server), shake(client));
      co_return common_name(client);
    };
    return test::run(scenario());
  };
  EXPECT_EQ(served_name(), "before.test");
  install(after);
  context.reload();
  EXPECT_EQ(served_name(), "after.test");
  std::ofstream(live / "key.pem") << "not a key";
  EXPECT_THROW(context.reload(), Error);
  EXPECT_EQ(served_name(), "after.test");
}

TEST(Tls, BadServerFilesAreRefusedNamingTheFile) {
  const Pki pki;
  const Pki other;
  const auto message = [](ServerOptions options) {
    try {
      ServerContext context(std::move(options));
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message({.certificates = {{"/nonexistent/cert.pem", pki.key()}}}),
            "TLS certificate /nonexistent/cert.pem: No such file or directory");
  EXPECT_EQ(message({.certificates = {{pki.cert(), other.key()}}}),
            "TLS key " + other.key() + " does not match the certificate " + pki.cert());
  EXPECT_EQ(message({.certificates = {{pki.key(), pki.key()}}}).substr(0, 16), "TLS certificate ");
  EXPECT_EQ(message({}), "TLS server: no certificate given");
  EXPECT_THROW(ClientContext({.ca_file = "/nonexistent/ca.pem"}), Error);
}

// GETs `names` over one Session from an HTTPS server whose handler answers "Hello, NAME!" and
// the client certificate's subject, if any; then the number of connections the session opened.
std::string https_session(const ServerOptions& server_tls, const ClientOptions& client_tls,
                          std::vector<std::string> names) {
  auto scenario = [&]() -> Task<std::string> {
    http::Router router;
    router.get("/hello/{name}", [](http::Request& r) -> Task<http::Response> {
      const auto client = r.attribute("tls.client_subject");
      co_return http::Response::text(fmt::format("Hello, {}{}!", r.param("name"),
                                                 client ? " from " + std::string(*client) : ""));
    });
    http::ServerOptions options;
    options.tls.emplace(server_tls);
    http::Server server(std::move(router), std::move(options));
    net::TcpServer tcp({loopback_any_port});
    const std::uint16_t port = tcp.local_addresses().front().port();
    TaskGroup group;
    group.spawn(server.serve(tcp));
    http::SessionOptions session_options;
    session_options.tls = client_tls;
    http::Session session(std::move(session_options));
    std::string seen;
    for (const std::string& name : names) {
      const std::string url = fmt::format("https://localhost:{}/hello/{}", port, name);
      const http::ClientResponse r = co_await session.get(url);
      seen += r.body + " ";
    }
    seen += std::to_string(session.stats().connections_opened);
    group.cancel();
    co_await group.join();
    co_return seen;
  };
  return test::run(scenario());
}

TEST(Tls, HttpsServerAndSessionKeepTheConnectionAlive) {
  const Pki pki;
  EXPECT_EQ(https_session({.certificates = {pki.files()}}, {.ca_file = pki.ca()}, {"a", "b", "c"}),
            "Hello, a! Hello, b! Hello, c! 1");
}

TEST(Tls, HttpsHandlersSeeTheClientCertificate) {
  const Pki pki;
  const Pki client("client.test");
  const ServerOptions server_tls{.certificates = {pki.files()}, .client_ca_file = client.ca()};
  EXPECT_EQ(https_session(
                server_tls,
                {.ca_file = pki.ca(), .cert_file = client.cert(), .key_file = client.key()}, {"a"}),
            "Hello, a from CN=client.test,O=wirekit development! 1");
  // Optional client certificates: without one, the handler sees none.
  EXPECT_EQ(https_session(server_tls, {.ca_file = pki.ca()}, {"b"}), "Hello, b! 1");
}

TEST(Tls, SelfSignedRefusesNonsense) {
  EXPECT_THROW(make_self_signed({.days = 0}), Error);
  EXPECT_THROW(make_self_signed({.common_name = ""}), Error);
  EXPECT_THROW(make_self_signed({.names = {"a b"}}), Error);
  const SelfSigned made = make_self_signed({.common_name = "svc.test", .names = {"10.0.0.1"}});
  EXPECT_TRUE(made.cert.starts_with("-----BEGIN CERTIFICATE-----"));
  EXPECT_TRUE(made.key.starts_with("-----BEGIN PRIVATE KEY-----"));
}

}  // namespace
}  // namespace wirekit::tls
