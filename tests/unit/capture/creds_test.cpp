// The credential scanner: what it reports for each protocol's login lines, what it decodes, what
// it ignores, its bounds, and the tutorial's output.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/capture/creds.hpp>
#include <wirekit/capture/flow.hpp>

#include "capture/dissect_frames.hpp"

namespace wirekit::capture {
namespace {

using namespace test;
using namespace test::tcp_flags;

// A scanner fed client lines of one connection to `port`; frames outlive the packets.
struct Session {
  CredentialScanner scanner;
  std::vector<Bytes> frames;
  std::vector<Credential> found;
  unsigned client_port = 30000;

  Packet packet(unsigned server_port, std::string_view data, bool from_client = true) {
    frames.push_back(
        from_client ? eth(0x0800, ipv4(6, tcp(client_port, server_port, 1, ack | psh, text(data))))
                    : eth(0x0800, ipv4(6, tcp(server_port, client_port, 1, ack | psh, text(data)),
                                       {.src = server4, .dst = client4})));
    return dissect_bytes(frames.back());
  }
  const std::vector<Credential>& send(unsigned port, std::string_view data,
                                      bool from_client = true) {
    found.clear();
    scanner.scan(packet(port, data, from_client), found);
    return found;
  }
};

std::string who(const Credential& c) {
  return std::string(c.protocol) + " " + std::string(c.method) + " user=" + c.user.value_or("-") +
         " password=" + c.password.value_or("-");
}

TEST(Creds, Pop3UserPassAndApop) {
  Session s;
  auto& user = s.send(110, "USER carol\r\n");
  ASSERT_EQ(user.size(), 1u);
  EXPECT_EQ(who(user[0]), "POP3 USER user=carol password=-");
  EXPECT_EQ(user[0].line, "USER carol");
  EXPECT_EQ(user[0].source.to_string(), "192.168.1.10");
  EXPECT_EQ(user[0].destination.to_string(), "10.0.0.1");
  EXPECT_EQ(user[0].destination_port, 110);
  EXPECT_EQ(user[0].source_port, 30000);
  auto& pass = s.send(110, "PASS pop3pass\r\n");
  ASSERT_EQ(pass.size(), 1u);
  EXPECT_EQ(who(pass[0]), "POP3 PASS user=carol password=pop3pass");  // the user from before
  auto& apop = s.send(110, "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
  EXPECT_EQ(who(apop.at(0)), "POP3 APOP user=mrose password=-");
  EXPECT_TRUE(s.send(110, "STAT\r\nLIST\r\n").empty());
}

TEST(Creds, SmtpAuthLoginAcrossLines) {
  Session s;
  auto& auth = s.send(25, "AUTH LOGIN\r\n");
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(who(auth[0]), "SMTP AUTH LOGIN user=- password=-");
  EXPECT_TRUE(s.send(25, "334 VXNlcm5hbWU6\r\n", false).empty());  // the server's prompt
  EXPECT_EQ(who(s.send(25, "Y2Fyb2w=\r\n").at(0)), "SMTP AUTH LOGIN user=carol password=-");
  auto& pass = s.send(25, "c2VjcmV0\r\n");
  EXPECT_EQ(who(pass.at(0)), "SMTP AUTH LOGIN user=carol password=secret");
  EXPECT_EQ(pass[0].line, "c2VjcmV0");
  // The exchange is over: the next line is a command again.
  EXPECT_TRUE(s.send(25, "MAIL FROM:<carol@example.com>\r\n").empty());

  Session initial;
  EXPECT_EQ(who(initial.send(587, "AUTH LOGIN Y2Fyb2w=\r\n").at(0)),
            "SMTP AUTH LOGIN user=carol password=-");
  EXPECT_EQ(who(initial.send(587, "c2VjcmV0\r\n").at(0)),
            "SMTP AUTH LOGIN user=carol password=secret");
}

TEST(Creds, AuthPlainInlineOrOnTheNextLine) {
  Session s;
  // "\0carol\0secret"
  EXPECT_EQ(who(s.send(25, "AUTH PLAIN AGNhcm9sAHNlY3JldA==\r\n").at(0)),
            "SMTP AUTH PLAIN user=carol password=secret");
  Session pop;
  EXPECT_EQ(who(pop.send(110, "AUTH PLAIN\r\n").at(0)), "POP3 AUTH PLAIN user=- password=-");
  EXPECT_EQ(who(pop.send(110, "AGNhcm9sAHNlY3JldA==\r\n").at(0)),
            "POP3 AUTH PLAIN user=carol password=secret");
  // "*" cancels the exchange; bad base64 is reported undecoded.
  Session cancelled;
  cancelled.send(25, "AUTH PLAIN\r\n");
  EXPECT_TRUE(cancelled.send(25, "*\r\n").empty());
  EXPECT_EQ(who(cancelled.send(25, "AUTH PLAIN !!notbase64!!\r\n").at(0)),
            "SMTP AUTH PLAIN user=- password=-");
}

TEST(Creds, ImapLoginAndAuthenticate) {
  Session s;
  EXPECT_EQ(who(s.send(143, "A1 LOGIN dave imappass\r\n").at(0)),
            "IMAP LOGIN user=dave password=imappass");
  EXPECT_EQ(who(s.send(143, "a2 login \"dave smith\" \"p\\\"w d\"\r\n").at(0)),
            "IMAP LOGIN user=dave smith password=p\"w d");
  EXPECT_EQ(who(s.send(143, "a3 AUTHENTICATE PLAIN\r\n").at(0)),
            "IMAP AUTHENTICATE PLAIN user=- password=-");
  // "\0dave\0imappass"
  EXPECT_EQ(who(s.send(143, "AGRhdmUAaW1hcHBhc3M=\r\n").at(0)),
            "IMAP AUTHENTICATE PLAIN user=dave password=imappass");
  EXPECT_TRUE(s.send(143, "a4 SELECT INBOX\r\n").empty());
}

TEST(Creds, FtpUserPass) {
  Session s;
  EXPECT_EQ(who(s.send(21, "USER anonymous\r\n").at(0)), "FTP USER user=anonymous password=-");
  EXPECT_EQ(who(s.send(21, "PASS guest@example.com\r\n").at(0)),
            "FTP PASS user=anonymous password=guest@example.com");
  EXPECT_TRUE(s.send(21, "331 Password required\r\n", false).empty());
  EXPECT_TRUE(s.send(21, "AUTH TLS\r\n").empty());  // FTP's AUTH starts TLS, no credentials
}

TEST(Creds, HttpBasicOnAnyPort) {
  Session s;
  auto& found = s.send(8080,
                       "GET /admin HTTP/1.1\r\nHost: x\r\nAuthorization: Basic "
                       "dXNlcjpwYXNzOndvcmQ=\r\n\r\n");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(who(found[0]), "HTTP Basic user=user password=pass:word");
  EXPECT_EQ(found[0].line, "Authorization: Basic dXNlcjpwYXNzOndvcmQ=");
  EXPECT_EQ(who(s.send(3128,
                       "GET http://a/ HTTP/1.1\r\nproxy-authorization: basic "
                       "YTpi\r\n\r\n")
                    .at(0)),
            "HTTP Basic user=a password=b");
  EXPECT_TRUE(s.send(80, "GET / HTTP/1.1\r\nAuthorization: Bearer abc\r\n\r\n").empty());
}

TEST(Creds, ConnectionsRememberedAreBounded) {
  CredentialScanner scanner({.max_connections = 2});
  std::vector<Bytes> frames;
  std::vector<Credential> found;
  const auto send = [&](unsigned client_port, std::string_view line) {
    frames.push_back(eth(0x0800, ipv4(6, tcp(client_port, 110, 1, psh, text(line)))));
    found.clear();
    scanner.scan(dissect_bytes(frames.back()), found);
    return found.at(0).user.value_or("-");
  };
  send(1, "USER one\r\n");
  send(2, "USER two\r\n");
  send(3, "USER three\r\n");  // the first connection is forgotten
  EXPECT_EQ(send(1, "PASS x\r\n"), "-");
  EXPECT_EQ(send(3, "PASS x\r\n"), "three");
}

TEST(Creds, StreamsFromTheFlowTableJoinSplitLines) {
  CredentialScanner scanner({.max_line = 64});
  FlowTable flows({.reassemble = true});
  std::vector<Credential> found;
  const Packet* current = nullptr;
  flows.on_data([&](const Flow&, int, std::string_view bytes) {
    return scanner.scan_stream(*current, bytes, found);
  });
  std::vector<Bytes> frames = {
      eth(0x0800, ipv4(6, tcp(30000, 110, 1, psh, text("US")))),
      eth(0x0800, ipv4(6, tcp(30000, 110, 3, psh, text("ER car")))),
      eth(0x0800, ipv4(6, tcp(30000, 110, 9, psh, text("ol\r\nPASS x\r\n")))),
      eth(0x0800, ipv4(6, tcp(30000, 110, 21, psh, text("PASS " + std::string(100, 'y')))))};
  for (const Bytes& f : frames) {
    Packet p = dissect_bytes(f);
    current = &p;
    flows.observe(p);
  }
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(who(found[0]), "POP3 USER user=carol password=-");
  EXPECT_EQ(who(found[1]), "POP3 PASS user=carol password=x");
  // A line longer than max_line is taken cut rather than held forever.
  EXPECT_EQ(found[2].line.size(), 64u);
}

TEST(Creds, TutorialAlert) {
  Session s;
  EXPECT_EQ(tutorial_alert(s.packet(110, "USER carol\r\n")),
            "[*] Destination: 10.0.0.1\n[*] USER carol\n");
  EXPECT_EQ(tutorial_alert(s.packet(25, "AUTH LOGIN\r\n")),
            "[*] Destination: 10.0.0.1\n[*] AUTH LOGIN\n");
  EXPECT_EQ(tutorial_alert(s.packet(143, "a1 Login Dave x\r\n")),
            "[*] Destination: 10.0.0.1\n[*] a1 Login Dave x\n");
  EXPECT_EQ(tutorial_alert(s.packet(110, "+OK Password required\r\n", false)),
            "[*] Destination: 192.168.1.10\n[*] +OK Password required\n");
  EXPECT_EQ(tutorial_alert(s.packet(110, "STAT\r\n")), "");
  const Bytes udp_frame = eth(0x0800, ipv4(17, udp(1, 2, text("user"))));
  EXPECT_EQ(tutorial_alert(dissect_bytes(udp_frame)), "");
}

// The logins pcapgen.py writes, as `wirekit pcap creds` will meet them.
TEST(Creds, PcapgenLogins) {
  Session s;
  const std::vector<std::pair<unsigned, std::string_view>> logins = {
      {110, "USER carol\r\n"},
      {110, "PASS pop3pass\r\n"},
      {25, "AUTH LOGIN\r\n"},
      {143, "A1 LOGIN dave imappass\r\n"},
      {21, "USER anonymous\r\n"}};
  std::vector<std::string> seen;
  for (const auto& [port, line] : logins) {
    s.client_port++;  // pcapgen's packets are each on a connection of their own
    for (const Credential& c : s.send(port, line)) seen.push_back(who(c));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "POP3 USER user=carol password=-", "POP3 PASS user=- password=pop3pass",
                      "SMTP AUTH LOGIN user=- password=-", "IMAP LOGIN user=dave password=imappass",
                      "FTP USER user=anonymous password=-"}));
}

}  // namespace
}  // namespace wirekit::capture
