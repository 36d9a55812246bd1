#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/services.hpp>

#include "test_support.hpp"

using namespace wirekit;
using namespace wirekit::services;

namespace {

std::vector<std::string> names(const ServerConfig& config) {
  std::vector<std::string> out;
  for (const auto& service : config.services) out.push_back(service->name());
  return out;
}

std::string error_of(std::string_view text, const Registry& registry = Registry::standard()) {
  try {
    parse_server_config(text, "wirekit.toml", registry);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ServerConfig, SectionsBecomeServicesInTheRegistrysOrder) {
  const ServerConfig config =
      parse_server_config("[http]\nport = 0\n[udp]\nport = 0\n[echo]\nport = 0\n", "wirekit.toml");
  EXPECT_EQ(names(config), (std::vector<std::string>{"echo", "udp", "http"}));
}

TEST(ServerConfig, ARepeatedSectionIsOneServiceEach) {
  const ServerConfig config = parse_server_config(
      "[[http]]\nport = 8080\n[[http]]\nport = 8443\nhello = false\n[[echo]]\nport = 7\n",
      "wirekit.toml");
  EXPECT_EQ(names(config), (std::vector<std::string>{"echo", "http", "http"}));
}

TEST(ServerConfig, EnabledFalseAndAbsentSectionsTurnServicesOff) {
  EXPECT_EQ(names(parse_server_config("[echo]\nenabled = false\n[welcome]\n", "wirekit.toml")),
            (std::vector<std::string>{"welcome"}));
  EXPECT_TRUE(parse_server_config("[server]\nthreads = 2\n", "wirekit.toml").services.empty());
}

TEST(ServerConfig, WithoutAFileEveryServiceRunsWithItsDefaults) {
  EXPECT_EQ(names(default_server_config()),
            (std::vector<std::string>{"echo", "welcome", "udp", "http", "chat"}));
}

TEST(ServerConfig, ServerSettingsReachTheRunOptions) {
  const ServerConfig config = parse_server_config(
      "[server]\nthreads = 3\nshutdown_grace = \"2s\"\nmax_connections = 50\n", "wirekit.toml");
  const RunOptions options = run_options(config);
  EXPECT_EQ(options.threads, 3u);
  EXPECT_EQ(options.serve.shutdown_grace, std::chrono::seconds(2));
  EXPECT_EQ(options.serve.max_connections, 50u);
}

TEST(ServerConfig, MistakesNameTheLineAndTheKey) {
  EXPECT_EQ(error_of("[[echo]]\nport = 1\n[[echo]]\nprot = 2\n"),
            "wirekit.toml:4: unknown key 'prot' in [echo]");
  EXPECT_EQ(
      error_of("[ech0]\n"),
      "wirekit.toml:1: unknown section [ech0] (expected server, echo, welcome, udp, http, chat)");
  EXPECT_EQ(error_of("echo = 3\n"), "wirekit.toml:1: [echo] must be a table (or [[echo]] tables)");
  EXPECT_EQ(error_of("[http]\naccess_log = \"verbose\"\n"),
            "wirekit.toml:2: [http] access_log must be \"combined\", \"json\" or \"off\"");
}

namespace {

// A kind of service a program brings itself: answers each connection with a fixed word.
class WordService final : public Service {
 public:
  explicit WordService(std::string word) : word_(std::move(word)) {}
  std::string name() const override { return "word"; }
  Task<void> bind(const ServiceContext& context) override {
    const Endpoint loopback{"127.0.0.1", 0};  // named: g++ 12 and temporaries in a co_await
    tcp_ = co_await bind_tcp(loopback, context.serve, context.runtime.size());
  }
  Task<void> serve(const ServiceContext& context) override {
    co_await tcp_->serve(context.runtime,
                         [this](net::TcpStream s) -> Task<void> { co_await s.write(word_); });
  }
  std::vector<Listening> listening() const override { return listening_of(tcp_.get()); }

 private:
  std::string word_;
  std::unique_ptr<net::TcpServer> tcp_;
};

}  // namespace

TEST(ServerConfig, AProgramsOwnKindIsConfiguredAndRunLikeTheOthers) {
  Registry registry;
  registry.add({"word", "answer a word", [](ConfigSection& s) -> std::unique_ptr<Service> {
                  return std::make_unique<WordService>(s.text("word", "hi"));
                }});
  EXPECT_EQ(error_of("[word]\nwrod = \"x\"\n", registry),
            "wirekit.toml:2: unknown key 'wrod' in [word]");
  const ServerConfig config = parse_server_config("[word]\nword = \"howdy\"\n", "w.toml", registry);

  std::string announced;
  Event bound;
  std::string heard;
  RunOptions options = run_options(config);
  options.threads = 1;
  options.handle_signals = false;
  options.announce = [&](const Services& all, const LineSink&) {
    announced = all.front()->name() + " " + describe(all.front()->listening());
    bound.set();
  };
  Runtime runtime{{.threads = 1, .handle_signals = false}};
  runtime.run([&]() -> Task<void> {
    co_await when_any(run_services(runtime, config.services, options), [&]() -> Task<void> {
      co_await bound.wait();
      const net::SocketAddress at = config.services.front()->listening().front().address;
      net::TcpStream client = co_await net::TcpStream::connect(at);
      heard = co_await client.read_to_end(100);
    }());
  }());
  EXPECT_TRUE(announced.starts_with("word 127.0.0.1:")) << announced;
  EXPECT_EQ(heard, "howdy");
}
