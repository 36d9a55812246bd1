#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include <wirekit/capture/report.hpp>
#include <wirekit/core/error.hpp>
#include <wirekit/core/file.hpp>

namespace wirekit::capture {

namespace {

using Buffer = fmt::memory_buffer;

constexpr std::array<const char*, 10> palette = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759",
                                                 "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
                                                 "#9c755f", "#bab0ac"};

void append(Buffer& out, std::string_view text) {
  out.append(text);
}

void append_escaped(Buffer& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        append(out, "&amp;");
        break;
      case '<':
        append(out, "&lt;");
        break;
      case '>':
        append(out, "&gt;");
        break;
      case '"':
        append(out, "&quot;");
        break;
      default:
        out.push_back(c);
    }
  }
}

std::string escaped(std::string_view text) {
  Buffer b;
  append_escaped(b, text);
  return fmt::to_string(b);
}

// 1234567 → "1.23 M": short figures for chart labels.
std::string short_number(double value) {
  static constexpr std::array<const char*, 5> prefixes = {"", " k", " M", " G", " T"};
  std::size_t i = 0;
  while (std::abs(value) >= 1000 && i + 1 < prefixes.size()) {
    value /= 1000;
    ++i;
  }
  const int decimals = value >= 100 || i == 0 ? 0 : value >= 10 ? 1 : 2;
  return fmt::format("{:.{}f}{}", value, decimals, prefixes[i]);
}

std::string bytes_text(std::uint64_t bytes) {
  return short_number(static_cast<double>(bytes)) + "B";
}

std::string seconds_text(double s) {
  if (s < 1) return fmt::format("{:.0f} ms", s * 1000);
  if (s < 120) return fmt::format("{:.1f} s", s);
  if (s < 7200) return fmt::format("{:.1f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

// A round step (1, 2 or 5 times a power of ten) giving about `ticks` divisions of [0, max].
double nice_step(double max, int ticks) {
  const double raw = max / ticks;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (raw <= m * power) return m * power;
  }
  return 10 * power;
}

double seconds_of(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

// One time series as an area chart with axes, a hover title per bucket.
void append_area_chart(Buffer& out, const std::vector<double>& values, double bucket_seconds,
                       const char* unit, const char* color) {
  constexpr double width = 960, height = 200, left = 64, right = 12, top = 10, bottom = 26;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  const double peak = values.empty() ? 0 : *std::max_element(values.begin(), values.end());
  const double step = peak > 0 ? nice_step(peak, 4) : 1;
  const double y_max = peak > 0 ? std::ceil(peak / step) * step : 1;
  const double n = static_cast<double>(std::max<std::size_t>(values.size(), 1));
  const auto x_of = [&](double i) { return left + plot_w * i / n; };
  const auto y_of = [&](double v) { return top + plot_h * (1 - v / y_max); };
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "<svg class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" "
                 "preserveAspectRatio=\"none\">\n",
                 width, height);
  for (double v = 0; v <= y_max + step / 2; v += step) {
    fmt::format_to(it,
                   "<line class=\"grid\" x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\"/>"
                   "<text class=\"axis\" x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                   left, width - right, y_of(v), left - 6, y_of(v) + 4, short_number(v) + unit);
  }
  const double total_seconds = bucket_seconds * n;
  const double x_step = nice_step(total_seconds, 8);
  for (double t = 0; t <= total_seconds + 1e-12; t += x_step) {
    fmt::format_to(it,
                   "<text class=\"axis\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                   x_of(t / bucket_seconds), height - 8, seconds_text(t));
  }
  fmt::format_to(
      it,
      "<path fill=\"{0}\" fill-opacity=\"0.25\" stroke=\"{0}\" stroke-width=\"1.5\" d=\"M{1},{2}",
      color, left, y_of(0));
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double y = y_of(values[i]);
    fmt::format_to(it, " L{:.1f},{:.1f} L{:.1f},{:.1f}", x_of(static_cast<double>(i)), y,
                   x_of(static_cast<double>(i + 1)), y);
  }
  fmt::format_to(it, " L{},{:.1f} Z\"/>\n", x_of(n), y_of(0));
  for (std::size_t i = 0; i < values.size(); ++i) {
    fmt::format_to(it,
                   "<rect class=\"hit\" x=\"{:.1f}\" y=\"{}\" width=\"{:.2f}\" height=\"{}\">"
                   "<title>{} – {}: {}{}</title></rect>\n",
                   x_of(static_cast<double>(i)), top, plot_w / n, plot_h,
                   seconds_text(bucket_seconds * static_cast<double>(i)),
                   seconds_text(bucket_seconds * static_cast<double>(i + 1)),
                   short_number(values[i]), unit);
  }
  append(out, "</svg>\n");
}

void append_traffic(Buffer& out, const CaptureStats& stats) {
  const Timeline& t = stats.timeline;
  const double bucket = seconds_of(t.bucket);
  std::vector<double> bits, packets;
  for (std::size_t i = 0; i < t.packets.size(); ++i) {
    bits.push_back(static_cast<double>(t.bytes[i]) * 8 / bucket);
    packets.push_back(static_cast<double>(t.packets[i]) / bucket);
  }
  append(out, "<section><h2>Traffic over time</h2>\n<h3>Bits per second</h3>\n");
  append_area_chart(out, bits, bucket, "bit/s", palette[0]);
  append(out, "<h3>Packets per second</h3>\n");
  append_area_chart(out, packets, bucket, "pkt/s", palette[1]);
  fmt::format_to(std::back_inserter(out),
                 "<p class=\"note\">Buckets of {}; hover a bucket for its rate.</p></section>\n",
                 seconds_text(bucket));
}

// A donut of the protocol share (by packets), with its legend.
void append_protocols(Buffer& out, const CaptureStats& stats) {
  constexpr std::size_t slices = palette.size() - 1;  // the rest joins "other"
  std::vector<ProtocolCount> shown(stats.protocols.begin(),
                                   stats.protocols.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                                 slices, stats.protocols.size())));
  if (stats.protocols.size() > slices) {
    ProtocolCount other{"other", 0, 0};
    for (std::size_t i = slices; i < stats.protocols.size(); ++i) {
      other.packets += stats.protocols[i].packets;
      other.bytes += stats.protocols[i].bytes;
    }
    shown.push_back(other);
  }
  auto it = std::back_inserter(out);
  append(out,
         "<section><h2>Protocol share</h2><div class=\"split\">\n"
         "<svg class=\"donut\" viewBox=\"0 0 220 220\" role=\"img\">\n");
  constexpr double radius = 80, circumference = 2 * std::numbers::pi * radius;
  double offset = 0;
  const double total = static_cast<double>(std::max<std::uint64_t>(stats.packets, 1));
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const double share = static_cast<double>(shown[i].packets) / total;
    const double length = share * circumference;
    fmt::format_to(it,
                   "<circle cx=\"110\" cy=\"110\" r=\"{}\" fill=\"none\" stroke=\"{}\" "
                   "stroke-width=\"36\" stroke-dasharray=\"{:.3f} {:.3f}\" "
                   "stroke-dashoffset=\"{:.3f}\" transform=\"rotate(-90 110 110)\">"
                   "<title>{}: {} packets ({:.1f}%)</title></circle>\n",
                   radius, palette[i], length, circumference - length, -offset,
                   escaped(shown[i].name), shown[i].packets, share * 100);
    offset += length;
  }
  fmt::format_to(it,
                 "<text x=\"110\" y=\"106\" text-anchor=\"middle\" class=\"big\">{}</text>"
                 "<text x=\"110\" y=\"128\" text-anchor=\"middle\" class=\"axis\">packets</text>"
                 "</svg>\n<table class=\"legend\"><tr><th></th><th>Protocol</th><th>Packets</th>"
                 "<th>Share</th><th>Bytes</th></tr>\n",
                 short_number(static_cast<double>(stats.packets)));
  for (std::size_t i = 0; i < shown.size(); ++i) {
    fmt::format_to(it,
                   "<tr><td><span class=\"swatch\" style=\"background:{}\"></span></td><td>{}</td>"
                   "<td class=\"num\">{}</td><td class=\"num\">{:.1f}%</td><td "
                   "class=\"num\">{}</td></tr>\n",
                   palette[i], escaped(shown[i].name), shown[i].packets,
                   100.0 * static_cast<double>(shown[i].packets) / total,
                   bytes_text(shown[i].bytes));
  }
  append(out, "</table></div></section>\n");
}

// Horizontal bars, sent and received stacked.
void append_talkers(Buffer& out, const CaptureStats& stats) {
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "<section><h2>Top talkers</h2><p class=\"note\">By bytes sent "
                 "<span class=\"swatch\" style=\"background:{}\"></span> and received <span "
                 "class=\"swatch\" style=\"background:{}\"></span>; {} addresses in all.</p>\n",
                 palette[0], palette[2], stats.talker_count);
  if (stats.top_by_bytes.empty()) {
    append(out, "<p>No IP traffic.</p></section>\n");
    return;
  }
  constexpr double width = 960, row = 24, label = 300, value = 110;
  const double bars = width - label - value;
  const double height = row * static_cast<double>(stats.top_by_bytes.size()) + 4;
  const double peak =
      static_cast<double>(std::max<std::uint64_t>(stats.top_by_bytes[0].bytes(), 1));
  fmt::format_to(it, "<svg class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\">\n", width, height);
  for (std::size_t i = 0; i < stats.top_by_bytes.size(); ++i) {
    const Talker& t = stats.top_by_bytes[i];
    const double y = row * static_cast<double>(i);
    const double tx = bars * static_cast<double>(t.tx_bytes) / peak;
    const double rx = bars * static_cast<double>(t.rx_bytes) / peak;
    const std::string address = t.address.to_string();
    fmt::format_to(it,
                   "<g><title>{0}: {1} packets, {2} sent, {3} received</title>"
                   "<text class=\"label\" x=\"{4}\" y=\"{5:.1f}\" text-anchor=\"end\">{0}</text>"
                   "<rect x=\"{6}\" y=\"{7:.1f}\" width=\"{8:.1f}\" height=\"{9}\" fill=\"{10}\"/>"
                   "<rect x=\"{11:.1f}\" y=\"{7:.1f}\" width=\"{12:.1f}\" height=\"{9}\" "
                   "fill=\"{13}\"/>"
                   "<text class=\"label\" x=\"{14:.1f}\" y=\"{5:.1f}\">{15}</text></g>\n",
                   escaped(address), t.packets(), bytes_text(t.tx_bytes), bytes_text(t.rx_bytes),
                   label - 8, y + 16, label, y + 4, tx, row - 6, palette[0], label + tx, rx,
                   palette[2], label + tx + rx + 6, bytes_text(t.bytes()));
  }
  append(out, "</svg></section>\n");
}

void append_conversations(Buffer& out, const char* protocol, const std::vector<Conversation>& list,
                          std::size_t count, Timestamp start) {
  auto it = std::back_inserter(out);
  fmt::format_to(it,
                 "<section><h2>{} conversations</h2><p class=\"note\">{} of {}, most frames "
                 "first; click a heading to sort.</p>\n",
                 protocol, list.size(), count);
  if (list.empty()) {
    append(out, "</section>\n");
    return;
  }
  append(out,
         "<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th>Address A</th><th>Port "
         "A</th><th>Address "
         "B</th><th>Port B</th><th>Frames A→B</th><th>Bytes A→B</th><th>Frames B→A</th>"
         "<th>Bytes B→A</th><th>Frames</th><th>Bytes</th><th>Start (s)</th><th>Duration "
         "(s)</th></tr></thead><tbody>\n");
  for (const Conversation& c : list) {
    fmt::format_to(it,
                   "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>"
                   "<td class=\"num\">{}</td><td class=\"num\" data-v=\"{}\">{}</td>"
                   "<td class=\"num\">{}</td><td class=\"num\" data-v=\"{}\">{}</td>"
                   "<td class=\"num\">{}</td><td class=\"num\" data-v=\"{}\">{}</td>"
                   "<td class=\"num\">{:.6f}</td><td class=\"num\">{:.4f}</td></tr>\n",
                   c.a.to_string(), c.port_a, c.b.to_string(), c.port_b, c.frames_a_to_b,
                   c.bytes_a_to_b, bytes_text(c.bytes_a_to_b), c.frames_b_to_a, c.bytes_b_to_a,
                   bytes_text(c.bytes_b_to_a), c.frames(), c.bytes(), bytes_text(c.bytes()),
                   seconds_of(c.first - start), seconds_of(c.last - c.first));
  }
  append(out, "</tbody></table></div></section>\n");
}

void append_dns(Buffer& out, const CaptureStats& stats) {
  auto it = std::back_inserter(out);
  fmt::format_to(it, "<section><h2>DNS names queried</h2><p class=\"note\">{} of {} names.</p>\n",
                 stats.dns_queries.size(), stats.dns_name_count);
  if (stats.dns_queries.empty()) {
    append(out, "</section>\n");
    return;
  }
  append(
      out,
      "<table class=\"sortable\"><thead><tr><th>Name</th><th>Queries</th></tr></thead><tbody>\n");
  for (const NameCount& n : stats.dns_queries) {
    fmt::format_to(it, "<tr><td>{}</td><td class=\"num\">{}</td></tr>\n", escaped(n.name), n.count);
  }
  append(out, "</tbody></table></section>\n");
}

constexpr std::string_view style = R"(<style>
:root{--bg:#fbfbfd;--fg:#1d2330;--muted:#6b7280;--card:#fff;--line:#e5e7eb}
@media (prefers-color-scheme:dark){:root{--bg:#12151c;--fg:#e6e8ee;--muted:#9aa3b2;--card:#1b2029;--line:#2c3340}}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 8px}h3{font-size:13px;color:var(--muted);margin:8px 0 2px;font-weight:600}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:16px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;margin-top:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 14px}
.card b{display:block;font-size:20px}.card span,.note,.axis{color:var(--muted)}.note{font-size:12px;margin:4px 0}
svg.chart{width:100%;height:auto;display:block}svg.donut{width:220px;flex:none}
.grid{stroke:var(--line)}.axis{font-size:11px;fill:var(--muted)}.label{font-size:12px;fill:var(--fg)}.big{font-size:22px;font-weight:700;fill:var(--fg)}
.hit{fill:transparent}.hit:hover{fill:rgba(128,128,128,.15)}
.split{display:flex;gap:24px;align-items:center;flex-wrap:wrap}
table{border-collapse:collapse;width:100%;font-size:12.5px}th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{font-weight:600;color:var(--muted)}.sortable th{cursor:pointer;user-select:none}.sortable th:hover{color:var(--fg)}
td.num{text-align:right;font-variant-numeric:tabular-nums}table.legend{width:auto}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;vertical-align:middle}
.scroll{overflow-x:auto}
</style>
)";

constexpr std::string_view script = R"(<script>
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    var descending = false;
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.from(body.rows);
      var key = function (row) {
        var cell = row.cells[col], v = cell.getAttribute('data-v') || cell.textContent;
        var n = parseFloat(v);
        return isNaN(n) || !/^[\d.]+$/.test(v) ? v : n;
      };
      descending = !descending;
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), r = x < y ? -1 : x > y ? 1 : 0;
        return descending ? -r : r;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
</script>
)";

}  // namespace

std::string render_html_report(const CaptureStats& stats, const ReportOptions& options) {
  Buffer out;
  auto it = std::back_inserter(out);
  const std::string title =
      options.source.empty() ? "Capture report" : "Capture report: " + options.source;
  fmt::format_to(it,
                 "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta "
                 "name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
                 "<title>{}</title>\n",
                 escaped(title));
  append(out, style);
  fmt::format_to(it, "</head><body><main>\n<h1>{}</h1>\n", escaped(title));
  if (!options.filter.empty()) {
    fmt::format_to(it, "<p class=\"note\">Filter: <code>{}</code></p>\n", escaped(options.filter));
  }
  const double duration = seconds_of(stats.duration());
  const auto card = [&](std::string_view value, std::string_view what) {
    fmt::format_to(it, "<div class=\"card\"><b>{}</b><span>{}</span></div>\n", value, what);
  };
  append(out, "<div class=\"cards\">\n");
  card(fmt::format("{}", stats.packets), "packets");
  card(bytes_text(stats.bytes), "on the wire");
  card(seconds_text(duration), "duration");
  card(duration > 0 ? short_number(static_cast<double>(stats.bytes) * 8 / duration) + "bit/s" : "–",
       "average rate");
  card(fmt::format("{}", stats.tcp_count), "TCP conversations");
  card(fmt::format("{}", stats.udp_count), "UDP conversations");
  card(fmt::format("{}", stats.truncated + stats.malformed + stats.unsupported),
       "truncated or malformed");
  append(out, "</div>\n");
  if (stats.packets == 0) {
    append(out, "<section><p>The capture holds no packets.</p></section>\n");
  } else {
    append_traffic(out, stats);
    append_protocols(out, stats);
    append_talkers(out, stats);
    append_conversations(out, "TCP", stats.tcp, stats.tcp_count, stats.first);
    append_conversations(out, "UDP", stats.udp, stats.udp_count, stats.first);
    append_dns(out, stats);
  }
  append(out, "<p class=\"note\">Made by wirekit pcap stats.</p>\n</main>\n");
  append(out, script);
  append(out, "</body></html>\n");
  return fmt::to_string(out);
}

void write_html_report(const CaptureStats& stats, const std::string& path,
                       const ReportOptions& options) {
  write_file_atomically(path, render_html_report(stats, options));
}

}  // namespace wirekit::capture
