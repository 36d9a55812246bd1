// Tutorial §9.1, the credential sniffer: capture POP3, SMTP and IMAP traffic and, for each TCP
// payload mentioning "user" or "pass" (or "login", "auth"), print its destination and the payload.
//   ./sniffer [INTERFACE=any]        (needs CAP_NET_RAW: run as root)
#include <cstdio>

#include <wirekit/capture.hpp>
#include <wirekit/capture/creds.hpp>

using namespace wirekit;

Task<void> sniff(std::string interface) {
  capture::LiveCapture capture = capture::LiveCapture::open(
      {.interface = std::move(interface), .filter = "tcp port 110 or tcp port 25 or tcp port 143"});
  capture::Packet packet;
  co_await capture.run({}, [&packet](const capture::Frame& frame) {
    capture::dissect_into(packet, frame.link_type, frame.timestamp, frame.bytes,
                          frame.original_length);
    const std::string alert = capture::tutorial_alert(packet);
    if (alert.empty()) return;
    std::fputs(alert.c_str(), stdout);
    std::fflush(stdout);
  });
}

int main(int argc, char** argv) {
  try {
    run(sniff(argc > 1 ? argv[1] : "any"));
  } catch (const Error& e) {
    if (e.code() == errc::cancelled) return 0;  // Ctrl-C
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
