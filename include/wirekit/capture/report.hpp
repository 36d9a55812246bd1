// The HTML report of `wirekit pcap stats --html FILE`: one self-contained page (inline CSS, SVG
// charts drawn here, a few lines of inline JavaScript to sort tables; nothing fetched) with the
// traffic over time, the protocol share, the top talkers, the conversations and the DNS names.
#pragma once

#include <string>

#include <wirekit/capture/stats.hpp>

namespace wirekit::capture {

struct ReportOptions {
  std::string source;  // the capture file, for the title
  std::string filter;  // the BPF filter applied, if any
};

std::string render_html_report(const CaptureStats& stats, const ReportOptions& options = {});

// Writes the page to PATH.part and renames it to PATH, so a reader never sees half a report.
// Throws Error (the OS's reason) when the file cannot be written.
void write_html_report(const CaptureStats& stats, const std::string& path,
                       const ReportOptions& options = {});

}  // namespace wirekit::capture
