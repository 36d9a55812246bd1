// wirekit tls probe — tutorial §7.1; wirekit tls selfsigned — a development CA and certificate.
#include <wirekit/tls.hpp>

#include "cli.hpp"

namespace wirekit::cli {

namespace {

struct ProbeFlags {
  std::string target;
  std::string sni;
  bool http = false;
  std::string timeout = "10s";
  TlsClientFlags tls;
};

int probe(const ProbeFlags& flags) {
  const net::HostPort target = net::parse_host_port(flags.target, 443);
  tls::ProbeOptions options;
  options.sni = flags.sni;
  options.http = flags.http;
  options.timeout = parse_duration(flags.timeout);
  options.client = flags.tls.parse();
  const tls::ProbeResult result =
      run(tls::probe(target.host, target.port, options), runtime_options(1));
  write_stdout(tls::format_probe(result));
  return 0;
}

struct SelfSignedFlags {
  tls::SelfSignedOptions options;
  std::string directory;
};

int selfsigned(const SelfSignedFlags& flags) {
  const tls::SelfSigned made = tls::make_self_signed(flags.options);
  std::string report;
  for (const auto& path : tls::write_self_signed(made, flags.directory)) {
    report += "Wrote " + path.string() + "\n";
  }
  write_stdout(report);
  return 0;
}

}  // namespace

void add_tls_commands(CLI::App& app, Action& action) {
  CLI::App* tls =
      app.add_subcommand("tls", "TLS: probe a server (§7.1), make development certificates");
  tls->require_subcommand(1);

  static ProbeFlags probe_flags;
  CLI::App* p = tls->add_subcommand(
      "probe", "Handshake with HOST:PORT and show version, cipher, certificate (§7.1)");
  p->add_option("target", probe_flags.target, "HOST:PORT (port 443 if omitted)")->required();
  p->add_option("--sni", probe_flags.sni, "Server name to send and verify (default: HOST)");
  p->add_flag("--http", probe_flags.http,
              "Send GET / HTTP/1.1 and print the first 1024 bytes of the answer");
  p->add_option("--timeout", probe_flags.timeout, "Connect, handshake and answer timeout")
      ->capture_default_str();
  add_tls_client_flags(*p, probe_flags.tls);
  p->callback([&action] { action = [] { return probe(probe_flags); }; });

  static SelfSignedFlags selfsigned_flags;
  CLI::App* s = tls->add_subcommand(
      "selfsigned",
      "Write a development CA (ca.pem) and a certificate it signed (cert.pem, key.pem)");
  s->add_option("--cn", selfsigned_flags.options.common_name, "The certificate's name")
      ->capture_default_str();
  s->add_option("--days", selfsigned_flags.options.days, "Days the certificates are valid")
      ->capture_default_str();
  s->add_option("--name", selfsigned_flags.options.names,
                "Another DNS name or IP address it is valid for; repeatable");
  s->add_option("-o,--output-dir", selfsigned_flags.directory, "Directory to write into")
      ->required();
  s->callback([&action] { action = [] { return selfsigned(selfsigned_flags); }; });
}

}  // namespace wirekit::cli
